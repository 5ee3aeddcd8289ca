/**
 * National record identifiers are stored only as a keyed hash: HMAC-SHA256 under a per-node
 * secret kept in HOME/keys/record-key.secret (owner-only). Without the secret the database
 * holds no national identifier and no way to test a guessed one.
 */
import { createHmac, randomBytes } from 'node:crypto'
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { AppError } from '../errors.js'

export const RECORD_SECRET_FILE = 'record-key.secret'

export type RecordKeyer = (recordId: string) => string

/** Reads the node's record-key secret, creating it (32 random bytes, mode 0600) on first use. */
export function loadRecordSecret (home: string): Buffer {
  const dir = join(home, 'keys')
  const file = join(dir, RECORD_SECRET_FILE)
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    writeFileSync(file, randomBytes(32).toString('base64url') + '\n', { mode: 0o600, flag: 'wx' })
    chmodSync(file, 0o600)
  }
  const mode = statSync(file).mode
  if ((mode & 0o077) !== 0) {
    throw new AppError('KEY_FILE_INSECURE', `${file}: secret is readable by group or others (mode ${(mode & 0o777).toString(8)}); run chmod 600 on it`)
  }
  const secret = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64url')
  if (secret.byteLength < 32) throw new AppError('KEY_FILE_INVALID', `${file}: the secret must be at least 32 bytes`)
  return secret
}

/** The keyed hash of a national record id (base64url, 43 characters). */
export function recordKeyer (secret: Buffer): RecordKeyer {
  return recordId => createHmac('sha256', secret).update(recordId, 'utf8').digest('base64url')
}
