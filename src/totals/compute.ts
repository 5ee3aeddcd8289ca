/**
 * Computing regional totals from each country's table: a pure function, so the node that
 * answers a query and anyone checking a provenance bundle offline get the same result from
 * the same releases.
 *
 * A table is sparse: a cell it does not list is zero. A dimension is broken down in a table
 * exactly when some cell carries a code other than `_T` in it (a non-empty table always has
 * one), and every such code is a code of the dimension's codelist: a table an agreement grants
 * only in groups of codes (src/policy/groups.ts) carries the agreement's group names there,
 * which do not add up with other countries' codes, so it is missing from a breakdown by that
 * dimension (and counted in totals over it). A suppressed cell is bounded, never read as zero: from below by 0, from above by each
 * published margin that contains it minus the published cells beside it. These bounds are
 * never tighter than what the publisher's own audit allowed, since they use only published
 * cells.
 */
import { isCodeOf } from '../protocol/area.js'
import { TOTAL_CODE } from '../protocol/codelists.js'
import { dimensionCodelist, findIndicator, TIME_DIMENSION } from '../protocol/indicators.js'
import type { CellPart, Contribution, MirrorRow, RegionalResult, TotalCell, TotalsQuery } from './types.js'

/** One cell of a country's table: its codes in every dimension of the indicator (no TIME_PERIOD). */
export interface TableCell {
  dims: Record<string, string>
  /** Absent when suppressed. */
  value?: number
}

/** One country's table for one year, as the node holds it. */
export interface CountryTable {
  country: string
  year: number
  source: 'own' | 'release'
  releaseId?: string
  issuedAt?: string
  appliedAt?: string
  expiresAt?: string
  cells: TableCell[]
}

export interface TotalsInput {
  node: string
  query: TotalsQuery
  computedAt: string
  /** Tables included (fresh) and countries missing, per year. */
  tables: CountryTable[]
  missing: Array<Pick<Contribution, 'country' | 'year' | 'reason'>>
}

const keyOf = (dims: readonly string[], codes: Record<string, string>): string => dims.map(d => codes[d]).join('|')

/** Whether `code` is a code of `dim`'s codelist, not a group name of an agreement. */
function standardCode (dim: string, code: string): boolean {
  const list = dimensionCodelist(dim)
  return list !== undefined && isCodeOf(list, code)
}

/** Index of a table: value (or undefined when suppressed) by full key. */
class Table {
  readonly cells = new Map<string, number | undefined>()
  /** Dimensions broken down in the codelist's codes (not in groups). */
  readonly brokenDown = new Set<string>()
  constructor (readonly dims: readonly string[], readonly source: CountryTable) {
    const grouped = new Set<string>()
    for (const c of source.cells) {
      this.cells.set(keyOf(dims, c.dims), c.value)
      for (const d of dims) {
        const code = c.dims[d]!
        if (code === TOTAL_CODE) continue
        this.brokenDown.add(d)
        if (!standardCode(d, code)) grouped.add(d)
      }
    }
    for (const d of grouped) this.brokenDown.delete(d)
  }

  /** The part of this table in the cell `codes` (every dimension given). */
  part (codes: Record<string, string>): CellPart {
    const key = keyOf(this.dims, codes)
    if (!this.cells.has(key)) return { country: this.source.country, value: 0, lower: 0, upper: 0 }
    const value = this.cells.get(key)
    if (value !== undefined) return { country: this.source.country, value, lower: value, upper: value }
    return { country: this.source.country, suppressed: true, lower: 0, upper: this.upperBound(codes) }
  }

  /** The smallest upper bound a published margin gives a suppressed cell, or null. */
  private upperBound (codes: Record<string, string>): number | null {
    let best: number | null = null
    for (const d of this.dims) {
      if (codes[d] === TOTAL_CODE) continue
      const margin = this.cells.get(keyOf(this.dims, { ...codes, [d]: TOTAL_CODE }))
      if (margin === undefined) continue
      let bound = margin
      for (const [key, v] of this.cells) {
        if (v === undefined) continue
        const other = key.split('|')
        if (this.dims.every((x, i) => x === d ? other[i] !== codes[d] && other[i] !== TOTAL_CODE : other[i] === codes[x])) bound -= v
      }
      bound = Math.max(0, bound)
      if (best === null || bound < best) best = bound
    }
    return best
  }
}

function sum (parts: CellPart[], key: Record<string, string>): TotalCell {
  const exact = parts.every(p => p.suppressed !== true)
  const lower = parts.reduce((s, p) => s + p.lower, 0)
  const upper = parts.some(p => p.upper === null) ? null : parts.reduce((s, p) => s + (p.upper ?? 0), 0)
  return {
    key,
    ...(exact ? { value: lower } : {}),
    lower,
    upper,
    obs_status: exact ? 'A' : 'E',
    conf_status: exact ? 'F' : 'C',
    parts,
  }
}

