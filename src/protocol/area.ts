/**
 * The AREA codelist: ISO 3166-1 alpha-3 (from i18n-iso-countries, which tracks the standard),
 * plus XKX for Kosovo, STLS for stateless persons and UNK for unknown.
 */
import countries from 'i18n-iso-countries'
import { COUNTRY_NAMES, EU27, inCodelist, WESTERN_BALKANS, type CountryCode } from './codelists.js'

const EXTRA: Readonly<Record<string, string>> = { XKX: 'Kosovo', STLS: 'Stateless', UNK: 'Unknown' }

const ISO_ALPHA3 = Object.keys(countries.getAlpha3Codes()).sort()

/** Every AREA code with its English label, ISO codes first (sorted), then XKX, STLS, UNK. */
export const AREA_CODES: ReadonlyArray<{ code: string, label: string }> = [
  ...ISO_ALPHA3.map(code => ({ code, label: countries.getName(code, 'en') ?? code })),
  ...Object.entries(EXTRA).map(([code, label]) => ({ code, label })),
]

const AREA_SET = new Set(AREA_CODES.map(a => a.code))

/** Whether `code` is a code of `codelist` (AREA: the area codes; `_T` is no code of any). */
export function isCodeOf (codelist: string, code: string): boolean {
  return codelist === 'AREA' ? isAreaCode(code) : inCodelist(codelist, code)
}

export function isAreaCode (code: string): boolean {
  return AREA_SET.has(code)
}

/**
 * Whether `code` names a country that can run a node: any ISO 3166-1 alpha-3 code, or XKX
 * (Kosovo); not STLS or UNK, which are AREA codes but no country.
 */
export function isCountryCode (code: string): boolean {
  return code !== 'STLS' && code !== 'UNK' && AREA_SET.has(code)
}

/** A country's English name: the programme's names for the Western Balkans, else ISO 3166's. */
export function countryName (code: string): string {
  return COUNTRY_NAMES[code as CountryCode] ?? AREA_CODES.find(a => a.code === code)?.label ?? code
}

const WB = new Set<string>(WESTERN_BALKANS)

/** Whether `code` is one of the seven Western Balkan beneficiaries. */
export function isWesternBalkan (code: string): boolean {
  return WB.has(code)
}
const EU = new Set<string>(EU27)

/**
 * CITIZEN_GRP of a citizenship relative to the reporting country. The Western Balkan group is
 * tested before the EU, so a Croatian citizen reported by Serbia is WB_OTH, as the codelist
 * lists HRV among the Western Balkans.
 */
export function citizenGroup (citizenship: string, reporter: string): string {
  if (citizenship === 'UNK') return 'UNK'
  if (citizenship === 'STLS') return 'STLS'
  if (citizenship === reporter) return 'NAT'
  if (WB.has(citizenship)) return 'WB_OTH'
  if (EU.has(citizenship)) return 'EU_FOR'
  return 'NEU_FOR'
}
