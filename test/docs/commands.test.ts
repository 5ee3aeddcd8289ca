// Every dcimx command line shown in a code block of README.md and docs/*.md parses as written
// against the CLI itself: the command exists, every option it uses exists, every mandatory
// option (--home included) and argument is given, nothing is left over. The commands' actions
// are replaced, so nothing runs. Found from outside (issue 12): the liaison guide's
// `dcimx user add NAME --role liaison` failed without --home.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Command } from 'commander'
import t from 'tap'
import { program } from '../../src/cli/main.js'

const ROOT = join(import.meta.dirname, '..', '..')
const FILES = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter(f => f.endsWith('.md')).sort().map(f => `docs/${f}`)]

/** Splits a shell command line into words (single and double quotes; no expansion). */
function words (text: string): string[] {
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

/** The dcimx invocations of the code blocks of `file`: [line number, the arguments after dcimx]. */
function invocations (file: string): Array<[number, string, string[]]> {
  const out: Array<[number, string, string[]]> = []
  let inBlock = false
  readFileSync(join(ROOT, file), 'utf8').split('\n').forEach((raw, i) => {
    if (raw.startsWith('```')) { inBlock = !inBlock; return }
    if (!inBlock) return
    // The command after a pipe or inside $(...); a trailing comment and the brackets of optional parts go.
    const m = /(?:^|\| |\$\(|\$ )\s*(?:dcimx|node bin\/dcimx\.js)\s(.*)$/.exec(raw.replace(/\)\s*$/, ''))
    if (m === null) return
    const text = m[1]!.replace(/\s+#.*$/, '').replace(/\[([^\]]*)\]/g, '$1')
    out.push([i + 1, raw.trim(), words(text)])
  })
  return out
}

/** The CLI with every action replaced, so parsing is all that happens. */
function parser (): Command {
  const cmd = program({ stdout: { write: () => true }, stderr: { write: () => true }, env: {}, clock: { now: () => 0 } }, () => {})
  const quiet = (c: Command): void => {
    c.action(async () => {})
    c.configureOutput({ writeOut: () => {}, writeErr: () => {} })
    c.commands.forEach(quiet)
  }
  cmd.commands.forEach(quiet)
  return cmd
}

let total = 0
for (const file of FILES) {
  const found = invocations(file)
  total += found.length
  if (found.length === 0) continue
  t.test(file, async t => {
    for (const [line, shown, args] of found) {
      const error = await parser().parseAsync(args, { from: 'user' }).then(() => null, (err: Error) => err.message)
      t.equal(error, null, `${file}:${line}: ${shown}`)
    }
  })
}

t.test('the docs show dcimx commands to check', async t => {
  t.ok(total >= 40, `${total} command lines`)
})

t.test('the check catches what the liaison guide once showed', async t => {
  const error = await parser().parseAsync(['user', 'add', 'NAME', '--role', 'liaison'], { from: 'user' }).then(() => null, (err: Error) => err.message)
  t.match(error, /required option '--home <dir>' not specified/)
  t.match(await parser().parseAsync(['totals', '--home', 'DIR', '--indicator', 'V1', '--years', '2024', '--bogus'], { from: 'user' }).then(() => null, (err: Error) => err.message), /unknown option '--bogus'/)
})
