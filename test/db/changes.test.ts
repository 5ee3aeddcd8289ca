// The change counter (src/db/changes.ts): what lets cached answers skip the database and stay
// exact. A read never counts; a write counts once it is committed, never before and never when
// rolled back; on PostgreSQL, another process's commit to a watched table counts too, and a
// lost listener makes the counter unusable until it is back.
import { connect, createServer, type AddressInfo, type Socket } from 'node:net'
import { sql } from 'kysely'
import t from 'tap'
import { changeCounter, LISTENER_NAME } from '../../src/db/changes.js'
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

  // A select whose common table expression writes counts; explain is no longer taken for a read.
  await db.db.with('added', qb => qb.insertInto('app_user').values(user('f')).returning('name')).selectFrom('added').selectAll().execute()
  const v5 = db.changes.version()!
  t.ok(v5 > v4, 'a select with a writing CTE counts')
  await sql`explain select 1`.execute(db.db)
  t.ok(db.changes.version()! > v5, 'explain counts (explain analyze runs the statement)')

  const next = db.changes.nextChange()
  await db.db.deleteFrom('app_user').where('name', '=', 'd').execute()
  await next
  t.ok(db.changes.version()! > v5, 'nextChange resolves at the next count')
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
  const killed = await sql<{ n: number }>`select count(*)::int as n from (select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and application_name = ${LISTENER_NAME}) k`.execute(other.db)
  t.equal(killed.rows[0]!.n, 1, 'the one listening connection was cut')
  await next
  t.ok(server.changes.version()! > before, 'back, with a version no earlier answer holds')

  await server.close()
  t.equal(server.changes.version(), undefined, 'closed: not exact')
})

t.test('a listening connection that goes silent is noticed and replaced (PostgreSQL)', async t => {
  const url = await freshDatabaseUrl(t)
  if (url === undefined) {
    t.pass('embedded database: nothing to listen to')
    return
  }
  // A TCP proxy to the server that can stop passing bytes on the connections it holds while
  // keeping them open: what a firewall that drops an idle connection looks like (no error, no end).
  const server = new URL(url)
  const links: Array<{ frozen: boolean, sockets: [Socket, Socket] }> = []
  const proxy = createServer(client => {
    const upstream = connect(Number(server.port === '' ? 5432 : server.port), server.hostname)
    const link = { frozen: false, sockets: [client, upstream] as [Socket, Socket] }
    links.push(link)
    client.on('data', d => { if (!link.frozen) upstream.write(d) })
    upstream.on('data', d => { if (!link.frozen) client.write(d) })
    const end = (): void => { client.destroy(); upstream.destroy() }
    for (const s of link.sockets) { s.on('error', end); s.on('close', end) }
  })
  await new Promise<void>(resolve => { proxy.listen(0, '127.0.0.1', resolve) })
  t.teardown(() => { for (const l of links) for (const s of l.sockets) s.destroy(); proxy.close() })
  const viaProxy = new URL(url)
  viaProxy.host = `127.0.0.1:${(proxy.address() as AddressInfo).port}`

  const changes = changeCounter({ local: false, url: viaProxy.toString(), own: () => false, probeEveryMs: 100, probeTimeoutMs: 300 })
  t.teardown(() => changes.close())
  await changes.listen()
  const v0 = changes.version()
  t.type(v0, 'number', 'listening through the proxy')
  t.equal(links.length, 1)

  const back = changes.nextChange()
  links[0]!.frozen = true
  await back
  t.equal(links.length, 2, 'the silent connection was given up and a new one made')
  t.ok(changes.version()! > v0!, 'with a new version: what was written meanwhile is unknown')
})
