// Exact intervals of suppressed figures, hand-computed: the lowest and highest value a cell can
// take given every table held from that country for that year (linked indicators included),
// with cells not listed 0 and suppressed cells at least 1; and the looser bound shown, with its
// reason, when no exact interval can be computed. Each case notes the bound the nearest
// published margin gave before.
import t from 'tap'
import { AREA_CODES } from '../../src/protocol/area.js'
import { findIndicator } from '../../src/protocol/indicators.js'
import { computeTotals, type CountryTable, type LinkedTable, type TableCell } from '../../src/totals/compute.js'
import { formatTable } from '../../src/totals/format.js'
import { MAX_UNKNOWNS } from '../../src/totals/linked.js'
import type { RegionalResult } from '../../src/totals/types.js'

/** The cells of an `indicator` table broken down by `by`: 'A|B' -> value, null when suppressed. */
function cells (indicator: string, by: string[], spec: Record<string, number | null>): TableCell[] {
  const dims = findIndicator(indicator)!.dimensions.map(d => d.id)
  return Object.entries(spec).map(([key, value]) => {
    const codes = key.split('|')
    const d = Object.fromEntries(dims.map(x => [x, by.includes(x) ? codes[by.indexOf(x)]! : '_T']))
    return value === null ? { dims: d } : { dims: d, value }
  })
}

const table = (country: string, indicator: string, by: string[], spec: Record<string, number | null>, linked: LinkedTable[] = [], extra: Partial<CountryTable> = {}): CountryTable =>
  ({ country, year: 2023, source: 'release', releaseId: `${country}-${indicator}`, cells: cells(indicator, by, spec), ...(linked.length === 0 ? {} : { linked }), ...extra })
const linked = (indicator: string, by: string[], spec: Record<string, number | null>, extra: Partial<LinkedTable> = {}): LinkedTable =>
  ({ indicator, releaseId: `x-${indicator}`, cells: cells(indicator, by, spec), ...extra })

async function totals (indicator: string, by: string[], tables: CountryTable[]): Promise<RegionalResult> {
  return await computeTotals({ node: 'EUROPOL', query: { indicator, years: [2023], by }, computedAt: '2026-11-25T12:00:00.000Z', tables, missing: [] })
}

/** Each cell's `by` codes with its bounds, and the parts of `country` that are suppressed. */
const bounds = (r: RegionalResult, by: string[]): Array<[string, number, number | null]> => r.cells.map(c => [by.map(d => c.key[d]).join('|'), c.lower, c.upper])
const suppressed = (r: RegionalResult, by: string[], country: string): Array<[string, number, number | null]> =>
  r.cells.flatMap(c => c.parts.filter(p => p.country === country && p.suppressed === true).map(p => [by.map(d => c.key[d]).join('|'), p.lower, p.upper] as [string, number, number | null]))

t.test('tau-ARGUS 3x2 example (V4 by IDENT_AGENCY and VICT_STATUS), suppressed cells >= 1', async t => {
  // Rows POL 7, SOC 3, NGO (3, 3) = 6; columns IDENT 9, PRES 7; total 16; the other seven
  // agencies are not listed: zeros. With SOC/IDENT = s: POL/IDENT = 6 - s, SOC/PRES = 3 - s,
  // POL/PRES = 1 + s. tau-ARGUS (x >= 0) gives s in [0, 3]; with every suppressed cell >= 1,
  // s is in [1, 2]. The nearest margins gave POL/IDENT [0, 6], POL/PRES [0, 4], SOC [0, 3].
  const by = ['IDENT_AGENCY', 'VICT_STATUS']
  const srb = table('SRB', 'V4', by, Object.fromEntries([
    ['POL|IDENT', null], ['POL|PRES', null], ['POL|_T', 7],
    ['SOC|IDENT', null], ['SOC|PRES', null], ['SOC|_T', 3],
    ['NGO|IDENT', 3], ['NGO|PRES', 3], ['NGO|_T', 6],
    ['_T|IDENT', 9], ['_T|PRES', 7], ['_T|_T', 16],
  ]))
  // Montenegro publishes everything: its figures add to the bounds.
  const mne = table('MNE', 'V4', by, { 'POL|IDENT': 2, 'POL|_T': 2, '_T|IDENT': 2, '_T|_T': 2 })
  const r = await totals('V4', by, [srb, mne])
  t.same(suppressed(r, by, 'SRB'), [['POL|IDENT', 4, 5], ['POL|PRES', 2, 3], ['SOC|IDENT', 1, 2], ['SOC|PRES', 1, 2]])
  t.same(bounds(r, by), [
    ['NGO|IDENT', 3, 3], ['NGO|PRES', 3, 3], ['NGO|_T', 6, 6],
    ['POL|IDENT', 6, 7], ['POL|PRES', 2, 3], ['POL|_T', 9, 9],
    ['SOC|IDENT', 1, 2], ['SOC|PRES', 1, 2], ['SOC|_T', 3, 3],
    ['_T|IDENT', 11, 11], ['_T|PRES', 7, 7], ['_T|_T', 18, 18],
  ], 'MNE adds 2 to POL/IDENT')
  t.same(r.contributions.map(c => [c.country, c.intervals, c.intervalsNote]), [['MNE', undefined, undefined], ['SRB', 'exact', undefined]])
})

