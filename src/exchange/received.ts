/**
 * Reading the reconciled copy of what peers sent: the current table of a slice, or the one
 * this node held at any earlier instant (vintages).
 */
import { sql, type Kysely } from 'kysely'
import type { Database } from '../db/types.js'

export interface ReceivedCell {
  dims: Record<string, string>
  value: number | null
  obs_status: 'A' | 'Q' | 'M'
  conf_status: 'F' | 'C'
  /** The release whose cells these are. */
  release_id: string
  /** The object that put this version in place (a later release re-signing the same cells, say). */
  object_id: string
  expires_at: Date
}

export interface SliceQuery {
  publisher: string
  indicator: string
  year: number
  /** The state as this node held it at this instant (default: now, the current version). */
  asOf?: Date
}

/** The cells of one slice, in key order; empty when nothing is held (or it was retracted). */
export async function receivedCells (db: Kysely<Database>, q: SliceQuery): Promise<ReceivedCell[]> {
  const when = q.asOf === undefined
    ? sql`s.replaced_at is null`
    : sql`s.applied_at <= ${q.asOf} and (s.replaced_at is null or s.replaced_at > ${q.asOf})`
  const rows = await sql<ReceivedCell & { dims: Record<string, string> | string }>`
    select c.dims, c.value, c.obs_status, c.conf_status, c.release_id, s.object_id, s.expires_at
    from received_slice s join received_cell c on c.release_id = s.cells_of and c.year = s.year
    where s.publisher = ${q.publisher} and s.indicator = ${q.indicator} and s.year = ${q.year} and ${when}
    order by c.cell_key`.execute(db)
  return rows.rows.map(r => ({ ...r, dims: typeof r.dims === 'string' ? JSON.parse(r.dims) as Record<string, string> : r.dims, expires_at: new Date(r.expires_at) }))
}
