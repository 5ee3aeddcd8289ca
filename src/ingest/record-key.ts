/**
 * National record identifiers are stored only as a keyed hash: HMAC-SHA256 under a per-node
 * secret kept in HOME/keys/record-key.secret (owner-only). Without the secret the database
 * holds no national identifier and no way to test a guessed one.
 */
import { createHmac } from 'node:crypto'
import { ownerOnlySecret } from '../node/key-store.js'

export const RECORD_SECRET_FILE = 'record-key.secret'

export type RecordKeyer = (recordId: string) => string

/** Reads the node's record-key secret, creating it (32 random bytes, mode 0600) on first use. */
export function loadRecordSecret (home: string): Buffer {
  return ownerOnlySecret(home, RECORD_SECRET_FILE, 'the record-key secret')
}

/** The keyed hash of a national record id (base64url, 43 characters). */
export function recordKeyer (secret: Buffer): RecordKeyer {
  return recordId => createHmac('sha256', secret).update(recordId, 'utf8').digest('base64url')
}
