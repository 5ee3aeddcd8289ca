// Runs a document's script (test/docs/scripts.ts) as a test: every command as written, in the
// order a reader runs them, in its scripted environment. Each must end with the exit status the
// script expects and print what the document's sample output shows. `dcimx ...` lines run
// in-process through runCli (a variable piped in with printf, or the output assigned to one,
// in-process too); `node bin/dcimx.js ...` lines and those with other programs or shell syntax
// (curl, jq, createdb) run in bash, with `dcimx` on the PATH as the real command; `serve` runs
// as a process, waited for until it listens, then stopped. Then every command of the
// document's shell code blocks must have been run or be listed in NOT_RUN_HERE, with the reason
// and where it is covered.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { chmodSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import type { Test } from 'tap'
import { runCli } from '../../src/cli/main.js'
import { BIN, childEnv, listening } from '../helpers/cli.js'
import { POSTGRES_URL, pgTemplateDir } from '../helpers/db.js'
import { tempDir } from '../helpers/node.js'
import { docCommands, words, type DocCommand } from './doc-commands.js'
import { NOT_RUN_HERE, SCRIPTS, type Step, type StepResult } from './scripts.js'

/** The words of a `cli` or `serve` step after `dcimx` (or `node bin/dcimx.js`), globs expanded as a shell would. */
function argv (step: Step): string[] {
  const all = words(step.text)
  const rest = all[0] === 'node' && all[1] === 'bin/dcimx.js' ? all.slice(2) : all.slice(1)
  return rest.flatMap(word => {
    if (!word.includes('*')) return [word]
    const slash = word.lastIndexOf('/')
    const dir = slash < 0 ? '.' : word.slice(0, slash)
    const pattern = new RegExp('^' + word.slice(slash + 1).split('*').map(s => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*') + '$')
    const found = readdirSync(join(step.cwd, dir)).filter(f => pattern.test(f)).sort().map(f => slash < 0 ? f : `${dir}/${f}`)
    return found.length > 0 ? found : [word]
  })
}

async function runInProcess (step: Step, vars: Record<string, string>): Promise<StepResult> {
  let stdout = ''
  let stderr = ''
  const before = process.cwd()
  process.chdir(step.cwd)
  try {
    const status = await runCli(argv(step), {
      stdout: { write: (s: string) => { stdout += s } },
      stderr: { write: (s: string) => { stderr += s } },
      env: { USER: 'operator', ...await templateEnv() },
      clock: step.clock,
      stdin: step.stdinVar === undefined ? undefined : Readable.from([`${vars[step.stdinVar] ?? ''}\n`]),
    })
    if (step.assignTo !== undefined) vars[step.assignTo] = stdout.replace(/\n$/, '')
    return { status, stdout, stderr }
  } finally {
    process.chdir(before)
  }
}

/**
 * `dcimx init` copies the migrated template that the test helpers make once per run (the build's
 * dist/db-template is absent when the sources run), as DCIMX_DB_TEMPLATE lets an operator name one.
 */
async function templateEnv (): Promise<Record<string, string>> {
  return POSTGRES_URL === undefined ? { DCIMX_DB_TEMPLATE: await pgTemplateDir() } : {}
}

/**
 * The environment of the processes started: as the helpers give them, except that bin/dcimx.js
 * chooses between dist/ and the sources as it does for a reader (dist/ while it matches them).
 */
function processEnv (vars: Record<string, string> = {}, template: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = childEnv({ ...template, ...vars, USER: 'operator' })
  delete env.DCIMX_FROM_SOURCE
  return env
}

/** A folder holding `dcimx` for bash: the real command. */
function shimDir (t: Test): string {
  const dir = join(tempDir(t, 'dcimx-bin-'), 'bin')
  mkdirSync(dir)
  writeFileSync(join(dir, 'dcimx'), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`)
  chmodSync(join(dir, 'dcimx'), 0o755)
  return dir
}

/** Runs a line in bash; the variables it sets (TOKEN) are kept for the document's next lines. */
async function runBash (step: Step, vars: Record<string, string>, shim: string): Promise<StepResult> {
  const names = ['TOKEN']
  const script = `${step.text}\n__status=$?\nprintf '\\0'\n${names.map(n => `printf '%s\\0' "\${${n}-}"`).join('\n')}\nexit $__status\n`
  const env = { ...processEnv({ ...vars, ...step.env }, await templateEnv()), PATH: `${shim}:${process.env.PATH ?? ''}` }
  const child = spawn('bash', ['-c', script], { cwd: step.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (b: Buffer) => { stdout += b.toString() })
  child.stderr.on('data', (b: Buffer) => { stderr += b.toString() })
  const [code] = await once(child, 'close') as [number | null]
  const [out, ...values] = stdout.split('\0')
  names.forEach((n, i) => { if (values[i] !== undefined && values[i] !== '') vars[n] = values[i]! })
  return { status: code ?? -1, stdout: out!, stderr }
}

/** Starts `dcimx serve` as a process; resolves once it listens. */
async function runServe (t: Test, step: Step): Promise<StepResult> {
  const child = spawn(process.execPath, [BIN, ...argv(step)], { cwd: step.cwd, env: processEnv(step.env, await templateEnv()), stdio: ['ignore', 'ignore', 'pipe'] })
  t.teardown(async () => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL') })
  const { url, stderr, exited } = await listening(child)
  const stop = async (): Promise<number | null> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
    return (await exited)[0]
  }
  return { status: 0, stdout: '', stderr: stderr(), url, stop }
}

/** The key of a documented command: file, line and text. */
const key = (c: { file: string, line: number, text: string }): string => `${c.file}:${c.line}: ${c.text}`

/** Which entry of NOT_RUN_HERE lists a command, or -1. */
export function listedAs (c: DocCommand): number {
  return NOT_RUN_HERE.findIndex(l => l.file === c.file && (typeof l.text === 'string' ? l.text === c.text : l.text.test(c.text)))
}

/**
 * Runs the script of `file` in `t`, each command a subtest of its own, then checks that every
 * command of the document was run or is listed in NOT_RUN_HERE.
 */
export async function runDocument (t: Test, file: string): Promise<void> {
  const script = SCRIPTS.find(s => s.file === file)
  if (script === undefined) throw new Error(`no script for ${file}`)
  const ran: DocCommand[] = []
  await t.test(file, async t => {
    t.comment(`substitutions: ${script.substitutions.join('; ')}`)
    const vars: Record<string, string> = {}
    const shim = shimDir(t)
    const it = script.run({ t, vars })
    let lastLine = 0
    for (let next = await it.next(); next.done !== true;) {
      const step = next.value
      const where = step.line > 0 ? `${step.file}:${step.line}: ${step.shown}` : `(set-up) ${step.text}`
      if (step.line > 0) {
        t.ok(step.line >= lastLine, `${where}: in the document's order`)
        lastLine = step.line
        ran.push({ file: step.file, line: step.line, text: step.shown })
      }
      const started = Date.now()
      const result = step.via === 'cli' ? await runInProcess(step, vars) : step.via === 'bash' ? await runBash(step, vars, shim) : await runServe(t, step)
      const output = result.stdout + result.stderr
      const problems: string[] = []
      if (result.status !== step.status) problems.push(`exit status ${result.status}, expected ${step.status}`)
      if (step.sample !== undefined && !step.sample.test(output)) problems.push(`output does not match the document's sample ${String(step.sample)}`)
      for (const check of step.checks ?? []) {
        let problem: string | undefined
        try { problem = check(result) } catch (err) { problem = String(err) }
        if (problem !== undefined) problems.push(problem)
      }
      t.same(problems, [], `${where} (${Date.now() - started} ms)`, problems.length > 0 ? { ran: step.text, output } : {})
      next = await it.next(result)
    }
  })

  await t.test(`${file}: every command is run or listed with its reason`, async t => {
    const done = new Set(ran.map(key))
    const missing = docCommands(file).filter(c => !done.has(key(c)) && listedAs(c) < 0).map(key)
    t.same(missing, [], 'every command of the document is run above or listed in NOT_RUN_HERE (test/docs/scripts.ts)')
    t.ok(ran.length > 0, `${ran.length} documented commands run`)
  })
}
