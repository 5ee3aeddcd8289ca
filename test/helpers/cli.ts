// Runs the dcimx CLI in-process (captured output) or as a real process.
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import type { Test } from 'tap'
import { runCli } from '../../src/cli/main.js'
import type { Clock } from '../../src/clock.js'
import { openNode, type OpenNode } from '../../src/node/home.js'
import { testClock } from './node.js'

export interface CliResult {
  status: number
  stdout: string
  stderr: string
}

/**
 * Runs `dcimx ARGS` in this process with captured output; `cwd` is the folder relative paths
 * mean, `stdin` what standard input holds (none when not given). With `attached`, the command
 * runs on that open home as `dcimx serve` runs a command routed through its admin channel,
 * instead of opening the home itself (which costs the embedded database's start-up each time).
 */
export async function cli (args: string[], options: { env?: Record<string, string | undefined>, clock?: Clock, cwd?: string, stdin?: string, attached?: OpenNode } = {}): Promise<CliResult> {
  let stdout = ''
  let stderr = ''
  const status = await runCli(args, {
    stdout: { write: (s: string) => { stdout += s } },
    stderr: { write: (s: string) => { stderr += s } },
    env: options.env ?? {},
    clock: options.clock ?? testClock,
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    ...(options.stdin === undefined ? {} : { stdin: Readable.from([Buffer.from(options.stdin, 'utf8')]) }),
    ...(options.attached === undefined ? {} : { attached: options.attached }),
  })
  return { status, stdout, stderr }
}

/**
 * `home` opened once, for commands run with `attached` (see {@link cli}); closed when `t` ends,
 * or earlier with `node.db.close()` (a second close does nothing) before a command that opens
 * the home itself.
 */
export async function openForCommands (t: Test, home: string, env: Record<string, string | undefined>, clock: Clock): Promise<OpenNode> {
  const node = await openNode({ home, env, clock })
  t.teardown(async () => { await node.db.close() })
  return node
}

export const BIN = join(import.meta.dirname, '..', '..', 'bin', 'dcimx.js')

/** Environment for child processes: no inherited DATABASE_URL unless given. */
export function childEnv (env: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = { ...process.env, DCIMX_FROM_SOURCE: '1' }
  delete base.DATABASE_URL
  delete base.NODE_OPTIONS
  // Child processes run the sources through tsx, whose transpiled line numbers do not match
  // tap's: their coverage would be merged against the wrong lines. The same code paths are
  // covered in-process through runCli.
  delete base.NODE_V8_COVERAGE
  for (const name of Object.keys(base)) if (name.startsWith('_TAPJS_PROCESSINFO')) delete base[name]
  return { ...base, ...env }
}

/** Runs `dcimx ARGS` as a real process (in `cwd`, with `input` on its standard input) and waits for it to exit. */
export async function spawnCli (args: string[], env: Record<string, string | undefined> = {}, options: { cwd?: string, input?: string } = {}): Promise<CliResult> {
  const child = spawn(process.execPath, [BIN, ...args], { env: childEnv(env), cwd: options.cwd, stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] })
  if (options.input !== undefined) child.stdin!.end(options.input)
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', (d: Buffer) => { stdout += d.toString() })
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString() })
  const [code] = await once(child, 'close') as [number | null]
  return { status: code ?? -1, stdout, stderr }
}

export interface ServedNode {
  child: ChildProcess
  url: string
  stderr: () => string
  stop: (signal?: NodeJS.Signals) => Promise<number | null>
}

/**
 * Waits until a started `dcimx serve` reports the address it listens on (rejects if it exits
 * first); `stderr()` is everything it has written to standard error so far.
 */
export async function listening (child: ChildProcess & { stderr: Readable }): Promise<{ url: string, stderr: () => string, exited: Promise<[number | null]> }> {
  let stderr = ''
  const exited = once(child, 'exit') as Promise<[number | null]>
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString()
      const m = /listening on (http:\/\/\S+)/.exec(stderr)
      if (m !== null) resolve(m[1]!)
    })
    exited.then(([code]) => reject(new Error(`dcimx serve exited with ${code}: ${stderr}`)))
  })
  return { url, stderr: () => stderr, exited }
}

/** Starts `dcimx serve` and resolves once it reports the address it listens on. */
export async function serve (t: Test, args: string[], env: Record<string, string | undefined> = {}): Promise<ServedNode> {
  const child = spawn(process.execPath, [BIN, 'serve', ...args], { env: childEnv(env), stdio: ['ignore', 'ignore', 'pipe'] })
  const { url, stderr, exited } = await listening(child)
  const stop = async (signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> => {
    if (child.exitCode === null) child.kill(signal)
    return (await exited)[0]
  }
  t.teardown(() => stop('SIGKILL'))
  return { child, url, stderr, stop }
}
