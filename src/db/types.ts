/** Kysely table types: one interface per table, with Selectable/Insertable aliases. */
import type { ColumnType, Generated, Insertable, Selectable } from 'kysely'

export interface NodeIdentityTable {
  /** Always 1: the table holds one row. */
  id: ColumnType<number, 1, never>
  node_id: string
  created_at: ColumnType<Date, Date | string, never>
  /** Fingerprint of the record-key secret the stored records are keyed with (null: not bound yet). */
  record_key_fingerprint: ColumnType<string | null, string | null | undefined, string | null>
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
  released_population: ReleasedPopulationTable
  population_version: PopulationVersionTable
  outgoing: OutgoingTable
  audit_log: AuditLogTable
  peer: PeerTable
  peer_token: PeerTokenTable
  incoming: IncomingTable
  received_cell: ReceivedCellTable
  received_slice: ReceivedSliceTable
  sync_state: SyncStateTable
  evidence: EvidenceTable
  app_user: AppUserTable
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

export interface ReleasedPopulationTable {
  population: string
  year: number
  /** Canonical JSON of the profiles: [[profile key, number of persons], ...] sorted by key. */
  profiles: string
  digest: string
  released_at: ColumnType<Date, Date, never>
}

/** A revision of a released population-year that went out (version >= 1; version 0 is released_population). */
export interface PopulationVersionTable {
  population: string
  year: number
  version: number
  /** As {@link ReleasedPopulationTable.profiles}. */
  profiles: string
  digest: string
  /** Persons added and withdrawn since the version before, by profile. */
  added: number
  withdrawn: number
  released_at: ColumnType<Date, Date, never>
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
  /** The version of its population-year the cell was cut from (0: the first release). */
  population_version: ColumnType<number, number | undefined, never>
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

export interface PeerTable {
  id: string
  url: string
  name: string
  kind: 'country' | 'liaison'
  jwks: ColumnType<unknown, string, string>
  pinned_kid: string
  descriptor_id: string
  added_at: ColumnType<Date, Date, never>
  /** JSON array of the optional protocol members the peer's descriptor accepts. */
  accepts: ColumnType<string, string | undefined, string>
}

export interface PeerTokenTable {
  jti: string
  peer: string
  expires_at: ColumnType<Date, Date, never>
}

export interface IncomingTable {
  id: string
  publisher: string
  feed_seq: number
  type: 'release' | 'retraction'
  indicator: string
  agreement_hash: string
  issued_at: ColumnType<Date, Date, never>
  expires_at: ColumnType<Date, Date, never>
  received_at: ColumnType<Date, Date, never>
  signed: ColumnType<unknown, string, never>
}

export interface ReceivedCellTable {
  release_id: string
  year: number
  cell_key: string
  dims: ColumnType<Record<string, string>, string, never>
  value: number | null
  obs_status: 'A' | 'Q' | 'M'
  conf_status: 'F' | 'C'
}

export interface ReceivedSliceTable {
  publisher: string
  indicator: string
  year: number
  object_id: string
  cells_of: string | null
  cells_digest: string | null
  agreement_hash: string
  expires_at: ColumnType<Date, Date, never>
  applied_at: ColumnType<Date, Date, never>
  replaced_at: ColumnType<Date | null, Date | null, Date>
  /** The `version` member of the release in force (object_id); null when it has none. */
  population_version: ColumnType<number | null, number | null | undefined, never>
}

export interface SyncStateTable {
  peer: string
  last_seq: Generated<number>
  last_id: string | null
  head_seq: Generated<number>
  feed_expires_at: Date | null
  last_attempt_at: Date | null
  last_success_at: Date | null
  failures: Generated<number>
  last_error_code: string | null
  last_error: string | null
  next_attempt_at: Date | null
}

export interface EvidenceTable {
  id: Generated<number>
  peer: string
  /** A fork, a rollback, a gap; an object refused (src/exchange/sync.ts), or refused and skipped by an operator (src/exchange/skip.ts). */
  kind: 'equivocation' | 'rollback' | 'gap' | 'refused' | 'skipped'
  feed_seq: number | null
  detail: string
  objects: ColumnType<unknown, string, never>
  recorded_at: ColumnType<Date, Date, never>
  acknowledged_at: Date | null
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

/** The node's human users (src/users/users.ts). */
export interface AppUserTable {
  name: string
  role: 'operator' | 'legal' | 'liaison' | 'auditor'
  /** scrypt$N$r$p$salt$hash, salt and hash in base64url. */
  password_hash: string
  created_at: ColumnType<Date, Date, never>
  disabled_at: Date | null
  /** When the user was last disabled: tokens issued before stay refused (users.ts userVersion). */
  tokens_after: ColumnType<Date | null, Date | null | undefined, Date | null>
}
