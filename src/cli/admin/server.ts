/**
 * The serving side of the admin channel (./protocol.ts): `dcimx serve` listens on HOME/run/admin.sock
 * and runs each command it receives with the same command code as the CLI (runCli), on the
 * node's open database, one command at a time, streaming its output back.
 *
 * Trust: the socket lies in an owner-only folder (0700) and is itself 0600, so only the home's
 * owner (and root) can connect: those who can already read the home's keys and database. The
 * channel runs only the commands that open the database (ROUTED_COMMANDS), on this home only.
 */
import { chmodSync, lstatSync, mkdirSync, rmSync } from 'node:fs'
import { createServer, type Server, type Socket } from 'node:net'
import { dirname, isAbsolute } from 'node:path'
import { PassThrough } from 'node:stream'
import type { Clock } from '../../clock.js'
import { AppError } from '../../errors.js'
import type { OpenNode } from '../../node/home.js'
import type { CliIo } from '../io.js'
import { adminSocketPath, FORWARDED_ENV, frame, frameReader, MAX_SOCKET_PATH_BYTES, PROTOCOL_VERSION, type ClientFrame, type ServerFrame } from './protocol.js'

export interface AdminChannel {
  /** The socket's path. */
  readonly path: string
  /**
   * Stops taking commands: those queued are refused, the one running finishes (its input, if it
   * waits for any, ends) and the socket is removed. Safe to call more than once.
   */
  close(): Promise<void>
}

export interface AdminChannelOptions {
  node: OpenNode
  clock: Clock
  /** Runs one command line (runCli), returning its exit status. */
  run: (argv: string[], io: CliIo) => Promise<number>
}

type RunFrame = Extract<ClientFrame, { t: 'run' }>

/** Characters of output per frame: JSON escaping at most sextuples them, well under MAX_FRAME_BYTES. */
const OUTPUT_PIECE = 64 * 1024

function isRunFrame (f: unknown): f is RunFrame {
  const r = f as Partial<RunFrame> | null
  return typeof r === 'object' && r !== null && r.t === 'run' && r.v === PROTOCOL_VERSION &&
    Array.isArray(r.argv) && r.argv.every(a => typeof a === 'string') &&
    typeof r.cwd === 'string' && isAbsolute(r.cwd) &&
    typeof r.env === 'object' && r.env !== null && typeof r.stdin === 'boolean' &&
    typeof r.tty === 'object' && r.tty !== null
}

/** The caller's environment, reduced to the variables a routed command may see. */
function forwardedEnv (env: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const name of FORWARDED_ENV) if (typeof env[name] === 'string') out[name] = env[name]
  return out
}

/**
 * Makes HOME/run owner-only (creating it), checking that it is a real folder of this user: a
 * folder planted by someone else, or a symbolic link, is refused rather than used.
 */
function ownerOnlyFolder (dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  const st = lstatSync(dir)
  if (!st.isDirectory()) throw new AppError('LISTEN_FAILED', `${dir} is not a folder; remove it so the admin channel can be opened`)
  if (process.getuid !== undefined && st.uid !== process.getuid()) throw new AppError('LISTEN_FAILED', `${dir} belongs to another user; remove it so the admin channel can be opened`)
  chmodSync(dir, 0o700)
}

/**
 * Opens the admin channel of the node `options.node`, whose embedded database this process
 * holds (and locks). Returns `{ unavailable }`, with the reason, when the socket's path is too
 * long for the system (the node then serves without the channel).
 */
