/**
 * Regional totals from what a node holds: the latest reconciled release of each country and
 * year (or the one held at `asOf`), and, on a country node, its own tables. Countries with no
 * fresh table are listed as missing with the reason. A received table comes with the other
 * tables of its population-year held from the same country, which bound its suppressed cells.
 */
import { sql, type Kysely } from 'kysely'
import type { Database } from '../db/types.js'
import { AppError } from '../errors.js'
import { WESTERN_BALKANS } from '../protocol/codelists.js'
import { findIndicator } from '../protocol/indicators.js'
import { yearsOf, type LoadedAgreement } from '../policy/load.js'
import type { Agreement } from '../policy/agreement.js'
import type { GroupsSpec } from '../policy/groups.js'
import { indicatorsOfPopulation, populationOf } from '../stats/populations.js'
import { computeTotals, type CountryTable, type TableCell, type TotalsInput } from './compute.js'
import { grantGroups } from './linked.js'
import type { MissingReason, RegionalResult, TotalsQuery } from './types.js'

export interface TotalsDeps {
  db: Kysely<Database>
  /** This node's id and kind. */
  node: string
  kind: 'country' | 'liaison'
  agreements: readonly LoadedAgreement[]
  nowMs: number
  /**
   * Include this node's own tables, which are not protected: only for its operators (the CLI,
   * the `operator` role). Otherwise (the default) the own country is listed as missing with
   * reason `own_unprotected`; so it is in a provenance bundle, which carries signed releases only.
   */
  includeOwn?: boolean
}

/** Most years one query may span. */
export const MAX_YEARS = 50

/** Checks a query against the indicator set; throws USAGE with a clear reason. */
export function checkQuery (q: TotalsQuery): TotalsQuery {
  const indicator = findIndicator(q.indicator)
  if (indicator === undefined) throw new AppError('USAGE', `unknown indicator ${JSON.stringify(q.indicator)}: one of V1-V5, C1-C4`)
  if (q.years.length === 0 || q.years.length > MAX_YEARS || q.years.some(y => !Number.isInteger(y) || y < 1990 || y > 2200)) {
    throw new AppError('USAGE', `years must be 1 to ${MAX_YEARS} years from 1990 to 2200`)
  }
  const dims = indicator.dimensions.map(d => d.id)
  for (const d of q.by) {
    if (!dims.includes(d)) throw new AppError('USAGE', `${indicator.id} cannot be broken down by ${JSON.stringify(d)}: its dimensions are ${dims.join(', ')}`)
  }
  return { ...q, years: [...new Set(q.years)].sort((a, b) => a - b), by: dims.filter(d => q.by.includes(d)) }
}

interface SliceRow {
  publisher: string
  indicator: string
  year: number
  object_id: string
  cells_of: string | null
  /**
   * The agreement the release in force was sent under: what its group names mean (a release
   * re-issued under a new agreement version keeps its cells stored under the first release).
   */
  agreement_hash: string
  issued_at: Date
  applied_at: Date
  expires_at: Date
  /** The `version` member of the release in force; null when it has none. */
  population_version: number | null
}

/** Why `country` has no table for `year`, judged from the agreements this node holds. */
function missingReason (agreements: readonly LoadedAgreement[], country: string, self: string, indicator: string, year: number): MissingReason {
  const held = agreements.filter(l => l.agreement.provider === country && l.agreement.recipient === self)
  if (held.length === 0) return 'no_agreement'
  const granted = held.some(l => l.agreement.grants.some(g => g.indicator === indicator && yearsOf(g.years, 2200).includes(year)))
  return granted ? 'no_data' : 'not_granted'
}

/**
 * The countries regional totals cover at a node: the Western Balkan region (all seven, each
 * included or listed as missing with the reason), then, sorted, every other country that shares
 * with this node (an agreement it holds with the country as provider and this node as
 * recipient, or a release it holds from the country for a queried year) and this node itself
 * when it is a country outside the region. A country outside the region that shares nothing with
 * this node is not listed: it is not missing from the region. So an EU member state's node
 * contributes to the totals of the nodes it shares with, beside the region, and its own operators
 * see its own tables there, as a Western Balkan node's do.
 */
export function totalsCountries (deps: Pick<TotalsDeps, 'node' | 'kind' | 'agreements'>, held: ReadonlyArray<{ publisher: string }> = []): string[] {
  const region = new Set<string>(WESTERN_BALKANS)
  const others = new Set<string>()
  if (deps.kind === 'country' && !region.has(deps.node)) others.add(deps.node)
  for (const l of deps.agreements) {
    if (l.agreement.recipient === deps.node && !region.has(l.agreement.provider)) others.add(l.agreement.provider)
  }
  for (const s of held) if (!region.has(s.publisher)) others.add(s.publisher)
  return [...WESTERN_BALKANS, ...[...others].sort()]
}

/**
 * Gathers the tables a query needs: the input of {@link computeTotals}. With each received
 * table come the other tables of the same population and year held from the same country
 * (linked indicators: they bound its suppressed cells), and for each table the groups its
 * grant gives (from the agreement with the hash its release carries, when held).
 */
