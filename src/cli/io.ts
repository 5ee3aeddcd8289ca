/** What a CLI command may touch: its input and output streams, the environment and the clock. */
import { resolve } from 'node:path'
import type { Clock } from '../clock.js'
import type { OpenNode } from '../node/home.js'

export interface CliIo {
  stdout: { write(text: string): unknown, isTTY?: boolean, columns?: number }
  stderr: { write(text: string): unknown, isTTY?: boolean, columns?: number }
  env: Record<string, string | undefined>
  clock: Clock
  /** Standard input, for commands that read a secret from it (--password-stdin). */
  stdin?: NodeJS.ReadableStream
  /**
   * The folder relative paths are resolved against, when it is not this process's own: a
   * command routed to the serving node runs there with its caller's folder (src/cli/admin/).
   */
  cwd?: string
  /**
   * The serving node's open home, when the command runs inside `dcimx serve` through its admin
   * channel: the command uses it instead of opening (and locking) the database itself.
   */
  attached?: OpenNode
}

export function line (stream: CliIo['stdout'], text = ''): void {
  stream.write(text + '\n')
}

/** A path as the command's caller meant it: relative to the caller's folder. */
export function pathFor (io: CliIo, path: string): string {
  return io.cwd === undefined ? path : resolve(io.cwd, path)
}
