import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { EMPTY_CROSSWALK } from '../../src/ingest/crosswalk.js'
import { importFile } from '../../src/ingest/import-file.js'
import { recordKeyer } from '../../src/ingest/record-key.js'
import { activeGrants } from '../../src/policy/grants.js'
import { ledgerKey, ledgerState, recordAgreementVersions, recordSent } from '../../src/policy/ledger.js'
import { loadAgreement } from '../../src/policy/load.js'
import { protectGrants } from '../../src/stats/protect-grants.js'
import { testDb } from '../helpers/db.js'
import { tempDir, testClock, TEST_NOW } from '../helpers/node.js'

const SAMPLES = join(import.meta.dirname, '..', '..', 'docs', 'agreements')
const HEADER = 'record_id,registered_on,status,sex,age,citizenship,country_of_exploitation,exploitation,identified_by,assistance\n'

t.test('suppressions are sticky across a revision, and the ledger records every cell sent', async t => {
  const db = await testDb(t)
  const deps = { db: db.db, clock: testClock, reporter: 'SRB', keyer: recordKeyer(Buffer.alloc(32, 5)), crosswalk: EMPTY_CROSSWALK }
  // 2023: 14 victims, enough for some cells to be published.
  const rows = Array.from({ length: 14 }, (_, i) => `R${i},2023-0${1 + (i % 9)}-10,IDENT,${i % 4 === 0 ? 'M' : 'F'},${i % 3 === 0 ? 16 : 30},SRB,SRB,SEX,POL,`)
  const first = join(tempDir(t), 'v1.csv')
  writeFileSync(first, HEADER + rows.join('\n') + '\n')
  t.equal((await importFile(deps, { kind: 'victims', path: first })).status, 'applied')

  const agreements = ['srb-hrv.yaml', 'srb-bih.yaml'].map(f => loadAgreement(join(SAMPLES, f)))
  t.equal(await recordAgreementVersions(db.db, agreements, new Date(TEST_NOW)), 2)
  t.equal(await recordAgreementVersions(db.db, agreements, new Date(TEST_NOW)), 0, 'a known version is recorded once')
  const grants = activeGrants(agreements, 'SRB', TEST_NOW).filter(g => g.indicator === 'V1').map(g => ({ ...g, years: [2023] }))
  const v1 = await protectGrants(db.db, grants)
  t.ok(v1.summary[0]!.ok)
  let n = 0
  for (const table of v1.tables) await recordSent(db.db, `release-1-${table.recipient}`, table, new Date(TEST_NOW))
  n = v1.tables.reduce((s, x) => s + x.cells.length, 0)
  t.equal(Number((await db.db.selectFrom('sent_cell').select(eb => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n), n, 'every cell sent is in the ledger')
  const before = await ledgerState(db.db, 'V1', 2023)
  t.ok(before.suppressed.length > 0, `some cells were suppressed (${before.suppressed.length})`)
  t.ok(before.published.length > 0, `some were published (${before.published.length})`)
  const hrv = v1.tables.find(x => x.recipient === 'HRV')!
  t.same((await db.db.selectFrom('sent_cell').select('agreement_hash').where('recipient', '=', 'HRV').distinct().execute()).map(r => r.agreement_hash), [hrv.hash], 'every ledger row names the agreement hash it was sent under')

  // A revision: six more victims registered in 2023.
  const more = join(tempDir(t), 'v2.csv')
  writeFileSync(more, HEADER + Array.from({ length: 6 }, (_, i) => `S${i},2023-10-1${i},IDENT,F,${20 + i},SRB,SRB,LAB,NGO,`).join('\n') + '\n')
  t.equal((await importFile(deps, { kind: 'victims', path: more })).status, 'applied')
  const v2 = await protectGrants(db.db, grants)
  t.ok(v2.summary[0]!.ok, v2.summary[0]!.unsafe.join('; '))
  const nowSuppressed = new Set(v2.tables.flatMap(x => x.cells.filter(c => c.conf_status === 'C').map(c => ledgerKey('V1', c.key))))
  const stillSent = new Set(v2.tables.flatMap(x => x.cells.map(c => ledgerKey('V1', c.key))))
  for (const key of before.suppressed.filter(k => stillSent.has(k))) t.ok(nowSuppressed.has(key), `${key} stays suppressed`)
})
