import t from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Ajv2019 } from 'ajv/dist/2019.js'
import addFormats from 'ajv-formats'
import { SDMX_MEDIA_TYPE, toSdmxJson, type SdmxDataMessage } from '../../src/totals/sdmx.js'
import type { CellPart, Contribution, RegionalResult, TotalCell } from '../../src/totals/types.js'

const REFERENCE = join(import.meta.dirname, '..', 'fixtures', 'sdmx-json')

// The official schema is draft 2019-09; its x- extension hook uses patternProperties without
// "type": "object", which only Ajv's strictTypes objects to. Formats are checked: the schema's
// date / date-time alternatives (meta.prepared) differ by format alone.
const ajv = new Ajv2019({ allErrors: true, strictTypes: false })
addFormats.default(ajv)
const validate = ajv.compile(JSON.parse(readFileSync(`${REFERENCE}/sdmx-json-data-schema.json`, 'utf8')) as object)

function schemaErrors (message: unknown): string[] {
  return validate(message) ? [] : (validate.errors ?? []).map(e => `${e.instancePath} ${e.message ?? e.keyword}`)
}

const COMPUTED_AT = '2025-03-01T10:00:00Z'

const exact = (country: string, value: number): CellPart => ({ country, value, lower: value, upper: value })
const suppressed = (country: string, lower: number, upper: number | null): CellPart => ({ country, suppressed: true, lower, upper })

function cell (key: Record<string, string>, parts: CellPart[]): TotalCell {
  const lower = parts.reduce((s, p) => s + p.lower, 0)
  const upper = parts.some(p => p.upper === null) ? null : parts.reduce((s, p) => s + p.upper!, 0)
  if (parts.every(p => p.value !== undefined)) return { key, value: lower, lower, upper, obs_status: 'A', conf_status: 'F', parts }
  return { key, lower, upper, obs_status: 'E', conf_status: 'C', parts }
}

function included (country: string, year: number, suppressedCells = 0): Contribution {
  return { country, year, status: 'included', source: 'release', releaseId: `rel-${country}-${year}`, issuedAt: '2025-02-01T00:00:00Z', appliedAt: '2025-02-02T00:00:00Z', expiresAt: '2026-02-01T00:00:00Z', suppressedCells }
}

function result (indicator: string, years: number[], by: string[], cells: TotalCell[], contributions: Contribution[] = []): RegionalResult {
  return { node: 'WB_HUB', query: { indicator, years, by, asOf: null }, computedAt: COMPUTED_AT, contributions, cells, mirror: [] }
}

/** V1 by SEX, 2022-2023: exact totals, an interval with a bound, an unbounded interval. */
function smallCase (): RegionalResult {
  return result('V1', [2022, 2023], ['SEX'], [
    cell({ TIME_PERIOD: '2023', SEX: '_T' }, [exact('ALB', 4), exact('BIH', 6)]),
    cell({ TIME_PERIOD: '2023', SEX: 'F' }, [exact('ALB', 3), suppressed('BIH', 0, 4)]),
    cell({ TIME_PERIOD: '2023', SEX: 'M' }, [exact('ALB', 2), suppressed('BIH', 0, null)]),
    cell({ TIME_PERIOD: '2022', SEX: '_T' }, [exact('ALB', 7)]),
  ], [included('ALB', 2022), included('ALB', 2023), included('BIH', 2023, 2), { country: 'BIH', year: 2022, status: 'missing', reason: 'no_data' }])
}

const cases: Record<string, () => RegionalResult> = {
  'an exact result': () => result('V1', [2023], ['SEX'], [
    cell({ TIME_PERIOD: '2023', SEX: '_T' }, [exact('ALB', 12), exact('SRB', 30)]),
    cell({ TIME_PERIOD: '2023', SEX: 'F' }, [exact('ALB', 8), exact('SRB', 21)]),
    cell({ TIME_PERIOD: '2023', SEX: 'M' }, [exact('ALB', 4), exact('SRB', 9)]),
  ], [included('ALB', 2023), included('SRB', 2023)]),
  'a result with interval cells': smallCase,
  'two by-dimensions (AREA) over several years': () => result('V3', [2021, 2022, 2023], ['CITIZENSHIP', 'COUNTRY_OF_EXPLOITATION'], [2021, 2022, 2023].flatMap(y => [
    cell({ TIME_PERIOD: String(y), CITIZENSHIP: 'ALB', COUNTRY_OF_EXPLOITATION: 'XKX' }, [exact('XKX', y - 2015)]),
    cell({ TIME_PERIOD: String(y), CITIZENSHIP: 'UNK', COUNTRY_OF_EXPLOITATION: 'SRB' }, [suppressed('SRB', 0, 2)]),
    cell({ TIME_PERIOD: String(y), CITIZENSHIP: '_T', COUNTRY_OF_EXPLOITATION: '_T' }, [exact('XKX', 40), suppressed('SRB', 3, 5)]),
  ])),
  'no total at all': () => result('C1', [2023], ['SEX', 'OFFENCE'], [], [{ country: 'MNE', year: 2023, status: 'missing', reason: 'no_agreement' }]),
  'no breakdown and no year': () => result('V1', [], [], []),
}

