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
  /** Code an empty field means: the codelist's unknown code, or the documented default. */
  unknown?: string
  /**
   * Whether `unknown` is a documented default rather than an unknown code (the codelist has
   * none): an import counts the rows it was applied to.
   */
  isDefault?: boolean
}

/**
 * Defaults for coded columns whose codelist has no unknown code (the protocol's codelists are
 * left as they are). VICT_STATUS: a person the register does not record as formally identified
 * is counted as presumed (PRES), as formal identification is an act that is recorded.
 * OFFENCE: trafficking in persons whose purpose is not recorded is ICCS0204, the code that the
 * purpose-specific codes (ICCS02041-02044) refine.
 */
export const DEFAULT_STATUS = 'PRES'
export const DEFAULT_OFFENCE = 'ICCS0204'

export const VICTIM_COLUMNS: readonly ColumnSpec[] = [
  { name: 'record_id', type: 'id', required: true },
  { name: 'registered_on', type: 'date', required: true },
  { name: 'status', type: 'code', codelist: 'VICT_STATUS', required: false, unknown: DEFAULT_STATUS, isDefault: true },
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
  { name: 'offence', type: 'code', codelist: 'OFFENCE', required: false, unknown: DEFAULT_OFFENCE, isDefault: true },
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
