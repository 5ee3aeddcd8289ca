// Agreements over time: the version in force at each moment decides what is granted.
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { publish } from '../../src/exchange/publish.js'
import { EMPTY_CROSSWALK } from '../../src/ingest/crosswalk.js'
import { importFile } from '../../src/ingest/import-file.js'
import { recordKeyer } from '../../src/ingest/record-key.js'
import { localDate, sharingMatrix } from '../../src/policy/explain.js'
import { activeGrants } from '../../src/policy/grants.js'
import { loadAgreement } from '../../src/policy/load.js'
import { generateSigningKey } from '../../src/protocol/keys.js'
import { testDb } from '../helpers/db.js'
import { tempDir, TEST_NOW } from '../helpers/node.js'

const FIXTURES = join(import.meta.dirname, '..', 'fixtures')
const V1_FILE = join(FIXTURES, 'agreements', 'srb-hrv.yaml')
const TEXT = readFileSync(V1_FILE, 'utf8')

t.test('a future-dated version 2 leaves version 1 granting until its first day', async t => {
  const dir = tempDir(t)
  const v2File = join(dir, 'srb-hrv-v2.yaml')
  writeFileSync(v2File, TEXT.replace('version: 1', 'version: 2').replace('from: 2026-01-01', 'from: 2027-01-01').replace('threshold: 3', 'threshold: 4'))
  const v1 = loadAgreement(V1_FILE)
  const v2 = loadAgreement(v2File)
  t.same(activeGrants([v1, v2], 'SRB', TEST_NOW).map(g => `${g.indicator} v${g.version}`), ['V1 v1', 'V2 v1'], 'today version 1 is in force')
  t.same(activeGrants([v1, v2], 'SRB', Date.UTC(2027, 0, 15)).map(g => `${g.indicator} v${g.version}`), ['V1 v2', 'V2 v2'], 'from its first day version 2 is')
  t.same(sharingMatrix([v1.agreement, v2.agreement], tz => localDate(TEST_NOW, tz)).map(r => [r.version, r.inForce]), [[1, true]], 'the matrix shows the version in force')

  const db = await testDb(t)
  let now = TEST_NOW
  const clock = { now: () => now }
  await importFile({ db: db.db, clock, reporter: 'SRB', keyer: recordKeyer(Buffer.alloc(32, 9)), crosswalk: EMPTY_CROSSWALK }, { kind: 'victims', path: join(FIXTURES, 'victims-small.csv') })
  const deps = { db: db.db, clock, node: 'SRB', signingKey: generateSigningKey('SRB') }
  const first = await publish({ ...deps, agreements: [v1] })
  t.equal(first.issued.length, 4)
  const withV2 = await publish({ ...deps, agreements: [v1, v2] })
  t.same([withV2.issued.map(i => `${i.type} ${i.indicator} ${i.year}`), withV2.unchanged], [[], 4], 'adding version 2 ahead of time retracts nothing')
  now = Date.UTC(2027, 0, 15)
  const switched = await publish({ ...deps, agreements: [v1, v2] })
  t.same(switched.issued.map(i => `${i.type} ${i.indicator} ${i.year} ${i.supersedes === null ? 'new' : 'supersedes'}`), [
    'release V1 2023 supersedes', 'release V1 2024 supersedes', 'release V2 2023 supersedes', 'release V2 2024 supersedes',
  ], 'on its first day version 2 takes over: each table is re-issued under it, none retracted')
  const hashes = await db.db.selectFrom('outgoing').select('agreement_hash').where('id', 'in', switched.issued.map(i => i.id)).execute()
  t.same([...new Set(hashes.map(h => h.agreement_hash))], [v2.hash])
})
