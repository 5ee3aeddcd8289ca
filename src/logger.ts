/** The pino logger factory. Secrets (authorization headers, key material, tokens) are redacted. */
import { pino, type Logger, type LoggerOptions, type DestinationStream } from 'pino'

export type { Logger }

export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'authorization',
  'token',
  '*.token',
  'password',
  '*.password',
  'privateKey',
  '*.privateKey',
  'd',
  '*.d',
  'jwk.d',
  'secret',
  '*.secret',
]

/** A logger for `node` at `level`, writing JSON lines to `destination` (stdout by default). */
export function createLogger (options: { level: string, node?: string, destination?: DestinationStream }): Logger {
  const opts: LoggerOptions = {
    level: options.level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    base: options.node === undefined ? {} : { node: options.node },
  }
  return options.destination === undefined ? pino(opts) : pino(opts, options.destination)
}
