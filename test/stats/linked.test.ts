// The external audit's cases as exact tests: linked indicators, what a listing reveals, and
// revisions. Each builds records, cuts and protects every peer's grants with the node's own
// code, then pools everything every peer received and hands it to the independent auditor
// (test/helpers/independent-auditor.ts, no code shared with src/stats), which must find no
// hidden cell narrower than T.
import t, { type Test } from 'tap'
import type { Kysely } from 'kysely'
import type { Database } from '../../src/db/types.js'
import type { ActiveGrant } from '../../src/policy/grants.js'
import { recordSent } from '../../src/policy/ledger.js'
import { protectGrants, recordReleasedPopulation, type PeerTable } from '../../src/stats/protect-grants.js'
import { testDb } from '../helpers/db.js'
import { auditReceived } from '../helpers/independent-auditor.js'
import { receivedTables } from '../helpers/received-tables.js'
import { setVictims } from '../helpers/records.js'

const grant = (recipient: string, indicator: string, by: string[], threshold = 3): ActiveGrant =>
  ({ recipient, agreement: `srb-${recipient.toLowerCase()}`, version: 1, hash: recipient.padEnd(43, 'h'), indicator, by, years: [2023], threshold })

/** `code=value` (C for hidden) of a table's cells along one dimension. */
function along (tables: PeerTable[], recipient: string, indicator: string, dim: string): string[] {
  return tables.find(x => x.recipient === recipient && x.indicator === indicator)!.cells.map(c => `${c.key[dim]!}=${c.value ?? 'C'}`).sort()
}

async function protectAndAudit (t: Test, db: Kysely<Database>, grants: ActiveGrant[]): Promise<PeerTable[]> {
  const { tables, summary } = await protectGrants(db, grants)
  t.ok(summary.every(s => s.ok), 'every table can be protected')
  const report = await auditReceived(receivedTables(tables, grants), { threshold: Math.max(...grants.map(g => g.threshold)) })
  t.same(report.failures, [], `the independent auditor finds no hidden cell narrower than T (${report.intervals.length} audited)`)
  return tables
}

t.test('linked indicators: V2 by age to one peer and V1 by age to another count the same persons', async t => {
  const db = await testDb(t)
  // The case found: V2 gave adults = 20 with the rest hidden, V1 gave children = 5 and the
  // total 26 to another peer: unknown age = 1 exactly.
  await setVictims(db.db, 2023, [{ age_group: 'Y_GE18', n: 20 }, { age_group: 'Y_LT18', n: 5 }, { age_group: 'UNK', n: 1 }])
  const grants = [grant('HRV', 'V2', ['AGE_GROUP']), grant('EUROPOL', 'V1', ['AGE_GROUP'])]
  const tables = await protectAndAudit(t, db.db, grants)
  const v2 = along(tables, 'HRV', 'V2', 'AGE_GROUP')
  const v1 = along(tables, 'EUROPOL', 'V1', 'AGE_GROUP')
  t.same(v1, v2, 'the same persons have one status in both indicators')
  t.same(v1.filter(c => c.startsWith('UNK')), ['UNK=C'])
  t.equal(v1.filter(c => c.endsWith('=C')).length, 2, 'one more age group hidden beside UNK, in both')
})

t.test('linked indicators: V1 cannot hide the status split that V4 publishes', async t => {
  const db = await testDb(t)
  await setVictims(db.db, 2023, [{ status: 'IDENT', n: 10 }, { status: 'PRES', identified_by: 'NGO', n: 2 }])
  const grants = [grant('HRV', 'V1', ['VICT_STATUS']), grant('BIH', 'V4', ['IDENT_AGENCY', 'VICT_STATUS'])]
  const tables = await protectAndAudit(t, db.db, grants)
  t.same(along(tables, 'HRV', 'V1', 'VICT_STATUS'), ['IDENT=C', 'PRES=C', '_T=12'])
  const v4 = tables.find(x => x.recipient === 'BIH')!.cells.filter(c => c.key.IDENT_AGENCY === '_T').map(c => `${c.key.VICT_STATUS!}=${c.value ?? 'C'}`).sort()
  t.same(v4, ['IDENT=C', 'PRES=C', '_T=12'], 'V4 hides the same split')
})

t.test('listing: a table lists the cells with records, and a hidden cell is known to hold at least one', async t => {
  const db = await testDb(t)
  // T = 5: F = 4 and M = 1 are both small. With the total published, F + M = 5 and each >= 1
  // (hidden cells are never zeros) puts each in [1, 4]: narrower than 5. The total is hidden.
  await setVictims(db.db, 2023, [{ sex: 'F', n: 4 }, { sex: 'M', n: 1 }])
  const grants = [grant('HRV', 'V1', ['SEX'], 5)]
  const tables = await protectAndAudit(t, db.db, grants)
  t.same(along(tables, 'HRV', 'V1', 'SEX'), ['F=C', 'M=C', '_T=C'], 'O and U are not listed: they are published zeros')

  // The listing does not depend on which codes occur: the same grant over other records lists
  // only what has records, and says the rest is 0.
  await setVictims(db.db, 2023, [{ sex: 'F', n: 30 }])
  const again = await protectAndAudit(t, db.db, grants)
  t.same(along(again, 'HRV', 'V1', 'SEX'), ['F=30', '_T=30'])
})

