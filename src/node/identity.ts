/** Node identifiers: the seven Western Balkan countries, or a liaison organisation. */
import { COUNTRY_NAMES, WESTERN_BALKANS, type CountryCode } from '../protocol/codelists.js'
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
 * Resolves `--country`: a Western Balkan AREA code, or a liaison identifier. Throws
 * COUNTRY_INVALID with the accepted values.
 */
export function resolveNodeIdentity (value: string, name?: string): NodeIdentity {
  const accepted = `one of ${WESTERN_BALKANS.join(' ')}, or a liaison identifier of 4-16 capital letters (EUROPOL, SELEC)`
  if ((WESTERN_BALKANS as readonly string[]).includes(value)) {
    return { id: value, kind: 'country', name: name ?? COUNTRY_NAMES[value as CountryCode] }
  }
  if (value.toUpperCase() !== value && (WESTERN_BALKANS as readonly string[]).includes(value.toUpperCase())) {
    throw new AppError('COUNTRY_INVALID', `country "${value}" must be written in capitals: ${value.toUpperCase()}`)
  }
  if (/^[A-Z]{3}$/.test(value)) {
    throw new AppError('COUNTRY_INVALID', `country "${value}" is not a Western Balkan beneficiary; use ${accepted}`)
  }
  if (!LIAISON_ID.test(value)) {
    throw new AppError('COUNTRY_INVALID', `"${value}" is not a country code or liaison identifier; use ${accepted}`)
  }
  return { id: value, kind: 'liaison', name: name ?? KNOWN_LIAISONS[value] ?? value }
}
