/** Names of indicators, dimensions, codes and countries, from the protocol's codelists (src/protocol). */
import { AREA_EXTRA, CODELISTS, COUNTRY_NAMES, TOTAL_CODE } from '../../protocol/codelists.js'
import { INDICATORS, type Indicator } from '../../protocol/indicators.js'

export { INDICATORS, type Indicator }

const codelists = new Map(CODELISTS.map(c => [c.id, c]))
const areas = new Map<string, string>([...Object.entries(COUNTRY_NAMES), ...AREA_EXTRA.codes.map(c => [c.code, c.label] as [string, string])])
const nodes: Record<string, string> = { EUROPOL: 'Europol', SELEC: 'SELEC' }

export function indicatorOf (id: string): Indicator | undefined {
  return INDICATORS.find(i => i.id === id)
}

/** A dimension's name: its codelist's name, or the id. */
export function dimensionName (indicator: string, dim: string): string {
  const d = indicatorOf(indicator)?.dimensions.find(x => x.id === dim)
  return codelists.get(d?.codelist ?? dim)?.name ?? dim.replaceAll('_', ' ').toLowerCase()
}

/** A code's label within a dimension: `_T` is "Total". */
export function codeLabel (indicator: string, dim: string, code: string, totalWord: string): string {
  if (code === TOTAL_CODE) return totalWord
  const d = indicatorOf(indicator)?.dimensions.find(x => x.id === dim)
  if (d?.codelist === 'AREA') return areas.get(code) ?? code
  return codelists.get(d?.codelist ?? dim)?.codes.find(c => c.code === code)?.label ?? code
}

/** A country's or a node's name. */
export function countryName (code: string): string {
  return areas.get(code) ?? nodes[code] ?? code
}
