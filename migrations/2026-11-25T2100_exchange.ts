import { sql, type Kysely } from 'kysely'

// Frozen in time: migrations never import from src/.

export async function up (db: Kysely<any>): Promise<void> {
  // Peers an operator set up, with the key set pinned from their signed descriptor.
  await db.schema
    .createTable('peer')
    .addColumn('id', 'text', col => col.primaryKey())
    .addColumn('url', 'text', col => col.notNull())
    .addColumn('name', 'text', col => col.notNull())
    .addColumn('kind', 'text', col => col.notNull().check(sql`kind in ('country', 'liaison')`))
    .addColumn('jwks', 'jsonb', col => col.notNull())
    .addColumn('pinned_kid', 'text', col => col.notNull())
    .addColumn('descriptor_id', 'text', col => col.notNull())
    .addColumn('added_at', 'timestamptz', col => col.notNull())
    .execute()

  // Peer-token ids seen, kept until the token expires, so a replayed token is refused.
  await db.schema
    .createTable('peer_token')
    .addColumn('jti', 'text', col => col.primaryKey())
    .addColumn('peer', 'text', col => col.notNull())
    .addColumn('expires_at', 'timestamptz', col => col.notNull())
    .execute()

  // Every signed object received from a peer and applied, in its feed order.
  await db.schema
    .createTable('incoming')
    .addColumn('id', 'text', col => col.primaryKey())
    .addColumn('publisher', 'text', col => col.notNull())
    .addColumn('feed_seq', 'integer', col => col.notNull())
    .addColumn('type', 'text', col => col.notNull().check(sql`type in ('release', 'retraction')`))
    .addColumn('indicator', 'text', col => col.notNull())
    .addColumn('agreement_hash', 'text', col => col.notNull())
    .addColumn('issued_at', 'timestamptz', col => col.notNull())
    .addColumn('expires_at', 'timestamptz', col => col.notNull())
    .addColumn('received_at', 'timestamptz', col => col.notNull())
    .addColumn('signed', 'jsonb', col => col.notNull())
    .addUniqueConstraint('incoming_feed_seq', ['publisher', 'feed_seq'])
    .execute()

  // Cells of received releases, stored once per release and year.
  await db.schema
    .createTable('received_cell')
    .addColumn('release_id', 'text', col => col.notNull().references('incoming.id'))
    .addColumn('year', 'integer', col => col.notNull())
    .addColumn('cell_key', 'text', col => col.notNull())
    .addColumn('dims', 'jsonb', col => col.notNull())
    .addColumn('value', 'integer')
    .addColumn('obs_status', 'text', col => col.notNull().check(sql`obs_status in ('A', 'Q', 'M')`))
    .addColumn('conf_status', 'text', col => col.notNull().check(sql`conf_status in ('F', 'C')`))
    .addPrimaryKeyConstraint('received_cell_pk', ['release_id', 'year', 'cell_key'])
    .execute()

  // The reconciled copy: which release holds each (publisher, indicator, year) slice, and since
  // when. A version is closed (replaced_at) when a newer release or a retraction replaces it,
  // so the state as of any instant can be read back.
  await db.schema
    .createTable('received_slice')
    .addColumn('publisher', 'text', col => col.notNull())
    .addColumn('indicator', 'text', col => col.notNull())
    .addColumn('year', 'integer', col => col.notNull())
    .addColumn('object_id', 'text', col => col.notNull().references('incoming.id'))
    .addColumn('cells_of', 'text', col => col.references('incoming.id'))
    .addColumn('cells_digest', 'text')
    .addColumn('agreement_hash', 'text', col => col.notNull())
    .addColumn('expires_at', 'timestamptz', col => col.notNull())
    .addColumn('applied_at', 'timestamptz', col => col.notNull())
    .addColumn('replaced_at', 'timestamptz')
    .addPrimaryKeyConstraint('received_slice_pk', ['object_id', 'year'])
    .execute()
  await db.schema.createIndex('received_slice_current').on('received_slice').columns(['publisher', 'indicator', 'year', 'replaced_at']).execute()

  // Where each peer's feed stands, and how the last attempts went.
  await db.schema
    .createTable('sync_state')
    .addColumn('peer', 'text', col => col.primaryKey())
    .addColumn('last_seq', 'integer', col => col.notNull().defaultTo(0))
    .addColumn('last_id', 'text')
    .addColumn('head_seq', 'integer', col => col.notNull().defaultTo(0))
    .addColumn('feed_expires_at', 'timestamptz')
    .addColumn('last_attempt_at', 'timestamptz')
    .addColumn('last_success_at', 'timestamptz')
    .addColumn('failures', 'integer', col => col.notNull().defaultTo(0))
    .addColumn('last_error_code', 'text')
    .addColumn('last_error', 'text')
    .addColumn('next_attempt_at', 'timestamptz')
    .execute()

  // Proof of a peer's misbehaviour (equivocation, rollback, gap), kept with the signed objects.
  await db.schema
    .createTable('evidence')
    .addColumn('id', 'integer', col => col.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('peer', 'text', col => col.notNull())
    .addColumn('kind', 'text', col => col.notNull())
    .addColumn('feed_seq', 'integer')
    .addColumn('detail', 'text', col => col.notNull())
    .addColumn('objects', 'jsonb', col => col.notNull())
    .addColumn('recorded_at', 'timestamptz', col => col.notNull())
    .addColumn('acknowledged_at', 'timestamptz')
    .execute()
}

export async function down (db: Kysely<any>): Promise<void> {
  for (const table of ['evidence', 'sync_state', 'received_slice', 'received_cell', 'incoming', 'peer_token', 'peer']) {
    await db.schema.dropTable(table).execute()
  }
}
