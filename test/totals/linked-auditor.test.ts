// Exact intervals (src/totals/linked.ts) against the independent auditor
// (test/helpers/independent-auditor.ts, which shares no code with src/): random persons, random
// grants of V1-V5 (some dimensions in groups), random suppressions of the cells with records; for
// every suppressed cell of every table, both must give the same interval. The auditor pools the
// tables of one publisher exactly as a node holds them, so the two solve the same problem with
// different formulations (its junction tree and flag counts, our code classes and cliques).
import t from 'tap'
import { findIndicator } from '../../src/protocol/indicators.js'
import { linkedIntervals, type HeldTable } from '../../src/totals/linked.js'
import { auditReceived, type ReceivedTable } from '../helpers/independent-auditor.js'

// A seeded generator: the same cases on every run.
let seed = 1
const rnd = (): number => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648 }
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!
const sub = <T>(xs: readonly T[], p: number): T[] => xs.filter(() => rnd() < p)

/** Few codes per dimension, so that tables have zeros and small cells. */
const CODES: Record<string, string[]> = {
  VICT_STATUS: ['IDENT', 'PRES'],
  SEX: ['F', 'M', 'U'],
  AGE_GROUP: ['Y_LT18', 'Y_GE18', 'UNK'],
  CITIZEN_GRP: ['NAT', 'WB_OTH', 'EU_FOR'],
  EXPLOIT: ['SEX', 'LAB', 'DOM', 'BEG'],
  CITIZENSHIP: ['SRB', 'BIH', 'ALB'],
  COUNTRY_OF_EXPLOITATION: ['SRB', 'DEU'],
  IDENT_AGENCY: ['POL', 'NGO', 'SOC'],
  ASSIST: ['SHELTER', 'HEALTH', 'LEGAL'],
}
const CANDIDATE_BY: Record<string, string[]> = { V1: ['VICT_STATUS', 'SEX', 'AGE_GROUP', 'CITIZEN_GRP'], V2: ['EXPLOIT', 'SEX', 'AGE_GROUP'], V3: ['CITIZENSHIP', 'COUNTRY_OF_EXPLOITATION'], V4: ['IDENT_AGENCY', 'VICT_STATUS'], V5: ['ASSIST', 'SEX', 'AGE_GROUP'] }
const GROUPS: Record<string, Record<string, string[] | 'rest'>> = { AGE_GROUP: { CHILD: ['Y_LT18'], ADULT: 'rest' }, EXPLOIT: { SEXUAL: ['SEX'], OTHER: 'rest' } }

function subsets (xs: string[]): string[][] {
  const out: string[][] = [[]]
  for (const x of xs) for (const s of [...out]) out.push([...s, x])
  return out
}

/** One random population-year: 'ok N' when the N intervals agree, the differences otherwise, null when nothing is suppressed. */
async function one (s: number): Promise<string | null> {
  seed = s
  const n = 3 + Math.floor(rnd() * 25)
  const persons = Array.from({ length: n }, () => {
    const p: Record<string, string> = {}
    for (const [d, cs] of Object.entries(CODES)) if (d !== 'ASSIST') p[d] = pick(cs.slice(0, 1 + Math.floor(rnd() * cs.length)))
    return { p, assist: sub(CODES.ASSIST!, 0.4) }
  })
  const tables: Array<{ held: HeldTable, recv: ReceivedTable }> = []
  for (const ind of ['V1', 'V2', 'V3', 'V4', 'V5']) {
    if (rnd() < 0.3) continue
    const dims = findIndicator(ind)!.dimensions.map(d => d.id)
    const by = sub(CANDIDATE_BY[ind]!, 0.5).slice(0, 3)
    const groups: Record<string, Record<string, string[] | 'rest'>> = {}
    for (const d of by) if (GROUPS[d] !== undefined && rnd() < 0.3 && d !== 'ASSIST') groups[d] = GROUPS[d]!
    const cellOf = (d: string, code: string): string => {
      const g = groups[d]
      if (g === undefined) return code
      for (const [name, m] of Object.entries(g)) if (m !== 'rest' && m.includes(code)) return name
      return Object.entries(g).find(([, m]) => m === 'rest')![0]
    }
    // The table's cells with records: every grouping of `by`, V5 once per type of assistance.
    const counts = new Map<string, number>()
    for (const { p, assist } of persons) {
      for (const S of subsets(by)) {
        const multi = ind === 'V5'
        const types = multi ? (S.includes('ASSIST') ? assist.map(a => [a]) : [assist]) : [[null]]
        for (const ty of types) {
          const k = dims.map(d => !S.includes(d) ? '_T' : d === 'ASSIST' ? ty[0]! : cellOf(d, p[d]!)).join('|')
          const w = multi && !S.includes('ASSIST') ? ty.length : 1
          if (w > 0) counts.set(k, (counts.get(k) ?? 0) + w)
        }
      }
    }
    const cells = [...counts].filter(([, v]) => v > 0).sort().map(([k, v]) => {
      const codes = k.split('|')
      const d = Object.fromEntries(dims.map((x, i) => [x, codes[i]!]))
      return rnd() < 0.45 ? { dims: d } : { dims: d, value: v }
    })
    if (cells.length === 0) continue
    const g = Object.keys(groups).length > 0 ? { groups } : {}
    tables.push({ held: { indicator: ind, ...g, cells }, recv: { recipient: 'R', round: 0, indicator: ind, year: 2023, by, ...g, cells: cells.map(c => ({ key: c.dims, ...(c.value === undefined ? {} : { value: c.value }) })) } })
  }
  if (tables.length === 0) return null
  const wanted: Array<{ table: number, dims: Record<string, string> }> = []
  tables.forEach((t, i) => { for (const c of t.held.cells) if (c.value === undefined) wanted.push({ table: i, dims: c.dims }) })
  if (wanted.length === 0) return null
  const mine = await linkedIntervals(tables.map(t => t.held), wanted)
  const report = await auditReceived(tables.map(t => t.recv), { threshold: 1 })
  const theirs = new Map(report.intervals.map(i => [`${i.indicator}:${i.key}`, [i.lower, i.upper]]))
  if (mine.intervals === null) return `seed ${s}: mine null ${mine.note}`
  const diffs: string[] = []
  wanted.forEach((w, k) => {
    const ind = tables[w.table]!.held.indicator
    const key = `${ind}:${findIndicator(ind)!.dimensions.map(d => w.dims[d.id]).join('|')}`
    const a = [mine.intervals![k]!.lower, mine.intervals![k]!.upper]
    const b = theirs.get(key)
    if (JSON.stringify(a) !== JSON.stringify(b)) diffs.push(`${key} mine ${JSON.stringify(a)} auditor ${JSON.stringify(b)}`)
  })
  return diffs.length === 0 ? `ok ${wanted.length}` : `seed ${s}: ${diffs.join('; ')}`
}

t.test('random population-years: the same interval as the independent auditor for every suppressed cell', async t => {
  let compared = 0
  const differ: string[] = []
  for (let s = 1; s <= 150; s++) {
    const r = await one(s)
    if (r === null) continue
    if (r.startsWith('ok ')) compared += Number(r.slice(3))
    else differ.push(r)
  }
  t.same(differ, [], 'no case differs')
  t.ok(compared > 1500, `${compared} intervals compared`)
})
