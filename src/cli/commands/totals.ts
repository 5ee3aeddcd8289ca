/** `dcimx totals` and `dcimx verify-bundle`: regional totals for liaison officers, with provenance. */
import { existsSync, writeFileSync } from 'node:fs'
import { AppError } from '../../errors.js'
import { parseAsOf } from '../../as-of.js'
import { parseYearSpec } from '../../year-spec.js'
import { nodeAgreements } from '../../policy/load.js'
import { keySetFromJwks, type KeySet } from '../../protocol/keys.js'
import { readTextFile } from '../../read-text-file.js'
import { bundleText, regionalBundle, verifyBundle } from '../../totals/bundle.js'
import { formatCsv, formatTable } from '../../totals/format.js'
import { regionalTotals } from '../../totals/regional.js'
import { toSdmxJson } from '../../totals/sdmx.js'
import { line, pathFor, type CliIo } from '../io.js'
import { withNode } from '../with-node.js'

export const TOTALS_FORMATS = ['table', 'csv', 'json', 'sdmx-json'] as const

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
    const deps = { db: node.db.db, node: node.config.node.id, kind: node.config.node.kind, agreements: nodeAgreements(node.config.home), nowMs: io.clock.now() }
    let result
    if (args.bundle !== undefined) {
      const bundle = await regionalBundle(deps, query)
      result = bundle.result
      writeFileSync(pathFor(io, args.bundle), bundleText(bundle), { flag: 'wx' })
    } else {
      result = await regionalTotals({ ...deps, includeOwn: true }, query)
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
