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
import { recordRound } from '../helpers/release.js'
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

t.test('revisions: a change of fewer than T persons is held back; the release is cut again', async t => {
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
  t.equal(second.held[0]!.reason, '1 withdrawn since the last release, fewer than the threshold 3: the change itself would be a small cell. ' +
    'It goes out once at least 3 persons have been added (and none or at least 3 withdrawn) since then, and can be protected', 'the report says why')
  t.same(second.revisions, [])
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

/** What publish does in its transaction for one round: the version's snapshot, and the ledger. */
async function release (db: Kysely<Database>, out: Awaited<ReturnType<typeof protectGrants>>, round: number): Promise<void> {
  await recordRound(db, out, round, new Date(Date.UTC(2024, 0, 10 + round)))
}

t.test('revisions: a change that can be protected with the release goes out as the next version', async t => {
  const db = await testDb(t)
  await db.db.insertInto('agreement_version').values(['HRV', 'EUROPOL'].map(r => ({ hash: r.padEnd(43, 'h'), agreement: `srb-${r.toLowerCase()}`, version: 1, provider: 'SRB', recipient: r, body: '{}', first_seen_at: new Date(0) }))).execute()
  await setVictims(db.db, 2023, [{ sex: 'F', n: 5 }, { sex: 'M', n: 9 }])
  const grants = [grant('HRV', 'V1', ['SEX']), grant('EUROPOL', 'V2', ['SEX'])]
  const first = await protectGrants(db.db, grants)
  await release(db.db, first, 0)

  // Four women and three men registered late: each cell moves by at least T.
  await setVictims(db.db, 2023, [{ sex: 'F', n: 9 }, { sex: 'M', n: 12 }])
  const second = await protectGrants(db.db, grants)
  t.same(second.revisions, [{ population: 'victims', year: 2023, version: 1, added: 7, withdrawn: 0 }], 'revision 1 goes out')
  t.same([second.held, second.tables.map(x => x.version)], [[], [1, 1]])
  t.same(along(second.tables, 'HRV', 'V1', 'SEX'), ['F=9', 'M=12', '_T=21'])
  t.same(second.snapshots.map(s => [s.version, s.added, s.withdrawn]), [[1, 7, 0]])
  await release(db.db, second, 1)
  // The attacker links the two versions and knows how many were added and withdrawn.
  const changes = [{ population: 'victims', year: 2023, round: 1, added: 7, withdrawn: 0 }]
  const pooled = [...receivedTables(first.tables, grants, 0), ...receivedTables(second.tables, grants, 1)]
  t.same((await auditReceived(pooled, { threshold: 3, changes })).failures, [])

  // Sent, the revision is what the year is cut from: nothing more changes.
  const third = await protectGrants(db.db, grants)
  t.same([third.revisions, third.held, third.snapshots], [[], [], []])
  t.same(third.tables, second.tables, 'the same tables, byte for byte')
})

t.test('revisions: a cell that would move by fewer than T persons is hidden in the revision', async t => {
  const db = await testDb(t)
  await db.db.insertInto('agreement_version').values({ hash: 'HRV'.padEnd(43, 'h'), agreement: 'srb-hrv', version: 1, provider: 'SRB', recipient: 'HRV', body: '{}', first_seen_at: new Date(0) }).execute()
  await setVictims(db.db, 2023, [{ sex: 'F', n: 5 }, { sex: 'M', n: 9 }])
  const grants = [grant('HRV', 'V1', ['SEX'])]
  const first = await protectGrants(db.db, grants)
  t.same(along(first.tables, 'HRV', 'V1', 'SEX'), ['F=5', 'M=9', '_T=14'])
  await release(db.db, first, 0)

  // One woman and three men added. Publishing F = 6 beside the released F = 5 would tell that
  // one of the persons added is a woman (the external audit's "moved by exactly 1"): F and M are
  // hidden in the revision, the total goes out.
  await setVictims(db.db, 2023, [{ sex: 'F', n: 6 }, { sex: 'M', n: 12 }])
  const second = await protectGrants(db.db, grants)
  t.same(second.revisions.map(r => [r.version, r.added, r.withdrawn]), [[1, 4, 0]])
  t.same(along(second.tables, 'HRV', 'V1', 'SEX'), ['F=C', 'M=C', '_T=18'])
  const changes = [{ population: 'victims', year: 2023, round: 1, added: 4, withdrawn: 0 }]
  const report = await auditReceived([...receivedTables(first.tables, grants, 0), ...receivedTables(second.tables, grants, 1)], { threshold: 3, changes, changeIntervals: true })
  t.same(report.failures, [])
  // The persons added among the women: F(1) - 5, with F(1) in [5, 9] (F(1) + M(1) = 18, M(1) >= 9).
  t.same(report.intervals.filter(i => i.round === 1 && i.indicator === 'V1' && i.key === '_T|F|_T|_T').map(i => [i.lower, i.upper]), [[5, 9]])
  // The change itself: the one woman added lies in [0, 4] (so do the three men), the total 4 is known.
  t.same(report.changes.filter(c => c.direction === 'added').map(c => [c.key, c.lower, c.upper]), [['_T|F|_T|_T', 0, 4], ['_T|M|_T|_T', 0, 4], ['_T|_T|_T|_T', 4, 4]])
  t.same(report.changeFailures, [])
})
