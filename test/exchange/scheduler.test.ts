// What serve runs besides HTTP: a pull when each peer is due, backing off after failures, and
// publishing on its interval. Rounds are driven by hand with an adjustable clock.
import { once } from 'node:events'
import { join } from 'node:path'
import t from 'tap'
import { createLogger } from '../../src/logger.js'
import { startScheduler } from '../../src/exchange/scheduler.js'
import { backoffMs, type SyncReport } from '../../src/exchange/sync.js'
import type { PublishReport } from '../../src/exchange/publish.js'
import { nodeAgreements } from '../../src/policy/load.js'
import { FIXTURES, startPair, testClock } from '../helpers/federation.js'

t.test('backoff doubles from the interval up to an hour', async t => {
  t.same([0, 1, 2, 3, 10, 40].map(f => backoffMs(60_000, f)), [60_000, 120_000, 240_000, 480_000, 3_600_000, 3_600_000])
})

t.test('scheduled pulls, backoff after failures, publishing on its interval', async t => {
  const clock = testClock()
  const [srb, hrv] = await startPair(t, 'SRB', 'HRV', [join(FIXTURES, 'agreements', 'srb-hrv.yaml')], clock)
  await srb.importVictims(join(FIXTURES, 'victims-small.csv'))
  await srb.publish()

  const syncs: SyncReport[] = []
  const publishes: PublishReport[] = []
  const node = hrv.running.node
  const scheduler = startScheduler({
    db: node.db.db,
    clock,
    node: 'HRV',
    kind: 'country',
    signingKey: node.signingKey,
    agreements: () => nodeAgreements(hrv.home),
    logger: createLogger({ level: 'silent' }),
    syncIntervalMs: 60_000,
    publishIntervalMs: 3_600_000,
    tickMs: 3_600_000,
  })
  t.teardown(() => scheduler.stop())
  scheduler.events.on('sync', (r: SyncReport) => syncs.push(r))
  scheduler.events.on('publish', (r: PublishReport) => publishes.push(r))
  const state = async (): Promise<{ failures: number, next: number }> => {
    const s = await node.db.db.selectFrom('sync_state').select(['failures', 'next_attempt_at']).where('peer', '=', 'SRB').executeTakeFirstOrThrow()
    return { failures: Number(s.failures), next: new Date(s.next_attempt_at!).getTime() }
  }

  // The first round starts at once: a pull, then publishing (HRV provides nothing: none issued).
  await once(scheduler.events, 'publish')
  t.same(syncs.map(s => [s.peer, s.ok, s.applied]), [['SRB', true, 4]])
  t.same(publishes.map(p => p.issued.length), [0])
  t.same(await state(), { failures: 0, next: clock.now() + 60_000 })

  await scheduler.round()
  t.equal(syncs.length, 1, 'not due yet: no pull, and no publishing within the hour')
  t.equal(publishes.length, 1)

  // The peer goes down: each failure doubles the wait.
  await srb.running.close()
  clock.advance(61_000)
  await scheduler.round()
  t.same(syncs.slice(1).map(s => [s.ok, Object.keys(s.rejected)]), [[false, ['FETCH_FAILED']]])
  t.same(await state(), { failures: 1, next: clock.now() + 120_000 })
  clock.advance(61_000)
  await scheduler.round()
  t.equal(syncs.length, 2, 'backing off: not retried after one interval')
  clock.advance(60_000)
  await scheduler.round()
  t.equal(syncs.length, 3)
  t.same(await state(), { failures: 2, next: clock.now() + 240_000 })

  // An hour on, publishing runs again.
  clock.advance(3_600_000)
  await scheduler.round()
  t.equal(publishes.length, 2)

  // Unreadable policies: the round is skipped and reported, the scheduler keeps going.
  const failures: unknown[] = []
  scheduler.events.on('failure', err => failures.push(err))
  const broken = startScheduler({
    db: node.db.db,
    clock,
    node: 'HRV',
    kind: 'country',
    signingKey: node.signingKey,
    agreements: () => { throw new Error('policies unreadable') },
    logger: createLogger({ level: 'silent' }),
    syncIntervalMs: 60_000,
    publishIntervalMs: 3_600_000,
    tickMs: 3_600_000,
  })
  const failed = once(broken.events, 'failure')
  t.match(((await failed)[0] as Error).message, 'policies unreadable')
  await broken.stop()
  await scheduler.stop()
  t.same(failures, [])
})
