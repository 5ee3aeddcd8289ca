import type { Kysely } from 'kysely'

// Frozen in time: migrations never import from src/.

export async function up (db: Kysely<any>): Promise<void> {
  // The state of one population-year's records when its tables were first released (counts
  // per profile of the persons' attributes, never a record). Every later release of that year
  // is cut from it, so that no two releases can be differenced: a change to the records is a
  // held revision until the operator's policy lets it out.
  await db.schema
    .createTable('released_population')
    .addColumn('population', 'text', col => col.notNull())
    .addColumn('year', 'integer', col => col.notNull())
    .addColumn('profiles', 'text', col => col.notNull())
    .addColumn('digest', 'text', col => col.notNull())
    .addColumn('released_at', 'timestamptz', col => col.notNull())
    .addPrimaryKeyConstraint('released_population_pk', ['population', 'year'])
    .execute()
}

export async function down (db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('released_population').execute()
}
