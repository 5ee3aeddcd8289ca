/**
 * Computing regional totals from each country's table: a pure function of the tables held (and
 * the groups their grants give), so the node that answers a query and anyone checking a
 * provenance bundle offline get the same result from the same releases.
 *
 * A table is sparse: a cell it does not list is zero. A dimension is broken down in a table
 * exactly when some cell carries a code other than `_T` in it (a non-empty table always has
 * one), and every such code is a code of the dimension's codelist: a table an agreement grants
 * only in groups of codes (src/policy/groups.ts) carries the agreement's group names there,
 * which do not add up with other countries' codes, so it is missing from a breakdown by that
 * dimension (and counted in totals over it).
 *
 * A suppressed cell is bounded, never read as zero: by the exact interval of its value given
 * everything the node holds from that country for that year, linked indicators included
 * (src/totals/linked.ts: the lowest and highest value over every count of persons that gives
 * every cell held, with cells not listed 0 and suppressed cells at least 1). Only tables whose
 * releases name the same version of the population-year are linked (a revision pulled part-way
 * holds two versions; the contribution then says so). Where no exact
 * interval can be computed (the program would be too large, or the tables held contradict the
 * publication rules), the bound is the older, looser one: from below by 0, from above by each
 * published margin that contains it minus the published cells beside it; the contribution then
 * says so (`intervals: 'wider'`, with the reason). No bound is tighter than what the
 * publisher's own audit allowed: the publisher's attacker knows at least as much.
 */
import type { Agreement } from '../policy/agreement.js'
import type { GroupsSpec } from '../policy/groups.js'
import { isCodeOf } from '../protocol/area.js'
import { TOTAL_CODE } from '../protocol/codelists.js'
import { dimensionCodelist, findIndicator, TIME_DIMENSION } from '../protocol/indicators.js'
import { populationOf } from '../stats/populations.js'
import { linkedIntervals, type HeldTable, type Interval } from './linked.js'
import type { CellPart, Contribution, MirrorRow, RegionalResult, TotalCell, TotalsQuery } from './types.js'

/** One cell of a country's table: its codes in every dimension of the indicator (no TIME_PERIOD). */
export interface TableCell {
  dims: Record<string, string>
  /** Absent when suppressed (or, with `noData`, not available). */
  value?: number
  /** A cell without a value that is not suppressed (OBS_STATUS M): it may be 0. */
  noData?: true
}

/**
 * Another table held from the same country for the same year, of an indicator that counts the
 * same persons (V1-V5; C3 and C4): its cells bound the suppressed cells of the table queried.
 */
export interface LinkedTable {
  indicator: string
  releaseId?: string
  /** The version of the population-year its release names (absent: none named). */
  version?: number
  /** The dimensions its grant gives only in groups of codes (absent: none, or not known). */
  groups?: GroupsSpec
  cells: TableCell[]
}

/** One country's table for one year, as the node holds it. */
export interface CountryTable {
  country: string
  year: number
  source: 'own' | 'release'
  releaseId?: string
  /**
   * The version of the population-year its release names (absent: none named): only tables of
   * the same version (or all without one) are linked to it.
   */
  version?: number
  issuedAt?: string
  appliedAt?: string
  expiresAt?: string
  cells: TableCell[]
  /** The dimensions its grant gives only in groups of codes, as the agreement the release was sent under says (absent: none, or not known). */
  groups?: GroupsSpec
  /** The other tables of the same population and year held from this country (see {@link LinkedTable}). */
  linked?: LinkedTable[]
}

export interface TotalsInput {
  node: string
  query: TotalsQuery
  computedAt: string
  /** Tables included (fresh) and countries missing, per year. */
  tables: CountryTable[]
  missing: Array<Pick<Contribution, 'country' | 'year' | 'reason'>>
  /** The agreements (by canonical hash) whose groups tables carry: what a bundle needs to recompute them. */
  agreements?: Record<string, Agreement>
}

const keyOf = (dims: readonly string[], codes: Record<string, string>): string => dims.map(d => codes[d]).join('|')

/** Whether `code` is a code of `dim`'s codelist, not a group name of an agreement. */
function standardCode (dim: string, code: string): boolean {
  const list = dimensionCodelist(dim)
  return list !== undefined && isCodeOf(list, code)
}

