/**
 * Regional totals as an SDMX-JSON data message (SDMX-JSON 2.0 layout; also valid against the
 * 2.1 schema in shared/reference/sdmx-json). One structure, one data set, every dimension at
 * observation level ("AllDimensions"): REF_AREA (the regional aggregate), INDICATOR, the `by`
 * dimensions in query order, then TIME_PERIOD. An observation is keyed by the indices of its
 * dimension values joined by ':' and holds [OBS_VALUE, OBS_STATUS, CONF_STATUS, OBS_LOWER,
 * OBS_UPPER, CONTRIBUTORS], the attributes as indices into their `values` (null: no value).
 * A total with a suppressed contribution has OBS_VALUE null; its bounds are in OBS_LOWER /
 * OBS_UPPER (OBS_UPPER null when unbounded). Every list is sorted, so the same result always
 * gives the same bytes.
 */
import { AREA_CODES } from '../protocol/area.js'
import { CODELISTS, TOTAL_CODE } from '../protocol/codelists.js'
import { findIndicator, TIME_DIMENSION } from '../protocol/indicators.js'
import type { RegionalResult, TotalCell } from './types.js'

export const SDMX_MEDIA_TYPE = 'application/vnd.sdmx.data+json;version=2.0.0'
export const SDMX_SCHEMA_URL = 'https://json.sdmx.org/2.0.0/sdmx-json-data-schema.json'

/** The regional aggregate every total is for. */
export const REGION_ID = 'WB'
export const REGION_NAME = 'Western Balkans (countries included in this result)'

export interface SdmxLink { href?: string, urn?: string, rel: string }

export interface SdmxDimensionValue {
  id: string
  name: string
  start?: string
  end?: string
}

export interface SdmxDimension {
  id: string
  name: string
  keyPosition: number
  roles?: string[]
  format?: { dataType: string }
  /** Absent only when no value occurs (the schema wants at least one when present). */
  values?: SdmxDimensionValue[]
}

export type SdmxComponentValue = { id: string, name: string } | { value: string }

export interface SdmxAttribute {
  id: string
  name: string
  description?: string
  relationship: { observation: Record<string, never> }
  format?: { dataType: string }
  values?: SdmxComponentValue[]
}

export interface SdmxMeasure {
  id: string
  name: string
  format?: { dataType: string }
}

export interface SdmxStructure {
  name: string
  description: string
  dataSets: number[]
  links: SdmxLink[]
  dimensions: { observation: SdmxDimension[] }
  measures: { observation: SdmxMeasure[] }
  attributes: { observation: SdmxAttribute[] }
}

/** [OBS_VALUE, then one attribute value index (or null) per observation attribute]. */
export type SdmxObservation = Array<number | null>

export interface SdmxDataSet {
  structure: number
  action: 'Information'
  links: SdmxLink[]
  observations: Record<string, SdmxObservation>
}

export interface SdmxDataMessage {
  $schema: string
  meta: {
    schema: string
    id: string
    test: boolean
    prepared: string
    contentLanguages: string[]
    sender: { id: string }
  }
  data: {
    structures: SdmxStructure[]
    dataSets: SdmxDataSet[]
  }
}

/** Observation attributes, in the order their indices follow OBS_VALUE in an observation. */
export const OBSERVATION_ATTRIBUTES = ['OBS_STATUS', 'CONF_STATUS', 'OBS_LOWER', 'OBS_UPPER', 'CONTRIBUTORS'] as const

/** The codes used, as in the SDMX code lists CL_OBS_STATUS and CL_CONF_STATUS. */
const OBS_STATUS_CODES: ReadonlyArray<[string, string]> = [['A', 'Normal value'], ['E', 'Estimated value']]
const CONF_STATUS_CODES: ReadonlyArray<[string, string]> = [['F', 'Free'], ['C', 'Confidential statistical information']]

const SDMX_ID = /[^A-Za-z0-9_@$-]/g

/** An id the schema accepts (`^[A-Za-z0-9_@$-]+$`). */
function sdmxId (s: string): string {
  const id = s.replace(SDMX_ID, '_')
  return id === '' ? '_' : id
}

/** COUNTRY_OF_EXPLOITATION -> Country of exploitation. */
function humanise (id: string): string {
  const words = id.toLowerCase().split('_').filter(w => w !== '').join(' ')
  return words.charAt(0).toUpperCase() + words.slice(1)
}

