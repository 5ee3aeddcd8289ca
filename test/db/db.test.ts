import { join } from 'node:path'
import { sql } from 'kysely'
import t from 'tap'
import { createDb, redactUrl } from '../../src/db/create-db.js'
import { migrateToLatest } from '../../src/db/migrate.js'
import { AppError } from '../../src/errors.js'
import { LATEST_MIGRATION, POSTGRES_URL, testDb } from '../helpers/db.js'
import { tempDir } from '../helpers/node.js'

t.test('migrations apply once and int8 comes back as a number on both engines', async t => {
  const db = await testDb(t)
  const again = await migrateToLatest(db.db)
  t.same(again, { applied: [], latest: LATEST_MIGRATION })
  const row = await sql<{ n: number, big: number }>`select count(*) as n, 9007199254740991::int8 as big from node_identity`.execute(db.db)
  t.same(row.rows[0], { n: 0, big: 9007199254740991 })
  t.equal(db.engine, POSTGRES_URL === undefined ? 'pglite' : 'postgres')
})

t.test('an embedded database folder is locked against a second opener', async t => {
  const dir = join(tempDir(t), 'db')
  const first = await createDb({ kind: 'pglite', dataDir: dir })
  await t.rejects(createDb({ kind: 'pglite', dataDir: dir }), new AppError('DATABASE_LOCKED', `the database in ${dir} is in use by another dcimx process`))
  await migrateToLatest(first.db)
  await first.close()
  const second = await createDb({ kind: 'pglite', dataDir: dir })
  t.same((await migrateToLatest(second.db)).applied, [], 'reopened with its data')
  await second.close()
})

t.test('an unreachable PostgreSQL is a clear error with the password hidden', async t => {
  await t.rejects(createDb({ kind: 'postgres', url: 'postgres://user:secret@127.0.0.1:1/none' }), {
    code: 'DATABASE_UNAVAILABLE',
    message: /^cannot connect to postgres:\/\/user:\*\*\*@127\.0\.0\.1:1\/none: /,
  })
  t.equal(redactUrl('postgres://a:b@h/d'), 'postgres://a:***@h/d')
  t.equal(redactUrl('not a url'), '(unparseable database URL)')
})
