import { sql, type Kysely } from 'kysely'

// Frozen in time: migrations never import from src/.

export async function up (db: Kysely<any>): Promise<void> {
  // Binds a database to one node, so a home pointed at another node's database is refused.
  await db.schema
    .createTable('node_identity')
    .addColumn('id', 'smallint', col => col.primaryKey().check(sql`id = 1`))
    .addColumn('node_id', 'text', col => col.notNull())
    .addColumn('created_at', 'timestamptz', col => col.notNull())
    .execute()
}

export async function down (db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('node_identity').execute()
}
