/**
 * National record identifiers are stored only as a keyed hash: HMAC-SHA256 under a per-node
 * secret kept in HOME/keys/record-key.secret (owner-only). Without the secret the database
 * holds no national identifier and no way to test a guessed one.
 *
 * The secret is created by `dcimx init` only, and the database is bound to it by a fingerprint
 * (node_identity.record_key_fingerprint): an import with the file missing, or with another
 * secret than the one the stored records were keyed with, is refused. A regenerated secret
 * would key every record of a re-imported export anew, and every count would double.
 */
import { createHmac } from 'node:crypto'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { Kysely } from 'kysely'
import type { Database } from '../db/types.js'
import { AppError } from '../errors.js'
import { KEYS_DIR, ownerOnlySecret } from '../node/key-store.js'

export const RECORD_SECRET_FILE = 'record-key.secret'

export type RecordKeyer = (recordId: string) => string

/** Where a node home keeps its record-key secret. */
export function recordSecretFile (home: string): string {
  return join(home, KEYS_DIR, RECORD_SECRET_FILE)
}

/** Creates the node's record-key secret (32 random bytes, mode 0600): `dcimx init` only. */
export function createRecordSecret (home: string): Buffer {
  return ownerOnlySecret(home, RECORD_SECRET_FILE, 'the record-key secret')
}

/** Reads the node's record-key secret; refuses (RECORD_KEY_MISSING) when the file is gone. */
export function loadRecordSecret (home: string): Buffer {
  const file = recordSecretFile(home)
  if (!existsSync(file)) {
    throw new AppError('RECORD_KEY_MISSING', `${file} is missing: it keys every national record id this node holds, and a new one would count every re-imported record twice. Restore it from your backup of the home's keys folder (docs/operator-guide.md, "Backups"); it is never created again after dcimx init`)
  }
  return ownerOnlySecret(home, RECORD_SECRET_FILE, 'the record-key secret')
}

/** A fingerprint of a record-key secret that reveals nothing of it (an HMAC of a fixed label). */
export function recordSecretFingerprint (secret: Buffer): string {
  return createHmac('sha256', secret).update('dcimx record-key fingerprint v1', 'utf8').digest('base64url').slice(0, 22)
}

/**
 * Binds the database to `secret` when it is bound to none yet (a home made before bindings, or
 * a new database), and refuses (RECORD_KEY_MISMATCH) a secret other than the bound one.
 */
export async function bindRecordSecret (db: Kysely<Database>, secret: Buffer, home: string): Promise<void> {
  const fingerprint = recordSecretFingerprint(secret)
  await db.updateTable('node_identity').set({ record_key_fingerprint: fingerprint }).where('id', '=', 1).where('record_key_fingerprint', 'is', null).execute()
  const row = await db.selectFrom('node_identity').select('record_key_fingerprint').where('id', '=', 1).executeTakeFirstOrThrow()
  if (row.record_key_fingerprint !== fingerprint) {
    throw new AppError('RECORD_KEY_MISMATCH', `${recordSecretFile(home)} is not the secret this database's records were keyed with (fingerprint ${fingerprint}, the database's ${row.record_key_fingerprint ?? 'none'}): importing with it would count every record again. Restore the right file from your backup (docs/operator-guide.md, "Backups")`)
  }
}

/** The record keyer of a node home, checked against its database (see {@link bindRecordSecret}). */
export async function nodeRecordKeyer (db: Kysely<Database>, home: string): Promise<RecordKeyer> {
  const secret = loadRecordSecret(home)
  await bindRecordSecret(db, secret, home)
  return recordKeyer(secret)
}

/** The keyed hash of a national record id (base64url, 43 characters). */
export function recordKeyer (secret: Buffer): RecordKeyer {
  return recordId => createHmac('sha256', secret).update(recordId, 'utf8').digest('base64url')
}
