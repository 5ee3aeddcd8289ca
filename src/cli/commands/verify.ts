/** `dcimx verify FILE --jwks FILE_OR_URL`: verifies any signed object offline. */
import { epochSeconds, fixedClock } from '../../clock.js'
import { AppError, isAppError } from '../../errors.js'
import { describeVerified } from '../../protocol/describe.js'
import { keySetFromJwks } from '../../protocol/keys.js'
import { verifySigned } from '../../protocol/verify.js'
import { line, pathFor, type CliIo } from '../io.js'
import { readJson } from '../read-input.js'

export interface VerifyArgs {
  file: string
  jwks: string
  /** Evaluation time (ISO 8601 or seconds since the epoch); defaults to now. */
  at?: string
  json?: boolean
}

export function parseTime (value: string): number {
  if (/^\d+$/.test(value)) return Number(value)
  const ms = Date.parse(value)
  if (Number.isNaN(ms) || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(value)) {
    throw new AppError('USAGE', `--at ${JSON.stringify(value)} is not an ISO 8601 time with a zone (2026-11-25T12:00:00Z) or seconds since the epoch`)
  }
  return Math.floor(ms / 1000)
}

/** A URL as it is; a file as the caller meant it. */
function fileOrUrl (io: CliIo, source: string): string {
  return /^https?:\/\//.test(source) ? source : pathFor(io, source)
}

/** Returns the exit status: 0 only when the object is valid. */
export async function verifyCommand (args: VerifyArgs, io: CliIo): Promise<number> {
  const now = args.at === undefined ? epochSeconds(io.clock) : epochSeconds(fixedClock(parseTime(args.at) * 1000))
  const [signed, jwks] = await Promise.all([readJson(fileOrUrl(io, args.file), 'signed object'), readJson(fileOrUrl(io, args.jwks), 'JWKS')])
  const keys = keySetFromJwks(jwks)
  try {
    const v = verifySigned(signed, keys, { now })
    if (args.json === true) {
      line(io.stdout, JSON.stringify({ valid: true, type: v.type, id: v.id, issuer: v.payload.issuer, kid: v.key.kid, issued_at: v.payload.issued_at, expires_at: v.payload.expires_at }))
    } else {
      line(io.stdout, `valid: ${describeVerified(v)}`)
    }
    return 0
  } catch (err) {
    if (!isAppError(err)) throw err
    if (args.json === true) line(io.stdout, JSON.stringify({ valid: false, code: err.code, message: err.message }))
    else line(io.stdout, `invalid: ${err.code}: ${err.message}`)
    return 1
  }
}
