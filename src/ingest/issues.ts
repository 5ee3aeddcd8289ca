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
