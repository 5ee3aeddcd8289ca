import type { Kysely } from 'kysely'

// Frozen in time: migrations never import from src/.

export async function up (db: Kysely<any>): Promise<void> {
  // The fingerprint of the secret that keys the national record ids stored here: a database
  // whose records were keyed with one secret refuses imports keyed with another (a lost and
  // regenerated secret would otherwise count every re-imported record twice). Null until bound.
  await db.schema.alterTable('node_identity').addColumn('record_key_fingerprint', 'text').execute()
}

export async function down (db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('node_identity').dropColumn('record_key_fingerprint').execute()
}
