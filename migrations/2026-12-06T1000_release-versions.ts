import { sql, type Kysely } from 'kysely'

// Frozen in time: migrations never import from src/.

export async function up (db: Kysely<any>): Promise<void> {
  // The optional protocol members a peer's descriptor said it accepts (a JSON array of names,
  // `release.version`, ...): a publisher sends them to that peer only. Empty for a peer set up
  // before, or whose descriptor announced none.
  await db.schema.alterTable('peer').addColumn('accepts', 'text', col => col.notNull().defaultTo(sql`'[]'`)).execute()
  // The version of its population-year that the release in force for a slice names (its
  // `version` member); null when the release carries none. Tables of a population-year are
  // linked only at one version.
  await db.schema.alterTable('received_slice').addColumn('population_version', 'integer').execute()
}

export async function down (db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('received_slice').dropColumn('population_version').execute()
  await db.schema.alterTable('peer').dropColumn('accepts').execute()
}
