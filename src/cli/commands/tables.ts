/** `dcimx tables`: the operator's view of the node's own unprotected indicator tables. */
import { AppError } from '../../errors.js'
import { parseYearSpec } from '../../year-spec.js'
import { toCsvLine } from '../../ingest/csv-line.js'
import { INDICATOR_IDS } from '../../protocol/indicators.js'
import { readTable, tableYears, type IndicatorTable } from '../../stats/tables.js'
import type { CliIo } from '../io.js'
import { withNode } from '../with-node.js'

export interface TablesArgs {
  home: string
  /** One indicator, a comma-separated list, or none: all of them. */
  indicator?: string
  /** A year, a range (2015-2024), a list (2019,2021), or none: every year with records. */
  year?: string
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
  const indicators = args.indicator === undefined ? [...INDICATOR_IDS] : args.indicator.split(',').map(s => s.trim().toUpperCase()).filter(s => s !== '')
  const unknown = indicators.find(i => !(INDICATOR_IDS as readonly string[]).includes(i))
  if (unknown !== undefined || indicators.length === 0) throw new AppError('USAGE', `unknown indicator "${unknown ?? ''}"; use one of ${INDICATOR_IDS.join(', ')}`)
  const givenYears = args.year === undefined ? undefined : parseYearSpec(args.year, '--year')
  return await withNode(args.home, io, async node => {
    const years = givenYears ?? await tableYears(node.db.db, args.indicator === undefined ? [] : indicators)
    const many = indicators.length * years.length !== 1
    if (many && format === 'csv') throw new AppError('USAGE', 'CSV holds one table: give one --indicator and one --year, or use --format json or table for several')
    if (years.length === 0) {
      io.stdout.write(format === 'json' ? '[]\n' : 'no records counted in any year\n')
      return 0
    }
    const tables: IndicatorTable[] = []
    for (const indicator of indicators) for (const year of years) tables.push(await readTable(node.db.db, indicator, year))
    if (!many) io.stdout.write(formatTable(tables[0]!, format))
    else if (format === 'json') io.stdout.write(`[${tables.map(t => formatTable(t, 'json').trimEnd()).join(',\n')}]\n`)
    else io.stdout.write(tables.map(t => formatTable(t, 'table')).join('\n'))
    return 0
  })
}
