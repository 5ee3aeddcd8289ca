/**
 * Exactly what a peer would receive now under the agreements in force: the protected tables,
 * cut and protected as publishing would (every peer's grants of the same population-years
 * protected together), without signing or recording anything. `dcimx policy preview` and
 * GET /v1/policy/preview show it.
 */
import type { Kysely } from 'kysely'
import type { Database } from '../db/types.js'
import { activeGrants } from '../policy/grants.js'
import type { LoadedAgreement } from '../policy/load.js'
import { populationOf } from './populations.js'
import { protectGrants, type HeldRevision, type PeerTable, type RevisionOut, type ProtectionSummary } from './protect-grants.js'

export interface PreviewQuery {
  peer: string
  indicator?: string
  year?: number
}

export interface PeerPreview {
  /** Whether an agreement in force grants the peer anything asked for. */
  granted: boolean
  tables: PeerTable[]
  /** Indicator-years that cannot be protected: sent to nobody. */
  refused: ProtectionSummary[]
  /** Released population-years whose records changed since: what would be sent is their release. */
  held: HeldRevision[]
  /** Revisions of released population-years that would go out. */
  revisions: RevisionOut[]
}

export async function previewForPeer (deps: { db: Kysely<Database>, node: string, agreements: LoadedAgreement[], nowMs: number, yearClosesOn?: string }, query: PreviewQuery): Promise<PeerPreview> {
  const all = activeGrants(deps.agreements, deps.node, deps.nowMs, deps.yearClosesOn)
  const wanted = all.filter(g => g.recipient === query.peer && (query.indicator === undefined || g.indicator === query.indicator))
  if (wanted.length === 0) return { granted: false, tables: [], refused: [], held: [], revisions: [] }
  const { year } = query
  // Protection covers every peer's grants of the linked tables: one pattern for all.
  const slices = new Set(wanted.flatMap(g => g.years.filter(y => year === undefined || y === year).map(y => `${populationOf(g.indicator)}|${y}`)))
  const relevant = all.map(g => ({ ...g, years: g.years.filter(y => slices.has(`${populationOf(g.indicator)}|${y}`)) })).filter(g => g.years.length > 0)
  const { tables, summary, held, revisions } = await protectGrants(deps.db, relevant)
  return {
    granted: true,
    tables: tables.filter(t => t.recipient === query.peer && (query.indicator === undefined || t.indicator === query.indicator) && (year === undefined || t.year === year)),
    refused: summary.filter(s => !s.ok),
    held,
    revisions,
  }
}
