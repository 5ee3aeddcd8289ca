import { sql, type Kysely } from 'kysely'

// Frozen in time: migrations never import from src/.

export async function up (db: Kysely<any>): Promise<void> {
  // The node's human users. password_hash is scrypt$N$r$p$salt$hash (salt and hash base64url).
  // A user whose disabled_at is set can neither log in nor use a token issued earlier.
  await db.schema
    .createTable('app_user')
    .addColumn('name', 'text', col => col.primaryKey())
    .addColumn('role', 'text', col => col.notNull().check(sql`role in ('operator', 'legal', 'liaison', 'auditor')`))
    .addColumn('password_hash', 'text', col => col.notNull())
    .addColumn('created_at', 'timestamptz', col => col.notNull())
    .addColumn('disabled_at', 'timestamptz')
    .execute()
}

export async function down (db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('app_user').execute()
}
