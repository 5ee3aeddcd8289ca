import type { Kysely } from 'kysely'

// Frozen in time: migrations never import from src/.

export async function up (db: Kysely<any>): Promise<void> {
  // The hash-chained audit log. seq is assigned by the appender (previous max + 1), not by a
  // sequence, so that a deleted entry leaves a gap the verifier can see.
  await db.schema
    .createTable('audit_log')
    .addColumn('seq', 'bigint', col => col.primaryKey())
    .addColumn('at', 'timestamptz', col => col.notNull())
    .addColumn('event', 'text', col => col.notNull())
    .addColumn('actor', 'text', col => col.notNull())
    .addColumn('detail', 'jsonb', col => col.notNull())
    .addColumn('prev_hash', 'text', col => col.notNull())
    .addColumn('hash', 'text', col => col.notNull())
    .execute()
  await db.schema.createIndex('audit_log_event').on('audit_log').columns(['event', 'seq']).execute()
}

export async function down (db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('audit_log').execute()
}
