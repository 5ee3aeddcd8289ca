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
import { gatherTotals, type TotalsDeps } from './regional.js'
import type { RegionalResult, TotalsQuery } from './types.js'

/** Version 2: linked releases and the agreements defining groups, for exact intervals. */
export const BUNDLE_FORMAT = 'dcimx-bundle/2'

/** A linked table: its cells are in its release, its groups in the agreement. */
type LinkedMeta = Omit<LinkedTable, 'cells' | 'groups' | 'version'> & { releaseId: string }
/** A table: its cells, dates and version are in its release, its groups in the agreement. */
type TableMeta = Omit<CountryTable, 'cells' | 'groups' | 'linked' | 'version'> & { linked?: LinkedMeta[] }

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
  const own = input.tables.find(t => t.source !== 'release')
  if (own !== undefined) throw new AppError('USAGE', `a bundle carries signed releases only: ${own.country} ${own.year} is this node's own, unprotected table (gather the totals without it)`)
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
        const { cells: _cells, groups: _groups, version: _version, linked, ...meta } = t
        return { ...meta, ...(linked === undefined ? {} : { linked: linked.map(l => ({ indicator: l.indicator, releaseId: l.releaseId! })) }) }
      }),
    },
    releases,
    agreements: input.agreements ?? {},
    keys,
  }
}

/**
 * The bundle of a query, as `dcimx totals --bundle` writes it and GET /v1/regional/totals
 * ?format=bundle answers it: computed without this node's own tables (not protected, they never
 * leave the node; the own country is listed as missing, `own_unprotected`), whoever asks.
 */
export async function regionalBundle (deps: TotalsDeps, query: TotalsQuery): Promise<Bundle> {
  const input = await gatherTotals({ ...deps, includeOwn: false }, query)
  return await makeBundle(deps.db, input, await computeTotals(input))
}

/** A bundle's text: the file `dcimx totals --bundle` writes, and the HTTP answer, byte for byte. */
export function bundleText (bundle: Bundle): string {
  return JSON.stringify(bundle, null, 1) + '\n'
}

export interface BundleVerification {
  ok: boolean
  /** Signed releases verified (every release in the bundle when ok). */
  releases: number
  /** The publishers and the keys their releases were verified with. */
  publishers: Array<{ id: string, kids: string[], keysFrom: 'trusted' | 'bundle' }>
  /** The first problem when not ok. */
  problem: string | null
  result: RegionalResult | null
}

function fail (message: string): never {
  throw new AppError('SCHEMA_INVALID', message)
}

const isoOf = (seconds: number): string => new Date(seconds * 1000).toISOString()

/**
 * Verifies a bundle. Everything in it must check, or it is refused:
 * - every table is a received one (`source: 'release'`): a bundle carries signed releases only;
 * - every release in the bundle verifies against its publisher's keys: with `trust`, only the
 *   keys given there (a publisher without trusted keys is refused, whatever keys the bundle
 *   holds); without, the keys in the bundle; it is issued by the table's country, addressed to
 *   the node that computed the result, and covers the table's indicator and year (a linked one:
 *   another indicator of the same population); every release is used by some table;
 * - the dates a table shows (issued, valid until) are those of its signed release; the release
 *   had not expired at the time the result was computed for (`as_of`, else computed); the date
 *   it was applied lies between its issue and that time;
 * - every agreement in it has the hash it is filed under and is the agreement of some release;
 *   every key set belongs to a publisher of some release;
 * - the totals recomputed from the releases' cells (and the groups those agreements give)
 *   equal the result, intervals and contributions included.
 * What cannot be checked, and is the computing node's statement: the countries listed as missing
 * and why, the time it says it computed the result, and when it applied each release.
 */
