import { copyFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { EMPTY_CROSSWALK } from '../../src/ingest/crosswalk.js'
import { importFile, withdrawRecords } from '../../src/ingest/import-file.js'
import { recordKeyer } from '../../src/ingest/record-key.js'
import { publish } from '../../src/exchange/publish.js'
import { loadAgreement } from '../../src/policy/load.js'
import { generateSigningKey, jwksOf, keySetFromJwks } from '../../src/protocol/keys.js'
import { verifySigned } from '../../src/protocol/verify.js'
import { testDb } from '../helpers/db.js'
import { cli } from '../helpers/cli.js'
import { makeHome, tempDir, TEST_NOW } from '../helpers/node.js'

const FIXTURES = join(import.meta.dirname, '..', 'fixtures')
const SAMPLES = join(import.meta.dirname, '..', '..', 'docs', 'agreements')

t.test('publishing: signed releases per peer feed, nothing when nothing changed, revisions and retractions', async t => {
  const db = await testDb(t)
  let now = TEST_NOW
  const clock = { now: () => now }
  const key = generateSigningKey('SRB')
  const keys = keySetFromJwks(jwksOf([key]))
  const ingest = { db: db.db, clock, reporter: 'SRB', keyer: recordKeyer(Buffer.alloc(32, 9)), crosswalk: EMPTY_CROSSWALK }
  await importFile(ingest, { kind: 'victims', path: join(FIXTURES, 'victims-small.csv') })
  const agreements = [loadAgreement(join(FIXTURES, 'agreements', 'srb-hrv.yaml')), loadAgreement(join(SAMPLES, 'srb-europol.yaml'))]
  const deps = { db: db.db, clock, node: 'SRB', signingKey: key, agreements }

  const first = await publish(deps)
  t.same(first.issued.map(i => `${i.recipient} #${i.seq} ${i.type} ${i.indicator} ${i.year}`), [
    'EUROPOL #1 release V1 2023', 'EUROPOL #2 release V1 2024', 'EUROPOL #3 release V2 2023', 'EUROPOL #4 release V2 2024', 'EUROPOL #5 release V3 2023', 'EUROPOL #6 release V3 2024',
    'HRV #1 release V1 2023', 'HRV #2 release V1 2024', 'HRV #3 release V2 2023', 'HRV #4 release V2 2024',
  ], 'only granted tables of years with records; C1/C3 have no offenders')
  t.same(first.refused, [])

  const rows = await db.db.selectFrom('outgoing').selectAll().where('recipient', '=', 'HRV').orderBy('feed_seq').execute()
  let prev: string | null = null
  for (const row of rows) {
    const v = verifySigned(row.signed, keys, { now: now / 1000, expectedType: 'release' })
    t.equal(v.id, row.id, 'the stored id is the content id')
    t.same([v.payload.audience, v.payload.feed_seq, v.payload.prev, v.payload.supersedes, v.payload.agreement.id, v.payload.agreement.hash], ['HRV', row.feed_seq, prev, null, 'srb-hrv', agreements[0]!.hash])
    t.ok(v.payload.cells.every(c => (c.conf_status === 'C') === (c.value === undefined)), 'suppressed cells carry no value')
    prev = row.id
  }
  const sent = Number((await db.db.selectFrom('sent_cell').select(eb => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n)
  t.ok(sent > 0, `the ledger holds every cell sent (${sent})`)

  const again = await publish(deps)
  t.same([again.issued, again.unchanged], [[], 10], 'nothing changed: nothing issued')

  // A revision: three more victims registered in 2023, of a sex not counted before. 2023 was
  // released, and three added persons are fewer than the threshold: the change itself would be
  // a small cell (the attacker may know how many were added). The revision is held back and
  // reported; peers keep the released figures.
  const more = join(tempDir(t), 'more.csv')
  writeFileSync(more, 'record_id,registered_on,status,sex,age,citizenship,country_of_exploitation,exploitation,identified_by,assistance\n' +
    'W1,2023-06-01,IDENT,O,30,SRB,SRB,SEX,POL,\nW2,2023-06-02,IDENT,O,31,SRB,SRB,SEX,POL,\nW3,2023-06-03,IDENT,O,40,SRB,SRB,LAB,POL,\n')
  await importFile(ingest, { kind: 'victims', path: more })
  now += 3600_000
  const revision = await publish(deps)
  t.same([revision.issued, revision.unchanged], [[], 10], 'nothing re-issued')
  t.same(revision.held.map(h => [h.population, h.year, h.added, h.withdrawn, h.releasedAt.getTime()]), [['victims', 2023, 3, 0, TEST_NOW]], 'the revision of 2023 is reported as held back')
  const hrvV1 = await db.db.selectFrom('outgoing').select('signed').where('id', '=', rows[0]!.id).executeTakeFirstOrThrow()
  t.notOk(JSON.stringify(hrvV1.signed).includes('"SEX":"O"'), 'the released 2023 tables count nobody of sex O')
  t.match(revision.held[0]!.reason, /^3 person\(s\) added since the last release, fewer than the threshold 5: the change itself would be a small cell/, 'the report says why')

  // Twelve more: fifteen added since the release. The revision can be protected together with
  // the release (the persons added to each cell included), so it goes out as version 1 of 2023:
  // every 2023 table is sent again (superseding the last), and the ledger records it under that
  // version.
  const evenMore = join(tempDir(t), 'even-more.csv')
  writeFileSync(evenMore, 'record_id,registered_on,status,sex,age,citizenship,country_of_exploitation,exploitation,identified_by,assistance\n' +
    Array.from({ length: 12 }, (_, i) => `W${i + 4},2023-07-${String(i + 1).padStart(2, '0')},IDENT,${i % 3 === 0 ? 'F' : 'M'},${20 + i},SRB,SRB,${i % 2 === 0 ? 'SEX' : 'LAB'},POL,`).join('\n') + '\n')
  await importFile(ingest, { kind: 'victims', path: evenMore })
  now += 3600_000
  const revised = await publish(deps)
  t.same(revised.held, [], 'nothing held')
  t.same(revised.revisions, [{ population: 'victims', year: 2023, version: 1, added: 15, withdrawn: 0 }], 'revision 1 of 2023 is sent')
  t.same(revised.issued.map(i => `${i.recipient} ${i.type} ${i.indicator} ${i.year} ${i.supersedes === null ? 'new' : 'supersedes'}`), [
    'EUROPOL release V1 2023 supersedes', 'EUROPOL release V2 2023 supersedes', 'EUROPOL release V3 2023 supersedes',
    'HRV release V1 2023 supersedes', 'HRV release V2 2023 supersedes',
  ])
  const versions = await db.db.selectFrom('population_version').select(['population', 'year', 'version', 'added', 'withdrawn']).execute()
  t.same(versions, [{ population: 'victims', year: 2023, version: 1, added: 15, withdrawn: 0 }], 'the version is stored')
  const byVersion = await db.db.selectFrom('sent_cell').select(['population_version', eb => eb.fn.countAll<number>().as('n')]).where('year', '=', 2023).groupBy('population_version').orderBy('population_version').execute()
  const sentNow = revised.issued.length === 0 ? 0 : Number((await db.db.selectFrom('sent_cell').select(eb => eb.fn.countAll<number>().as('n')).where('release_id', 'in', revised.issued.map(i => i.id)).executeTakeFirstOrThrow()).n)
  t.same(byVersion.map(r => [r.population_version, Number(r.n)]).at(-1), [1, sentNow], 'every cell of the revision is in the ledger under version 1')
  const steady = await publish(deps)
  t.same([steady.issued, steady.revisions, steady.held], [[], [], []], 'once sent, the revision is the release: nothing more to send')

  // All 2024 records withdrawn: the 2024 tables are retracted.
  const ids = join(tempDir(t), 'withdraw.csv')
  writeFileSync(ids, 'record_id\nV6\nV7\n')
  await withdrawRecords(ingest, { kind: 'victims', path: ids })
  const withdrawn = await publish(deps)
  t.same(withdrawn.held.map(h => h.year), [], 'a year whose records are all withdrawn is not held: it is retracted')
  t.same(withdrawn.issued.map(i => `${i.recipient} ${i.type} ${i.indicator} ${i.year} ${i.reason}`), [
    'EUROPOL retraction V1 2024 records_withdrawn', 'EUROPOL retraction V2 2024 records_withdrawn', 'EUROPOL retraction V3 2024 records_withdrawn',
    'HRV retraction V1 2024 records_withdrawn', 'HRV retraction V2 2024 records_withdrawn',
  ])
  const retraction = await db.db.selectFrom('outgoing').select('signed').where('id', '=', withdrawn.issued[3]!.id).executeTakeFirstOrThrow()
  const rv = verifySigned(retraction.signed, keys, { now: now / 1000, expectedType: 'retraction' })
  t.same([rv.payload.retracts, rv.payload.dataset], [rows[1]!.id, { indicator: 'V1', years: [2024] }])

  // The Europol agreement ends on 31 December 2027: its live releases are retracted.
  now = Date.UTC(2028, 0, 15)
  const ended = await publish(deps)
  t.same(ended.issued.filter(i => i.recipient === 'EUROPOL').map(i => `${i.type} ${i.indicator} ${i.year} ${i.reason}`), [
    'retraction V1 2023 agreement_ended', 'retraction V2 2023 agreement_ended', 'retraction V3 2023 agreement_ended',
  ])
  t.same((await publish(deps)).issued.filter(i => i.recipient === 'EUROPOL'), [], 'retracted once')
})

t.test('dcimx publish', async t => {
  const r = await makeHome(t, 'SRB')
  const env = r.databaseUrl === undefined ? {} : { DATABASE_URL: r.databaseUrl }
  copyFileSync(join(FIXTURES, 'agreements', 'srb-hrv.yaml'), join(r.home, 'policies', 'srb-hrv.yaml'))
  t.equal((await cli(['import', 'victims', join(FIXTURES, 'victims-small.csv'), '--home', r.home, '--no-publish'], { env })).status, 0)
  const p = await cli(['publish', '--home', r.home], { env })
  t.equal(p.status, 0, p.stderr)
  t.equal(p.stdout, 'Croatia #1: release V1 2023\nCroatia #2: release V1 2024\nCroatia #3: release V2 2023\nCroatia #4: release V2 2024\n4 signed object(s) issued, 0 table(s) unchanged, 0 refused\n')
  t.equal((await cli(['publish', '--home', r.home], { env })).stdout, '0 signed object(s) issued, 4 table(s) unchanged, 0 refused\n')
  const liaison = await makeHome(t, 'EUROPOL')
  t.equal((await cli(['publish', '--home', liaison.home], { env: liaison.databaseUrl === undefined ? {} : { DATABASE_URL: liaison.databaseUrl } })).stdout, 'EUROPOL is a liaison node: it publishes nothing of its own.\n')
})
