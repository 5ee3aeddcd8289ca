/**
 * The import's options as people give them, checked in one place for `dcimx import`
 * (`--delimiter`, `--id-columns`) and POST /v1/import/{kind} (`delimiter`, `id_columns`): the
 * same rules and the same messages, naming the option as the caller wrote it.
 */
import { AppError } from '../errors.js'

/** The separator a `--delimiter` names: one character other than `|`, `"` and line ends, or "tab". */
export function parseDelimiter (value: string, option = '--delimiter'): string {
  const d = value === 'tab' || value === '\\t' ? '\t' : value
  if ([...d].length !== 1 || /["|\r\n]/.test(d)) throw new AppError('USAGE', `${option} is one character such as ";" or "," (or "tab"), neither a double quote nor | (which separates codes in a field); got ${JSON.stringify(value)}`)
  return d
}

/** The columns an `--id-columns` names (comma-separated, trimmed); undefined when not given. */
export function parseIdColumns (value: string | undefined, option = '--id-columns'): string[] | undefined {
  if (value === undefined) return undefined
  const columns = value.split(',').map(c => c.trim()).filter(c => c !== '')
  if (columns.length === 0) throw new AppError('USAGE', `${option} names one or more columns, comma-separated`)
  return columns
}