export async function openAdminChannel (options: AdminChannelOptions): Promise<AdminChannel | { unavailable: string }> {
  const path = adminSocketPath(options.node.config.home)
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH_BYTES) {
    return { unavailable: `the admin channel's socket path ${path} is longer than ${MAX_SOCKET_PATH_BYTES} bytes` }
  }
  ownerOnlyFolder(dirname(path))
  // A socket left by a serve that was killed: this process holds the database lock, so no live
  // serve of this home can own it.
  rmSync(path, { force: true })

  let closing = false
  let queue: Promise<void> = Promise.resolve()
  let waiting = 0
  /** Connections that have not sent a command yet. */
  const idle = new Set<Socket>()
  /** Ends the standard input of the command running, if it reads one. */
  let endInput: ((reason: string) => void) | undefined

  const handle = (conn: Socket): void => {
    idle.add(conn)
    let gone = false
    let stdin: PassThrough | undefined
    const send = (f: ServerFrame): void => { if (!gone) conn.write(frame(f)) }
    /** Output in pieces that stay frames of bounded size, however much one write holds. */
    const output = (t: 'out' | 'err', s: string): void => {
      for (let i = 0; i < s.length;) {
        let end = Math.min(i + OUTPUT_PIECE, s.length)
        // Never between the two halves of a surrogate pair (an emoji in a name).
        if (end < s.length && /[\uD800-\uDBFF]/.test(s[end - 1]!)) end--
        send({ t, s: s.slice(i, end) })
        i = end
      }
    }
    const finish = (status: number): void => {
      send({ t: 'exit', status })
      conn.end()
    }
    conn.on('error', () => {})
    conn.on('close', () => {
      gone = true
      idle.delete(conn)
      // A command reading its input from a caller who left reads no more.
      stdin?.destroy(new AppError('ADMIN_CHANNEL_UNAVAILABLE', 'the caller disconnected before its standard input ended'))
    })
    let started = false
    conn.on('data', frameReader(f => {
      const c = f as ClientFrame
      if (!started) {
        if (!isRunFrame(f)) {
          send({ t: 'err', s: 'dcimx: the admin channel expects a command first (protocol version 1)\n' })
          finish(2)
          return
        }
        started = true
        idle.delete(conn)
        const request = f
        if (waiting > 0) send({ t: 'err', s: 'dcimx: waiting for another command to finish in the serving node\n' })
        waiting++
        queue = queue.then(async () => {
          // The caller gave up before its turn: nothing was started, so nothing runs.
          if (gone) return
          if (closing) {
            send({ t: 'err', s: 'dcimx: the serving node is shutting down; run the command again once it has stopped\n' })
            finish(1)
            return
          }
          const columns = typeof request.tty.columns === 'number' ? request.tty.columns : undefined
          const io: CliIo = {
            stdout: { write: (s: string) => { output('out', s); return true }, isTTY: request.tty.stdout === true, ...(columns === undefined ? {} : { columns }) },
            stderr: { write: (s: string) => { output('err', s); return true }, isTTY: request.tty.stderr === true, ...(columns === undefined ? {} : { columns }) },
            env: forwardedEnv(request.env),
            clock: options.clock,
            cwd: request.cwd,
            attached: options.node,
          }
          if (request.stdin) {
            // Asked for only when the command reads it (--password-stdin), as the CLI's own does.
            Object.defineProperty(io, 'stdin', {
              enumerable: true,
              get: () => {
                if (stdin === undefined) {
                  stdin = new PassThrough()
                  if (gone) stdin.destroy(new AppError('ADMIN_CHANNEL_UNAVAILABLE', 'the caller disconnected before its standard input ended'))
                  else if (closing) stdin.destroy(new AppError('ADMIN_CHANNEL_UNAVAILABLE', 'the serving node is shutting down'))
                  else send({ t: 'stdin' })
                  endInput = reason => stdin?.destroy(new AppError('ADMIN_CHANNEL_UNAVAILABLE', reason))
                }
                return stdin
              },
            })
          }
          try {
            finish(await options.run(request.argv, io))
          } finally {
            endInput = undefined
          }
        }).catch(() => {
          // runCli reports every failure itself; this guards the queue against anything else.
          finish(1)
        }).finally(() => { waiting-- })
        return
      }
      if (c.t === 'in' && typeof c.d === 'string') stdin?.write(Buffer.from(c.d, 'base64'))
      else if (c.t === 'eof') stdin?.end()
    }, reason => {
      send({ t: 'err', s: `dcimx: admin channel: ${reason}\n` })
      conn.destroy()
    }))
  }

  const server: Server = createServer(handle)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(path, () => { server.off('error', reject); resolve() })
  })
  chmodSync(path, 0o600)

  let closed: Promise<void> | undefined
  return {
    path,
    close: () => (closed ??= (async () => {
      closing = true
      const stopped = new Promise<void>(resolve => server.close(() => resolve()))
      endInput?.('the serving node is shutting down')
      await queue
      for (const conn of idle) conn.destroy()
      await stopped
      rmSync(path, { force: true })
    })()),
  }
}
