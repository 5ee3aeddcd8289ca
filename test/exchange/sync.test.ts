// Two real nodes on loopback: Serbia publishes, Croatia pulls. Full sync, an incremental
// sync with nothing new, a revision, a retraction, an agreement ending, history as of a date.
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { withdrawRecords } from '../../src/ingest/import-file.js'
import { EMPTY_CROSSWALK } from '../../src/ingest/crosswalk.js'
import { recordKeyer } from '../../src/ingest/record-key.js'
import { receivedCells } from '../../src/exchange/received.js'
import { peerStatuses } from '../../src/exchange/status.js'
import { verifyAuditLog } from '../../src/audit/log.js'
import { FIXTURES, startPair, testClock } from '../helpers/federation.js'
import { tempDir } from '../helpers/node.js'

const AGREEMENT = join(FIXTURES, 'agreements', 'srb-hrv.yaml')

t.test('full sync, incremental, revision, retraction, agreement ending, as-of history', async t => {
  const clock = testClock()
  const [srb, hrv] = await startPair(t, 'SRB', 'HRV', [AGREEMENT], clock)
  const hrvDb = hrv.running.node.db.db

  // Nothing published yet: one request, nothing applied.
  const empty = await hrv.sync('SRB')
  t.same([empty.ok, empty.requests, empty.applied, empty.toSeq, empty.headSeq], [true, 1, 0, 0, 0])

  await srb.importVictims(join(FIXTURES, 'victims-small.csv'))
  const published = await srb.publish()
  t.same(published.issued.map(i => `${i.recipient} #${i.seq} ${i.indicator} ${i.year}`), ['HRV #1 V1 2023', 'HRV #2 V1 2024', 'HRV #3 V2 2023', 'HRV #4 V2 2024'])

  const full = await hrv.sync('SRB')
  t.same({ ok: full.ok, fromSeq: full.fromSeq, toSeq: full.toSeq, headSeq: full.headSeq, applied: full.applied, unchanged: full.unchanged, superseded: full.superseded, retracted: full.retracted, rejected: full.rejected, requests: full.requests },
    { ok: true, fromSeq: 0, toSeq: 4, headSeq: 4, applied: 4, unchanged: 0, superseded: 0, retracted: 0, rejected: {}, requests: 1 })

  // What Croatia holds is exactly what Serbia signed, cell for cell.
  const srbDb = srb.running.node.db.db
  for (const issued of published.issued) {
    const row = await srbDb.selectFrom('outgoing').select('signed').where('id', '=', issued.id).executeTakeFirstOrThrow()
    const payload = JSON.parse(Buffer.from((row.signed as { payload: string }).payload, 'base64url').toString('utf8')) as { cells: Array<{ key: Record<string, string>, value?: number, obs_status: string }> }
    const held = await receivedCells(hrvDb, { publisher: 'SRB', indicator: issued.indicator, year: issued.year })
    t.equal(held.length, payload.cells.length, `${issued.indicator} ${issued.year}: every cell held`)
    const byKey = new Map(held.map(c => [JSON.stringify(Object.entries(c.dims).sort()), c]))
    t.ok(payload.cells.every(c => {
      const { TIME_PERIOD: _year, ...dims } = c.key
      const h = byKey.get(JSON.stringify(Object.entries(dims).sort()))
      return h !== undefined && h.value === (c.value ?? null) && h.obs_status === c.obs_status
    }), `${issued.indicator} ${issued.year}: same values and flags`)
  }

  // Incremental sync with nothing new: one request, nothing applied.
  const idle = await hrv.sync('SRB')
  t.same([idle.ok, idle.requests, idle.applied, idle.fromSeq, idle.toSeq], [true, 1, 0, 4, 4])

  // New 2023 records: 2023 was released, so the revision is held back and nothing travels.
  const beforeRevision = clock.now()
  clock.advance(3600_000)
  const more = join(tempDir(t), 'more.csv')
  writeFileSync(more, 'record_id,registered_on,status,sex,age,citizenship,country_of_exploitation,exploitation,identified_by,assistance\n' +
    'W1,2023-06-01,IDENT,O,30,SRB,SRB,SEX,POL,\nW2,2023-06-02,IDENT,O,31,SRB,SRB,SEX,POL,\nW3,2023-06-03,IDENT,O,40,SRB,SRB,LAB,POL,\n')
  await srb.importVictims(more)
  const revised = await srb.publish()
  t.same([revised.issued, revised.held.map(h => `${h.population} ${h.year} +${h.added}`)], [[], ['victims 2023 +3']])

  // A new version of the agreement, held by both: V2 also by age group. Every table is
  // re-issued under it, cut from the released figures; the earlier versions stay in history.
  const v2 = readFileSync(AGREEMENT, 'utf8').replace('version: 1', 'version: 2').replace('by: [EXPLOIT, SEX]', 'by: [EXPLOIT, SEX, AGE_GROUP]')
  for (const node of [srb, hrv]) writeFileSync(join(node.home, 'policies', 'srb-hrv.yaml'), v2)
  const reissued = await srb.publish()
  t.same(reissued.issued.map(i => `#${i.seq} ${i.indicator} ${i.year}`), ['#5 V1 2023', '#6 V1 2024', '#7 V2 2023', '#8 V2 2024'])
  const incremental = await hrv.sync('SRB')
  t.same([incremental.ok, incremental.fromSeq, incremental.toSeq, incremental.applied, incremental.unchanged, incremental.requests], [true, 4, 8, 2, 2, 1], 'V2 applied; V1 under the new version with the same cells')
  const nowV2 = await receivedCells(hrvDb, { publisher: 'SRB', indicator: 'V2', year: 2023 })
  const thenV2 = await receivedCells(hrvDb, { publisher: 'SRB', indicator: 'V2', year: 2023, asOf: new Date(beforeRevision) })
  t.ok(nowV2.some(c => c.dims.AGE_GROUP !== '_T'), 'the new version is current')
  t.notOk(thenV2.some(c => c.dims.AGE_GROUP !== '_T'), 'as of before it, the earlier version')
  t.not(nowV2[0]!.release_id, thenV2[0]!.release_id)
  t.notOk((await receivedCells(hrvDb, { publisher: 'SRB', indicator: 'V1', year: 2023 })).some(c => c.dims.SEX === 'O'), 'the held revision did not travel')

  // Records withdrawn: Serbia retracts the 2024 tables, and Croatia drops them.
  clock.advance(3600_000)
  const ids = join(tempDir(t), 'withdraw.csv')
  writeFileSync(ids, 'record_id\nV6\nV7\n')
  await withdrawRecords({ db: srbDb, clock, reporter: 'SRB', keyer: recordKeyer(Buffer.alloc(32, 7)), crosswalk: EMPTY_CROSSWALK }, { kind: 'victims', path: ids })
  const withdrawn = await srb.publish()
  t.same(withdrawn.issued.map(i => `${i.type} ${i.indicator} ${i.year}`), ['retraction V1 2024', 'retraction V2 2024'])
  const afterWithdrawal = await hrv.sync('SRB')
  t.same([afterWithdrawal.ok, afterWithdrawal.retracted, afterWithdrawal.toSeq], [true, 2, 10])
  t.same(await receivedCells(hrvDb, { publisher: 'SRB', indicator: 'V1', year: 2024 }), [], 'a retracted table is gone')
  t.ok((await receivedCells(hrvDb, { publisher: 'SRB', indicator: 'V1', year: 2024, asOf: new Date(beforeRevision) })).length > 0, 'but kept in history')

  // The agreement ends on 31 December 2028 (Belgrade time): everything live is retracted.
  clock.set(Date.UTC(2029, 0, 2))
  const ended = await srb.publish()
  t.same(ended.issued.map(i => `${i.type} ${i.indicator} ${i.year} ${i.reason}`), ['retraction V1 2023 agreement_ended', 'retraction V2 2023 agreement_ended'])
  const afterEnd = await hrv.sync('SRB')
  t.same([afterEnd.ok, afterEnd.retracted, afterEnd.toSeq], [true, 2, 12])
  t.same(await receivedCells(hrvDb, { publisher: 'SRB', indicator: 'V1', year: 2023 }), [])

  const [status] = await peerStatuses(hrvDb, clock.now())
  t.same([status!.peer, status!.status, status!.lastSeq, status!.headSeq, status!.liveSlices], ['SRB', 'ok', 12, 12, 0])

  // Both audit logs are intact and hold what happened.
  for (const node of [srb, hrv]) {
    const audit = await verifyAuditLog(node.running.node.db.db)
    t.equal(audit.broken, null, `${node.id}: audit chain intact`)
  }
  const applied = await hrvDb.selectFrom('audit_log').select(eb => eb.fn.countAll<number>().as('n')).where('event', '=', 'pull_applied').executeTakeFirstOrThrow()
  t.equal(Number(applied.n), 12, 'one audit entry per object applied')
  const served = await srbDb.selectFrom('audit_log').select(eb => eb.fn.countAll<number>().as('n')).where('event', '=', 'pull_served').executeTakeFirstOrThrow()
  t.equal(Number(served.n), 6, 'one audit entry per page served')
})