t.test('a lower bound above 0: suppressed cells are at least 1 and share a published margin', async t => {
  // V2 by EXPLOIT: SEX and LAB suppressed, total 3, no other form listed (zeros): each is 1 or 2.
  // The margin alone gave [0, 3].
  const r = await totals('V2', ['EXPLOIT'], [table('BIH', 'V2', ['EXPLOIT'], { SEX: null, LAB: null, _T: 3 })])
  t.same(bounds(r, ['EXPLOIT']), [['LAB', 1, 2], ['SEX', 1, 2], ['_T', 3, 3]])
})

t.test('linked indicators: V2 by SEX pins V1 by SEX', async t => {
  // V1 by SEX with F and M suppressed and the total 10; V2 (the same victims) by SEX published:
  // F 6, M 4. A publisher would not send this; as received tables it pins both. V1 alone: each
  // at least 1 and together 10, so [1, 9] (the margin alone gave [0, 10]).
  const v1 = { F: null, M: null, _T: 10 }
  const pinned = await totals('V1', ['SEX'], [table('SRB', 'V1', ['SEX'], v1, [linked('V2', ['SEX'], { F: 6, M: 4, _T: 10 })])])
  t.same(bounds(pinned, ['SEX']), [['F', 6, 6], ['M', 4, 4], ['_T', 10, 10]])
  t.same(pinned.cells[0]!.parts, [{ country: 'SRB', suppressed: true, lower: 6, upper: 6 }], 'still a suppressed part, shown as the interval [6, 6]')
  t.equal(pinned.cells[0]!.obs_status, 'E')
  const alone = await totals('V1', ['SEX'], [table('SRB', 'V1', ['SEX'], v1)])
  t.same(bounds(alone, ['SEX']), [['F', 1, 9], ['M', 1, 9], ['_T', 10, 10]])
  // Tables of another population do not count the same persons: C1 is ignored.
  const other = await totals('V1', ['SEX'], [table('SRB', 'V1', ['SEX'], v1, [linked('C1', ['SEX'], { F: 6, M: 4, _T: 10 })])])
  t.same(bounds(other, ['SEX']), [['F', 1, 9], ['M', 1, 9], ['_T', 10, 10]])
})

t.test('V5 counts a person once per type of assistance: V1\'s total bounds each type', async t => {
  // V5 by ASSIST: SHELTER and HEALTH suppressed, 5 (person, type) pairs in all, no other type.
  // V1: 3 victims. Each type goes to at most 3 persons, so each is 5 - 3 = 2 to 3. V5 alone: each
  // at least 1, so [1, 4] (the margin alone gave [0, 5]).
  const v5 = { SHELTER: null, HEALTH: null, _T: 5 }
  const withV1 = await totals('V5', ['ASSIST'], [table('ALB', 'V5', ['ASSIST'], v5, [linked('V1', [], { '': 3 })])])
  t.same(bounds(withV1, ['ASSIST']), [['HEALTH', 2, 3], ['SHELTER', 2, 3], ['_T', 5, 5]])
  const alone = await totals('V5', ['ASSIST'], [table('ALB', 'V5', ['ASSIST'], v5)])
  t.same(bounds(alone, ['ASSIST']), [['HEALTH', 1, 4], ['SHELTER', 1, 4], ['_T', 5, 5]])
})