t.test('revisions: a released population-year is cut from its release; the change is held back', async t => {
  const db = await testDb(t)
  await setVictims(db.db, 2023, [{ sex: 'F', n: 5 }, { sex: 'M', n: 9 }])
  const grants = [grant('HRV', 'V1', ['SEX']), grant('EUROPOL', 'V2', ['SEX'])]
  const first = await protectGrants(db.db, grants)
  t.same(along(first.tables, 'HRV', 'V1', 'SEX'), ['F=5', 'M=9', '_T=14'])
  t.same(first.snapshots.map(s => [s.population, s.year]), [['victims', 2023]])
  for (const s of first.snapshots) await recordReleasedPopulation(db.db, s, new Date(Date.UTC(2024, 0, 10)))

  // One woman withdrawn: publishing F = 4 (or hiding F) would tell who left. Nothing changes.
  await setVictims(db.db, 2023, [{ sex: 'F', n: 4 }, { sex: 'M', n: 9 }])
  const second = await protectGrants(db.db, grants)
  t.same(second.tables, first.tables, 'the same tables, byte for byte')
  t.same(second.held.map(h => [h.population, h.year, h.added, h.withdrawn, h.releasedAt.toISOString()]), [['victims', 2023, 0, 1, '2024-01-10T00:00:00.000Z']])
  t.same(second.snapshots, [], 'the snapshot is not replaced')

  // A new grant of the released year is cut from the release too.
  const wider = [...grants, grant('BIH', 'V1', ['SEX'])]
  const third = await protectGrants(db.db, wider)
  t.same(along(third.tables, 'BIH', 'V1', 'SEX'), ['F=5', 'M=9', '_T=14'])
  // Both rounds describe the released records: pooled, nothing is narrower than T.
  const report = await auditReceived([...receivedTables(first.tables, grants, 0), ...receivedTables(third.tables, wider, 1)], { threshold: 3 })
  t.same(report.failures, [])
})

t.test('deterministic: records and grants in any order give byte-identical tables', async t => {
  const db = await testDb(t)
  const people = [
    { sex: 'F', age_group: 'Y_LT18', exploit_primary: 'SEX', n: 4 }, { sex: 'F', age_group: 'Y_GE18', exploit_primary: 'LAB', n: 7 },
    { sex: 'M', age_group: 'Y_GE18', exploit_primary: 'LAB', n: 2 }, { sex: 'M', status: 'PRES', identified_by: 'NGO', n: 1 },
    { sex: 'U', age_group: 'UNK', exploit_primary: 'BEG', assistance: ['SHELTER', 'LEGAL'], n: 3 },
  ]
  const grants = [grant('HRV', 'V1', ['SEX', 'AGE_GROUP']), grant('BIH', 'V2', ['EXPLOIT', 'SEX'], 5), grant('EUROPOL', 'V4', ['VICT_STATUS']), grant('EUROPOL', 'V5', ['ASSIST'])]
  const run = async (records: typeof people, order: ActiveGrant[]): Promise<string> => {
    await setVictims(db.db, 2023, records)
    const { tables } = await protectGrants(db.db, order)
    return JSON.stringify([...tables].sort((a, b) => `${a.recipient}${a.indicator}`.localeCompare(`${b.recipient}${b.indicator}`)))
  }
  const first = await run(people, grants)
  t.equal(await run([...people].reverse(), [...grants].reverse()), first)
  t.equal(await run([people[2]!, people[0]!, people[4]!, people[1]!, people[3]!], [grants[1]!, grants[3]!, grants[0]!, grants[2]!]), first)
  t.ok(first.includes('"conf_status":"C"') && first.includes('"conf_status":"F"'), 'some cells hidden, some published')
})

t.test('what was sent under a grant that has ended still constrains the linked tables', async t => {
  const db = await testDb(t)
  await db.db.insertInto('agreement_version').values(['HRV', 'BIH'].map(r => ({ hash: r.padEnd(43, 'h'), agreement: `srb-${r.toLowerCase()}`, version: 1, provider: 'SRB', recipient: r, body: '{}', first_seen_at: new Date(0) }))).execute()
  await setVictims(db.db, 2023, [{ status: 'IDENT', n: 10 }, { status: 'PRES', sex: 'F', identified_by: 'NGO' }, { status: 'PRES', sex: 'M', identified_by: 'NGO' }])
  // Round 0: BIH receives V4 by status at T = 2: two presumed victims, published.
  const before = [grant('BIH', 'V4', ['VICT_STATUS'], 2)]
  const first = await protectGrants(db.db, before)
  t.same(first.tables[0]!.cells.filter(c => c.key.IDENT_AGENCY === '_T' && c.key.VICT_STATUS === 'PRES').map(c => c.value), [2])
  for (const s of first.snapshots) await recordReleasedPopulation(db.db, s, new Date(0))
  for (const table of first.tables) await recordSent(db.db, 'r0', table, new Date(0))
  // Round 1: that grant has ended; HRV gets V1 by status and sex. PRES = 2 is known from
  // round 0, so one F and one M presumed victim would be exact whatever V1 hides.
  const after = [grant('HRV', 'V1', ['VICT_STATUS', 'SEX'], 2)]
  const second = await protectGrants(db.db, after)
  const pooled = [...receivedTables(first.tables, before, 0), ...receivedTables(second.tables, after, 1)]
  t.same((await auditReceived(pooled, { threshold: 2 })).failures, [], 'pooled, nothing is narrower than T')
  t.same(second.summary.map(s => s.ok), [false], 'V1 cannot be protected under what V4 already sent: refused')
})
