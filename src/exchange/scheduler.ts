/**
 * What `dcimx serve` does besides answering requests: pull from each country peer when its
 * next attempt is due (every sync interval, backing off after failures), and publish on the
 * publish interval, which also re-signs releases before they expire. Work runs one step at a
 * time; `stop()` waits for the step in progress.
 */
import { EventEmitter } from 'node:events'
import type { Kysely } from 'kysely'
import type { Clock } from '../clock.js'
import type { Database } from '../db/types.js'
import type { Logger } from '../logger.js'
import type { SigningKey } from '../protocol/keys.js'
import type { LoadedAgreement } from '../policy/load.js'
import { publish, type PublishReport } from './publish.js'
import { describeSync, syncPeer, type SyncReport } from './sync.js'

export interface SchedulerDeps {
  db: Kysely<Database>
  clock: Clock
  node: string
  kind: 'country' | 'liaison'
  signingKey: SigningKey
  /** Read again before each round, so edited policy files take effect without a restart. */
  agreements: () => LoadedAgreement[]
  logger: Logger
  syncIntervalMs: number
  publishIntervalMs: number
  /** See PublishDeps.yearClosesOn. */
  yearClosesOn?: string
  /** How often due work is looked for (default 5 s, or the sync interval if shorter). */
  tickMs?: number
}

export interface Scheduler {
  /** 'sync' (SyncReport), 'publish' (PublishReport), 'failure' (Error) after each step. */
  events: EventEmitter
  /** Runs one round now: every due pull, then publishing if due. */
  round(): Promise<void>
  stop(): Promise<void>
}

export function startScheduler (deps: SchedulerDeps): Scheduler {
  const events = new EventEmitter()
  let timer: NodeJS.Timeout | undefined
  let stopped = false
  let running: Promise<void> = Promise.resolve()
  let lastPublish = -Infinity

  async function roundNow (): Promise<void> {
    const now = deps.clock.now()
    let agreements: LoadedAgreement[]
    try {
      agreements = deps.agreements()
    } catch (err) {
      deps.logger.error({ err }, 'policies could not be loaded; nothing pulled or published this round')
      events.emit('failure', err)
      return
    }
    const due = await deps.db.selectFrom('peer').leftJoin('sync_state', 'sync_state.peer', 'peer.id')
      .select(['peer.id', 'sync_state.next_attempt_at']).where('peer.kind', '=', 'country').orderBy('peer.id').execute()
    for (const p of due) {
      if (stopped) return
      if (p.next_attempt_at != null && new Date(p.next_attempt_at).getTime() > now) continue
      try {
        const report: SyncReport = await syncPeer({ db: deps.db, clock: deps.clock, node: deps.node, signingKey: deps.signingKey, agreements }, p.id, { intervalMs: deps.syncIntervalMs })
        deps.logger[report.ok ? 'info' : 'warn']({ sync: report }, describeSync(report))
        events.emit('sync', report)
      } catch (err) {
        deps.logger.error({ err, peer: p.id }, 'pull failed')
        events.emit('failure', err)
      }
    }
    if (deps.kind === 'country' && !stopped && now - lastPublish >= deps.publishIntervalMs) {
      try {
        const report: PublishReport = await publish({ db: deps.db, clock: deps.clock, node: deps.node, signingKey: deps.signingKey, agreements, ...(deps.yearClosesOn === undefined ? {} : { yearClosesOn: deps.yearClosesOn }) })
        lastPublish = now
        deps.logger.info({ issued: report.issued.length, unchanged: report.unchanged, refused: report.refused.length, held: report.held.map(h => `${h.year} ${h.population}`) }, 'published')
        events.emit('publish', report)
      } catch (err) {
        deps.logger.error({ err }, 'publishing failed')
        events.emit('failure', err)
      }
    }
  }

  function round (): Promise<void> {
    running = running.then(roundNow).catch(err => {
      deps.logger.error({ err }, 'scheduled round failed')
      events.emit('failure', err)
    })
    return running
  }

  const tick = Math.min(deps.tickMs ?? 5000, deps.syncIntervalMs)
  function schedule (): void {
    if (stopped) return
    timer = setTimeout(() => { round().finally(schedule).catch(() => {}) }, tick)
    timer.unref()
  }
  round().finally(schedule).catch(() => {})

  return {
    events,
    round,
    async stop () {
      stopped = true
      if (timer !== undefined) clearTimeout(timer)
      await running
    },
  }
}