export async function verifyBundle (value: unknown, options: { trust?: ReadonlyMap<string, KeySet> } = {}): Promise<BundleVerification> {
  const out: BundleVerification = { ok: false, releases: 0, publishers: [], problem: null, result: null }
  try {
    const b = value as Partial<Bundle> | null
    if (b === null || typeof b !== 'object' || b.format !== BUNDLE_FORMAT) fail(`not a ${BUNDLE_FORMAT} bundle`)
    if (b.result === undefined || b.input === undefined || b.releases === undefined || b.keys === undefined || b.agreements === undefined || !Array.isArray(b.input.tables)) fail('the bundle lacks result, input, releases, agreements or keys')
    out.result = b.result
    const trust = options.trust
    const keysOf = (country: string): KeySet => {
      if (trust !== undefined) {
        const keys = trust.get(country)
        if (keys === undefined) fail(`${country}: no trusted key (the keys given are for ${[...trust.keys()].sort().join(', ') || 'nobody'}; the bundle's own keys are not used when keys are given)`)
        return keys
      }
      const jwks = b.keys![country]
      if (jwks === undefined) fail(`${country}: the bundle holds no keys for this publisher`)
      return keySetFromJwks(jwks)
    }
    const agreements = b.agreements
    for (const [hash, agreement] of Object.entries(agreements)) {
      if (agreementHash(agreement) !== hash) fail(`the agreement filed under ${hash} has another hash`)
    }
    const q = b.input.query
    const at = q.asOf === null ? b.input.computedAt : q.asOf
    const atMs = Date.parse(at)
    if (Number.isNaN(atMs)) fail(`the time the result is for (${JSON.stringify(at)}) is not a date-time`)
    /** Verified releases by id, and the agreements and publishers they use. */
    const verified = new Map<string, Release>()
    const usedAgreements = new Set<string>()
    const publishers = new Map<string, KeySet>()

    /** Release `id`, verified as `country`'s, addressed to the computing node; cached by id. */
    const verify = (where: string, country: string, id: string): Release => {
      const done = verified.get(id)
      if (done !== undefined) {
        if (done.issuer !== country) fail(`${where}: the release is issued by ${done.issuer}`)
        return done
      }
      const signed = b.releases![id]
      if (signed === undefined) fail(`${where}: release ${id} is not in the bundle`)
      const keys = keysOf(country)
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
      if (payload.audience !== b.input!.node) fail(`${where}: release ${id} was sent to ${payload.audience}, not to ${b.input!.node}, which computed the result`)
      verified.set(id, payload)
      usedAgreements.add(payload.agreement.hash)
      publishers.set(country, keys)
      return payload
    }

    /** The cells, groups and version of `indicator` for `year` in release `id` of `country`, checked. */
    const releaseTable = (where: string, country: string, year: number, indicator: string, id: string | undefined): { payload: Release, cells: TableCell[], groups?: LinkedTable['groups'], version?: number } => {
      if (id === undefined) fail(`${where}: no release named`)
      const payload = verify(where, country, id)
      if (payload.dataset.indicator !== indicator || !payload.dataset.years.includes(year)) fail(`${where}: the release covers ${payload.dataset.indicator} ${payload.dataset.years.join(',')}`)
      const agreement = agreements[payload.agreement.hash]
      const groups = agreement === undefined ? undefined : grantGroups(agreement, indicator, year)
      return {
        payload,
        cells: payload.cells.filter(c => c.key[TIME_DIMENSION] === String(year)).map(c => {
          const { [TIME_DIMENSION]: _year, ...dims } = c.key
          return { dims, ...(c.value === undefined ? {} : { value: c.value }), ...(c.value === undefined && c.obs_status === 'M' ? { noData: true as const } : {}) }
        }).sort((a, c) => JSON.stringify(a.dims) < JSON.stringify(c.dims) ? -1 : 1),
        ...(groups === undefined ? {} : { groups }),
        ...(payload.version === undefined ? {} : { version: payload.version }),
      }
    }

    const tables: CountryTable[] = []
    const indicator = q.indicator
    for (const meta of b.input.tables) {
      const where = `${meta.country} ${meta.year}`
      if (meta.source !== 'release') fail(`${where}: a bundle carries signed releases only, and this table is marked ${JSON.stringify(meta.source)}`)
      // The version linking goes by is the signed one, never one the bundle states beside it.
      const { linked: linkedMeta, version: _stated, ...rest } = meta as TableMeta & { version?: unknown }
      const { payload, ...main } = releaseTable(where, meta.country, meta.year, indicator, meta.releaseId)
      // The dates shown are the signed ones; the release was in force at the time of the result.
      if (meta.issuedAt !== isoOf(payload.issued_at)) fail(`${where}: the issue date shown (${String(meta.issuedAt)}) is not the signed one (${isoOf(payload.issued_at)})`)
      if (meta.expiresAt !== isoOf(payload.expires_at)) fail(`${where}: the expiry shown (${String(meta.expiresAt)}) is not the signed one (${isoOf(payload.expires_at)})`)
      if (payload.expires_at * 1000 <= atMs) fail(`${where}: release ${meta.releaseId!} had expired (${isoOf(payload.expires_at)}) at ${at}, the time the result is for`)
      const applied = Date.parse(meta.appliedAt ?? '')
      if (Number.isNaN(applied) || applied < payload.issued_at * 1000 || applied > atMs) fail(`${where}: the date applied (${String(meta.appliedAt)}) is not between the release's issue (${isoOf(payload.issued_at)}) and ${at}`)
      const linked: LinkedTable[] = []
      for (const l of linkedMeta ?? []) {
        if (findIndicator(l.indicator) === undefined || findIndicator(indicator) === undefined || l.indicator === indicator || populationOf(l.indicator) !== populationOf(indicator)) {
          fail(`${where}: ${l.indicator} does not count the persons ${indicator} counts`)
        }
        const { payload: _p, ...table } = releaseTable(`${where} ${l.indicator}`, meta.country, meta.year, l.indicator, l.releaseId)
        linked.push({ indicator: l.indicator, releaseId: l.releaseId, ...table })
      }
      tables.push({ ...(rest as CountryTable), ...main, ...(linked.length === 0 ? {} : { linked }) })
    }
    // Nothing in the bundle goes unchecked.
    const unused = Object.keys(b.releases).find(id => !verified.has(id))
    if (unused !== undefined) fail(`release ${unused} is in the bundle but no table uses it`)
    const spare = Object.keys(agreements).find(h => !usedAgreements.has(h))
    if (spare !== undefined) fail(`the agreement ${spare} is in the bundle but no release was sent under it`)
    const stray = Object.keys(b.keys).find(p => !publishers.has(p))
    if (stray !== undefined) fail(`the bundle holds keys for ${stray}, which published none of its releases`)
    out.releases = verified.size
    out.publishers = [...publishers].map(([id, keys]) => ({ id, kids: [...keys.keys()].sort(), keysFrom: trust === undefined ? 'bundle' as const : 'trusted' as const })).sort((a, c) => a.id.localeCompare(c.id))
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
