/**
 * Provenance bundles: a regional result together with the signed releases it was computed
 * from (those of the tables included, and those linked to them, which bound their suppressed
 * cells), the agreements that define any groups of codes they carry, and the publishers' keys,
 * so anyone can verify it offline: every release's signature, that its cells are the ones
 * used, and that recomputing the totals (intervals included) gives the same result.
 */
import type { Kysely } from 'kysely'
import type { Database } from '../db/types.js'
import { AppError, isAppError } from '../errors.js'
import type { Agreement } from '../policy/agreement.js'
import { agreementHash } from '../policy/load.js'
import type { FlattenedJws } from '../protocol/jws.js'
import { jwksOf, keySetFromJwks, type Jwks, type KeySet } from '../protocol/keys.js'
import type { Release } from '../protocol/messages.js'
import { verifySigned } from '../protocol/verify.js'
import { canonicalJson } from '../protocol/canonical-json.js'
import { findIndicator, TIME_DIMENSION } from '../protocol/indicators.js'
import { populationOf } from '../stats/populations.js'
import { computeTotals, type CountryTable, type LinkedTable, type TableCell, type TotalsInput } from './compute.js'
import { grantGroups } from './linked.js'
import type { RegionalResult } from './types.js'

/** Version 2: linked releases and the agreements defining groups, for exact intervals. */
export const BUNDLE_FORMAT = 'dcimx-bundle/2'

/** A linked table: its cells are in its release, its groups in the agreement. */
type LinkedMeta = Omit<LinkedTable, 'cells' | 'groups'> & { releaseId: string }
/** A table: a received one's cells are in its release, its groups in the agreement; an own table carries its cells. */
type TableMeta = Omit<CountryTable, 'cells' | 'groups' | 'linked'> & { cells?: CountryTable['cells'], linked?: LinkedMeta[] }

export interface Bundle {
  format: typeof BUNDLE_FORMAT
  result: RegionalResult
  /** What the result was computed from; the cells of received tables are in `releases`. */
  input: Omit<TotalsInput, 'tables' | 'query' | 'agreements'> & { query: RegionalResult['query'], tables: TableMeta[] }
  /** The signed releases, by id: the tables included and the tables linked to them. */
  releases: Record<string, FlattenedJws>
  /**
   * The agreements, by canonical hash, that give a table's dimensions in groups of codes: what
   * its group names stand for. The releases carry the hash, so an agreement cannot be swapped.
   */
  agreements: Record<string, Agreement>
  /** Each publisher's key set as this node pinned it. */
  keys: Record<string, Jwks>
}

/** The bundle of a result computed from `input`. */
export async function makeBundle (db: Kysely<Database>, input: TotalsInput, result: RegionalResult): Promise<Bundle> {
  const received = input.tables.filter(t => t.source === 'release')
  const ids = [...new Set(received.flatMap(t => [t.releaseId!, ...(t.linked ?? []).map(l => l.releaseId!)]))]
  const rows = ids.length === 0 ? [] : await db.selectFrom('incoming').select(['id', 'signed']).where('id', 'in', ids).execute()
  const releases: Record<string, FlattenedJws> = {}
  for (const r of rows.sort((a, b) => a.id.localeCompare(b.id))) releases[r.id] = (typeof r.signed === 'string' ? JSON.parse(r.signed) : r.signed) as FlattenedJws
  const publishers = [...new Set(received.map(t => t.country))].sort()
  const keys: Record<string, Jwks> = {}
  for (const p of publishers) {
    const row = await db.selectFrom('peer').select('jwks').where('id', '=', p).executeTakeFirst()
    if (row !== undefined) keys[p] = jwksOf(keySetFromJwks(typeof row.jwks === 'string' ? JSON.parse(row.jwks) : row.jwks).values())
  }
  return {
    format: BUNDLE_FORMAT,
    result,
    input: {
      node: input.node,
      query: result.query,
      computedAt: input.computedAt,
      missing: input.missing,
      tables: input.tables.map((t): TableMeta => {
        // An own table has no suppressed cell: nothing is linked to it.
        if (t.source === 'own') return (({ linked: _linked, groups: _groups, ...own }) => own)(t)
        const { cells: _cells, groups: _groups, linked, ...meta } = t
        return { ...meta, ...(linked === undefined ? {} : { linked: linked.map(l => ({ indicator: l.indicator, releaseId: l.releaseId! })) }) }
      }),
    },
    releases,
    agreements: input.agreements ?? {},
    keys,
  }
}

export interface BundleVerification {
  ok: boolean
  /** What was checked, and the first problem when not ok. */
  releases: number
  publishers: Array<{ id: string, kids: string[] }>
  ownTables: string[]
  problem: string | null
  result: RegionalResult | null
}

function fail (message: string): never {
  throw new AppError('SCHEMA_INVALID', message)
}

/**
 * Verifies a bundle: every received table's release, and every release linked to it, verifies
 * against its publisher's keys (those in `trust` when given, else those in the bundle), is
 * issued by that country, covers that indicator and year (a linked one: another indicator of
 * the same population); every agreement in it has the hash it is filed under; and the totals
 * recomputed from the releases' cells (and the groups those agreements give) equal the result.
 */
