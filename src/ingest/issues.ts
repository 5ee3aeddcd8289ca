/** Problems found in an import file: every one is reported with where and why. */
export type IssueCode =
  | 'BAD_ENCODING'
  | 'CSV_SYNTAX'
  | 'BAD_HEADER'
  | 'COLUMN_COUNT'
  | 'MISSING_VALUE'
  | 'UNKNOWN_CODE'
  | 'UNMAPPED_CODE'
  | 'DUPLICATE_CODE'
  | 'CONFLICTING_CODES'
  | 'BAD_DATE'
  | 'DATE_IN_FUTURE'
  | 'DATES_BACKWARDS'
  | 'BAD_AGE'
  | 'AGE_OUT_OF_RANGE'
  | 'BAD_RECORD_ID'
  | 'FIELD_TOO_LONG'
  | 'DUPLICATE_RECORD_ID'
  | 'SENTENCE_WITHOUT_CONVICTION'
  | 'UNKNOWN_RECORD'
  | 'EMPTY_FILE'

export interface ImportIssue {
  file: string
  /** 1-based line of the file (the header is line 1). */
  line: number
  /** Column name, when the issue concerns one field. */
  column?: string
  /** The offending value as found in the file (its first 100 characters, then its length). */
  value?: string
  code: IssueCode
  message: string
}

/** `file:line: column "value": message` for people. */
export function formatIssue (i: ImportIssue): string {
  const where = i.column === undefined ? '' : ` ${i.column}${i.value === undefined ? '' : ` ${JSON.stringify(i.value)}`}`
  return `${i.file}:${i.line}:${where} ${i.message} [${i.code}]`
}

/** Lines kept per group of problems (the count covers them all). */
export const MAX_GROUP_LINES = 10_000
/** Groups kept in a report (the counts by code cover the rest). */
export const MAX_GROUPS = 1000

/**
 * Problems that share their code, column, value and reason, as thousands of rows of one
 * export often do: how many, and on which lines (the first MAX_GROUP_LINES).
 */
export interface IssueGroup {
  file: string
  code: IssueCode
  column?: string
  value?: string
  message: string
  count: number
  lines: number[]
}

/** Adds an issue to its group (a new one while fewer than MAX_GROUPS exist). */
export function groupIssue (groups: IssueGroup[], index: Map<string, IssueGroup>, i: ImportIssue): void {
  const key = JSON.stringify([i.file, i.code, i.column, i.value, i.message])
  let g = index.get(key)
  if (g === undefined) {
    if (groups.length >= MAX_GROUPS) return
    g = { file: i.file, code: i.code, ...(i.column === undefined ? {} : { column: i.column }), ...(i.value === undefined ? {} : { value: i.value }), message: i.message, count: 0, lines: [] }
    groups.push(g)
    index.set(key, g)
  }
  g.count++
  if (g.lines.length < MAX_GROUP_LINES) g.lines.push(i.line)
}

/** Lines shown for a group in text. */
export const SHOWN_LINES = 5

/**
 * A group for people: a single problem as formatIssue writes it; several as
 * `file, N lines (2, 3, 4, 5, 6, ...): column "value" message [CODE]`.
 */
export function formatGroup (g: IssueGroup): string {
  if (g.count === 1) return formatIssue({ ...g, line: g.lines[0] ?? 0 })
  const where = g.column === undefined ? '' : ` ${g.column}${g.value === undefined ? '' : ` ${JSON.stringify(g.value)}`}`
  const shown = g.lines.slice(0, SHOWN_LINES).join(', ')
  return `${g.file}, ${g.count} lines (${shown}${g.count > SHOWN_LINES ? ', ...' : ''}):${where} ${g.message} [${g.code}]`
}
