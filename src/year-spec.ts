import { AppError } from './errors.js'

/** The longest range of years a command or query may name. */
export const MAX_YEAR_SPAN = 100

/**
 * Years as a command or query names them: `2023`, a range `2015-2024` (forwards, at most
 * {@link MAX_YEAR_SPAN} years) or a list `2019,2021`; returned ascending, each once. `name` is how
 * the caller gave them (`--years`, `--year`, or `years` over HTTP), for the message. Throws USAGE.
 */
export function parseYearSpec (spec: string, name: string): number[] {
  const range = /^(\d{4})-(\d{4})$/.exec(spec)
  if (range !== null) {
    const [from, to] = [Number(range[1]), Number(range[2])]
    if (to < from) throw new AppError('USAGE', `${name} ${spec}: the range runs backwards`)
    if (to - from >= MAX_YEAR_SPAN) throw new AppError('USAGE', `${name} ${spec}: a range spans at most ${MAX_YEAR_SPAN} years`)
    return Array.from({ length: to - from + 1 }, (_, i) => from + i)
  }
  if (!/^\d{4}(,\d{4})*$/.test(spec)) throw new AppError('USAGE', `${name} ${JSON.stringify(spec)}: give a year (2023), a range (2015-2024) or a list (2019,2021)`)
  return [...new Set(spec.split(',').map(Number))].sort((a, b) => a - b)
}