const versionName = (version: number | undefined): string => version === undefined ? 'no version named' : `version ${version}`

/** Index of a table: value (or undefined when suppressed) by full key, and the intervals of its suppressed cells. */
class Table {
  readonly cells = new Map<string, number | undefined>()
  /** Dimensions broken down in the codelist's codes (not in groups). */
  readonly brokenDown = new Set<string>()
  /** Suppressed cells whose interval is shown, by key. */
  private readonly wanted = new Map<string, Record<string, string>>()
  private readonly intervals = new Map<string, Interval>()
  /** Why the intervals shown are wider than the exact ones; undefined when exact. */
  wider: string | undefined
  constructor (readonly indicator: string, readonly dims: readonly string[], readonly source: CountryTable) {
    const grouped = new Set<string>(Object.keys(source.groups ?? {}))
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

  /** Whether any suppressed cell of this table is shown. */
  get showsSuppressed (): boolean {
    return this.wanted.size > 0
  }

  /** Notes that the part in cell `codes` will be shown (call before {@link resolve}). */
  want (codes: Record<string, string>): void {
    const key = keyOf(this.dims, codes)
    if (this.cells.has(key) && this.cells.get(key) === undefined) this.wanted.set(key, codes)
  }

  /** Computes the exact intervals of the suppressed cells shown, from this table and the tables linked to it. */
  async resolve (): Promise<void> {
    if (this.wanted.size === 0) return
    const population = populationOf(this.indicator)
    const held: HeldTable[] = [{ indicator: this.indicator, ...(this.source.groups === undefined ? {} : { groups: this.source.groups }), cells: this.source.cells }]
    // Tables cut from another version of the population-year (a revision part-way received)
    // count other persons: they are not linked.
    const otherVersion: string[] = []
    for (const l of [...(this.source.linked ?? [])].sort((a, b) => a.indicator.localeCompare(b.indicator))) {
      // Only other indicators of the same population, one table each.
      if (findIndicator(l.indicator) === undefined || populationOf(l.indicator) !== population || held.some(h => h.indicator === l.indicator)) continue
      if (l.version !== this.source.version) {
        otherVersion.push(`${l.indicator} (${versionName(l.version)})`)
        continue
      }
      held.push({ indicator: l.indicator, ...(l.groups === undefined ? {} : { groups: l.groups }), cells: l.cells })
    }
    const keys = [...this.wanted.keys()].sort()
    const r = await linkedIntervals(held, keys.map(k => ({ table: 0, dims: this.wanted.get(k)! })))
    const notes = [
      ...(otherVersion.length === 0 ? [] : [`not linked: ${otherVersion.join(', ')} held at another version of the year than ${this.indicator} (${versionName(this.source.version)})`]),
      ...(r.note === undefined ? [] : [r.note]),
    ]
    if (r.intervals === null) {
      this.wider = `${notes.join('; ') || 'no exact interval'}: suppressed figures bounded by published margins only`
      return
    }
    keys.forEach((k, i) => this.intervals.set(k, r.intervals![i]!))
    this.wider = notes.length === 0 ? undefined : notes.join('; ')
  }

  /** The part of this table in the cell `codes` (every dimension given). */
  part (codes: Record<string, string>): CellPart {
    const key = keyOf(this.dims, codes)
    if (!this.cells.has(key)) return { country: this.source.country, value: 0, lower: 0, upper: 0 }
    const value = this.cells.get(key)
    if (value !== undefined) return { country: this.source.country, value, lower: value, upper: value }
    const exact = this.intervals.get(key)
    if (exact !== undefined) return { country: this.source.country, suppressed: true, lower: exact.lower, upper: exact.upper }
    return { country: this.source.country, suppressed: true, lower: 0, upper: this.upperBound(codes) }
  }

  /** The fallback bound: the smallest upper bound a published margin gives a suppressed cell, or null. */
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

interface MirrorPair {
  year: number
  destination: string
  origin: string
  byDestination: Table | null
  byOrigin: Table | null
}

/** The pairs of countries both held that report a flow between them (V3), with each side's table when it is broken down by both. */
function mirrorPairs (tables: Table[], years: number[]): MirrorPair[] {
  const out: MirrorPair[] = []
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
      const side = (t: Table): Table | null => t.brokenDown.has('CITIZENSHIP') && t.brokenDown.has('COUNTRY_OF_EXPLOITATION') ? t : null
      out.push({ year, destination, origin, byDestination: side(of.get(destination)!), byOrigin: side(of.get(origin)!) })
    }
  }
  return out
}

