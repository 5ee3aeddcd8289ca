// The parts of the liaison officer's totals screen that are plain code, in one file (one
// process): what the charts draw (src/console/app/chart-data.ts): each figure as the API gives
// it, a hidden one as its range (never as zero), stacks going on from a hidden figure's upper
// bound, figures with no upper bound on top and open; and the map's outlines
// (src/console/app/region-outlines.ts), which are what bin/region-outlines.js makes from
// world-atlas's Natural Earth countries and hold all seven countries of the region, Kosovo
// included, each a closed SVG path.
import { readFileSync } from 'node:fs'
import t from 'tap'
import { OUTLINES_FILE, regionOutlinesSource } from '../../bin/region-outlines.js'
import { countriesChart, marksOf, scaleTop, stackChart } from '../../src/console/app/chart-data.js'
import { MAP_HEIGHT, MAP_WIDTH, OUTLINES } from '../../src/console/app/region-outlines.js'
import { WESTERN_BALKANS } from '../../src/protocol/codelists.js'

const part = (country: string, value: number | [number, number | null]) => typeof value === 'number'
  ? { country, value, lower: value, upper: value }
  : { country, suppressed: true as const, lower: value[0], upper: value[1] }
const cell = (year: number, sex: string, bounds: number | [number, number | null], parts: ReturnType<typeof part>[]) => ({
  key: { TIME_PERIOD: String(year), SEX: sex },
  ...(typeof bounds === 'number' ? { value: bounds, lower: bounds, upper: bounds } : { lower: bounds[0], upper: bounds[1] }),
  parts,
})
const name = (code: string): string => `name of ${code}`

t.test('a line per country: exact figures as points, hidden ones as ranges', async t => {
  const cells = [
    cell(2023, '_T', [9, 12], [part('BIH', 8), part('SRB', [1, 4])]),
    cell(2024, '_T', [12, null], [part('BIH', 7), part('SRB', [5, null])]),
    cell(2024, 'F', 7, [part('BIH', 7)]),
  ]
  const data = countriesChart(cells, ['SEX'], [2022, 2023, 2024], name)!
  t.same(data.series.map(s => [s.code, s.label]), [['BIH', 'name of BIH'], ['SRB', 'name of SRB']])
  t.same(data.series[1]!.figures, [null, { lower: 1, upper: 4, hidden: true }, { lower: 5, upper: null, hidden: true }], 'no figure in 2022 is no figure, not zero')
  t.same([data.hidden, data.open], [true, true])
  t.same(marksOf(data), [
    { kind: 'point', series: 0, year: 2023, from: 8, to: 8 },
    { kind: 'range', series: 1, year: 2023, from: 1, to: 4 },
    { kind: 'point', series: 0, year: 2024, from: 7, to: 7 },
    { kind: 'range', series: 1, year: 2024, from: 5, to: null },
  ])
  t.equal(scaleTop(marksOf(data)), 11, 'room above the highest bound for the open arrow: ceil(8 x 1.3)')
  t.equal(countriesChart([], [], [2024], name), undefined, 'no figures, no chart')
})

t.test('stacked by a dimension: exact segments, hidden ones from their lower to their upper bound, open ones on top', async t => {
  const cells = [
    cell(2024, '_T', [13, null], []),
    cell(2024, 'U', [2, null], []),
    cell(2024, 'M', [1, 4], []),
    cell(2024, 'F', 10, []),
  ]
  const data = stackChart(cells, ['SEX'], 'SEX', [2024], code => `sex ${code}`)!
  t.same(data.series.map(s => s.code), ['F', 'M', 'U'], 'the codes, not the total')
  t.same(data.totals, [{ lower: 13, upper: null, hidden: true }])
  t.same(marksOf(data), [
    { kind: 'solid', series: 0, year: 2024, from: 0, to: 10 },
    { kind: 'least', series: 1, year: 2024, from: 10, to: 11 },
    { kind: 'maybe', series: 1, year: 2024, from: 11, to: 14 },
    { kind: 'least', series: 2, year: 2024, from: 14, to: 16 },
    { kind: 'maybe', series: 2, year: 2024, from: 16, to: null },
    { kind: 'total', series: -1, year: 2024, from: 13, to: null },
  ])
  // A hidden figure is never drawn as zero: every hidden mark starts at or above its lower bound's height.
  for (const m of marksOf(data).filter(m => m.kind === 'least')) t.ok(m.to! > m.from, `${m.series}: at least 1 drawn`)
  // Other dimensions stay at their total; a dimension with no codes gives no chart.
  const two = [{ key: { TIME_PERIOD: '2024', SEX: 'F', AGE_GROUP: '_T' }, value: 3, lower: 3, upper: 3, parts: [] }, { key: { TIME_PERIOD: '2024', SEX: 'F', AGE_GROUP: 'Y18T24' }, value: 2, lower: 2, upper: 2, parts: [] }]
  t.same(marksOf(stackChart(two, ['SEX', 'AGE_GROUP'], 'SEX', [2024], c => c)!), [{ kind: 'solid', series: 0, year: 2024, from: 0, to: 3 }])
  t.equal(stackChart([cell(2024, '_T', 3, [])], ['SEX'], 'SEX', [2024], c => c), undefined)
})

t.test('the map outlines are the script\'s, for the seven countries', async t => {
  t.equal(readFileSync(OUTLINES_FILE, 'utf8'), regionOutlinesSource(), 'the committed file is what node bin/region-outlines.js writes')
  t.same(OUTLINES.map(o => o.code).sort(), [...WESTERN_BALKANS].sort(), 'ALB, BIH, HRV, XKX (Kosovo), MNE, MKD, SRB')
  for (const o of OUTLINES) {
    t.match(o.d, /^(M[\d.]+,[\d.]+(L[\d.]+,[\d.]+)+Z)+$/, `${o.code}: closed rings only`)
    const xy = [...o.d.matchAll(/([\d.]+),([\d.]+)/g)].map(m => [Number(m[1]), Number(m[2])] as const)
    t.ok(xy.length >= 20 && xy.every(([x, y]) => x >= 0 && x <= MAP_WIDTH && y >= 0 && y <= MAP_HEIGHT), `${o.code}: ${xy.length} points inside the map`)
    t.ok(o.label[0] > 0 && o.label[0] < MAP_WIDTH && o.label[1] > 0 && o.label[1] < MAP_HEIGHT, `${o.code}: label inside the map`)
  }
})
