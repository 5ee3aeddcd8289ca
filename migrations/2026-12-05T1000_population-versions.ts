import { sql, type Kysely } from 'kysely'

// Frozen in time: migrations never import from src/.

export async function up (db: Kysely<any>): Promise<void> {
  // Revisions of a released population-year that went out: version 1, 2, ... (version 0 is the
  // first release, in released_population). Counts per profile, never a record.
  await db.schema
    .createTable('population_version')
    .addColumn('population', 'text', col => col.notNull())
    .addColumn('year', 'integer', col => col.notNull())
    .addColumn('version', 'integer', col => col.notNull().check(sql`version >= 1`))
    .addColumn('profiles', 'text', col => col.notNull())
    .addColumn('digest', 'text', col => col.notNull())
    .addColumn('added', 'integer', col => col.notNull())
    .addColumn('withdrawn', 'integer', col => col.notNull())
    .addColumn('released_at', 'timestamptz', col => col.notNull())
    .addPrimaryKeyConstraint('population_version_pk', ['population', 'year', 'version'])
    .execute()
  // Which version of its population-year a sent cell was cut from (0 for everything before).
  await db.schema.alterTable('sent_cell').addColumn('population_version', 'integer', col => col.notNull().defaultTo(0)).execute()
}

export async function down (db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('sent_cell').dropColumn('population_version').execute()
  await db.schema.dropTable('population_version').execute()
}
