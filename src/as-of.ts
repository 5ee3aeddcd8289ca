import { AppError } from './errors.js'

/** The dates an as-of query may name (inclusive): anything else is refused, not sent to the database. */
export const AS_OF_RANGE = { from: '1970-01-01', to: '9999-12-31' } as const

const AS_OF_PATTERN = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(Z|[+-]\d{2}:\d{2}))?$/

/** Days in a month (1-12) of the Gregorian calendar. */
function daysInMonth (year: number, month: number): number {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)
  return month === 2 ? (leap ? 29 : 28) : [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!
}

/**
 * An ISO 8601 calendar date (`2026-11-20`: as held that day, i.e. at its end, 23:59:59.999 UTC)
 * or date-time with its offset
 * (`2026-11-20T12:00:00Z`, `2026-11-20T14:00+02:00`). The date must exist (`2024-02-30` is
 * refused, not read as 2024-03-01) and lie within AS_OF_RANGE. `name` is how the caller gave it
 * (`--as-of`, or `as_of` over HTTP). Throws USAGE.
 */
export function parseAsOf (spec: string | undefined, name = '--as-of'): Date | undefined {
  if (spec === undefined) return undefined
  const quoted = `${name} ${JSON.stringify(spec.slice(0, 40))}`
  const m = AS_OF_PATTERN.exec(spec)
  if (m === null) throw new AppError('USAGE', `${quoted}: give a date (2026-11-20) or a date-time (2026-11-20T12:00:00Z)`)
  const [year, month, day, hour, minute, second] = [1, 2, 3, 4, 5, 6].map(i => Number(m[i] ?? 0)) as [number, number, number, number, number, number]
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) throw new AppError('USAGE', `${quoted}: there is no such day`)
  if (hour > 23 || minute > 59 || second > 59) throw new AppError('USAGE', `${quoted}: there is no such time of day`)
  const date = m[0].slice(0, 10)
  if (date < AS_OF_RANGE.from || date > AS_OF_RANGE.to) throw new AppError('USAGE', `${quoted}: out of range, from ${AS_OF_RANGE.from} to ${AS_OF_RANGE.to}`)
  let offsetMin = 0
  const zone = m[8]
  if (zone !== undefined && zone !== 'Z') {
    const [oh, om] = [Number(zone.slice(1, 3)), Number(zone.slice(4, 6))]
    if (oh > 23 || om > 59) throw new AppError('USAGE', `${quoted}: there is no such offset from UTC`)
    offsetMin = (zone[0] === '-' ? -1 : 1) * (oh * 60 + om)
  }
  // A date alone is "as held that day": at its end (UTC), so what arrived during it counts.
  if (m[4] === undefined) return new Date(Date.UTC(year, month - 1, day, 23, 59, 59, 999))
  const ms = Number((m[7] ?? '0').padEnd(3, '0'))
  return new Date(Date.UTC(year, month - 1, day, hour, minute, second, ms) - offsetMin * 60_000)
}