/** Name of a `by` dimension and the ordered codes (with labels) it may take. */
function dimensionCodes (indicatorId: string, dim: string): { name: string, codes: ReadonlyArray<{ code: string, label: string }> } {
  const codelistId = findIndicator(indicatorId)?.dimensions.find(d => d.id === dim)?.codelist ?? dim
  if (codelistId === 'AREA') return { name: humanise(dim), codes: AREA_CODES }
  const list = CODELISTS.find(l => l.id === codelistId)
  return { name: list?.name ?? humanise(dim), codes: list?.codes ?? [] }
}

/** The codes that occur, in codelist order: `_T` first, then the codelist's, then unknown codes sorted. */
function orderedValues (occurring: Set<string>, codes: ReadonlyArray<{ code: string, label: string }>): SdmxDimensionValue[] {
  const values: SdmxDimensionValue[] = []
  if (occurring.has(TOTAL_CODE)) values.push({ id: TOTAL_CODE, name: 'Total' })
  const known = new Set<string>()
  for (const { code, label } of codes) {
    known.add(code)
    if (code !== TOTAL_CODE && occurring.has(code)) values.push({ id: code, name: label })
  }
  const unknown = [...occurring].filter(c => c !== TOTAL_CODE && !known.has(c)).sort()
  for (const code of unknown) values.push({ id: code, name: code })
  return values
}

const compareStrings = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

/** Attribute values of the codes that occur, in code-list order. */
function codedValues (codes: ReadonlyArray<[string, string]>, occurring: Set<string>): Array<{ id: string, name: string }> {
  return codes.filter(([id]) => occurring.has(id)).map(([id, name]) => ({ id, name }))
}

/** The component with its values, or without `values` when there are none (the schema wants at least one). */
function withValues<T extends object, V> (component: T, values: V[]): T & { values?: V[] } {
  return values.length === 0 ? component : { ...component, values }
}

function contributors (cell: TotalCell): string | null {
  if (cell.parts.length === 0) return null
  return [...new Set(cell.parts.map(p => p.country))].sort(compareStrings).join(',')
}

function messageId (result: RegionalResult): string {
  const q = result.query
  const parts = ['DCIMX', sdmxId(result.node), sdmxId(q.indicator), q.years.join('_') || 'NONE', q.by.length > 0 ? q.by.map(sdmxId).join('@') : TOTAL_CODE]
  if (q.asOf !== null) parts.push('AT' + q.asOf.replace(/[^0-9TZ]/g, ''))
  return parts.join('-')
}

/**
 * The result as an SDMX-JSON data message. `prepared` defaults to the time the result was
 * computed, so the output depends on the result alone.
 */