t.test('the reference validator is effective', async t => {
  t.same(schemaErrors(JSON.parse(readFileSync(`${REFERENCE}/sample-exr-cross-section.json`, 'utf8'))), [], 'the official sample validates')
  const broken = toSdmxJson(smallCase()) as unknown as { data: { dataSets: Array<{ observations: Record<string, unknown> }> } }
  broken.data.dataSets[0]!.observations['0-0'] = [1]
  t.not(schemaErrors(broken).length, 0, 'a malformed observation key is refused')
  const noValues = toSdmxJson(smallCase()) as unknown as { data: { structures: Array<{ attributes: { observation: Array<{ values?: unknown[] }> } }> } }
  noValues.data.structures[0]!.attributes.observation[0]!.values = []
  t.not(schemaErrors(noValues).length, 0, 'an empty values list is refused')
})

t.test('messages validate against the SDMX-JSON data message schema', async t => {
  for (const [name, make] of Object.entries(cases)) {
    const message = toSdmxJson(make())
    t.same(schemaErrors(message), [], name)
    t.same(schemaErrors(JSON.parse(JSON.stringify(message))), [], `${name} (after a JSON round trip)`)
  }
})

t.test('meta', async t => {
  const m = toSdmxJson(smallCase())
  t.equal(SDMX_MEDIA_TYPE, 'application/vnd.sdmx.data+json;version=2.0.0')
  t.same(m.meta, {
    schema: 'https://json.sdmx.org/2.0.0/sdmx-json-data-schema.json',
    id: 'DCIMX-WB_HUB-V1-2022_2023-SEX',
    test: false,
    prepared: COMPUTED_AT,
    contentLanguages: ['en'],
    sender: { id: 'WB_HUB' },
  })
  t.equal(m.$schema, m.meta.schema)
  t.equal(toSdmxJson(smallCase(), { prepared: new Date('2025-04-02T08:30:00Z') }).meta.prepared, '2025-04-02T08:30:00.000Z')
  const r = cases['two by-dimensions (AREA) over several years']!()
  r.query.asOf = '2025-01-31T23:00:00.000Z'
  t.equal(toSdmxJson(r).meta.id, 'DCIMX-WB_HUB-V3-2021_2022_2023-CITIZENSHIP@COUNTRY_OF_EXPLOITATION-AT20250131T230000000Z')
  t.equal(toSdmxJson(cases['no breakdown and no year']!()).meta.id, 'DCIMX-WB_HUB-V1-NONE-_T')
})

