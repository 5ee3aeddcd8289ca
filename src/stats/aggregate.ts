/**
 * Aggregation of the stored records into the harmonised indicator tables, by PostgreSQL (the
 * same SQL on PGlite): one GROUP BY year, CUBE(...) per indicator, so every margin ('_T') is
 * counted from the records, never summed from other cells.
 */
import { sql, type Kysely, type RawBuilder } from 'kysely'
import type { Database } from '../db/types.js'
import { INDICATORS, type Indicator } from '../protocol/indicators.js'

interface Source {
  table: 'victim' | 'offender'
  /** SQL expression of the year a record counts in. */
  year: RawBuilder<unknown>
  /** Extra FROM clause (V5: one row per assistance type). */
  lateral?: RawBuilder<unknown>
  /** One SQL expression per dimension, in the indicator's order; never NULL. */
  dims: Array<RawBuilder<unknown>>
}

const yearOf = (column: string): RawBuilder<unknown> => sql`extract(year from ${sql.ref(column)})::int`

const SOURCES: Readonly<Record<string, Source>> = {
  V1: { table: 'victim', year: sql`year`, dims: [sql`status`, sql`sex`, sql`age_group`, sql`citizen_grp`] },
  V2: { table: 'victim', year: sql`year`, dims: [sql`exploit_primary`, sql`sex`, sql`age_group`] },
  V3: { table: 'victim', year: sql`year`, dims: [sql`citizenship`, sql`country_of_exploitation`] },
  V4: { table: 'victim', year: sql`year`, dims: [sql`identified_by`, sql`status`] },
  V5: { table: 'victim', year: sql`year`, lateral: sql`cross join lateral unnest(assistance) as a(code)`, dims: [sql`a.code`, sql`sex`, sql`age_group`] },
  C1: { table: 'offender', year: yearOf('suspected_on'), dims: [sql`sex`, sql`age_group`, sql`citizen_grp`, sql`offence`] },
  C2: { table: 'offender', year: yearOf('prosecuted_on'), dims: [sql`sex`, sql`age_group`, sql`citizen_grp`, sql`offence`] },
  C3: { table: 'offender', year: yearOf('convicted_on'), dims: [sql`sex`, sql`age_group`, sql`citizen_grp`, sql`offence`, sql`exploit_primary`] },
  C4: { table: 'offender', year: yearOf('convicted_on'), dims: [sql`coalesce(sentence, 'UNK')`, sql`sex`] },
}

/** The indicators computed from one kind of record. */
export function indicatorsOf (table: 'victim' | 'offender'): Indicator[] {
  return INDICATORS.filter(i => SOURCES[i.id]!.table === table)
}

/** The SELECT that computes indicator `id` for `years`: (year, cell_key, value) rows. */
export function indicatorQuery (id: string, years: readonly number[]): RawBuilder<{ year: number, cell_key: string, value: number }> {
  const s = SOURCES[id]!
  const names = s.dims.map((_, i) => sql.raw(`d${i + 1}`))
  const selectDims = sql.join(s.dims.map((d, i) => sql`${d} as ${names[i]!}`))
  const key = sql.join(names.map(n => sql`coalesce(${n}, '_T')`), sql`, `)
  return sql<{ year: number, cell_key: string, value: number }>`
    select year, concat_ws('|', ${key}) as cell_key, count(*)::int as value
    from (
      select ${s.year} as year, ${selectDims}
      from ${sql.table(s.table)} ${s.lateral ?? sql``}
      where ${s.year} = any(${sql.val([...years])}::int[])
    ) r
    group by year, cube(${sql.join(names)})`
}

/**
 * Recomputes the tables of `indicators` for `years` inside the caller's transaction: old cells
 * are replaced by what the records give now; a year with no records has no table. Returns the
 * (indicator, year) pairs that now have a table.
 */
export async function recomputeTables (trx: Kysely<Database>, indicators: readonly string[], years: readonly number[], importId: number, now: Date): Promise<Array<{ indicator: string, year: number, cells: number }>> {
  const computed: Array<{ indicator: string, year: number, cells: number }> = []
  if (years.length === 0) return computed
  for (const indicator of indicators) {
    await trx.deleteFrom('indicator_cell').where('indicator', '=', indicator).where('year', 'in', [...years]).execute()
    await trx.deleteFrom('indicator_table').where('indicator', '=', indicator).where('year', 'in', [...years]).execute()
    await sql`insert into indicator_cell (indicator, year, cell_key, value)
      select ${indicator}, year, cell_key, value from (${indicatorQuery(indicator, years)}) q`.execute(trx)
    const counts = await trx.selectFrom('indicator_cell')
      .select(['year', eb => eb.fn.countAll<number>().as('cells')])
      .where('indicator', '=', indicator).where('year', 'in', [...years])
      .groupBy('year').orderBy('year').execute()
    for (const c of counts) {
      await trx.insertInto('indicator_table').values({ indicator, year: c.year, cells: Number(c.cells), import_id: importId, computed_at: now }).execute()
      computed.push({ indicator, year: c.year, cells: Number(c.cells) })
    }
  }
  return computed
}
