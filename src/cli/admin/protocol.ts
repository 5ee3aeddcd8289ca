/**
 * The admin channel of a serving node (docs/operator-guide.md, "Commands while serving"): a Unix
 * domain socket in the home's owner-only `run/` folder, through which a command that needs the
 * embedded database, locked by `dcimx serve`, runs inside the serving process on its open
 * database. Frames are JSON, one per line. Kept free of heavy imports: the CLI reads
 * ROUTED_COMMANDS before it knows whether a command runs at all.
 */
import { join } from 'node:path'
import { StringDecoder } from 'node:string_decoder'

/** The socket, relative to the home. */
export const ADMIN_SOCKET = join('run', 'admin.sock')

/** The longest socket path the system takes (sun_path holds 108 bytes with its terminating NUL). */
export const MAX_SOCKET_PATH_BYTES = 107

export function adminSocketPath (home: string): string {
  return join(home, ADMIN_SOCKET)
}

/**
 * The commands that open the home's database, by their path (`user add`): those, and only those,
 * run through the channel. `serve`, `init` and `demo` never do (they open or create homes of
 * their own); the others do not need the database and run directly.
 */
export const ROUTED_COMMANDS: ReadonlySet<string> = new Set([
  'migrate', 'import', 'tables', 'policy preview', 'publish',
  'peer add', 'peer list', 'peer refresh', 'peer remove', 'peer skip', 'sync', 'status', 'alerts ack',
  'audit verify', 'audit list', 'totals',
  'user add', 'user remove', 'user disable', 'user enable', 'user list', 'login',
])

/**
 * The environment a routed command sees from its caller: --home's default, the debug switch
 * and who runs it (peer skip records it). Configuration overrides are not sent: the command runs
 * on the serving node's configuration.
 */
export const FORWARDED_ENV = ['DCIMX_HOME', 'DCIMX_DEBUG', 'USER', 'LOGNAME'] as const

export const PROTOCOL_VERSION = 1

/** The longest frame either side accepts (a request, or a chunk of output or input). */
export const MAX_FRAME_BYTES = 1024 * 1024

/** What the caller sends: the command first, then standard input when the command asks for it. */
export type ClientFrame =
  | {
    t: 'run'
    v: typeof PROTOCOL_VERSION
    argv: string[]
    /** The caller's folder, against which relative paths (--home, files) are resolved. */
    cwd: string
    env: Record<string, string>
    /** Whether the caller has a standard input to forward. */
    stdin: boolean
    tty: { stdout: boolean, stderr: boolean, columns: number | null }
  }
  | { t: 'in', d: string }
  | { t: 'eof' }

/** What the serving node sends: output as it is written, a request for input, the exit status. */
export type ServerFrame =
  | { t: 'out', s: string }
  | { t: 'err', s: string }
  | { t: 'stdin' }
  | { t: 'exit', status: number }

export function frame (f: ClientFrame | ServerFrame): string {
  return JSON.stringify(f) + '\n'
}

/**
 * Splits what a socket delivers into frames. Calls `onFrame` with each parsed one, and `onBad`
 * (once, then nothing more) for a line that is not JSON or is longer than MAX_FRAME_BYTES.
 */
export function frameReader (onFrame: (f: unknown) => void, onBad: (reason: string) => void): (chunk: Buffer) => void {
  // A character split between two chunks is joined before decoding.
  const decoder = new StringDecoder('utf8')
  let pending = ''
  let bad = false
  return chunk => {
    if (bad) return
    pending += decoder.write(chunk)
    let nl: number
    while ((nl = pending.indexOf('\n')) >= 0) {
      const text = pending.slice(0, nl)
      pending = pending.slice(nl + 1)
      let parsed: unknown
      try {
        parsed = JSON.parse(text)
      } catch {
        bad = true
        onBad('a frame is not JSON')
        return
      }
      onFrame(parsed)
      if (bad) return
    }
    if (pending.length > MAX_FRAME_BYTES) {
      bad = true
      onBad(`a frame is longer than ${MAX_FRAME_BYTES} bytes`)
    }
  }
}