t.test('structure and observations of a small case', async t => {
  const m = toSdmxJson(smallCase())
  const s = m.data.structures[0]!
  t.same(s.dimensions.observation.map(d => [d.id, d.keyPosition, d.values?.map(v => v.id)]), [
    ['REF_AREA', 0, ['WB']],
    ['INDICATOR', 1, ['V1']],
    ['SEX', 2, ['_T', 'F', 'M']],
    ['TIME_PERIOD', 3, ['2022', '2023']],
  ])
  const [area, indicator, sex, time] = s.dimensions.observation
  t.same(area!.values, [{ id: 'WB', name: 'Western Balkans (countries included in this result)' }])
  t.same(indicator!.values, [{ id: 'V1', name: 'Registered victims' }])
  t.equal(sex!.name, 'Sex')
  t.same(sex!.values, [{ id: '_T', name: 'Total' }, { id: 'F', name: 'Female' }, { id: 'M', name: 'Male' }])
  t.same(time!.roles, ['TIME_PERIOD'])
  t.same(time!.values![1], { id: '2023', name: '2023', start: '2023-01-01T00:00:00.000Z', end: '2023-12-31T23:59:59.999Z' })

  t.same(s.measures.observation.map(x => x.id), ['OBS_VALUE'])
  t.same(s.attributes.observation.map(a => [a.id, a.values]), [
    ['OBS_STATUS', [{ id: 'A', name: 'Normal value' }, { id: 'E', name: 'Estimated value' }]],
    ['CONF_STATUS', [{ id: 'F', name: 'Free' }, { id: 'C', name: 'Confidential statistical information' }]],
    ['OBS_LOWER', [{ value: '2' }, { value: '3' }, { value: '7' }, { value: '10' }]],
    ['OBS_UPPER', [{ value: '2' }, { value: '3' }, { value: '7' }, { value: '10' }]],
    ['CONTRIBUTORS', [{ value: 'ALB' }, { value: 'ALB,BIH' }]],
  ])
  t.ok(s.attributes.observation.every(a => Object.keys(a.relationship).join() === 'observation'))

  const ds = m.data.dataSets[0]!
  t.equal(ds.action, 'Information')
  t.equal(ds.structure, 0)
  t.same(Object.keys(ds.observations), ['0:0:0:0', '0:0:0:1', '0:0:1:1', '0:0:2:1'], 'keys in dimension-index order')
  t.same(ds.observations, {
    '0:0:0:0': [7, 0, 0, 2, 2, 0], // 2022 total: exact 7, A, F, [7, 7], ALB
    '0:0:0:1': [10, 0, 0, 3, 3, 1], // 2023 total: exact 10, A, F, [10, 10], ALB,BIH
    '0:0:1:1': [null, 1, 1, 1, 2, 1], // 2023 F: interval [3, 7], E, C
    '0:0:2:1': [null, 1, 1, 0, null, 1], // 2023 M: [2, unbounded), E, C
  })
})

t.test('AREA dimensions take their names from the AREA code list', async t => {
  const s = toSdmxJson(cases['two by-dimensions (AREA) over several years']!()).data.structures[0]!
  const [, indicator, citizenship, exploitation, time] = s.dimensions.observation
  t.equal(indicator!.values![0]!.name, 'Victims by citizenship and country of exploitation')
  t.equal(citizenship!.name, 'Citizenship')
  t.equal(exploitation!.name, 'Country of exploitation')
  t.same(citizenship!.values, [{ id: '_T', name: 'Total' }, { id: 'ALB', name: 'Albania' }, { id: 'UNK', name: 'Unknown' }])
  t.same(exploitation!.values, [{ id: '_T', name: 'Total' }, { id: 'SRB', name: 'Serbia' }, { id: 'XKX', name: 'Kosovo' }])
  t.same(time!.values!.map(v => v.id), ['2021', '2022', '2023'])
  t.equal(Object.keys(toSdmxJson(cases['two by-dimensions (AREA) over several years']!()).data.dataSets[0]!.observations).length, 9)
})

t.test('an empty result', async t => {
  const m = toSdmxJson(cases['no total at all']!())
  const s = m.data.structures[0]!
  t.same(s.dimensions.observation.map(d => [d.id, d.values?.map(v => v.id)]),
    [['REF_AREA', ['WB']], ['INDICATOR', ['C1']], ['SEX', undefined], ['OFFENCE', undefined], ['TIME_PERIOD', ['2023']]],
    'no values for a dimension no total uses; the years asked for stay')
  t.ok(s.attributes.observation.every(a => a.values === undefined))
  t.same(m.data.dataSets[0]!.observations, {})
})

t.test('deterministic', async t => {
  const a = JSON.stringify(toSdmxJson(smallCase()))
  t.equal(JSON.stringify(toSdmxJson(smallCase())), a, 'same result, same bytes')
  const shuffled = smallCase()
  shuffled.cells.reverse()
  for (const c of shuffled.cells) c.parts.reverse()
  shuffled.contributions.reverse()
  t.equal(JSON.stringify(toSdmxJson(shuffled)), a, 'the order of cells and parts does not matter')
  for (const make of Object.values(cases)) {
    const m: SdmxDataMessage = toSdmxJson(make())
    t.equal(JSON.stringify(toSdmxJson(make())), JSON.stringify(m))
  }
})

t.test('malformed cells are refused', async t => {
  const missing = smallCase()
  delete missing.cells[0]!.key.SEX
  t.throws(() => toSdmxJson(missing), /has no SEX/)
  const repeated = smallCase()
  repeated.cells.push(repeated.cells[0]!)
  t.throws(() => toSdmxJson(repeated), /repeat the key 0:0:0:1/)
})
