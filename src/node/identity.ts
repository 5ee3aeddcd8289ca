/**
 * Node identifiers: a country (any ISO 3166-1 alpha-3 code, or XKX for Kosovo), or a liaison
 * organisation. The Western Balkan beneficiaries are the programme's region (regional totals,
 * CITIZEN_GRP = WB_OTH), but trafficking flows end in EU member states and beyond: any country
 * can run a node and exchange under agreements.
 */
import { countryName, isCountryCode } from '../protocol/area.js'
import { AppError } from '../errors.js'

/** Liaison organisations the programme names; others may use any identifier of 4-16 letters. */
export const KNOWN_LIAISONS: Readonly<Record<string, string>> = {
  EUROPOL: 'Europol',
  SELEC: 'Southeast European Law Enforcement Center (SELEC)',
  IOM: 'International Organization for Migration',
  MARRI: 'Migration, Asylum, Refugees Regional Initiative (MARRI)',
  ICMPD: 'International Centre for Migration Policy Development',
}

export interface NodeIdentity {
  id: string
  kind: 'country' | 'liaison'
  name: string
}

const LIAISON_ID = /^[A-Z][A-Z0-9_]{3,15}$/

/**
 * Resolves `--country`: a country code (ISO 3166-1 alpha-3, or XKX), or a liaison identifier.
 * Throws COUNTRY_INVALID with the accepted values.
 */
export function resolveNodeIdentity (value: string, name?: string): NodeIdentity {
  const accepted = 'an ISO 3166-1 alpha-3 country code (SRB, AUT, DEU ...; XKX for Kosovo), or a liaison identifier of 4-16 capital letters (EUROPOL, SELEC)'
  if (isCountryCode(value)) {
    return { id: value, kind: 'country', name: name ?? countryName(value) }
  }
  if (value.toUpperCase() !== value && isCountryCode(value.toUpperCase())) {
    throw new AppError('COUNTRY_INVALID', `country "${value}" must be written in capitals: ${value.toUpperCase()}`)
  }
  if (/^[A-Z]{3}$/.test(value)) {
    throw new AppError('COUNTRY_INVALID', `"${value}" is not an ISO 3166-1 alpha-3 country code; use ${accepted}`)
  }
  if (value === 'STLS') {
    throw new AppError('COUNTRY_INVALID', `"STLS" is the area code for stateless persons, not a node; use ${accepted}`)
  }
  if (!LIAISON_ID.test(value)) {
    throw new AppError('COUNTRY_INVALID', `"${value}" is not a country code or liaison identifier; use ${accepted}`)
  }
  return { id: value, kind: 'liaison', name: name ?? KNOWN_LIAISONS[value] ?? value }
}
