// Regional totals from hand-built tables: exact sums, suppressed parts as exact intervals, zeros
// from sparse tables, missing breakdowns, mirror statistics. (Exact intervals of linked tables,
// groups and fallbacks: exact.test.ts.)
import t from 'tap'
import { computeTotals, type CountryTable, type TableCell } from '../../src/totals/compute.js'

const v2 = (exploit: string, sex: string, value?: number): TableCell => ({ dims: { EXPLOIT: exploit, SEX: sex, AGE_GROUP: '_T' }, ...(value === undefined ? {} : { value }) })
const table = (country: string, cells: TableCell[], year = 2023): CountryTable => ({ country, year, source: 'release', releaseId: `r-${country}`, cells })

t.test('exact parts add up; a suppressed part makes the total an interval', async t => {
  const srb = table('SRB', [v2('SEX', 'F', 10), v2('SEX', 'M', 4), v2('SEX', '_T', 14), v2('LAB', 'M', 6), v2('LAB', '_T', 6), v2('_T', 'F', 10), v2('_T', 'M', 10), v2('_T', '_T', 20)])
  // Bosnia and Herzegovina suppressed its four inner cells (6, 3, 2, 2): SEX/_T 9, LAB/_T 4,
  // _T/F 8, _T/M 5. With SEX/F = a: SEX/M = 9 - a, LAB/F = 8 - a, LAB/M = a - 4; every suppressed
  // cell is at least 1, so a is in [5, 7]: SEX/F [5, 7], SEX/M [2, 4], LAB/F [1, 3], LAB/M [1, 3].
  // (The nearest margins alone gave [0, 8], [0, 5], [0, 4], [0, 4].)
  const bih = table('BIH', [v2('SEX', 'F'), v2('SEX', 'M'), v2('SEX', '_T', 9), v2('LAB', 'F'), v2('LAB', 'M'), v2('LAB', '_T', 4), v2('_T', 'F', 8), v2('_T', 'M', 5), v2('_T', '_T', 13)])
  const r = await computeTotals({
    node: 'EUROPOL',
    query: { indicator: 'V2', years: [2023], by: ['EXPLOIT', 'SEX'] },
    computedAt: '2026-11-25T12:00:00.000Z',
    tables: [bih, srb],
    missing: [{ country: 'ALB', year: 2023, reason: 'no_agreement' }],
  })
  t.same(r.cells.map(c => [`${c.key.EXPLOIT}/${c.key.SEX}`, c.value, c.lower, c.upper, c.obs_status, c.conf_status]), [
    ['LAB/F', undefined, 1, 3, 'E', 'C'],
    ['LAB/M', undefined, 7, 9, 'E', 'C'],
    ['LAB/_T', 10, 10, 10, 'A', 'F'],
    ['SEX/F', undefined, 15, 17, 'E', 'C'],
    ['SEX/M', undefined, 6, 8, 'E', 'C'],
    ['SEX/_T', 23, 23, 23, 'A', 'F'],
    ['_T/F', 18, 18, 18, 'A', 'F'],
    ['_T/M', 15, 15, 15, 'A', 'F'],
    ['_T/_T', 33, 33, 33, 'A', 'F'],
  ])
  t.same(r.cells[0]!.key, { TIME_PERIOD: '2023', EXPLOIT: 'LAB', SEX: 'F' })
  t.same(r.cells[0]!.parts, [
    { country: 'BIH', suppressed: true, lower: 1, upper: 3 },
    { country: 'SRB', value: 0, lower: 0, upper: 0 },
  ], 'SRB lists no LAB/F: a published 0')
  t.same(r.cells[4]!.parts, [
    { country: 'BIH', suppressed: true, lower: 2, upper: 4 },
    { country: 'SRB', value: 4, lower: 4, upper: 4 },
  ])
  t.same(r.contributions.map(c => [c.country, c.status, c.reason ?? c.source, c.suppressedCells, c.intervals]), [
    ['ALB', 'missing', 'no_agreement', undefined, undefined], ['BIH', 'included', 'release', 4, 'exact'], ['SRB', 'included', 'release', 0, undefined],
  ])
  t.same(r.mirror, [])
})

