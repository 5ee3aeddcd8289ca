/**
 * GET /v1/regional/totals: regional totals for logged-in users whose role may query them
 * (liaison, operator). The same computation as `dcimx totals`, and with format=bundle the same
 * provenance bundle as `dcimx totals --bundle` (src/totals/bundle.ts). Results (and their JSON, CSV
 * and SDMX texts) are cached per query until the node's data or agreements change or a
 * contribution expires. A cached answer costs no query: the database handle's change counter
 * (src/db/changes.ts) says whether anything was committed since, and the agreements are watched
 * (src/policy/watch.ts). Where either cannot be followed, the route reads the database's data
 * version and the agreement files on each request instead.
 */
import { Type } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import { sql } from 'kysely'
import { parseAsOf } from '../../as-of.js'
import { watchAgreements } from '../../policy/watch.js'
import { formatCsv } from '../../totals/format.js'
import { bundleText, regionalBundle } from '../../totals/bundle.js'
import { regionalTotals } from '../../totals/regional.js'
import { SDMX_MEDIA_TYPE, toSdmxJson } from '../../totals/sdmx.js'
import type { RegionalResult } from '../../totals/types.js'
import { ROUTE_ROLES } from '../../users/users.js'
import { parseYearSpec } from '../../year-spec.js'

const Query = Type.Object({
  indicator: Type.String({ pattern: '^[VCvc][1-5]$', description: 'V1-V5 or C1-C4' }),
  years: Type.String({ pattern: '^\\d{4}(-\\d{4}|(,\\d{4})*)$', description: 'a range (2020-2024) or a list (2019,2021)' }),
  by: Type.Optional(Type.String({ pattern: '^[A-Z_]{1,32}(,[A-Z_]{1,32}){0,5}$', description: 'dimensions, comma-separated' })),
  as_of: Type.Optional(Type.String({ maxLength: 40, description: 'as the node held the data at this date: a calendar date (2026-11-20, 00:00 UTC) or a date-time with offset (2026-11-20T12:00:00Z), from 1970-01-01 to 9999-12-31' })),
  format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv'), Type.Literal('sdmx-json'), Type.Literal('bundle')], {
    default: 'json',
    description: 'json (the result), csv, sdmx-json (an SDMX-JSON 2.0 data message), or bundle: the provenance bundle `dcimx totals --bundle` writes (the result with the signed releases, agreements and keys it was computed from; checked offline by `dcimx verify-bundle`), computed without this node\'s own unprotected tables whoever asks',
  })),
}, { additionalProperties: false })

interface Cached {
  version: string
  validUntil: number
  result: RegionalResult
  /** The result's texts, made on first use. */
  json?: string
  csv?: string
  sdmx?: string
  /** For format=bundle: the bundle's text. */
  bundle?: string
}

/** Most cached queries kept (least recently computed dropped first). */
export const CACHE_SIZE = 256

export default async function regionalRoutes (app: FastifyInstance): Promise<void> {
  const { db, clock, config } = app.node
  const cache = new Map<string, Cached>()
  const agreementsWatch = watchAgreements(config.home)
  app.addHook('onClose', async () => { agreementsWatch.close() })

  /**
   * Changes whenever what the node holds changes: from memory while the change counter is
   * exact, else from the database (objects received, imports applied).
   */
  async function dataVersion (): Promise<string> {
    const counted = db.changes.version()
    if (counted !== undefined) return `c${counted}`
    const r = await sql<{ v: string }>`select (select count(*) from incoming)::text || '/' || coalesce((select max(id) from import_run), 0)::text as v`.execute(db.db)
    return `q${r.rows[0]!.v}`
  }

  app.get('/v1/regional/totals', {
    preHandler: app.requireRole(...ROUTE_ROLES['GET /v1/regional/*']),
    schema: {
      summary: 'Regional totals with each country\'s contribution, suppressions as intervals, missing and stale countries',
      description: `Roles: ${ROUTE_ROLES['GET /v1/regional/*'].join(', ')}. Authorization: Bearer <token from POST /v1/login>.`,
      tags: ['regional'],
      querystring: Query,
    },
  }, async (request, reply) => {
    const q = request.query as { indicator: string, years: string, by?: string, as_of?: string, format?: string }
    const query = {
      indicator: q.indicator.toUpperCase(),
      years: parseYearSpec(q.years, 'years'),
      by: q.by === undefined ? [] : q.by.split(','),
      ...(q.as_of === undefined ? {} : { asOf: parseAsOf(q.as_of, 'as_of') }),
    }
    const now = clock.now()
    // The node's own tables are not protected: operators see them, other roles see the own
    // country as missing (own_unprotected), as in a provenance bundle.
    // A bundle leaves the node: it never carries them, whoever asks (as `dcimx totals --bundle`).
    const bundle = q.format === 'bundle'
    const includeOwn = !bundle && request.user.role === 'operator'
    const key = JSON.stringify({ ...query, includeOwn, bundle })
    // Read before computing: a change committed meanwhile leaves the entry under the old version.
    const held = agreementsWatch.current()
    const version = `${await dataVersion()}|${held.version ?? held.agreements.map(l => l.hash).join(',')}`
    let hit = cache.get(key)
    if (hit === undefined || hit.version !== version || hit.validUntil <= now) {
      const deps = { db: db.db, node: config.node.id, kind: config.node.kind, agreements: held.agreements, nowMs: now }
      const made = bundle ? await regionalBundle(deps, query) : undefined
      const result = made?.result ?? await regionalTotals({ ...deps, includeOwn }, query)
      const expiries = result.contributions.filter(c => c.expiresAt !== undefined).map(c => Date.parse(c.expiresAt!))
      hit = { version, validUntil: Math.min(now + 3_600_000, ...expiries), result, ...(made === undefined ? {} : { bundle: bundleText(made) }) }
      cache.delete(key)
      cache.set(key, hit)
      if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value!)
    }
    reply.header('cache-control', 'private, no-store')
    switch (q.format ?? 'json') {
      case 'csv': return await reply.type('text/csv; charset=utf-8').send(hit.csv ??= formatCsv(hit.result).join('\n') + '\n')
      case 'sdmx-json': return await reply.type(SDMX_MEDIA_TYPE).send(hit.sdmx ??= JSON.stringify(toSdmxJson(hit.result)))
      case 'bundle': return await reply.type('application/json; charset=utf-8').send(hit.bundle)
      default: return await reply.type('application/json; charset=utf-8').send(hit.json ??= JSON.stringify(hit.result))
    }
  })
}
