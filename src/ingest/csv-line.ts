/** Writing CSV: one record per line, RFC 4180 quoting. */
const NEEDS_QUOTES = /[",\r\n]/

/**
 * One CSV record with RFC 4180 quoting: a field containing a comma, a double quote, CR or LF is
 * enclosed in double quotes, with embedded quotes doubled; other fields are written as they are.
 * The line ends with `\n`.
 */
export function toCsvLine (fields: string[]): string {
  let line = ''
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i] as string
    if (i > 0) line += ','
    line += NEEDS_QUOTES.test(f) ? `"${f.replaceAll('"', '""')}"` : f
  }
  return line + '\n'
}
