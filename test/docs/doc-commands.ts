// The commands README.md and docs/*.md show in their code blocks, and the text around them
// (sample output, YAML and CSV examples), read from the documents themselves.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

export const ROOT = join(import.meta.dirname, '..', '..')
export const DOC_FILES = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter(f => f.endsWith('.md')).sort().map(f => `docs/${f}`)]

/** The lines of a document (index 0 is line 1). */
export function docLines (file: string): string[] {
  return readFileSync(join(ROOT, file), 'utf8').split('\n')
}

/** Splits a shell command line into words (single and double quotes; no expansion). */
export function words (text: string): string[] {
  const out: string[] = []
  let word: string | undefined
  let quote: string | undefined
  for (const ch of text) {
    if (quote !== undefined) {
      if (ch === quote) quote = undefined
      else word = (word ?? '') + ch
    } else if (ch === '"' || ch === '\'') {
      quote = ch
      word ??= ''
    } else if (/\s/.test(ch)) {
      if (word !== undefined) out.push(word)
      word = undefined
    } else {
      word = (word ?? '') + ch
    }
  }
  if (word !== undefined) out.push(word)
  return out
}

/** The dcimx invocations of the code blocks of `file`: [line number, the line, the arguments after dcimx]. */
export function invocations (file: string): Array<[number, string, string[]]> {
  const out: Array<[number, string, string[]]> = []
  let inBlock = false
  docLines(file).forEach((raw, i) => {
    if (raw.trimStart().startsWith('```')) { inBlock = !inBlock; return }
    if (!inBlock) return
    // The command after a pipe or inside $(...); a trailing comment and the brackets of optional parts go.
    const m = /(?:^|\| |\$\(|\$ )\s*(?:dcimx|node bin\/dcimx\.js)\s(.*)$/.exec(raw.replace(/\)\s*$/, ''))
    if (m === null) return
    const text = m[1]!.replace(/\s+#.*$/, '').replace(/\[([^\]]*)\]/g, '$1')
    out.push([i + 1, raw.trim(), words(text)])
  })
  return out
}

export interface DocCommand {
  file: string
  /** The line the command starts on (1-based). */
  line: number
  /** The command as shown: its lines (a trailing `\` joins the next), without a trailing comment. */
  text: string
}

/** Removes a trailing shell comment (a `#` after whitespace, outside quotes). */
function stripComment (line: string): { code: string, comment: string } {
  let quote: string | undefined
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!
    if (quote !== undefined) { if (ch === quote) quote = undefined; continue }
    if (ch === '"' || ch === '\'') quote = ch
    else if (ch === '#' && (i === 0 || /\s/.test(line[i - 1]!))) return { code: line.slice(0, i).trimEnd(), comment: line.slice(i + 1) }
  }
  return { code: line.trimEnd(), comment: '' }
}

/**
 * Every command of the shell code blocks (```sh) of `file`: each line that is not blank and
 * not a comment (comment lines hold the sample output of the command above them), joined with
 * the lines a trailing `\` continues it on; and each alternative a trailing comment offers as
 * `or: COMMAND`.
 */
export function docCommands (file: string): DocCommand[] {
  const out: DocCommand[] = []
  const lines = docLines(file)
  let inShell = false
  let inBlock = false
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!
    const fence = /^\s*```(\S*)/.exec(raw)
    if (fence !== null) {
      if (inBlock) { inBlock = false; inShell = false } else { inBlock = true; inShell = fence[1] === 'sh' }
      continue
    }
    if (!inShell || raw.trim() === '' || raw.trim().startsWith('#')) continue
    const start = i
    const parts: string[] = []
    let { code, comment } = stripComment(raw.trim())
    while (code.endsWith('\\') && i + 1 < lines.length) {
      parts.push(code)
      i++;
      ({ code, comment } = stripComment(lines[i]!.trim()))
    }
    parts.push(code)
    out.push({ file, line: start + 1, text: parts.join('\n') })
    const alternative = /(?:^|[;\s])or:\s+(.+)$/.exec(comment)
    if (alternative !== null) out.push({ file, line: start + 1, text: alternative[1]!.trim() })
  }
  return out
}

/** The first code block that opens after line `after` (1-based): its info string, text and first line. */
export function blockAfter (file: string, after: number): { info: string, text: string, line: number } {
  const lines = docLines(file)
  let open: { at: number, indent: number, info: string } | undefined
  for (let i = 0; i < lines.length; i++) {
    const fence = /^(\s*)```(\S*)\s*$/.exec(lines[i]!)
    if (fence === null) continue
    if (open === undefined) { open = { at: i, indent: fence[1]!.length, info: fence[2]! }; continue }
    if (open.at >= after) return { info: open.info, text: lines.slice(open.at + 1, i).map(l => l.slice(open!.indent)).join('\n') + '\n', line: open.at + 2 }
    open = undefined
  }
  throw new Error(`${file}: no code block after line ${after}`)
}

/** The line (1-based) of the first line of `file` that includes `text`, after line `after`. */
export function lineOf (file: string, text: string, after = 0): number {
  const i = docLines(file).findIndex((l, n) => n >= after && l.includes(text))
  if (i < 0) throw new Error(`${file}: no line holds ${JSON.stringify(text)}`)
  return i + 1
}

/**
 * The sample output a document prints under a command, in the comment lines that follow it
 * (`#   ...`), as one text.
 */
export function commentSample (file: string, line: number): string {
  const lines = docLines(file)
  const out: string[] = []
  for (let i = line; i < lines.length && /^\s*#/.test(lines[i]!); i++) out.push(lines[i]!.replace(/^\s*#\s?/, ''))
  return out.join('\n')
}
