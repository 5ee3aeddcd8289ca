/**
 * The calling side of the admin channel (./protocol.ts): a command whose home is served by a
 * live `dcimx serve` (which holds the embedded database) runs there instead, with its output,
 * input and exit status passed through.
 */
import { connect, type Socket } from 'node:net'
import { AppError } from '../../errors.js'
import type { CliIo } from '../io.js'
import { adminSocketPath, FORWARDED_ENV, frame, frameReader, MAX_SOCKET_PATH_BYTES, PROTOCOL_VERSION, type ClientFrame, type ServerFrame } from './protocol.js'

const GUIDE = 'docs/operator-guide.md, "Commands while serving"'

/** Whether the caller has a standard input, without creating process.stdin (a getter) to find out. */
function hasStdin (io: CliIo): boolean {
  const d = Object.getOwnPropertyDescriptor(io, 'stdin')
  return d !== undefined && (d.get !== undefined || d.value !== undefined)
}

/** Connects to the socket; undefined when nobody listens there (no serve, or one that died). */
async function reach (path: string): Promise<Socket | undefined> {
  const socket = connect(path)
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve)
      socket.once('error', reject)
    })
  } catch (err) {
    socket.destroy()
    const code = (err as NodeJS.ErrnoException).code
    // No socket (not served, or served with PostgreSQL), or one left by a serve that was killed:
    // the command opens the database itself (a lock left by a dead process is taken over).
    if (code === 'ENOENT' || code === 'ECONNREFUSED' || code === 'ENOTDIR') return undefined
    const reason = code === 'EACCES' || code === 'EPERM' ? 'permission denied: only the home\'s owner can use it' : (err as Error).message
    throw new AppError('ADMIN_CHANNEL_UNAVAILABLE', `cannot reach the serving node's admin channel ${path}: ${reason} (${GUIDE})`)
  }
  return socket
}

/**
 * Runs `argv` in the node serving `home`, if one does, and returns its exit status; returns
 * undefined when no live serve listens on the home's admin channel (the caller then runs the
 * command itself). Throws ADMIN_CHANNEL_UNAVAILABLE when the channel exists but cannot be used.
 */
export async function routeToServe (home: string, argv: string[], io: CliIo, cwd: string): Promise<number | undefined> {
  const path = adminSocketPath(home)
  // The system would silently shorten a longer path, and reach some other socket.
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH_BYTES) return undefined
  const socket = await reach(path)
  if (socket === undefined) return undefined

  const env: Record<string, string> = {}
  for (const name of FORWARDED_ENV) {
    const value = io.env[name]
    if (value !== undefined) env[name] = value
  }
  const send = (f: ClientFrame): void => { if (!socket.destroyed) socket.write(frame(f)) }
  const columns = io.stderr.columns ?? io.stdout.columns
  send({
    t: 'run',
    v: PROTOCOL_VERSION,
    argv,
    cwd,
    env,
    stdin: hasStdin(io),
    tty: { stdout: io.stdout.isTTY === true, stderr: io.stderr.isTTY === true, columns: columns ?? null },
  })

  let input: NodeJS.ReadableStream | undefined
  const onData = (chunk: Buffer | string): void => send({ t: 'in', d: (typeof chunk === 'string' ? Buffer.from(chunk) : chunk).toString('base64') })
  const onEnd = (): void => send({ t: 'eof' })
  const forwardInput = (): void => {
    if (input !== undefined) return
    input = io.stdin
    if (input === undefined) return onEnd()
    input.on('data', onData)
    input.once('end', onEnd)
    input.once('error', onEnd)
  }
  const stopInput = (): void => {
    if (input === undefined) return
    input.off('data', onData)
    input.off('end', onEnd)
    input.off('error', onEnd)
    input.pause()
    // The CLI's own standard input: let the process exit although it was read from.
    if (input === process.stdin) process.stdin.destroy()
  }

  try {
    return await new Promise<number>((resolve, reject) => {
      let status: number | undefined
      socket.on('data', frameReader(f => {
        const s = f as ServerFrame
        if (s.t === 'out' && typeof s.s === 'string') io.stdout.write(s.s)
        else if (s.t === 'err' && typeof s.s === 'string') io.stderr.write(s.s)
        else if (s.t === 'stdin') forwardInput()
        else if (s.t === 'exit' && Number.isInteger(s.status)) status = s.status
      }, reason => {
        socket.destroy()
        reject(new AppError('ADMIN_CHANNEL_UNAVAILABLE', `the serving node's admin channel ${path} answered wrongly: ${reason}`))
      }))
      socket.on('error', () => {})
      socket.on('close', () => {
        if (status !== undefined) resolve(status)
        else reject(new AppError('ADMIN_CHANNEL_UNAVAILABLE', `the serving node closed its admin channel before the command ended (it may have stopped); run the command again, or see the node's log (${GUIDE})`))
      })
    })
  } finally {
    stopInput()
    socket.destroy()
  }
}
