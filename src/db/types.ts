/** Kysely table types: one interface per table, with Selectable/Insertable aliases. */
import type { ColumnType, Insertable, Selectable } from 'kysely'

export interface NodeIdentityTable {
  /** Always 1: the table holds one row. */
  id: ColumnType<number, 1, never>
  node_id: string
  created_at: ColumnType<Date, Date | string, never>
}

export interface Database {
  node_identity: NodeIdentityTable
}

export type NodeIdentity = Selectable<NodeIdentityTable>
export type NewNodeIdentity = Insertable<NodeIdentityTable>