function mirror (tables: Table[], years: number[]): MirrorRow[] {
  const rows: MirrorRow[] = []
  for (const year of years) {
    const of = new Map(tables.filter(t => t.source.year === year).map(t => [t.source.country, t]))
    const pairs = new Set<string>()
    for (const t of of.values()) {
      for (const key of t.cells.keys()) {
        const [origin, destination] = key.split('|') as [string, string]
        if (origin !== TOTAL_CODE && destination !== TOTAL_CODE && origin !== destination && of.has(origin) && of.has(destination)) pairs.add(`${destination}|${origin}`)
      }
    }
    for (const pair of [...pairs].sort()) {
      const [destination, origin] = pair.split('|') as [string, string]
      const codes = { CITIZENSHIP: origin, COUNTRY_OF_EXPLOITATION: destination }
      const side = (t: Table): CellPart | null => t.brokenDown.has('CITIZENSHIP') && t.brokenDown.has('COUNTRY_OF_EXPLOITATION') ? t.part(codes) : null
      const byDestination = side(of.get(destination)!)
      const byOrigin = side(of.get(origin)!)
      const asymmetry = byDestination?.value !== undefined && byOrigin?.value !== undefined ? byDestination.value - byOrigin.value : null
      rows.push({ year, destination, origin, byDestination, byOrigin, asymmetry })
    }
  }
  return rows
}

/** The regional totals of `input`: deterministic for the same input. */
export function computeTotals (input: TotalsInput): RegionalResult {
  const { query } = input
  const indicator = findIndicator(query.indicator)!
  const dims = indicator.dimensions.map(d => d.id)
  const contributions: Contribution[] = input.missing.map(m => ({ country: m.country, year: m.year, status: 'missing' as const, reason: m.reason }))
  const included: Table[] = []
  for (const source of input.tables) {
    const table = new Table(dims, source)
    const missingBreakdown = query.by.filter(d => !table.brokenDown.has(d))
    if (missingBreakdown.length > 0 && source.cells.length > 0) {
      contributions.push({ country: source.country, year: source.year, status: 'missing', reason: 'breakdown_not_granted' })
      continue
    }
    included.push(table)
    contributions.push({
      country: source.country,
      year: source.year,
      status: 'included',
      source: source.source,
      ...(source.releaseId === undefined ? {} : { releaseId: source.releaseId }),
      ...(source.issuedAt === undefined ? {} : { issuedAt: source.issuedAt }),
      ...(source.appliedAt === undefined ? {} : { appliedAt: source.appliedAt }),
      ...(source.expiresAt === undefined ? {} : { expiresAt: source.expiresAt }),
      suppressedCells: source.cells.filter(c => c.value === undefined).length,
    })
  }
  contributions.sort((a, b) => a.year - b.year || a.country.localeCompare(b.country))

  // Output cells: every combination of codes the included tables carry in the `by`
  // dimensions (with `_T` margins), every other dimension at `_T`.
  const cells: TotalCell[] = []
  for (const year of query.years) {
    const tables = included.filter(t => t.source.year === year).sort((a, b) => a.source.country.localeCompare(b.source.country))
    if (tables.length === 0) continue
    const combos = new Map<string, Record<string, string>>()
    for (const t of tables) {
      for (const key of t.cells.keys()) {
        const codes = key.split('|')
        const full: Record<string, string> = {}
        dims.forEach((d, i) => { full[d] = query.by.includes(d) ? codes[i]! : TOTAL_CODE })
        if (dims.every((d, i) => query.by.includes(d) || codes[i] === TOTAL_CODE)) combos.set(keyOf(dims, full), full)
      }
    }
    const ordered = [...combos.entries()].sort(([a], [b]) => {
      // Totals last, as in the node's own tables.
      const ka = a.split('|').map(c => c === TOTAL_CODE ? '~' : c).join('|')
      const kb = b.split('|').map(c => c === TOTAL_CODE ? '~' : c).join('|')
      return ka < kb ? -1 : ka > kb ? 1 : 0
    })
    for (const [, full] of ordered) {
      const key: Record<string, string> = { [TIME_DIMENSION]: String(year) }
      for (const d of query.by) key[d] = full[d]!
      cells.push(sum(tables.map(t => t.part(full)), key))
    }
  }
  return {
    node: input.node,
    query: { indicator: query.indicator, years: query.years, by: query.by, asOf: query.asOf === undefined ? null : query.asOf.toISOString() },
    computedAt: input.computedAt,
    contributions,
    cells,
    mirror: indicator.id === 'V3' ? mirror(included, query.years) : [],
  }
}
