// Two publishes at once, as an import's publish beside the serving node's schedule on
// PostgreSQL (found from outside, issue 12: the second failed on the feed sequence's unique
// key, "unexpected error: duplicate key", after an import that had committed). They are
// serialised: one issues what is due, the others then find nothing to do. On PostgreSQL they
// run on separate connections; on the embedded database they queue on its one connection.
import { join } from 'node:path'
import t from 'tap'
import { EMPTY_CROSSWALK } from '../../src/ingest/crosswalk.js'
import { importFile } from '../../src/ingest/import-file.js'
import { recordKeyer } from '../../src/ingest/record-key.js'
import { publish } from '../../src/exchange/publish.js'
import { loadAgreement } from '../../src/policy/load.js'
import { generateSigningKey } from '../../src/protocol/keys.js'
import { testDb } from '../helpers/db.js'
import { TEST_NOW } from '../helpers/node.js'

const FIXTURES = join(import.meta.dirname, '..', 'fixtures')

t.test('concurrent publishes are serialised: every object issued once, feeds without gaps', async t => {
  const db = await testDb(t)
  let now = TEST_NOW
  const clock = { now: () => now }
  await importFile({ db: db.db, clock, reporter: 'SRB', keyer: recordKeyer(Buffer.alloc(32, 9)), crosswalk: EMPTY_CROSSWALK }, { kind: 'victims', path: join(FIXTURES, 'victims-small.csv') })
  const deps = { db: db.db, clock, node: 'SRB', signingKey: generateSigningKey('SRB'), agreements: [loadAgreement(join(FIXTURES, 'agreements', 'srb-hrv.yaml'))] }
  t.equal((await publish(deps)).issued.length, 4)
  // Four days on, the four releases are due to be re-signed; three publishes start at once.
  now += 4 * 86400_000
  const reports = await Promise.all([publish(deps), publish(deps), publish(deps)])
  t.same(reports.map(r => r.issued.length).sort(), [0, 0, 4], 'one publish re-issues the four releases, the others nothing')
  const rows = await db.db.selectFrom('outgoing').select(['recipient', 'feed_seq']).orderBy('feed_seq').execute()
  t.same(rows.map(r => `${r.recipient} ${r.feed_seq}`), ['HRV 1', 'HRV 2', 'HRV 3', 'HRV 4', 'HRV 5', 'HRV 6', 'HRV 7', 'HRV 8'])
  const audited = await db.db.selectFrom('audit_log').select('event').where('event', '=', 'publish').execute()
  t.equal(audited.length, 8, 'each object audited once')
})
