/** `dcimx import victims|offenders FILE`: import (or withdraw) national records. */
import { AppError, isAppError } from '../../errors.js'
import { yearClosesOn } from '../../config.js'
import { importFile, withdrawRecords, type ImportReport } from '../../ingest/import-file.js'
import type { Encoding } from '../../ingest/csv-rows.js'
import { parseDelimiter, parseIdColumns } from '../../ingest/import-format.js'
import { formatGroup } from '../../ingest/issues.js'
import { nodeImportDeps } from '../../ingest/node-import.js'
import { publish, type PublishReport } from '../../exchange/publish.js'
import { revisionLines } from '../held-line.js'
import { nodeAgreements } from '../../policy/load.js'
import { line, pathFor, type CliIo } from '../io.js'
import { withNode } from '../with-node.js'
import { byteProgress } from '../progress.js'

export interface ImportArgs {
  kind: string
  file: string
  home: string
  crosswalk?: string
  dryRun?: boolean
  json?: boolean
  withdraw?: boolean
  /** Publish what the change calls for once it is applied (default true). */
  publish?: boolean
  /** The field separator (one character, or "tab"); found from the header when not given. */
  delimiter?: string
  encoding?: Encoding
  /** Comma-separated columns a record id is derived from (the file has no record_id). */
  idColumns?: string
}

function summary (r: ImportReport): string[] {
  const verb = r.action === 'withdraw' ? 'withdrawal' : 'import'
  const counts = r.action === 'withdraw'
    ? `${r.withdrawn} record(s) withdrawn`
    : `${r.inserted} inserted, ${r.updated} updated, ${r.unchanged} unchanged, ${r.rejected} rejected`
  const out: string[] = []
  switch (r.status) {
    case 'applied': out.push(`${r.file}: ${verb} applied (run ${r.importId}): ${r.rows} row(s): ${counts}`); break
    case 'unchanged': out.push(`${r.file}: nothing to change: ${r.rows} row(s) already held as they are`); break
    case 'dry-run': out.push(`${r.file}: dry run, valid; would give: ${counts}`); break
    case 'rejected': {
      const total = Object.values(r.issueCounts).reduce((a, b) => a + b, 0)
      out.push(`${r.file}: rejected, nothing changed: ${total} problem(s) in ${r.rejected} row(s) of ${r.rows}`)
      // Problems shared by many rows are one line each: how many, and the first lines (--json lists them all).
      for (const g of r.issueGroups) out.push(formatGroup(g))
      const grouped = r.issueGroups.reduce((a, g) => a + g.count, 0)
      if (grouped < total) out.push(`... ${total - grouped} more; by kind: ${Object.entries(r.issueCounts).map(([k, v]) => `${k} ${v}`).join(', ')}`)
    }
  }
  const defaulted = Object.entries(r.defaulted ?? {})
  if (defaulted.length > 0 && r.status !== 'rejected') {
    out.push(`defaults applied (docs/operator-guide.md, "Unknowns"): ${defaulted.map(([c, d]) => `${c} empty on ${d.rows} row(s), counted as ${d.code}`).join('; ')}`)
  }
  if ((r.ageBandsStraddling ?? 0) > 0 && r.status !== 'rejected') {
    out.push(`age bands straddling 18: ${r.ageBandsStraddling} row(s) counted in age group UNK`)
  }
  if (r.tables.length > 0) {
    const byIndicator = new Map<string, number[]>()
    for (const t of r.tables) byIndicator.set(t.indicator, [...(byIndicator.get(t.indicator) ?? []), t.year])
    out.push(`tables recomputed: ${[...byIndicator].map(([i, ys]) => `${i} ${ys.join(',')}`).join('; ')}`)
  }
  return out
}

export async function importCommand (args: ImportArgs, io: CliIo): Promise<number> {
  if (args.kind !== 'victims' && args.kind !== 'offenders') throw new AppError('USAGE', `import what: "victims" or "offenders" (got "${args.kind}")`)
  const kind = args.kind
  return await withNode(args.home, io, async node => {
    const deps = await nodeImportDeps(node.db.db, io.clock, node.config, args.crosswalk === undefined ? undefined : pathFor(io, args.crosswalk))
    const progress = args.json === true ? undefined : byteProgress(io, args.file)
    const format = { delimiter: args.delimiter === undefined ? undefined : parseDelimiter(args.delimiter), encoding: args.encoding }
    const idColumns = parseIdColumns(args.idColumns)
    const options = { kind, path: pathFor(io, args.file), dryRun: args.dryRun, format, idColumns, onProgress: progress === undefined ? undefined : (d: number, t: number) => progress.update(d, t) } as const
    let report: ImportReport
    try {
      report = args.withdraw === true ? await withdrawRecords(deps, options) : await importFile(deps, options)
    } finally {
      progress?.stop()
    }
    // The import's report comes first: it has committed, whatever happens to the publish after.
    if (args.json !== true) for (const l of summary(report)) line(io.stdout, l)
    // A change is published at once under the agreements in force (the node also publishes on
    // its schedule while it serves; publishes queue behind each other).
    let published: PublishReport | undefined
    let publishError: { code: string, message: string } | undefined
    if (report.status === 'applied' && args.publish !== false) {
      try {
        const agreements = nodeAgreements(node.config.home)
        if (agreements.length > 0) published = await publish({ db: node.db.db, clock: io.clock, node: node.config.node.id, signingKey: node.signingKey, agreements, yearClosesOn: yearClosesOn(node.config) })
      } catch (err) {
        publishError = isAppError(err) ? { code: err.code, message: err.message } : { code: 'INTERNAL', message: (err as Error).message }
      }
    }
    if (args.json === true) {
      line(io.stdout, JSON.stringify({ ...report, ...(published === undefined ? {} : { published }), ...(publishError === undefined ? {} : { publish_error: publishError }) }, null, 2))
    } else if (published !== undefined) {
      line(io.stdout, `published: ${published.issued.length} signed object(s) issued, ${published.unchanged} table(s) unchanged, ${published.refused.length} refused${published.refused.length === 0 ? '' : ' (see dcimx publish)'}`)
      for (const text of revisionLines(published, true)) line(io.stdout, text)
    }
    if (publishError !== undefined) {
      line(io.stderr, `dcimx: the import is applied, but publishing it failed: ${publishError.code}: ${publishError.message}. It goes out with the next publish (dcimx publish, or the serving node's schedule).`)
      return 1
    }
    return report.status === 'rejected' ? 1 : 0
  })
}
