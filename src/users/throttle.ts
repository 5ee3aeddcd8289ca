/**
 * Failed logins, counted per source address and user name: after LOGIN_MAX_FAILURES failures
 * within LOGIN_WINDOW_MS, further attempts for that name from that address are refused without
 * checking the password, until the oldest failure leaves the window. A success clears the
 * count. Kept in memory (a restart forgets it), bounded in size; time is the caller's clock.
 */

export const LOGIN_MAX_FAILURES = 5
export const LOGIN_WINDOW_MS = 15 * 60_000
/** Most (address, name) pairs remembered; the least recently failed are forgotten first. */
export const LOGIN_THROTTLE_KEYS = 10_000

export interface LoginThrottle {
  /** Milliseconds to wait before `key` may try again, or undefined when it may try now. */
  check: (key: string, nowMs: number) => number | undefined
  failed: (key: string, nowMs: number) => void
  succeeded: (key: string) => void
}

export function loginThrottle (options: { maxFailures?: number, windowMs?: number, maxKeys?: number } = {}): LoginThrottle {
  const max = options.maxFailures ?? LOGIN_MAX_FAILURES
  const window = options.windowMs ?? LOGIN_WINDOW_MS
  const maxKeys = options.maxKeys ?? LOGIN_THROTTLE_KEYS
  const failures = new Map<string, number[]>()
  const recent = (key: string, nowMs: number): number[] => (failures.get(key) ?? []).filter(at => at > nowMs - window)
  return {
    check: (key, nowMs) => {
      const times = recent(key, nowMs)
      if (times.length === 0) failures.delete(key)
      return times.length < max ? undefined : times[times.length - max]! + window - nowMs
    },
    failed: (key, nowMs) => {
      const times = [...recent(key, nowMs), nowMs].slice(-max)
      failures.delete(key)
      failures.set(key, times)
      if (failures.size > maxKeys) failures.delete(failures.keys().next().value!)
    },
    succeeded: key => { failures.delete(key) },
  }
}
