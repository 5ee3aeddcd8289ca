/**
 * What each peer receives: the grants of the agreements in force, cut from the node's own
 * tables and protected together, one pattern over the union of everything granted to every
 * peer (a cell has one status for all of them). Suppressed cells carry no value and the same
 * flags whatever the reason (CONF_STATUS C, OBS_STATUS Q).
 */
import type { Kysely } from 'kysely'
import type { Database } from '../db/types.js'
import type { ActiveGrant } from '../policy/grants.js'
import { codeMatches, groupNamesByDimension } from '../policy/groups.js'
import { TOTAL_CODE } from '../protocol/codelists.js'
import { findIndicator, TIME_DIMENSION } from '../protocol/indicators.js'
import { protect, type ProtectionProblem, type ProtectionResult } from './disclosure/index.js'
import { ledgerState } from '../policy/ledger.js'

export interface OutgoingCell {
  key: Record<string, string>
  value?: number
  obs_status: 'A' | 'Q'
  conf_status: 'F' | 'C'
}

export interface PeerTable {
  recipient: string
  agreement: string
  hash: string
  indicator: string
  year: number
  by: string[]
  cells: OutgoingCell[]
  /** Each cell's key in the ledger, in the order of `cells`: group names as canonical codes. */
  ledgerKeys: string[]
}

export interface ProtectionSummary {
  indicator: string
  year: number
  threshold: number
  published: number
  suppressed: number
  ok: boolean
  unsafe: string[]
}

/** Every subset of `dims`, the empty one first. */
function subsets (dims: string[]): string[][] {
  const out: string[][] = [[]]
  for (const d of dims) for (const s of [...out]) out.push([...s, d])
  return out
}

/** One indicator-year cut from the node's tables for every grant that covers it. */
export interface GrantCut {
  indicator: string
  year: number
  /** The indicator's dimensions, in cell-key order. */
  dims: string[]
  grants: ActiveGrant[]
  /** The highest threshold any grant of this table demands: one pattern for all. */
  threshold: number
  /** Every published key (all peers) with its inner members and its true value. */
  published: Map<string, { members: string[], value: number }>
  /** The keys each grant receives. */
  keysByGrant: Map<ActiveGrant, string[]>
  /** The protection problem for the engine, or undefined when there is nothing to protect. */
  problem: ProtectionProblem | undefined
}

/**
 * Cuts the tables the grants allow, indicator-year by indicator-year: within a table a grant
 * gets every grouping of its dimensions (coarser breakdowns and margins included), over the
 * codes present that year (for a dimension the grant gives in groups of codes, the groups with
 * a code present, under their canonical codes: the same set of codes is one cell for all); combinations with no records are true zeros. A year with no
 * records yields no cells. The problem carries the ledger: what was sent before.
 */
