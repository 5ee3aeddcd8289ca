/** `dcimx totals` and `dcimx verify-bundle`: regional totals for liaison officers, with provenance. */
import { existsSync, writeFileSync } from 'node:fs'
import { AppError } from '../../errors.js'
import { parseYearSpec } from '../../year-spec.js'
import { nodeAgreements } from '../../policy/load.js'
import { keySetFromJwks, type KeySet } from '../../protocol/keys.js'
import { readTextFile } from '../../read-text-file.js'
import { makeBundle, verifyBundle } from '../../totals/bundle.js'
import { computeTotals } from '../../totals/compute.js'
import { formatCsv, formatTable } from '../../totals/format.js'
import { gatherTotals } from '../../totals/regional.js'
import { toSdmxJson } from '../../totals/sdmx.js'
import { line, pathFor, type CliIo } from '../io.js'
import { withNode } from '../with-node.js'

export const TOTALS_FORMATS = ['table', 'csv', 'json', 'sdmx-json'] as const

/** The dates an as-of query may name (inclusive): anything else is refused, not sent to the database. */
export const AS_OF_RANGE = { from: '1970-01-01', to: '9999-12-31' } as const

const AS_OF_PATTERN = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(Z|[+-]\d{2}:\d{2}))?$/

/** Days in a month (1-12) of the Gregorian calendar. */
function daysInMonth (year: number, month: number): number {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)
  return month === 2 ? (leap ? 29 : 28) : [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!
}

/**
 * An ISO 8601 calendar date (`2026-11-20`: as held that day, i.e. at its end, 23:59:59.999 UTC)
 * or date-time with its offset
 * (`2026-11-20T12:00:00Z`, `2026-11-20T14:00+02:00`). The date must exist (`2024-02-30` is
 * refused, not read as 2024-03-01) and lie within AS_OF_RANGE. `name` is how the caller gave it
 * (`--as-of`, or `as_of` over HTTP). Throws USAGE.
 */
export function parseAsOf (spec: string | undefined, name = '--as-of'): Date | undefined {
  if (spec === undefined) return undefined
  const quoted = `${name} ${JSON.stringify(spec.slice(0, 40))}`
  const m = AS_OF_PATTERN.exec(spec)
  if (m === null) throw new AppError('USAGE', `${quoted}: give a date (2026-11-20) or a date-time (2026-11-20T12:00:00Z)`)
  const [year, month, day, hour, minute, second] = [1, 2, 3, 4, 5, 6].map(i => Number(m[i] ?? 0)) as [number, number, number, number, number, number]
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) throw new AppError('USAGE', `${quoted}: there is no such day`)
  if (hour > 23 || minute > 59 || second > 59) throw new AppError('USAGE', `${quoted}: there is no such time of day`)
  const date = m[0].slice(0, 10)
  if (date < AS_OF_RANGE.from || date > AS_OF_RANGE.to) throw new AppError('USAGE', `${quoted}: out of range, from ${AS_OF_RANGE.from} to ${AS_OF_RANGE.to}`)
  let offsetMin = 0
  const zone = m[8]
  if (zone !== undefined && zone !== 'Z') {
    const [oh, om] = [Number(zone.slice(1, 3)), Number(zone.slice(4, 6))]
    if (oh > 23 || om > 59) throw new AppError('USAGE', `${quoted}: there is no such offset from UTC`)
    offsetMin = (zone[0] === '-' ? -1 : 1) * (oh * 60 + om)
  }
  // A date alone is "as held that day": at its end (UTC), so what arrived during it counts.
  if (m[4] === undefined) return new Date(Date.UTC(year, month - 1, day, 23, 59, 59, 999))
  const ms = Number((m[7] ?? '0').padEnd(3, '0'))
  return new Date(Date.UTC(year, month - 1, day, hour, minute, second, ms) - offsetMin * 60_000)
}

export interface TotalsArgs {
  home: string
  indicator: string
  years: string
  by?: string
  asOf?: string
  format?: string
  bundle?: string
}

export async function totalsCommand (args: TotalsArgs, io: CliIo): Promise<number> {
  const format = args.format ?? 'table'
  if (!(TOTALS_FORMATS as readonly string[]).includes(format)) throw new AppError('USAGE', `--format must be one of ${TOTALS_FORMATS.join(', ')}`)
  if (args.bundle !== undefined && existsSync(pathFor(io, args.bundle))) throw new AppError('USAGE', `${args.bundle} exists; the bundle is written to a new file`)
  const query = {
    indicator: args.indicator.toUpperCase(),
    years: parseYearSpec(args.years, '--years'),
    by: args.by === undefined || args.by === '' ? [] : args.by.split(',').map(d => d.trim().toUpperCase()),
    ...(args.asOf === undefined ? {} : { asOf: parseAsOf(args.asOf) }),
  }
  return await withNode(args.home, io, async node => {
    // The home's owner is its operator and sees the node's own, unprotected tables; a bundle
    // leaves the node, so it (and the result printed with it) is computed without them.
    const input = await gatherTotals({ db: node.db.db, node: node.config.node.id, kind: node.config.node.kind, agreements: nodeAgreements(node.config.home), nowMs: io.clock.now(), includeOwn: args.bundle === undefined }, query)
    const result = await computeTotals(input)
    if (args.bundle !== undefined) {
      const bundle = await makeBundle(node.db.db, input, result)
      writeFileSync(pathFor(io, args.bundle), JSON.stringify(bundle, null, 1) + '\n', { flag: 'wx' })
    }
    switch (format) {
      case 'json': line(io.stdout, JSON.stringify(result, null, 2)); break
      case 'sdmx-json': line(io.stdout, JSON.stringify(toSdmxJson(result), null, 2)); break
      case 'csv': for (const l of formatCsv(result)) line(io.stdout, l); break
      default:
        for (const l of formatTable(result)) line(io.stdout, l)
        if (args.bundle !== undefined) line(io.stdout, `provenance written to ${args.bundle}; check it with: dcimx verify-bundle ${args.bundle}`)
    }
    return 0
  })
}

export async function verifyBundleCommand (args: { file: string, jwks?: string[], json?: boolean }, io: CliIo): Promise<number> {
  let bundle: unknown
  try {
    bundle = JSON.parse(readTextFile(pathFor(io, args.file)))
  } catch (err) {
    if (err instanceof AppError) throw err
    throw new AppError('USAGE', `${args.file}: not JSON`)
  }
  let trust: Map<string, KeySet> | undefined
  for (const file of args.jwks ?? []) {
    const keys = keySetFromJwks(JSON.parse(readTextFile(pathFor(io, file))))
    trust ??= new Map()
    for (const k of keys.values()) trust.set(k.node, new Map([...(trust.get(k.node) ?? new Map()), [k.kid, k]]))
  }
  const v = await verifyBundle(bundle, { trust })
  if (args.json === true) {
    line(io.stdout, JSON.stringify({ ok: v.ok, problem: v.problem, releases: v.releases, publishers: v.publishers.map(p => ({ id: p.id, kids: p.kids, keys_from: p.keysFrom })) }, null, 2))
  } else if (v.ok) {
    line(io.stdout, `bundle verified: ${v.result!.cells.length} total(s) recomputed from ${v.releases} signed release(s)`)
    for (const p of v.publishers) line(io.stdout, `  ${p.id} signed with key ${p.kids.join(', ')}${p.keysFrom === 'trusted' ? ' (trusted: from --jwks)' : ' (from the bundle: compare with the thumbprint you pinned, or give --jwks)'}`)
  } else {
    line(io.stdout, `bundle NOT verified: ${v.problem}`)
  }
  return v.ok ? 0 : 1
}
