import { sql, type Kysely } from 'kysely'

// Frozen in time: migrations never import from src/.

/** The tables regional totals and user sessions read (src/db/changes.ts lists why). */
const WATCHED = ['app_user', 'import_run', 'indicator_cell', 'incoming', 'received_slice', 'received_cell']

export async function up (db: Kysely<any>): Promise<void> {
  // A transaction that writes a watched table notifies dcimx_changed when it commits (PostgreSQL
  // sends notifications only on commit, once per transaction for the same payload), so a node
  // serving from memory learns of writes made by other processes (`dcimx user remove`, `dcimx sync`).
  await sql`
    create function dcimx_notify_changed() returns trigger language plpgsql as $$
    begin
      perform pg_notify('dcimx_changed', '');
      return null;
    end
    $$`.execute(db)
  for (const table of WATCHED) {
    await sql`
      create trigger ${sql.raw(`${table}_changed`)}
      after insert or update or delete or truncate on ${sql.table(table)}
      for each statement execute function dcimx_notify_changed()`.execute(db)
  }
}

export async function down (db: Kysely<any>): Promise<void> {
  for (const table of WATCHED) await sql`drop trigger if exists ${sql.raw(`${table}_changed`)} on ${sql.table(table)}`.execute(db)
  await sql`drop function if exists dcimx_notify_changed()`.execute(db)
}
