import { type Kysely } from 'kysely'

// Frozen in time: migrations never import from src/.

export async function up (db: Kysely<any>): Promise<void> {
  // When the user was last disabled: part of the user's version, so that tokens issued before a
  // disable stay refused after the user is enabled again.
  await db.schema.alterTable('app_user').addColumn('tokens_after', 'timestamptz').execute()
}

export async function down (db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('app_user').dropColumn('tokens_after').execute()
}
