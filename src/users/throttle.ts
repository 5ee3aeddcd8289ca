/**
 * Password checks, counted per source address and user name: at most LOGIN_MAX_FAILURES checks
 * within LOGIN_WINDOW_MS for one (address, name), whatever their outcome is still to be. A check
 * is counted when it is taken, before the password is hashed, so attempts sent at the same
 * moment cannot all be checked: the sixth waits though the first five are still hashing. A
 * success clears the count (the caller knew the password); a failure leaves its check counted.
 * Further attempts are refused without checking the password until the oldest counted check
 * leaves the window. Kept in memory (a restart forgets it), bounded in size; time is the
 * caller's clock.
 */

export const LOGIN_MAX_FAILURES = 5
export const LOGIN_WINDOW_MS = 15 * 60_000
/** Most (address, name) pairs remembered; the least recently used are forgotten first. */
export const LOGIN_THROTTLE_KEYS = 10_000

export interface LoginThrottle {
  /**
   * Takes one check for `key`: undefined when the password may be checked now (the check is
   * then counted), else the milliseconds to wait before the next check is allowed.
   */
  take: (key: string, nowMs: number) => number | undefined
  /** The password matched: the checks counted for `key` are forgotten. */
  succeeded: (key: string) => void
}

export function loginThrottle (options: { maxFailures?: number, windowMs?: number, maxKeys?: number } = {}): LoginThrottle {
  const max = options.maxFailures ?? LOGIN_MAX_FAILURES
  const window = options.windowMs ?? LOGIN_WINDOW_MS
  const maxKeys = options.maxKeys ?? LOGIN_THROTTLE_KEYS
  const checks = new Map<string, number[]>()
  return {
    take: (key, nowMs) => {
      const times = (checks.get(key) ?? []).filter(at => at > nowMs - window)
      checks.delete(key)
      if (times.length >= max) {
        checks.set(key, times)
        return times[times.length - max]! + window - nowMs
      }
      times.push(nowMs)
      checks.set(key, times)
      if (checks.size > maxKeys) checks.delete(checks.keys().next().value!)
      return undefined
    },
    succeeded: key => { checks.delete(key) },
  }
}
