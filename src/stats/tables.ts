/** Reading the node's own (unprotected) indicator tables, in a stable order. */
import type { Kysely } from 'kysely'
import type { Database } from '../db/types.js'
import { AppError } from '../errors.js'
import { AREA_CODES } from '../protocol/area.js'
import { CODELISTS, TOTAL_CODE } from '../protocol/codelists.js'
import { findIndicator, INDICATOR_IDS } from '../protocol/indicators.js'

export interface TableCell {
  key: Record<string, string>
  value: number
}

export interface IndicatorTable {
  indicator: string
  name: string
  year: number
  dimensions: string[]
  cells: TableCell[]
  computedAt: Date | null
}

/** Position of each code in its codelist, totals last, so rows sort as the codelist reads. */
function codeOrder (codelist: string): Map<string, number> {
  const codes = codelist === 'AREA' ? AREA_CODES.map(a => a.code) : (CODELISTS.find(c => c.id === codelist)?.codes.map(c => c.code) ?? [])
  const order = new Map(codes.map((c, i) => [c, i]))
  order.set(TOTAL_CODE, codes.length)
  return order
}

/**
 * The table of `indicator` for `year` as the node computed it from its records, every margin
 * included. Cells not listed are zero. Throws USAGE for an unknown indicator.
 */
export async function readTable (db: Kysely<Database>, indicator: string, year: number): Promise<IndicatorTable> {
  const def = findIndicator(indicator)
  if (def === undefined) throw new AppError('USAGE', `unknown indicator "${indicator}"; use one of ${INDICATOR_IDS.join(', ')}`)
  const [rows, meta] = await Promise.all([
    db.selectFrom('indicator_cell').select(['cell_key', 'value']).where('indicator', '=', indicator).where('year', '=', year).execute(),
    db.selectFrom('indicator_table').select('computed_at').where('indicator', '=', indicator).where('year', '=', year).executeTakeFirst(),
  ])
  const dims = def.dimensions.map(d => d.id)
  const orders = def.dimensions.map(d => codeOrder(d.codelist))
  const parsed = rows.map(r => ({ codes: r.cell_key.split('|'), value: r.value }))
  parsed.sort((a, b) => {
    for (let i = 0; i < dims.length; i++) {
      const d = (orders[i]!.get(a.codes[i]!) ?? 1e6) - (orders[i]!.get(b.codes[i]!) ?? 1e6)
      if (d !== 0) return d
    }
    return 0
  })
  return {
    indicator,
    name: def.name,
    year,
    dimensions: dims,
    cells: parsed.map(p => ({ key: Object.fromEntries(dims.map((d, i) => [d, p.codes[i]!])), value: p.value })),
    computedAt: meta?.computed_at ?? null,
  }
}

/** The years with a computed table of any of `indicators` (all when empty), ascending. */
export async function tableYears (db: Kysely<Database>, indicators: readonly string[] = []): Promise<number[]> {
  let q = db.selectFrom('indicator_table').select('year').distinct()
  if (indicators.length > 0) q = q.where('indicator', 'in', [...indicators])
  return (await q.execute()).map(r => Number(r.year)).sort((a, b) => a - b)
}