export function toSdmxJson (result: RegionalResult, options: { prepared?: Date } = {}): SdmxDataMessage {
  const { indicator: indicatorId, by } = result.query
  const indicator = findIndicator(indicatorId)

  // Dimension values: the codes that occur; the years asked for and those that occur.
  const occurring = new Map<string, Set<string>>(by.map(d => [d, new Set<string>()]))
  const years = new Set(result.query.years.map(String))
  for (const cell of result.cells) {
    for (const d of by) {
      const code = cell.key[d]
      if (code === undefined) throw new Error(`totals cell ${JSON.stringify(cell.key)} has no ${d}`)
      occurring.get(d)!.add(code)
    }
    const year = cell.key[TIME_DIMENSION]
    if (year === undefined) throw new Error(`totals cell ${JSON.stringify(cell.key)} has no ${TIME_DIMENSION}`)
    years.add(year)
  }

  const dimensions: SdmxDimension[] = [
    { id: 'REF_AREA', name: 'Reference area', keyPosition: 0, roles: ['REF_AREA'], values: [{ id: REGION_ID, name: REGION_NAME }] },
    { id: 'INDICATOR', name: 'Indicator', keyPosition: 1, values: [{ id: sdmxId(indicatorId), name: indicator?.name ?? indicatorId }] },
  ]
  for (const d of by) {
    const { name, codes } = dimensionCodes(indicatorId, d)
    dimensions.push(withValues({ id: d, name, keyPosition: dimensions.length }, orderedValues(occurring.get(d)!, codes)))
  }
  const yearValues = [...years].sort(compareStrings).map(y => ({ id: y, name: y, start: `${y}-01-01T00:00:00.000Z`, end: `${y}-12-31T23:59:59.999Z` }))
  dimensions.push(withValues({
    id: TIME_DIMENSION,
    name: 'Time period',
    keyPosition: dimensions.length,
    roles: [TIME_DIMENSION],
    format: { dataType: 'GregorianYear' },
  }, yearValues))

  // Attribute values: coded ones in code-list order, bounds ascending, contributor lists sorted.
  const bounds = new Set<number>()
  const lists = new Set<string>()
  for (const cell of result.cells) {
    bounds.add(cell.lower)
    if (cell.upper !== null) bounds.add(cell.upper)
    const c = contributors(cell)
    if (c !== null) lists.add(c)
  }
  const obsStatus = codedValues(OBS_STATUS_CODES, new Set(result.cells.map(c => c.obs_status)))
  const confStatus = codedValues(CONF_STATUS_CODES, new Set(result.cells.map(c => c.conf_status)))
  const boundValues = [...bounds].sort((a, b) => a - b).map(String)
  const listValues = [...lists].sort(compareStrings)

  const observation = { observation: {} }
  const integer = { dataType: 'Integer' }
  const attributes: SdmxAttribute[] = [
    withValues({ id: 'OBS_STATUS', name: 'Observation status', relationship: observation }, obsStatus),
    withValues({ id: 'CONF_STATUS', name: 'Confidentiality status', relationship: observation }, confStatus),
    withValues({
      id: 'OBS_LOWER',
      name: 'Lower bound',
      description: 'Lowest value the total can take; equal to the value when the total is exact.',
      relationship: observation,
      format: integer,
    }, boundValues.map(value => ({ value }))),
    withValues({
      id: 'OBS_UPPER',
      name: 'Upper bound',
      description: 'Highest value the total can take; equal to the value when exact, no value when unbounded.',
      relationship: observation,
      format: integer,
    }, boundValues.map(value => ({ value }))),
    withValues({
      id: 'CONTRIBUTORS',
      name: 'Contributing countries',
      description: 'Comma-separated ids of the countries whose figures the total includes.',
      relationship: observation,
    }, listValues.map(value => ({ value }))),
  ]

  // Observations, keyed by dimension value indices, in key order.
  const index = dimensions.map(d => new Map((d.values ?? []).map((v, i) => [v.id, i])))
  const statusIndex = new Map(obsStatus.map((v, i) => [v.id, i]))
  const confIndex = new Map(confStatus.map((v, i) => [v.id, i]))
  const boundIndex = new Map(boundValues.map((v, i) => [Number(v), i]))
  const listIndex = new Map(listValues.map((v, i) => [v, i]))
  const keyed: Array<{ positions: number[], obs: SdmxObservation }> = []
  for (const cell of result.cells) {
    const codes = [REGION_ID, sdmxId(indicatorId), ...by.map(d => cell.key[d]!), cell.key[TIME_DIMENSION]!]
    const positions = codes.map((code, i) => index[i]!.get(code)!)
    const c = contributors(cell)
    keyed.push({
      positions,
      obs: [
        cell.value ?? null,
        statusIndex.get(cell.obs_status)!,
        confIndex.get(cell.conf_status)!,
        boundIndex.get(cell.lower)!,
        cell.upper === null ? null : boundIndex.get(cell.upper)!,
        c === null ? null : listIndex.get(c)!,
      ],
    })
  }
  keyed.sort((a, b) => {
    for (let i = 0; i < a.positions.length; i++) {
      const d = a.positions[i]! - b.positions[i]!
      if (d !== 0) return d
    }
    return 0
  })
  const observations: Record<string, SdmxObservation> = {}
  for (const { positions, obs } of keyed) {
    const key = positions.join(':')
    if (key in observations) throw new Error(`totals cells repeat the key ${key}`)
    observations[key] = obs
  }

  const indicatorName = indicator?.name ?? indicatorId
  return {
    $schema: SDMX_SCHEMA_URL,
    meta: {
      schema: SDMX_SCHEMA_URL,
      id: messageId(result),
      test: false,
      prepared: options.prepared?.toISOString() ?? result.computedAt,
      contentLanguages: ['en'],
      sender: { id: sdmxId(result.node) },
    },
    data: {
      structures: [{
        name: `${indicatorName}: Western Balkans regional totals`,
        description: 'Totals over the countries included in this result (CONTRIBUTORS). When a contribution is suppressed the total is an interval: OBS_VALUE is null, OBS_STATUS is E and OBS_LOWER / OBS_UPPER bound it.',
        dataSets: [0],
        links: [],
        dimensions: { observation: dimensions },
        measures: { observation: [{ id: 'OBS_VALUE', name: 'Observation value', format: integer }] },
        attributes: { observation: attributes },
      }],
      dataSets: [{ structure: 0, action: 'Information', links: [], observations }],
    },
  }
}
