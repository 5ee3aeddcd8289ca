/**
 * Timing of exact intervals (src/totals/linked.ts) at a Europol-like liaison node: seven
 * countries each send V1-V5 for one year under rich grants (V1 by VICT_STATUS, SEX, AGE_GROUP,
 * CITIZEN_GRP; V2 by EXPLOIT, SEX, AGE_GROUP; V3 by CITIZENSHIP, COUNTRY_OF_EXPLOITATION; V4 by
 * IDENT_AGENCY, VICT_STATUS; V5 by ASSIST, SEX, AGE_GROUP). The tables are cut from random
 * persons (VICTIMS per country) with cells below 5 and a share SECONDARY of the others
 * suppressed: a stand-in for the publisher's pattern (what the solver has left after the cells
 * published fix their unknowns grows with the share suppressed). Each query is computed
 * uncached, as GET /v1/regional/totals does on a miss.
 *
 *   node --import tsx test/bench/exact-intervals.ts [VICTIMS=300] [SECONDARY=0.3]
 */
import { WESTERN_BALKANS } from '../../src/protocol/codelists.js'
import { findIndicator } from '../../src/protocol/indicators.js'
import { computeTotals, type CountryTable, type TableCell, type TotalsInput } from '../../src/totals/compute.js'
import type { TotalsQuery } from '../../src/totals/types.js'

const VICTIMS = Number(process.argv[2] ?? 300)
/** Share of the cells of 5 or more suppressed besides (a stand-in for secondary suppression). */
const SECONDARY = Number(process.argv[3] ?? 0.3)
let seed = 7
const rnd = (): number => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648 }
const pick = <T>(xs: readonly T[], skew = 1): T => xs[Math.min(xs.length - 1, Math.floor(rnd() ** skew * xs.length))]!

const CODES: Record<string, string[]> = {
  VICT_STATUS: ['IDENT', 'PRES'],
  SEX: ['F', 'M', 'O', 'U'],
  AGE_GROUP: ['Y_LT18', 'Y_GE18', 'UNK'],
  CITIZEN_GRP: ['NAT', 'WB_OTH', 'EU_FOR', 'NEU_FOR', 'STLS', 'UNK'],
  EXPLOIT: ['SEX', 'LAB', 'DOM', 'BEG', 'CRIM', 'MAR', 'ADOPT', 'SURR', 'ORG', 'MIX', 'OTH', 'UNK'],
  CITIZENSHIP: ['SRB', 'BIH', 'ALB', 'MKD', 'MNE', 'XKX', 'HRV', 'UKR', 'MDA', 'ROU', 'BGR', 'NGA', 'CHN', 'VNM', 'SYR', 'AFG', 'UNK'],
  COUNTRY_OF_EXPLOITATION: ['SRB', 'BIH', 'ALB', 'MKD', 'MNE', 'XKX', 'HRV', 'DEU', 'AUT', 'ITA', 'GRC', 'TUR'],
  IDENT_AGENCY: ['POL', 'PROS_CRT', 'LAB_INSP', 'SOC', 'BORD_IMM', 'GOV_OTH', 'NGO', 'IO', 'OTH', 'UNK'],
  ASSIST: ['SHELTER', 'HEALTH', 'PSY', 'LEGAL', 'FIN', 'EDU', 'LIVELI', 'SOCIAL', 'RESPERM', 'RETURN', 'NONE', 'UNK'],
}
const BY: Record<string, string[]> = {
  V1: ['VICT_STATUS', 'SEX', 'AGE_GROUP', 'CITIZEN_GRP'],
  V2: ['EXPLOIT', 'SEX', 'AGE_GROUP'],
  V3: ['CITIZENSHIP', 'COUNTRY_OF_EXPLOITATION'],
  V4: ['IDENT_AGENCY', 'VICT_STATUS'],
  V5: ['ASSIST', 'SEX', 'AGE_GROUP'],
}