const mirrorCodes = (m: MirrorPair): Record<string, string> => ({ CITIZENSHIP: m.origin, COUNTRY_OF_EXPLOITATION: m.destination })

function mirror (pairs: MirrorPair[]): MirrorRow[] {
  return pairs.map(m => {
    const byDestination = m.byDestination?.part(mirrorCodes(m)) ?? null
    const byOrigin = m.byOrigin?.part(mirrorCodes(m)) ?? null
    const asymmetry = byDestination?.value !== undefined && byOrigin?.value !== undefined ? byDestination.value - byOrigin.value : null
    return { year: m.year, destination: m.destination, origin: m.origin, byDestination, byOrigin, asymmetry }
  })
}

/** The regional totals of `input`: deterministic for the same input. */
export async function computeTotals (input: TotalsInput): Promise<RegionalResult> {
  const { query } = input
  const indicator = findIndicator(query.indicator)!
  const dims = indicator.dimensions.map(d => d.id)
  const contributions: Contribution[] = input.missing.map(m => ({ country: m.country, year: m.year, status: 'missing' as const, reason: m.reason }))
  const included: Array<{ table: Table, contribution: Contribution }> = []
  for (const source of input.tables) {
    const table = new Table(indicator.id, dims, source)
    const missingBreakdown = query.by.filter(d => !table.brokenDown.has(d))
    if (missingBreakdown.length > 0 && source.cells.length > 0) {
      contributions.push({ country: source.country, year: source.year, status: 'missing', reason: 'breakdown_not_granted' })
      continue
    }
    const contribution: Contribution = {
      country: source.country,
      year: source.year,
      status: 'included',
      source: source.source,
      ...(source.releaseId === undefined ? {} : { releaseId: source.releaseId }),
      ...(source.version === undefined ? {} : { version: source.version }),
      ...(source.issuedAt === undefined ? {} : { issuedAt: source.issuedAt }),
      ...(source.appliedAt === undefined ? {} : { appliedAt: source.appliedAt }),
      ...(source.expiresAt === undefined ? {} : { expiresAt: source.expiresAt }),
      suppressedCells: source.cells.filter(c => c.value === undefined).length,
    }
    included.push({ table, contribution })
    contributions.push(contribution)
  }
  contributions.sort((a, b) => a.year - b.year || a.country.localeCompare(b.country))

  // Output cells: every combination of codes the included tables carry in the `by`
  // dimensions (with `_T` margins), every other dimension at `_T`.
  const planned: Array<{ key: Record<string, string>, full: Record<string, string>, tables: Table[] }> = []
  for (const year of query.years) {
    const tables = included.map(i => i.table).filter(t => t.source.year === year).sort((a, b) => a.source.country.localeCompare(b.source.country))
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
      planned.push({ key, full, tables })
      for (const t of tables) t.want(full)
    }
  }
  const pairs = indicator.id === 'V3' ? mirrorPairs(included.map(i => i.table), query.years) : []
  for (const m of pairs) {
    m.byDestination?.want(mirrorCodes(m))
    m.byOrigin?.want(mirrorCodes(m))
  }

  // The intervals of the suppressed parts shown, one country-year at a time (in order: deterministic).
  for (const { table, contribution } of included) {
    await table.resolve()
    if (!table.showsSuppressed) continue
    contribution.intervals = table.wider === undefined ? 'exact' : 'wider'
    if (table.wider !== undefined) contribution.intervalsNote = table.wider
  }

  return {
    node: input.node,
    query: { indicator: query.indicator, years: query.years, by: query.by, asOf: query.asOf === undefined ? null : query.asOf.toISOString() },
    computedAt: input.computedAt,
    contributions,
    cells: planned.map(p => sum(p.tables.map(t => t.part(p.full)), p.key)),
    mirror: mirror(pairs),
  }
}
