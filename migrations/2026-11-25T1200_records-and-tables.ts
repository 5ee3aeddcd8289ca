import { sql, type Kysely } from 'kysely'

// Frozen in time: migrations never import from src/.
// Case-level records are stored harmonised, with the national record_id only as a keyed hash.

export async function up (db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('import_run')
    .addColumn('id', 'serial', col => col.primaryKey())
    .addColumn('kind', 'text', col => col.notNull().check(sql`kind in ('victims', 'offenders')`))
    .addColumn('action', 'text', col => col.notNull().check(sql`action in ('import', 'withdraw')`))
    .addColumn('file_name', 'text', col => col.notNull())
    .addColumn('file_sha256', 'text', col => col.notNull())
    .addColumn('rows', 'integer', col => col.notNull())
    .addColumn('inserted', 'integer', col => col.notNull())
    .addColumn('updated', 'integer', col => col.notNull())
    .addColumn('unchanged', 'integer', col => col.notNull())
    .addColumn('withdrawn', 'integer', col => col.notNull())
    .addColumn('started_at', 'timestamptz', col => col.notNull())
    .addColumn('finished_at', 'timestamptz', col => col.notNull())
    .execute()

  await db.schema
    .createTable('victim')
    .addColumn('record_key', 'text', col => col.primaryKey())
    .addColumn('row_digest', 'text', col => col.notNull())
    .addColumn('registered_on', 'date', col => col.notNull())
    .addColumn('year', 'integer', col => col.notNull())
    .addColumn('status', 'text', col => col.notNull())
    .addColumn('sex', 'text', col => col.notNull())
    .addColumn('age', 'smallint')
    .addColumn('age_group', 'text', col => col.notNull())
    .addColumn('citizenship', 'text', col => col.notNull())
    .addColumn('citizen_grp', 'text', col => col.notNull())
    .addColumn('country_of_exploitation', 'text', col => col.notNull())
    .addColumn('exploit_primary', 'text', col => col.notNull())
    .addColumn('exploitation', sql`text[]`, col => col.notNull())
    .addColumn('identified_by', 'text', col => col.notNull())
    .addColumn('assistance', sql`text[]`, col => col.notNull())
    .addColumn('import_id', 'integer', col => col.notNull().references('import_run.id'))
    .execute()
  await db.schema.createIndex('victim_year').on('victim').column('year').execute()

  await db.schema
    .createTable('offender')
    .addColumn('record_key', 'text', col => col.primaryKey())
    .addColumn('row_digest', 'text', col => col.notNull())
    .addColumn('sex', 'text', col => col.notNull())
    .addColumn('age', 'smallint')
    .addColumn('age_group', 'text', col => col.notNull())
    .addColumn('citizenship', 'text', col => col.notNull())
    .addColumn('citizen_grp', 'text', col => col.notNull())
    .addColumn('offence', 'text', col => col.notNull())
    .addColumn('exploit_primary', 'text', col => col.notNull())
    .addColumn('exploitation', sql`text[]`, col => col.notNull())
    .addColumn('suspected_on', 'date')
    .addColumn('prosecuted_on', 'date')
    .addColumn('convicted_on', 'date')
    .addColumn('sentence', 'text')
    .addColumn('import_id', 'integer', col => col.notNull().references('import_run.id'))
    .execute()

  // The node's own unprotected indicator tables, every margin included ('_T').
  await db.schema
    .createTable('indicator_cell')
    .addColumn('indicator', 'text', col => col.notNull())
    .addColumn('year', 'integer', col => col.notNull())
    .addColumn('cell_key', 'text', col => col.notNull())
    .addColumn('value', 'integer', col => col.notNull())
    .addPrimaryKeyConstraint('indicator_cell_pk', ['indicator', 'year', 'cell_key'])
    .execute()

  await db.schema
    .createTable('indicator_table')
    .addColumn('indicator', 'text', col => col.notNull())
    .addColumn('year', 'integer', col => col.notNull())
    .addColumn('cells', 'integer', col => col.notNull())
    .addColumn('import_id', 'integer', col => col.notNull().references('import_run.id'))
    .addColumn('computed_at', 'timestamptz', col => col.notNull())
    .addPrimaryKeyConstraint('indicator_table_pk', ['indicator', 'year'])
    .execute()
}

export async function down (db: Kysely<any>): Promise<void> {
  for (const t of ['indicator_table', 'indicator_cell', 'offender', 'victim', 'import_run']) {
    await db.schema.dropTable(t).execute()
  }
}
