/** Kysely table types: one interface per table, with Selectable/Insertable aliases. */
import type { ColumnType, Generated, Insertable, Selectable } from 'kysely'

export interface NodeIdentityTable {
  /** Always 1: the table holds one row. */
  id: ColumnType<number, 1, never>
  node_id: string
  created_at: ColumnType<Date, Date | string, never>
}

export interface Database {
  node_identity: NodeIdentityTable
  import_run: ImportRunTable
  victim: VictimTable
  offender: OffenderTable
  indicator_cell: IndicatorCellTable
  indicator_table: IndicatorTableTable
  agreement_version: AgreementVersionTable
  sent_cell: SentCellTable
  outgoing: OutgoingTable
  audit_log: AuditLogTable
}

export type NodeIdentity = Selectable<NodeIdentityTable>
export type NewNodeIdentity = Insertable<NodeIdentityTable>

export interface ImportRunTable {
  id: Generated<number>
  kind: 'victims' | 'offenders'
  action: 'import' | 'withdraw'
  file_name: string
  file_sha256: string
  rows: number
  inserted: number
  updated: number
  unchanged: number
  withdrawn: number
  started_at: ColumnType<Date, Date, never>
  finished_at: ColumnType<Date, Date, never>
}

export interface VictimTable {
  record_key: string
  row_digest: string
  registered_on: ColumnType<Date, string, string>
  year: number
  status: string
  sex: string
  age: number | null
  age_group: string
  citizenship: string
  citizen_grp: string
  country_of_exploitation: string
  exploit_primary: string
  exploitation: string[]
  identified_by: string
  assistance: string[]
  import_id: number
}

export interface OffenderTable {
  record_key: string
  row_digest: string
  sex: string
  age: number | null
  age_group: string
  citizenship: string
  citizen_grp: string
  offence: string
  exploit_primary: string
  exploitation: string[]
  suspected_on: ColumnType<Date | null, string | null, string | null>
  prosecuted_on: ColumnType<Date | null, string | null, string | null>
  convicted_on: ColumnType<Date | null, string | null, string | null>
  sentence: string | null
  import_id: number
}

export interface IndicatorCellTable {
  indicator: string
  year: number
  cell_key: string
  value: number
}

export interface IndicatorTableTable {
  indicator: string
  year: number
  cells: number
  import_id: number
  computed_at: ColumnType<Date, Date, Date>
}

export interface AgreementVersionTable {
  hash: string
  agreement: string
  version: number
  provider: string
  recipient: string
  body: unknown
  first_seen_at: ColumnType<Date, Date, never>
}

export interface SentCellTable {
  indicator: string
  year: number
  cell_key: string
  recipient: string
  release_id: string
  agreement_hash: string
  suppressed: boolean
  value: number | null
  sent_at: ColumnType<Date, Date, never>
}

export interface OutgoingTable {
  id: string
  recipient: string
  feed_seq: number
  type: 'release' | 'retraction'
  indicator: string
  year: number
  agreement_hash: string
  cells_digest: string | null
  supersedes: string | null
  issued_at: ColumnType<Date, Date, never>
  expires_at: ColumnType<Date, Date, Date>
  signed: ColumnType<unknown, string, string>
}

/** The hash-chained audit log (src/audit/log.ts). Entries are never updated. */
export interface AuditLogTable {
  /** Assigned by the appender (previous + 1), not by a sequence, so that gaps show. */
  seq: ColumnType<number, number, never>
  at: ColumnType<Date, Date, never>
  event: ColumnType<string, string, never>
  actor: ColumnType<string, string, never>
  detail: ColumnType<unknown, string, never>
  prev_hash: ColumnType<string, string, never>
  hash: ColumnType<string, string, never>
}
