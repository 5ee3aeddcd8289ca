/**
 * The record formats a node imports (shared brief, indicators.md): victims.csv and
 * offenders.csv, column by column, with the codelist each coded column draws on.
 */
export type RecordKind = 'victims' | 'offenders'

export type ColumnType = 'id' | 'date' | 'age' | 'code' | 'codes'

export interface ColumnSpec {
  name: string
  type: ColumnType
  /** Codelist id for code columns ('AREA' for countries). */
  codelist?: string
  /** Whether an empty field is an error (the codelist has no "unknown" code, or it is the key). */
  required: boolean
  /** Code an empty field means, where the codelist has one. */
  unknown?: string
}

export const VICTIM_COLUMNS: readonly ColumnSpec[] = [
  { name: 'record_id', type: 'id', required: true },
  { name: 'registered_on', type: 'date', required: true },
  { name: 'status', type: 'code', codelist: 'VICT_STATUS', required: true },
  { name: 'sex', type: 'code', codelist: 'SEX', required: false, unknown: 'U' },
  { name: 'age', type: 'age', required: false },
  { name: 'citizenship', type: 'code', codelist: 'AREA', required: false, unknown: 'UNK' },
  { name: 'country_of_exploitation', type: 'code', codelist: 'AREA', required: false, unknown: 'UNK' },
  { name: 'exploitation', type: 'codes', codelist: 'EXPLOIT', required: false, unknown: 'UNK' },
  { name: 'identified_by', type: 'code', codelist: 'IDENT_AGENCY', required: false, unknown: 'UNK' },
  { name: 'assistance', type: 'codes', codelist: 'ASSIST', required: false, unknown: 'UNK' },
]

export const OFFENDER_COLUMNS: readonly ColumnSpec[] = [
  { name: 'record_id', type: 'id', required: true },
  { name: 'sex', type: 'code', codelist: 'SEX', required: false, unknown: 'U' },
  { name: 'age', type: 'age', required: false },
  { name: 'citizenship', type: 'code', codelist: 'AREA', required: false, unknown: 'UNK' },
  { name: 'offence', type: 'code', codelist: 'OFFENCE', required: true },
  { name: 'exploitation', type: 'codes', codelist: 'EXPLOIT', required: false, unknown: 'UNK' },
  { name: 'suspected_on', type: 'date', required: false },
  { name: 'prosecuted_on', type: 'date', required: false },
  { name: 'convicted_on', type: 'date', required: false },
  { name: 'sentence', type: 'code', codelist: 'SENTENCE', required: false },
]

export function columnsOf (kind: RecordKind): readonly ColumnSpec[] {
  return kind === 'victims' ? VICTIM_COLUMNS : OFFENDER_COLUMNS
}

/** Columns whose national codes a crosswalk may map. */
export function mappableColumns (kind: RecordKind): string[] {
  return columnsOf(kind).filter(c => c.codelist !== undefined).map(c => c.name)
}
