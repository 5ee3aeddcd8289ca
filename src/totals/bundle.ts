/**
 * Provenance bundles: a regional result together with the signed releases it was computed
 * from and the publishers' keys, so anyone can verify it offline: every release's signature,
 * that its cells are the ones used, and that recomputing the totals gives the same result.
 */
import type { Kysely } from 'kysely'
import type { Database } from '../db/types.js'
import { AppError, isAppError } from '../errors.js'
import type { FlattenedJws } from '../protocol/jws.js'
import { jwksOf, keySetFromJwks, type Jwks, type KeySet } from '../protocol/keys.js'
import { verifySigned } from '../protocol/verify.js'
import { canonicalJson } from '../protocol/canonical-json.js'
import { TIME_DIMENSION } from '../protocol/indicators.js'
import { computeTotals, type CountryTable, type TotalsInput } from './compute.js'
import type { RegionalResult } from './types.js'

export const BUNDLE_FORMAT = 'dcimx-bundle/1'

type TableMeta = Omit<CountryTable, 'cells'> & { cells?: CountryTable['cells'] }

export interface Bundle {
  format: typeof BUNDLE_FORMAT
  result: RegionalResult
  /** What the result was computed from; the cells of received tables are in `releases`. */
  input: Omit<TotalsInput, 'tables' | 'query'> & { query: RegionalResult['query'], tables: TableMeta[] }
  /** The signed releases, by id. */
  releases: Record<string, FlattenedJws>
  /** Each publisher's key set as this node pinned it. */
  keys: Record<string, Jwks>
}

/** The bundle of a result computed from `input`. */
export async function makeBundle (db: Kysely<Database>, input: TotalsInput, result: RegionalResult): Promise<Bundle> {
  const ids = [...new Set(input.tables.filter(t => t.source === 'release').map(t => t.releaseId!))]
  const rows = ids.length === 0 ? [] : await db.selectFrom('incoming').select(['id', 'signed']).where('id', 'in', ids).execute()
  const releases: Record<string, FlattenedJws> = {}
  for (const r of rows.sort((a, b) => a.id.localeCompare(b.id))) releases[r.id] = (typeof r.signed === 'string' ? JSON.parse(r.signed) : r.signed) as FlattenedJws
  const publishers = [...new Set(input.tables.filter(t => t.source === 'release').map(t => t.country))].sort()
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
      tables: input.tables.map(t => t.source === 'own' ? t : (({ cells: _cells, ...meta }) => meta)(t)),
    },
    releases,
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
 * Verifies a bundle: every received table's release verifies against its publisher's keys
 * (those in `trust` when given, else those in the bundle), is issued by that country and
 * covers that year; and the totals recomputed from the releases' cells equal the result.
 */
export function verifyBundle (value: unknown, options: { trust?: ReadonlyMap<string, KeySet> } = {}): BundleVerification {
  const out: BundleVerification = { ok: false, releases: 0, publishers: [], ownTables: [], problem: null, result: null }
  try {
    const b = value as Partial<Bundle> | null
    if (b === null || typeof b !== 'object' || b.format !== BUNDLE_FORMAT) fail(`not a ${BUNDLE_FORMAT} bundle`)
    if (b.result === undefined || b.input === undefined || b.releases === undefined || b.keys === undefined || !Array.isArray(b.input.tables)) fail('the bundle lacks result, input, releases or keys')
    out.result = b.result
    const keySets = new Map<string, KeySet>()
    for (const [publisher, jwks] of Object.entries(b.keys)) keySets.set(publisher, options.trust?.get(publisher) ?? keySetFromJwks(jwks))
    for (const [publisher, keys] of options.trust ?? []) keySets.set(publisher, keys)
    out.publishers = [...keySets].map(([id, keys]) => ({ id, kids: [...keys.keys()] })).sort((a, c) => a.id.localeCompare(c.id))
    const tables: CountryTable[] = []
    for (const meta of b.input.tables) {
      if (meta.source === 'own') {
        out.ownTables.push(`${meta.country} ${meta.year}`)
        tables.push(meta as CountryTable)
        continue
      }
      const where = `${meta.country} ${meta.year}`
      const signed = meta.releaseId === undefined ? undefined : b.releases[meta.releaseId]
      if (signed === undefined) fail(`${where}: release ${meta.releaseId ?? '(none named)'} is not in the bundle`)
      const keys = keySets.get(meta.country)
      if (keys === undefined) fail(`${where}: no keys for ${meta.country}`)
      let v
      try {
        v = verifySigned(signed, keys, { now: 0, expectedType: 'release', ignoreExpiry: true, skew: Number.MAX_SAFE_INTEGER })
      } catch (err) {
        if (isAppError(err)) fail(`${where}: release ${meta.releaseId}: ${err.code}: ${err.message}`)
        throw err
      }
      if (v.id !== meta.releaseId) fail(`${where}: the release's content id is ${v.id}, not ${meta.releaseId}`)
      if (v.payload.issuer !== meta.country) fail(`${where}: the release is issued by ${v.payload.issuer}`)
      if (v.payload.dataset.indicator !== b.result.query.indicator || !v.payload.dataset.years.includes(meta.year)) fail(`${where}: the release covers ${v.payload.dataset.indicator} ${v.payload.dataset.years.join(',')}`)
      out.releases++
      tables.push({
        ...(meta as CountryTable),
        cells: v.payload.cells.filter(c => c.key[TIME_DIMENSION] === String(meta.year)).map(c => {
          const { [TIME_DIMENSION]: _year, ...dims } = c.key
          return { dims, ...(c.value === undefined ? {} : { value: c.value }) }
        }).sort((a, c) => JSON.stringify(a.dims) < JSON.stringify(c.dims) ? -1 : 1),
      })
    }
    const q = b.input.query
    const recomputed = computeTotals({
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
