import { sql, type Kysely } from 'kysely'

// Frozen in time: migrations never import from src/.

export async function up (db: Kysely<any>): Promise<void> {
  // Every version of every agreement the node has acted under, by canonical hash.
  await db.schema
    .createTable('agreement_version')
    .addColumn('hash', 'text', col => col.primaryKey())
    .addColumn('agreement', 'text', col => col.notNull())
    .addColumn('version', 'integer', col => col.notNull())
    .addColumn('provider', 'text', col => col.notNull())
    .addColumn('recipient', 'text', col => col.notNull())
    .addColumn('body', 'jsonb', col => col.notNull())
    .addColumn('first_seen_at', 'timestamptz', col => col.notNull())
    .execute()

  // The disclosure ledger: every cell ever sent, to whom, in which release, with its status.
  await db.schema
    .createTable('sent_cell')
    .addColumn('indicator', 'text', col => col.notNull())
    .addColumn('year', 'integer', col => col.notNull())
    .addColumn('cell_key', 'text', col => col.notNull())
    .addColumn('recipient', 'text', col => col.notNull())
    .addColumn('release_id', 'text', col => col.notNull())
    .addColumn('agreement_hash', 'text', col => col.notNull().references('agreement_version.hash'))
    .addColumn('suppressed', 'boolean', col => col.notNull())
    .addColumn('value', 'integer')
    .addColumn('sent_at', 'timestamptz', col => col.notNull())
    .addPrimaryKeyConstraint('sent_cell_pk', ['release_id', 'cell_key'])
    .addCheckConstraint('sent_cell_value', sql`(suppressed and value is null) or (not suppressed and value is not null)`)
    .execute()
  await db.schema.createIndex('sent_cell_slice').on('sent_cell').columns(['indicator', 'year']).execute()
}

export async function down (db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('sent_cell').execute()
  await db.schema.dropTable('agreement_version').execute()
}
