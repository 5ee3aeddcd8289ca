/** Time is injected everywhere so that expiry and validity windows are testable. */
export interface Clock {
  /** Current time in milliseconds since the epoch. */
  now(): number
}

export const systemClock: Clock = { now: () => Date.now() }

/** A clock fixed at `ms` (tests, offline verification at a chosen evaluation time). */
export function fixedClock (ms: number): Clock {
  return { now: () => ms }
}

/** A protocol timestamp (seconds) as ISO 8601 UTC without milliseconds: 2026-11-25T12:00:00Z. */
export function isoSeconds (seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace('.000Z', 'Z')
}

/** Whole seconds since the epoch, the unit of every protocol timestamp. */
export function epochSeconds (clock: Clock): number {
  return Math.floor(clock.now() / 1000)
}