t.test('sparse zeros, a missing breakdown, an unbounded part, several years', async t => {
  const srb = table('SRB', [v2('SEX', 'F', 3), v2('SEX', '_T', 3), v2('_T', 'F', 3), v2('_T', '_T', 3)])
  // Montenegro shares V2 by sex only: not by form of exploitation.
  const mne = table('MNE', [v2('_T', 'F', 4), v2('_T', 'M', 1), v2('_T', '_T', 5)])
  // Albania suppressed everything: each cell is at least 1, nothing bounds it from above. It
  // lists no LAB cell: those are zeros.
  const alb = table('ALB', [v2('SEX', 'F'), v2('SEX', '_T'), v2('_T', 'F'), v2('_T', '_T')], 2024)
  const srb24 = table('SRB', [v2('SEX', 'F', 7), v2('SEX', '_T', 7), v2('LAB', 'M', 2), v2('LAB', '_T', 2), v2('_T', 'F', 7), v2('_T', 'M', 2), v2('_T', '_T', 9)], 2024)
  const r = await computeTotals({ node: 'EUROPOL', query: { indicator: 'V2', years: [2023, 2024], by: ['EXPLOIT'] }, computedAt: '2026-11-25T12:00:00.000Z', tables: [srb, mne, alb, srb24], missing: [] })
  t.same(r.contributions.map(c => `${c.year} ${c.country} ${c.status} ${c.reason ?? ''}`), ['2023 MNE missing breakdown_not_granted', '2023 SRB included ', '2024 ALB included ', '2024 SRB included '])
  t.same(r.cells.map(c => [c.key.TIME_PERIOD, c.key.EXPLOIT, c.lower, c.upper]), [['2023', 'SEX', 3, 3], ['2023', '_T', 3, 3], ['2024', 'LAB', 2, 2], ['2024', 'SEX', 8, null], ['2024', '_T', 10, null]])
  t.same(r.cells[2]!.parts[0], { country: 'ALB', value: 0, lower: 0, upper: 0 }, 'ALB lists no LAB/_T/_T cell: a sparse table reads it as zero')
  const byBoth = await computeTotals({ node: 'EUROPOL', query: { indicator: 'V2', years: [2024], by: ['EXPLOIT', 'SEX'] }, computedAt: '2026-11-25T12:00:00.000Z', tables: [alb, srb24], missing: [] })
  const f = byBoth.cells.find(c => c.key.EXPLOIT === 'SEX' && c.key.SEX === 'F')!
  t.same([f.lower, f.upper, f.obs_status, f.parts[0]], [8, null, 'E', { country: 'ALB', suppressed: true, lower: 1, upper: null }], 'no published margin: no upper bound, never zero')
})

t.test('mirror statistics: each side as its own country reports it, with the asymmetry', async t => {
  const v3 = (cit: string, coe: string, value?: number): TableCell => ({ dims: { CITIZENSHIP: cit, COUNTRY_OF_EXPLOITATION: coe }, ...(value === undefined ? {} : { value }) })
  // Serbia identified 7 Bosnian citizens in Serbia; Bosnia reports 4 of its citizens exploited in Serbia (suppressed for Albania).
  const srb = { country: 'SRB', year: 2023, source: 'release' as const, cells: [v3('BIH', 'SRB', 7), v3('SRB', 'SRB', 30), v3('_T', 'SRB', 37), v3('_T', '_T', 37), v3('BIH', '_T', 7), v3('SRB', '_T', 30)] }
  const bih = { country: 'BIH', year: 2023, source: 'release' as const, cells: [v3('BIH', 'SRB', 4), v3('BIH', 'BIH', 12), v3('BIH', 'ALB'), v3('BIH', '_T', 18), v3('_T', 'SRB', 4), v3('_T', 'BIH', 12), v3('_T', 'ALB'), v3('_T', '_T', 18)] }
  const r = await computeTotals({ node: 'EUROPOL', query: { indicator: 'V3', years: [2023], by: [] }, computedAt: '2026-11-25T12:00:00.000Z', tables: [srb, bih], missing: [] })
  t.same(r.mirror, [{
    year: 2023,
    destination: 'SRB',
    origin: 'BIH',
    byDestination: { country: 'SRB', value: 7, lower: 7, upper: 7 },
    byOrigin: { country: 'BIH', value: 4, lower: 4, upper: 4 },
    asymmetry: 3,
  }], 'only pairs of countries both held; ALB is not held')
  t.same(r.cells.map(c => [c.value]), [[55]])
})
