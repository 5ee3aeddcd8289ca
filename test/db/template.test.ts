// The embedded database template (src/db/template.ts) that `npm run build` makes and
// `dcimx init` copies, and the one-query check that lets a migrated database skip kysely's Migrator.
import { readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { sql } from 'kysely'
import t from 'tap'
import { createDb } from '../../src/db/create-db.js'
import { migrateToLatest, migrationNames } from '../../src/db/migrate.js'
import { buildTemplate, templateKey, usableTemplate } from '../../src/db/template.js'
import { initHome, openNode } from '../../src/node/home.js'
import { cli } from '../helpers/cli.js'
import { LATEST_MIGRATION, testDb } from '../helpers/db.js'
import { tempDir, testClock } from '../helpers/node.js'

t.test('a built template is used when its key matches, and init from it gives a migrated node', async t => {
  const dir = join(tempDir(t), 'db-template')
  await buildTemplate(dir)
  t.equal(usableTemplate(dir), dir)
  t.equal(usableTemplate(join(dir, 'absent')), undefined, 'no template: none used')

  const home = join(tempDir(t), 'srb')
  await initHome({ home, country: 'SRB', clock: testClock, templateDir: dir })
  t.notOk(readdirSync(join(home, 'db')).includes('dcimx-template-key'), 'the key file is not copied')
  const node = await openNode({ home, env: {}, clock: testClock })
  t.teardown(() => node.db.close())
  t.same(await migrateToLatest(node.db.db), { applied: [], latest: LATEST_MIGRATION })
  const identity = await node.db.db.selectFrom('node_identity').select(['node_id', 'record_key_fingerprint']).execute()
  t.same(identity.map(r => [r.node_id, typeof r.record_key_fingerprint]), [['SRB', 'string']], 'bound to the node and its record-id secret')

  // `dcimx init` with DCIMX_DB_TEMPLATE: a matching template is copied (a marker file shows it).
  writeFileSync(join(dir, 'marker'), '')
  const viaEnv = join(tempDir(t), 'hrv')
  const made = await cli(['init', '--home', viaEnv, '--country', 'HRV'], { env: { DCIMX_DB_TEMPLATE: dir } })
  t.equal(made.status, 0, made.stderr)
  t.ok(readdirSync(join(viaEnv, 'db')).includes('marker'), 'DCIMX_DB_TEMPLATE: the named template is copied')

  // A template made by other code is never used.
  writeFileSync(join(dir, 'dcimx-template-key'), 'f'.repeat(64) + '\n')
  t.equal(usableTemplate(dir), undefined, 'another key: not used')
  const other = join(tempDir(t), 'mne')
  t.equal((await cli(['init', '--home', other, '--country', 'MNE'], { env: { DCIMX_DB_TEMPLATE: dir } })).status, 0)
  t.notOk(readdirSync(join(other, 'db')).includes('marker'), 'DCIMX_DB_TEMPLATE of another key: created and migrated instead')
  const opened = await openNode({ home: other, env: {}, clock: testClock })
  t.teardown(() => opened.db.close())
  t.same(await migrateToLatest(opened.db.db), { applied: [], latest: LATEST_MIGRATION })
})

t.test('the template key covers the PGlite version and the migrations by name and content', async t => {
  const a = tempDir(t)
  writeFileSync(join(a, '0001_a.ts'), 'export const up = 1')
  const k1 = templateKey(a)
  t.match(k1, /^[0-9a-f]{64}$/)
  t.equal(templateKey(a), k1, 'stable')
  writeFileSync(join(a, '0001_a.ts'), 'export const up = 2')
  t.not(templateKey(a), k1, 'an edited migration changes it')
  const k2 = templateKey(a)
  writeFileSync(join(a, '0002_b.ts'), '')
  t.not(templateKey(a), k2, 'an added migration changes it')
  const k3 = templateKey(a)
  writeFileSync(join(a, 'README.md'), 'not a migration')
  t.equal(templateKey(a), k3, 'other files do not')
})

t.test('a migrated database skips the Migrator; one whose migrations differ still goes through it', async t => {
  const db = await testDb(t)
  t.same(migrationNames().at(-1), LATEST_MIGRATION)
  t.same(await migrateToLatest(db.db), { applied: [], latest: LATEST_MIGRATION })
  // A migration this code does not know: the Migrator's own error, as before the shortcut.
  await sql`insert into kysely_migration (name, timestamp) values ('9999-zz-unknown', '2026-12-03T00:00:00Z')`.execute(db.db)
  await t.rejects(migrateToLatest(db.db), { code: 'MIGRATION_FAILED', message: /corrupted migrations/ })
})

t.test('a new embedded database (no migration table yet) is migrated by the Migrator', async t => {
  const db = await createDb({ kind: 'memory' })
  t.teardown(() => db.close())
  const r = await migrateToLatest(db.db)
  t.same(r, { applied: migrationNames(), latest: LATEST_MIGRATION })
})
