// The change counter (src/db/changes.ts): what lets cached answers skip the database and stay
// exact. A read never counts; a write counts once it is committed, never before and never when
// rolled back; on PostgreSQL, another process's commit to a watched table counts too, and a
// lost listener makes the counter unusable until it is back.
import { sql } from 'kysely'
import t from 'tap'
import { createDb } from '../../src/db/create-db.js'
import { migrateToLatest } from '../../src/db/migrate.js'
import { freshDatabaseUrl, testDb } from '../helpers/db.js'

const user = (name: string): { name: string, role: 'liaison', password_hash: string, created_at: Date } =>
  ({ name, role: 'liaison', password_hash: 'x', created_at: new Date(0) })

t.test('reads never count; writes count once committed', async t => {
  const db = await testDb(t)
  await db.changes.listen()
  const v0 = db.changes.version()
  t.type(v0, 'number', 'exact from the start once listening')

  await db.db.selectFrom('app_user').selectAll().execute()
  await sql`select count(*) from incoming`.execute(db.db)
  await sql`  SELECT 1`.execute(db.db)
  t.equal(db.changes.version(), v0, 'queries and raw selects do not count')

  await db.db.insertInto('app_user').values(user('a')).execute()
  const v1 = db.changes.version()!
  t.ok(v1 > v0!, 'a write outside a transaction counts at once')

  await sql`delete from app_user where name = 'nobody'`.execute(db.db)
  const v2 = db.changes.version()!
  t.ok(v2 > v1, 'a raw write counts (even one that changed no row)')

  let during: number | undefined
  await db.db.transaction().execute(async trx => {
    await trx.insertInto('app_user').values(user('b')).execute()
    await trx.updateTable('app_user').set({ role: 'operator' }).where('name', '=', 'b').execute()
    during = db.changes.version()
  })
  t.equal(during, v2, 'not counted before the commit (a request then would read the old state)')
  const v3 = db.changes.version()!
  t.ok(v3 > v2, 'counted after the commit')

  await t.rejects(db.db.transaction().execute(async trx => {
    await trx.insertInto('app_user').values(user('c')).execute()
    throw new Error('abandoned')
  }), /abandoned/)
  t.equal(db.changes.version(), v3, 'a rolled-back transaction does not count')

  await db.db.transaction().execute(async trx => {
    await trx.selectFrom('app_user').selectAll().forUpdate().execute()
  })
  t.equal(db.changes.version(), v3, 'a transaction that only read does not count')

  // A controlled transaction with a savepoint rolled back: what came before it is still written.
  const trx = await db.db.startTransaction().execute()
  await trx.insertInto('app_user').values(user('d')).execute()
  if (db.engine === 'postgres') {
    const sp = await trx.savepoint('s1').execute()
    await sp.insertInto('app_user').values(user('e')).execute()
    const back = await sp.rollbackToSavepoint('s1').execute()
    await back.commit().execute()
  } else {
    // The embedded database's dialect has no savepoints; wrapped, it still says so.
    await t.rejects(trx.savepoint('s1').execute(), /savepoint/i, 'no savepoints where the dialect has none')
    await trx.commit().execute()
  }
  const v4 = db.changes.version()!
  t.ok(v4 > v3, 'a savepoint rolled back leaves the transaction counted')
  t.same((await db.db.selectFrom('app_user').select('name').orderBy('name').execute()).map(r => r.name), ['a', 'b', 'd'], 'the database holds what the counter says')

  const next = db.changes.nextChange()
  await db.db.deleteFrom('app_user').where('name', '=', 'd').execute()
  await next
  t.ok(db.changes.version()! > v4, 'nextChange resolves at the next count')
})

t.test('writes by another process (PostgreSQL)', async t => {
  const url = await freshDatabaseUrl(t)
  if (url === undefined) {
    // An embedded database is locked to one process: the second open is refused, so there is
    // no other writer to follow.
    t.pass('embedded database: one process only (see test/db/db.test.ts for the lock)')
    return
  }
  const server = await createDb({ kind: 'postgres', url })
  t.teardown(() => server.close())
  await migrateToLatest(server.db)
  t.equal(server.changes.version(), undefined, 'not exact before listening: another process may write unseen')
  await server.changes.listen()
  const v0 = server.changes.version()
  t.type(v0, 'number', 'exact once listening')

  const other = await createDb({ kind: 'postgres', url })
  t.teardown(() => other.close())
  let next = server.changes.nextChange()
  await other.db.insertInto('app_user').values(user('x')).execute()
  await next
  t.ok(server.changes.version()! > v0!, "another process's commit to a watched table counts")

  // The listening connection cut by the server: not exact until it is back, then a new version.
  const before = server.changes.version()!
  next = server.changes.nextChange()
  const killed = await sql<{ n: number }>`select count(*)::int as n from (select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and query ilike 'LISTEN%') k`.execute(other.db)
  t.equal(killed.rows[0]!.n, 1, 'the one listening connection was cut')
  await next
  t.ok(server.changes.version()! > before, 'back, with a version no earlier answer holds')

  await server.close()
  t.equal(server.changes.version(), undefined, 'closed: not exact')
})