export async function gatherTotals (deps: TotalsDeps, query: TotalsQuery): Promise<TotalsInput> {
  const q = checkQuery(query)
  const dims = findIndicator(q.indicator)!.dimensions.map(d => d.id)
  const linkedIndicators = indicatorsOfPopulation(populationOf(q.indicator))
  const at = q.asOf ?? new Date(deps.nowMs)
  const when = q.asOf === undefined
    ? sql`s.replaced_at is null`
    : sql`s.applied_at <= ${q.asOf} and (s.replaced_at is null or s.replaced_at > ${q.asOf})`
  const slices = (await sql<SliceRow>`
    select s.publisher, s.indicator, s.year, s.object_id, s.cells_of, s.agreement_hash, i.issued_at, s.applied_at, s.expires_at, s.population_version
    from received_slice s join incoming i on i.id = s.object_id
    where s.indicator in (${sql.join([...linkedIndicators])}) and s.year in (${sql.join(q.years)}) and ${when}`.execute(deps.db)).rows
    .map(s => ({ ...s, year: Number(s.year), population_version: s.population_version === null ? null : Number(s.population_version) }))
  const versionOf = (s: SliceRow): { version?: number } => s.population_version === null ? {} : { version: s.population_version }
  const withCells = slices.filter(s => s.cells_of !== null)
  const cellRows = withCells.length === 0
    ? []
    : (await sql<{ release_id: string, year: number, dims: Record<string, string> | string, value: number | null, obs_status: string }>`
      select release_id, year, dims, value, obs_status from received_cell
      where (release_id, year) in (${sql.join(withCells.map(s => sql`(${s.cells_of}, ${s.year})`))})`.execute(deps.db)).rows
  const cellsOf = new Map<string, TableCell[]>()
  for (const r of cellRows) {
    const k = `${r.release_id}|${r.year}`
    const list = cellsOf.get(k) ?? []
    list.push({
      dims: typeof r.dims === 'string' ? JSON.parse(r.dims) as Record<string, string> : r.dims,
      ...(r.value === null ? {} : { value: Number(r.value) }),
      ...(r.value === null && r.obs_status === 'M' ? { noData: true as const } : {}),
    })
    cellsOf.set(k, list)
  }
  const cellsOfSlice = (s: SliceRow): TableCell[] => (cellsOf.get(`${s.cells_of}|${s.year}`) ?? []).sort((a, b) => JSON.stringify(a.dims) < JSON.stringify(b.dims) ? -1 : 1)
  const agreements: Record<string, Agreement> = {}
  const groupsOf = (s: SliceRow): { groups?: GroupsSpec } => {
    const held = deps.agreements.find(l => l.hash === s.agreement_hash)
    const groups = held === undefined ? undefined : grantGroups(held.agreement, s.indicator, s.year)
    if (groups === undefined) return {}
    agreements[held!.hash] = held!.agreement
    return { groups }
  }

  const tables: CountryTable[] = []
  const missing: TotalsInput['missing'] = []
  for (const year of q.years) {
    for (const country of totalsCountries(deps, slices)) {
      if (country === deps.node) {
        if (deps.includeOwn !== true) {
          missing.push({ country, year, reason: 'own_unprotected' })
          continue
        }
        const own = await deps.db.selectFrom('indicator_cell').select(['cell_key', 'value']).where('indicator', '=', q.indicator).where('year', '=', year).execute()
        if (own.length === 0) {
          missing.push({ country, year, reason: 'no_data' })
        } else {
          tables.push({
            country,
            year,
            source: 'own',
            cells: own.map(c => {
              const codes = c.cell_key.split('|')
              return { dims: Object.fromEntries(dims.map((d, i) => [d, codes[i]!])), value: Number(c.value) }
            }),
          })
        }
        continue
      }
      const slice = slices.find(s => s.publisher === country && s.year === year && s.indicator === q.indicator)
      if (slice === undefined || slice.cells_of === null) {
        missing.push({ country, year, reason: missingReason(deps.agreements, country, deps.node, q.indicator, year) })
        continue
      }
      if (new Date(slice.expires_at).getTime() <= at.getTime()) {
        missing.push({ country, year, reason: 'stale' })
        continue
      }
      // Everything else held from the country for that year in linked indicators, fresh or not:
      // a released year's figures do not change.
      const linked = slices
        .filter(s => s.publisher === country && s.year === year && s.indicator !== q.indicator && s.cells_of !== null)
        .sort((a, b) => a.indicator.localeCompare(b.indicator))
        .map(s => ({ indicator: s.indicator, releaseId: s.object_id, ...versionOf(s), ...groupsOf(s), cells: cellsOfSlice(s) }))
      tables.push({
        country,
        year,
        source: 'release',
        // The release in force: its signed payload has the dates shown, and the same cells for
        // the year as the release they are stored under (cells_of; a re-issue repeats them).
        releaseId: slice.object_id,
        ...versionOf(slice),
        issuedAt: new Date(slice.issued_at).toISOString(),
        appliedAt: new Date(slice.applied_at).toISOString(),
        expiresAt: new Date(slice.expires_at).toISOString(),
        cells: cellsOfSlice(slice),
        ...groupsOf(slice),
        ...(linked.length === 0 ? {} : { linked }),
      })
    }
  }
  return {
    node: deps.node,
    query: q,
    computedAt: new Date(deps.nowMs).toISOString(),
    tables,
    missing,
    ...(Object.keys(agreements).length === 0 ? {} : { agreements: Object.fromEntries(Object.entries(agreements).sort(([a], [b]) => a.localeCompare(b))) }),
  }
}

/** Regional totals for a query, from what the node holds. */
export async function regionalTotals (deps: TotalsDeps, query: TotalsQuery): Promise<RegionalResult> {
  return await computeTotals(await gatherTotals(deps, query))
}
