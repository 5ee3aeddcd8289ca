/** `dcimx tables`: the operator's view of the node's own unprotected indicator tables. */
import { AppError } from '../../errors.js'
import { openNode } from '../../node/home.js'
import { toCsvLine } from '../../ingest/csv-line.js'
import { readTable, type IndicatorTable } from '../../stats/tables.js'
import type { CliIo } from '../io.js'

export interface TablesArgs {
  home: string
  indicator: string
  year: string
  format?: string
}

export function formatTable (t: IndicatorTable, format: string): string {
  if (format === 'json') return JSON.stringify({ indicator: t.indicator, name: t.name, year: t.year, dimensions: t.dimensions, cells: t.cells, computed_at: t.computedAt?.toISOString() ?? null }, null, 2) + '\n'
  if (format === 'csv') return [toCsvLine([...t.dimensions, 'value']), ...t.cells.map(c => toCsvLine([...t.dimensions.map(d => c.key[d]!), String(c.value)]))].join('')
  const header = [...t.dimensions, 'value']
  const rows = t.cells.map(c => [...t.dimensions.map(d => c.key[d]!), String(c.value)])
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map(r => r[i]!.length)))
  const fmt = (r: string[]): string => r.map((v, i) => i === r.length - 1 ? v.padStart(widths[i]!) : v.padEnd(widths[i]!)).join('  ').trimEnd()
  const title = `${t.indicator} ${t.name}, ${t.year} (unprotected: for this node's operators only; _T = total; cells not listed are 0)`
  if (rows.length === 0) return `${title}\nno records counted in ${t.year}\n`
  return [title, fmt(header), ...rows.map(fmt)].join('\n') + '\n'
}

export async function tablesCommand (args: TablesArgs, io: CliIo): Promise<number> {
  const format = args.format ?? 'table'
  if (!['table', 'csv', 'json'].includes(format)) throw new AppError('USAGE', `--format must be table, csv or json (got "${format}")`)
  if (!/^\d{4}$/.test(args.year)) throw new AppError('USAGE', `--year must be a four-digit year (got "${args.year}")`)
  const node = await openNode({ home: args.home, env: io.env, clock: io.clock })
  try {
    io.stdout.write(formatTable(await readTable(node.db.db, args.indicator, Number(args.year)), format))
    return 0
  } finally {
    await node.db.close()
  }
}