t.test('unbounded: nothing published bounds the cells from above, until a linked total does', async t => {
  const v2 = { SEX: null, LAB: null, _T: null }
  const alone = await totals('V2', ['EXPLOIT'], [table('MKD', 'V2', ['EXPLOIT'], v2)])
  t.same(bounds(alone, ['EXPLOIT']), [['LAB', 1, null], ['SEX', 1, null], ['_T', 2, null]], 'each at least 1, the total at least 2, no upper bound')
  t.same(alone.contributions.map(c => c.intervals), ['exact'])
  // V1's total is V2's total (the same victims): 10.
  const bounded = await totals('V2', ['EXPLOIT'], [table('MKD', 'V2', ['EXPLOIT'], v2, [linked('V1', [], { '': 10 })])])
  t.same(bounds(bounded, ['EXPLOIT']), [['LAB', 1, 9], ['SEX', 1, 9], ['_T', 10, 10]])
})

t.test('groups: a linked table granted in groups links by its groups\' members, when the agreement says what they are', async t => {
  // V1 by AGE_GROUP: Y_LT18 and Y_GE18 suppressed, total 10, UNK not listed (0). V2 by AGE_GROUP
  // in groups CHILD = [Y_LT18], ADULT = rest (Y_GE18, UNK): CHILD 3, ADULT 7. So Y_LT18 = 3, Y_GE18 = 7.
  const v1 = { Y_LT18: null, Y_GE18: null, _T: 10 }
  const v2 = { CHILD: 3, ADULT: 7, _T: 10 }
  const groups = { AGE_GROUP: { CHILD: ['Y_LT18'], ADULT: 'rest' as const } }
  const known = await totals('V1', ['AGE_GROUP'], [table('XKX', 'V1', ['AGE_GROUP'], v1, [linked('V2', ['AGE_GROUP'], v2, { groups })])])
  t.same(bounds(known, ['AGE_GROUP']), [['Y_GE18', 7, 7], ['Y_LT18', 3, 3], ['_T', 10, 10]])
  t.same(known.contributions.map(c => c.intervals), ['exact'])
  // The agreement is not held: what CHILD and ADULT hold is unknown, V2 does not link by age.
  const unknown = await totals('V1', ['AGE_GROUP'], [table('XKX', 'V1', ['AGE_GROUP'], v1, [linked('V2', ['AGE_GROUP'], v2)])])
  t.same(bounds(unknown, ['AGE_GROUP']), [['Y_GE18', 1, 9], ['Y_LT18', 1, 9], ['_T', 10, 10]])
  t.same(unknown.contributions.map(c => [c.intervals, c.intervalsNote]), [['wider', 'the groups of AGE_GROUP in V2 are not known to this node (no agreement held with the release\'s hash), so V2 is not linked to other indicators by AGE_GROUP']])
})

t.test('no exact interval: tables that contradict the publication rules get the margin bound, and say so', async t => {
  // A suppressed cell with no margin listed: the total would be a published 0, which contradicts
  // a suppressed cell (at least 1). The bound falls back to [0, nearest margin] (here none).
  const r = await totals('V2', ['EXPLOIT', 'SEX'], [table('ALB', 'V2', ['EXPLOIT', 'SEX'], { 'SEX|F': null })])
  t.same(r.cells.map(c => c.parts), [[{ country: 'ALB', suppressed: true, lower: 0, upper: null }]])
  t.same(r.contributions.map(c => [c.intervals, c.intervalsNote]), [['wider', 'the tables held fit no counts: they contradict the publication rules: suppressed figures bounded by published margins only']])
  t.ok(formatTable(r).includes('      ALB: suppressed figures shown with wider bounds than exact (the tables held fit no counts: they contradict the publication rules: suppressed figures bounded by published margins only)'), 'the text report says so')
})

t.test(`no exact interval: more than ${MAX_UNKNOWNS} unknowns get the margin bound, and say so`, async t => {
  // V3 with 142 x 142 citizenship / country pairs, each 1: 20,164 unknowns. The citizenship
  // margin of the first code is suppressed (142): the total less the other 141 margins.
  const codes = AREA_CODES.slice(0, 142).map(a => a.code)
  const spec: Record<string, number | null> = { '_T|_T': 142 * 142 }
  for (const a of codes) {
    spec[`${a}|_T`] = a === codes[0] ? null : 142
    spec[`_T|${a}`] = 142
    for (const b of codes) spec[`${a}|${b}`] = 1
  }
  const by = ['CITIZENSHIP', 'COUNTRY_OF_EXPLOITATION']
  const r = await totals('V3', ['CITIZENSHIP'], [table('SRB', 'V3', by, spec)])
  t.same(r.cells[0]!.parts, [{ country: 'SRB', suppressed: true, lower: 0, upper: 142 }], `${codes[0]}: at most 142 by the margins`)
  t.same(r.contributions.map(c => [c.intervals, c.intervalsNote]), [['wider', `the linear program would have more than ${MAX_UNKNOWNS} unknowns: suppressed figures bounded by published margins only`]])
})

