import { sql, type Kysely } from 'kysely'

// Frozen in time: migrations never import from src/.

export async function up (db: Kysely<any>): Promise<void> {
  // Signed objects this node issued, one feed per recipient, in sequence.
  await db.schema
    .createTable('outgoing')
    .addColumn('id', 'text', col => col.primaryKey())
    .addColumn('recipient', 'text', col => col.notNull())
    .addColumn('feed_seq', 'integer', col => col.notNull())
    .addColumn('type', 'text', col => col.notNull().check(sql`type in ('release', 'retraction')`))
    .addColumn('indicator', 'text', col => col.notNull())
    .addColumn('year', 'integer', col => col.notNull())
    .addColumn('agreement_hash', 'text', col => col.notNull().references('agreement_version.hash'))
    .addColumn('cells_digest', 'text')
    .addColumn('supersedes', 'text')
    .addColumn('issued_at', 'timestamptz', col => col.notNull())
    .addColumn('expires_at', 'timestamptz', col => col.notNull())
    .addColumn('signed', 'jsonb', col => col.notNull())
    .addUniqueConstraint('outgoing_feed_seq', ['recipient', 'feed_seq'])
    .execute()
  await db.schema.createIndex('outgoing_slice').on('outgoing').columns(['recipient', 'indicator', 'year', 'feed_seq']).execute()
}

export async function down (db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('outgoing').execute()
}
