/**
 * Refusals of callers nobody authenticated (a peer token that does not verify, a login for a
 * name that is no user, a request over the rate limit) are counted, not chained one by one: a
 * stranger must not be able to grow the audit log, or hold its lock, at will. Counts are kept
 * in memory per window of REFUSAL_WINDOW_MS and written as ONE chained entry per window that
 * saw any, `refusals_counted`:
 *
 *   { window_from, window_to, counts: [{ kind, reason, count }, ...], addresses }
 *
 * `kind` is what was refused (`peer_auth`, `login`, `rate_limit`), `reason` its code or reason,
 * `addresses` how many distinct source addresses were counted (at most COUNTED_ADDRESSES_MAX
 * are told apart; the count says so when it is reached). A window is written when the first
 * refusal after it is counted, or when the node stops (`flush`); a crash loses the counts of the
 * current window only. Time is the caller's clock.
 */
import type { Kysely } from 'kysely'
import type { Clock } from '../clock.js'
import type { Database } from '../db/types.js'
import { appendAudit } from './log.js'

export const REFUSAL_WINDOW_MS = 10 * 60_000
/** Distinct addresses told apart per window; beyond that they are not remembered. */
export const COUNTED_ADDRESSES_MAX = 10_000

export type RefusalKind = 'peer_auth' | 'login' | 'rate_limit'

export interface RefusalCounts {
  windowFrom: number
  counts: Map<string, number>
  addresses: Set<string>
}

export interface RefusalCounter {
  /** Counts one refusal; writes the previous window's entry first when it has ended. */
  count: (kind: RefusalKind, reason: string, address: string) => Promise<void>
  /** Writes the current window's entry now (the node stops), if it counted anything. */
  flush: () => Promise<void>
  /** What the current window holds so far (tests, status). */
  current: () => { windowFrom: number, counts: Array<{ kind: string, reason: string, count: number }>, addresses: number }
}

function window (nowMs: number, windowMs: number): number {
  return nowMs - (nowMs % windowMs)
}

function entries (w: RefusalCounts): Array<{ kind: string, reason: string, count: number }> {
  return [...w.counts].map(([key, count]) => {
    const [kind, reason] = key.split('\n') as [string, string]
    return { kind, reason, count }
  }).sort((a, b) => a.kind.localeCompare(b.kind) || a.reason.localeCompare(b.reason))
}

export function refusalCounter (deps: { db: Kysely<Database>, clock: Clock, onError?: (err: unknown) => void }, options: { windowMs?: number } = {}): RefusalCounter {
  const windowMs = options.windowMs ?? REFUSAL_WINDOW_MS
  let w: RefusalCounts = { windowFrom: window(deps.clock.now(), windowMs), counts: new Map(), addresses: new Set() }

  async function write (done: RefusalCounts, windowTo: number): Promise<void> {
    if (done.counts.size === 0) return
    try {
      await appendAudit(deps.db, {
        at: new Date(deps.clock.now()),
        event: 'refusals_counted',
        actor: 'unauthenticated',
        detail: {
          window_from: new Date(done.windowFrom).toISOString(),
          window_to: new Date(windowTo).toISOString(),
          counts: entries(done),
          addresses: done.addresses.size,
        },
      })
    } catch (err) {
      // Not lost: folded into the window now open, written with it.
      for (const [key, n] of done.counts) w.counts.set(key, (w.counts.get(key) ?? 0) + n)
      w.windowFrom = Math.min(w.windowFrom, done.windowFrom)
      deps.onError?.(err)
    }
  }

  return {
    count: async (kind, reason, address) => {
      const now = deps.clock.now()
      let ended: RefusalCounts | undefined
      if (now >= w.windowFrom + windowMs) {
        // Swapped before anything is awaited: of two refusals at the turn, one writes the entry.
        ended = w
        w = { windowFrom: window(now, windowMs), counts: new Map(), addresses: new Set() }
      }
      const key = `${kind}\n${reason}`
      w.counts.set(key, (w.counts.get(key) ?? 0) + 1)
      if (w.addresses.size < COUNTED_ADDRESSES_MAX) w.addresses.add(address)
      if (ended !== undefined) await write(ended, ended.windowFrom + windowMs)
    },
    flush: async () => {
      const done = w
      w = { windowFrom: window(deps.clock.now(), windowMs), counts: new Map(), addresses: new Set() }
      await write(done, deps.clock.now())
    },
    current: () => ({ windowFrom: w.windowFrom, counts: entries(w), addresses: w.addresses.size }),
  }
}