t.test('the same input gives the same result', async t => {
  const input = (): CountryTable[] => [table('SRB', 'V1', ['SEX'], { F: null, M: null, _T: 10 }, [linked('V2', ['SEX'], { F: null, M: null, _T: 10 }), linked('V5', ['SEX'], { F: 4, M: null, _T: 7 })])]
  const a = await totals('V1', ['SEX'], input())
  const b = await totals('V1', ['SEX'], input().map(x => ({ ...x, linked: [...x.linked!].reverse() })))
  t.same(b, a, 'whatever the order of the linked tables')
  // V5 by SEX, F 4 pairs: at least one woman; M suppressed: at least one man.
  t.same(bounds(a, ['SEX']), [['F', 1, 9], ['M', 1, 9], ['_T', 10, 10]])
})

t.test('a revision part-way received: only tables of the same version of the population-year are linked', async t => {
  // Version 0: F 6, M 4. Version 1 withdrew a woman and added a man: F 5, M 5. A pull stopped
  // part-way holds V1 at version 1 (F and M suppressed, total 10) and V2 still at version 0
  // (F 6, M 4 published). Linking them would pin V1's F at 6, which is not its value (5).
  const v1 = { F: null, M: null, _T: 10 }
  const mixed = await totals('V1', ['SEX'], [table('SRB', 'V1', ['SEX'], v1, [linked('V2', ['SEX'], { F: 6, M: 4, _T: 10 }, { version: 0 })], { version: 1 })])
  t.same(bounds(mixed, ['SEX']), [['F', 1, 9], ['M', 1, 9], ['_T', 10, 10]], 'V1 alone: the truth (5, 5) inside')
  t.same(mixed.contributions.map(c => [c.intervals, c.intervalsNote]), [['wider', 'not linked: V2 (version 0) held at another version of the year than V1 (version 1)']])
  // Once V2's version 1 is applied (F 5, M 5), the two link again.
  const whole = await totals('V1', ['SEX'], [table('SRB', 'V1', ['SEX'], v1, [linked('V2', ['SEX'], { F: 5, M: 5, _T: 10 }, { version: 1 })], { version: 1 })])
  t.same(bounds(whole, ['SEX']), [['F', 5, 5], ['M', 5, 5], ['_T', 10, 10]])
  t.same(whole.contributions.map(c => c.intervals), ['exact'])
  // A release that names no version is linked only with others that name none (a publisher
  // that sends none, or a recipient that does not accept them: as before).
  const unnamed = await totals('V1', ['SEX'], [table('SRB', 'V1', ['SEX'], v1, [linked('V2', ['SEX'], { F: 6, M: 4, _T: 10 })])])
  t.same(bounds(unnamed, ['SEX']), [['F', 6, 6], ['M', 4, 4], ['_T', 10, 10]])
  const half = await totals('V1', ['SEX'], [table('SRB', 'V1', ['SEX'], v1, [linked('V2', ['SEX'], { F: 6, M: 4, _T: 10 })], { version: 0 })])
  t.same(bounds(half, ['SEX']), [['F', 1, 9], ['M', 1, 9], ['_T', 10, 10]])
  t.same(half.contributions.map(c => c.intervalsNote), ['not linked: V2 (no version named) held at another version of the year than V1 (version 0)'])
  // The tables of the year at V1's version still link with it; V4, still at version 0 (11
  // victims, before a withdrawal), would contradict V1's total of 10.
  const three = await totals('V1', ['SEX'], [table('SRB', 'V1', ['SEX'], v1, [
    linked('V2', ['SEX'], { F: 5, M: 5, _T: 10 }, { version: 1 }),
    linked('V4', [], { '': 11 }, { version: 0 }),
  ], { version: 1 })])
  t.same(bounds(three, ['SEX']), [['F', 5, 5], ['M', 5, 5], ['_T', 10, 10]])
  t.same(three.contributions.map(c => c.intervalsNote), ['not linked: V4 (version 0) held at another version of the year than V1 (version 1)'])
})
