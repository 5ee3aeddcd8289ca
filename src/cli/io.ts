/** What a CLI command may touch: its input and output streams, the environment and the clock. */
import type { Clock } from '../clock.js'

export interface CliIo {
  stdout: { write(text: string): unknown, isTTY?: boolean }
  stderr: { write(text: string): unknown, isTTY?: boolean }
  env: Record<string, string | undefined>
  clock: Clock
  /** Standard input, for commands that read a secret from it (--password-stdin). */
  stdin?: NodeJS.ReadableStream
}

export function line (stream: CliIo['stdout'], text = ''): void {
  stream.write(text + '\n')
}