export async function verifyBundle (value: unknown, options: { trust?: ReadonlyMap<string, KeySet> } = {}): Promise<BundleVerification> {
  const out: BundleVerification = { ok: false, releases: 0, publishers: [], ownTables: [], problem: null, result: null }
  try {
    const b = value as Partial<Bundle> | null
    if (b === null || typeof b !== 'object' || b.format !== BUNDLE_FORMAT) fail(`not a ${BUNDLE_FORMAT} bundle`)
    if (b.result === undefined || b.input === undefined || b.releases === undefined || b.keys === undefined || b.agreements === undefined || !Array.isArray(b.input.tables)) fail('the bundle lacks result, input, releases, agreements or keys')
    out.result = b.result
    const keySets = new Map<string, KeySet>()
    for (const [publisher, jwks] of Object.entries(b.keys)) keySets.set(publisher, options.trust?.get(publisher) ?? keySetFromJwks(jwks))
    for (const [publisher, keys] of options.trust ?? []) keySets.set(publisher, keys)
    out.publishers = [...keySets].map(([id, keys]) => ({ id, kids: [...keys.keys()] })).sort((a, c) => a.id.localeCompare(c.id))
    const agreements = b.agreements
    for (const [hash, agreement] of Object.entries(agreements)) {
      if (agreementHash(agreement) !== hash) fail(`the agreement filed under ${hash} has another hash`)
    }
    const verified = new Set<string>()

    /** The cells and groups of `indicator` for `year` in release `id` of `country`, checked. */
    const releaseTable = (where: string, country: string, year: number, indicator: string, id: string | undefined): { cells: TableCell[], groups?: LinkedTable['groups'] } => {
      const signed = id === undefined ? undefined : b.releases![id]
      if (signed === undefined) fail(`${where}: release ${id ?? '(none named)'} is not in the bundle`)
      const keys = keySets.get(country)
      if (keys === undefined) fail(`${where}: no keys for ${country}`)
      let v
      try {
        v = verifySigned(signed, keys, { now: 0, expectedType: 'release', ignoreExpiry: true, skew: Number.MAX_SAFE_INTEGER })
      } catch (err) {
        if (isAppError(err)) fail(`${where}: release ${id}: ${err.code}: ${err.message}`)
        throw err
      }
      if (v.id !== id) fail(`${where}: the release's content id is ${v.id}, not ${id}`)
      const payload = v.payload as Release
      if (payload.issuer !== country) fail(`${where}: the release is issued by ${payload.issuer}`)
      if (payload.dataset.indicator !== indicator || !payload.dataset.years.includes(year)) fail(`${where}: the release covers ${payload.dataset.indicator} ${payload.dataset.years.join(',')}`)
      verified.add(id)
      const agreement = agreements[payload.agreement.hash]
      const groups = agreement === undefined ? undefined : grantGroups(agreement, indicator, year)
      return {
        cells: payload.cells.filter(c => c.key[TIME_DIMENSION] === String(year)).map(c => {
          const { [TIME_DIMENSION]: _year, ...dims } = c.key
          return { dims, ...(c.value === undefined ? {} : { value: c.value }), ...(c.value === undefined && c.obs_status === 'M' ? { noData: true as const } : {}) }
        }).sort((a, c) => JSON.stringify(a.dims) < JSON.stringify(c.dims) ? -1 : 1),
        ...(groups === undefined ? {} : { groups }),
      }
    }

    const tables: CountryTable[] = []
    const indicator = b.result.query.indicator
    for (const meta of b.input.tables) {
      if (meta.source === 'own') {
        out.ownTables.push(`${meta.country} ${meta.year}`)
        tables.push(meta as CountryTable)
        continue
      }
      const where = `${meta.country} ${meta.year}`
      const { linked: linkedMeta, ...rest } = meta
      const main = releaseTable(where, meta.country, meta.year, indicator, meta.releaseId)
      const linked: LinkedTable[] = []
      for (const l of linkedMeta ?? []) {
        if (findIndicator(l.indicator) === undefined || findIndicator(indicator) === undefined || l.indicator === indicator || populationOf(l.indicator) !== populationOf(indicator)) {
          fail(`${where}: ${l.indicator} does not count the persons ${indicator} counts`)
        }
        linked.push({ indicator: l.indicator, releaseId: l.releaseId, ...releaseTable(`${where} ${l.indicator}`, meta.country, meta.year, l.indicator, l.releaseId) })
      }
      tables.push({ ...(rest as CountryTable), ...main, ...(linked.length === 0 ? {} : { linked }) })
    }
    out.releases = verified.size
    const q = b.input.query
    const recomputed = await computeTotals({
      node: b.input.node,
      query: { indicator: q.indicator, years: q.years, by: q.by, ...(q.asOf === null ? {} : { asOf: new Date(q.asOf) }) },
      computedAt: b.input.computedAt,
      tables,
      missing: b.input.missing,
    })
    if (canonicalJson(recomputed as unknown as Record<string, unknown>) !== canonicalJson(b.result as unknown as Record<string, unknown>)) {
      const i = recomputed.cells.findIndex((c, n) => canonicalJson(c as unknown as Record<string, unknown>) !== canonicalJson((b.result!.cells[n] ?? null) as unknown as Record<string, unknown>))
      fail(i >= 0 ? `the result's cell ${JSON.stringify(recomputed.cells[i]!.key)} differs from what its releases give` : 'the result differs from what its releases give')
    }
    out.ok = true
  } catch (err) {
    if (!isAppError(err)) throw err
    out.problem = err.message
  }
  return out
}