export async function cutGrants (db: Kysely<Database>, grants: ActiveGrant[]): Promise<GrantCut[]> {
  const cuts: GrantCut[] = []
  const slices = new Map<string, ActiveGrant[]>()
  for (const g of grants) {
    for (const y of g.years) {
      const k = `${g.indicator}|${y}`
      slices.set(k, [...(slices.get(k) ?? []), g])
    }
  }
  for (const [slice, sliceGrants] of [...slices].sort(([a], [b]) => a.localeCompare(b))) {
    const [indicator, yearText] = slice.split('|') as [string, string]
    const year = Number(yearText)
    const dims = findIndicator(indicator)!.dimensions.map(d => d.id)
    const rows = await db.selectFrom('indicator_cell').select(['cell_key', 'value']).where('indicator', '=', indicator).where('year', '=', year).execute()
    const inner = rows.filter(r => !r.cell_key.split('|').includes(TOTAL_CODE)).map(r => ({ key: r.cell_key, value: r.value, codes: r.cell_key.split('|') }))
    // A code of a published key is `_T`, a code, or a group's canonical code (src/policy/groups.ts).
    const membersOf = (codes: string[]): typeof inner => inner.filter(c => codes.every((code, i) => codeMatches(code, c.codes[i]!)))
    const published = new Map<string, { members: string[], value: number }>()
    const keysByGrant = new Map<ActiveGrant, string[]>()
    for (const g of sliceGrants) {
      const keys: string[] = []
      keysByGrant.set(g, keys)
      // No records that year: nothing is known, so nothing is sent (not a table of zeros).
      if (inner.length === 0) continue
      const groups = groupNamesByDimension(indicator, g.groups)
      for (const sub of subsets(g.by)) {
        // A dimension in detail: the codes present; in groups: the groups with a code present.
        const codeSets = sub.map(d => {
          const i = dims.indexOf(d)
          const present = [...new Set(inner.map(c => c.codes[i]!))].sort()
          const grouped = groups[i]
          return grouped === undefined ? present : [...grouped.keys()].filter(code => present.some(p => codeMatches(code, p))).sort()
        })
        let combos: string[][] = [[]]
        for (const set of codeSets) combos = combos.flatMap(c => set.map(code => [...c, code]))
        for (const combo of combos) {
          const codes = dims.map(d => (sub.includes(d) ? combo[sub.indexOf(d)]! : TOTAL_CODE))
          const key = codes.join('|')
          keys.push(key)
          if (published.has(key)) continue
          const members = membersOf(codes)
          published.set(key, { members: members.map(m => m.key), value: members.reduce((sum, m) => sum + m.value, 0) })
        }
      }
    }
    const threshold = Math.max(...sliceGrants.map(g => g.threshold))
    // A key with no members is a structural zero of the codes present: publishable as 0.
    const withMembers = [...published].filter(([, p]) => p.members.length > 0)
    let problem: ProtectionProblem | undefined
    if (withMembers.length > 0) {
      // Sticky: what was suppressed before stays suppressed, and what was sent before
      // constrains the attacker, whoever received it.
      const ledger = await ledgerState(db, indicator, year)
      problem = {
        inner: inner.map(c => ({ key: c.key, value: c.value })),
        published: withMembers.map(([key, p]) => ({ key, members: p.members })),
        threshold,
        alreadySuppressed: ledger.suppressed.filter(k => (published.get(k)?.members.length ?? 0) > 0),
        alreadyPublished: ledger.published.map(p => ({ ...p, members: membersOf(p.key.split('|')).map(m => m.key) })).filter(p => p.members.length > 0),
      }
    }
    cuts.push({ indicator, year, dims, grants: sliceGrants, threshold, published, keysByGrant, problem })
  }
  return cuts
}

/** The tables each grant of `cut` receives, with the keys in `suppressed` hidden. */
export function tablesOf (cut: GrantCut, suppressed: ReadonlySet<string>): PeerTable[] {
  return cut.grants.map(g => {
    const groups = groupNamesByDimension(cut.indicator, g.groups)
    const ledgerKeys = [...new Set(cut.keysByGrant.get(g))].sort()
    const cells = ledgerKeys.map(key => {
      const codes = key.split('|')
      const k: Record<string, string> = { [TIME_DIMENSION]: String(cut.year) }
      // The peer receives a group's name, as its agreement writes it.
      cut.dims.forEach((d, i) => { k[d] = groups[i]?.get(codes[i]!) ?? codes[i]! })
      return suppressed.has(key)
        ? { key: k, obs_status: 'Q' as const, conf_status: 'C' as const }
        : { key: k, value: cut.published.get(key)!.value, obs_status: 'A' as const, conf_status: 'F' as const }
    })
    return { recipient: g.recipient, agreement: g.agreement, hash: g.hash, indicator: cut.indicator, year: cut.year, by: g.by, cells, ledgerKeys }
  })
}

/**
 * Cuts and protects the tables the grants allow: one pattern per indicator-year over the
 * union of every peer's grants (see {@link cutGrants}). A table that cannot be made safe is
 * listed in the summary with the reason and produced for nobody.
 */
export async function protectGrants (db: Kysely<Database>, grants: ActiveGrant[]): Promise<{ tables: PeerTable[], summary: ProtectionSummary[] }> {
  const tables: PeerTable[] = []
  const summary: ProtectionSummary[] = []
  for (const cut of await cutGrants(db, grants)) {
    const result: ProtectionResult | undefined = cut.problem === undefined ? undefined : await protect(cut.problem)
    const suppressed = new Set(result?.suppressed ?? [])
    const ok = result?.ok ?? true
    summary.push({ indicator: cut.indicator, year: cut.year, threshold: cut.threshold, published: cut.published.size, suppressed: suppressed.size, ok, unsafe: (result?.unsafe ?? []).map(u => `${u.key}: ${u.reason}`) })
    // A table that cannot be made safe is refused for every peer, never sent half-protected.
    if (ok) tables.push(...tablesOf(cut, suppressed))
  }
  return { tables, summary }
}