function subsets (xs: string[]): string[][] {
  const out: string[][] = [[]]
  for (const x of xs) for (const s of [...out]) out.push([...s, x])
  return out
}

function tablesOf (country: string): Record<string, TableCell[]> {
  const persons = Array.from({ length: VICTIMS }, () => {
    const p: Record<string, string> = {}
    for (const [d, codes] of Object.entries(CODES)) if (d !== 'ASSIST') p[d] = pick(codes, 2)
    p.COUNTRY_OF_EXPLOITATION = rnd() < 0.6 ? country : pick(CODES.COUNTRY_OF_EXPLOITATION!, 2)
    return { p, assist: CODES.ASSIST!.filter(() => rnd() < 0.25) }
  })
  const out: Record<string, TableCell[]> = {}
  for (const [ind, by] of Object.entries(BY)) {
    const dims = findIndicator(ind)!.dimensions.map(d => d.id)
    const counts = new Map<string, number>()
    for (const { p, assist } of persons) {
      for (const s of subsets(by)) {
        const types = ind !== 'V5' ? [['-']] : s.includes('ASSIST') ? assist.map(a => [a]) : [assist]
        for (const ty of types) {
          const w = ind === 'V5' && !s.includes('ASSIST') ? ty.length : 1
          if (w === 0) continue
          const key = dims.map(d => !s.includes(d) ? '_T' : d === 'ASSIST' ? ty[0]! : p[d]!).join('|')
          counts.set(key, (counts.get(key) ?? 0) + w)
        }
      }
    }
    out[ind] = [...counts].sort().map(([key, v]) => {
      const codes = key.split('|')
      const cell = Object.fromEntries(dims.map((d, i) => [d, codes[i]!]))
      return v < 5 || rnd() < SECONDARY ? { dims: cell } : { dims: cell, value: v }
    })
  }
  return out
}

const held = new Map(WESTERN_BALKANS.map(c => [c, tablesOf(c)]))
const input = (query: TotalsQuery): TotalsInput => ({
  node: 'EUROPOL',
  query,
  computedAt: '2026-11-25T12:00:00.000Z',
  missing: [],
  tables: WESTERN_BALKANS.map((country): CountryTable => ({
    country,
    year: 2023,
    source: 'release',
    releaseId: `${country}-${query.indicator}`,
    cells: held.get(country)![query.indicator]!,
    linked: Object.keys(BY).filter(i => i !== query.indicator).map(i => ({ indicator: i, releaseId: `${country}-${i}`, cells: held.get(country)![i]! })),
  })),
})
const queries: TotalsQuery[] = [
  { indicator: 'V1', years: [2023], by: [] },
  { indicator: 'V1', years: [2023], by: ['SEX', 'AGE_GROUP'] },
  { indicator: 'V1', years: [2023], by: ['VICT_STATUS', 'SEX', 'AGE_GROUP', 'CITIZEN_GRP'] },
  { indicator: 'V2', years: [2023], by: ['EXPLOIT'] },
  { indicator: 'V3', years: [2023], by: ['CITIZENSHIP', 'COUNTRY_OF_EXPLOITATION'] },
  { indicator: 'V5', years: [2023], by: ['ASSIST'] },
]
// The first pass includes loading HiGHS and warming up the JIT; the second is a node's steady state.
for (const pass of ['first pass', 'second pass']) {
  console.log(`${pass}:`)
  for (const query of queries) {
    const start = performance.now()
    const r = await computeTotals(input(query))
    const ms = performance.now() - start
    const shown = r.cells.reduce((n, c) => n + c.parts.filter(p => p.suppressed === true).length, 0)
    const exact = r.contributions.filter(c => c.intervals === 'exact').length
    console.log(`  ${query.indicator} by ${query.by.join(',') || '(total)'}: ${r.cells.length} cells, ${shown} suppressed parts (${exact} countries exact), ${ms.toFixed(0)} ms`)
  }
}
