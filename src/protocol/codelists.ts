/**
 * The harmonised codelists of the regional standard (shared brief, indicators.md). The
 * codes are stable: national exports are mapped to them. protocol/codelists.json is
 * generated from this file (`npm run protocol:build`) and a test keeps the two equal.
 */
export interface Code {
  readonly code: string
  readonly label: string
  /** For AGE_BAND: the AGE_GROUP it nests in. */
  readonly parent?: string
}

export interface Codelist {
  readonly id: string
  readonly name: string
  readonly description: string
  readonly codes: readonly Code[]
}

function list (id: string, name: string, description: string, codes: Array<[string, string] | [string, string, string]>): Codelist {
  return {
    id,
    name,
    description,
    codes: codes.map(([code, label, parent]) => (parent === undefined ? { code, label } : { code, label, parent })),
  }
}

/** The Western Balkan beneficiaries, in the order the programme lists them. */
export const WESTERN_BALKANS = ['ALB', 'BIH', 'HRV', 'XKX', 'MNE', 'MKD', 'SRB'] as const
export type CountryCode = typeof WESTERN_BALKANS[number]

export const COUNTRY_NAMES: Readonly<Record<CountryCode, string>> = {
  ALB: 'Albania',
  BIH: 'Bosnia and Herzegovina',
  HRV: 'Croatia',
  XKX: 'Kosovo',
  MNE: 'Montenegro',
  MKD: 'North Macedonia',
  SRB: 'Serbia',
}

/** EU-27 member states (ISO 3166-1 alpha-3), for CITIZEN_GRP = EU_FOR. */
export const EU27 = [
  'AUT', 'BEL', 'BGR', 'HRV', 'CYP', 'CZE', 'DNK', 'EST', 'FIN', 'FRA', 'DEU', 'GRC', 'HUN', 'IRL',
  'ITA', 'LVA', 'LTU', 'LUX', 'MLT', 'NLD', 'POL', 'PRT', 'ROU', 'SVK', 'SVN', 'ESP', 'SWE',
] as const

export const SEX = list('SEX', 'Sex', 'Sex of the person.', [
  ['F', 'Female'], ['M', 'Male'], ['O', 'Other / non-binary'], ['U', 'Unknown'],
])

export const AGE_GROUP = list('AGE_GROUP', 'Age group', 'Derived from age in whole years: under 18 is a child.', [
  ['Y_LT18', 'Child (under 18)'], ['Y_GE18', 'Adult (18 or over)'], ['UNK', 'Unknown'],
])

export const AGE_BAND = list('AGE_BAND', 'Age band', 'Optional finer detail; each band nests in one AGE_GROUP.', [
  ['Y0T8', 'Age 0 to 8', 'Y_LT18'], ['Y9T17', 'Age 9 to 17', 'Y_LT18'], ['Y18T20', 'Age 18 to 20', 'Y_GE18'],
  ['Y21T23', 'Age 21 to 23', 'Y_GE18'], ['Y24T26', 'Age 24 to 26', 'Y_GE18'], ['Y27T29', 'Age 27 to 29', 'Y_GE18'],
  ['Y30T38', 'Age 30 to 38', 'Y_GE18'], ['Y39T47', 'Age 39 to 47', 'Y_GE18'], ['Y_GE48', 'Age 48 or over', 'Y_GE18'],
  ['UNK', 'Unknown', 'UNK'],
])

export const CITIZEN_GRP = list('CITIZEN_GRP', 'Citizenship group', 'Citizenship relative to the reporting country (derived).', [
  ['NAT', 'National of the reporting country'], ['WB_OTH', 'Other Western Balkan (ALB BIH HRV XKX MNE MKD SRB)'],
  ['EU_FOR', 'EU-27 citizen'], ['NEU_FOR', 'Other foreign'], ['STLS', 'Stateless'], ['UNK', 'Unknown'],
])

export const VICT_STATUS = list('VICT_STATUS', 'Victim status', 'Whether the victim was formally identified or presumed.', [
  ['IDENT', 'Formally identified'], ['PRES', 'Presumed'],
])

export const EXPLOIT = list('EXPLOIT', 'Form of exploitation', 'The primary form comes first in a record.', [
  ['SEX', 'Sexual exploitation'], ['LAB', 'Forced labour or services'], ['DOM', 'Domestic servitude'],
  ['BEG', 'Forced begging'], ['CRIM', 'Forced criminal activities'], ['MAR', 'Forced marriage'],
  ['ADOPT', 'Illegal adoption'], ['SURR', 'Exploitation of surrogacy'], ['ORG', 'Removal of organs'],
  ['MIX', 'Multiple forms'], ['OTH', 'Other'], ['UNK', 'Unknown'],
])

export const IDENT_AGENCY = list('IDENT_AGENCY', 'Identifying agency', 'Who identified the victim.', [
  ['POL', 'Police'], ['PROS_CRT', 'Prosecution or court'], ['LAB_INSP', 'Labour inspection'],
  ['SOC', 'Social services'], ['BORD_IMM', 'Border / immigration'], ['GOV_OTH', 'Other government'],
  ['NGO', 'Non-governmental organisation'], ['IO', 'International organisation'], ['OTH', 'Other'], ['UNK', 'Unknown'],
])

export const ASSIST = list('ASSIST', 'Assistance', 'Type of assistance received; a person counts once per type.', [
  ['SHELTER', 'Shelter'], ['HEALTH', 'Health care'], ['PSY', 'Psychological support'], ['LEGAL', 'Legal aid'],
  ['FIN', 'Financial support'], ['EDU', 'Education'], ['LIVELI', 'Livelihood support'], ['SOCIAL', 'Social support'],
  ['RESPERM', 'Residence permit / reflection period'], ['RETURN', 'Assisted return'], ['NONE', 'None'], ['UNK', 'Unknown'],
])

export const OFFENCE = list('OFFENCE', 'Offence (ICCS)', 'International Classification of Crime for Statistical Purposes.', [
  ['ICCS0204', 'Trafficking in persons'], ['ICCS02041', 'Trafficking in persons for sexual exploitation'],
  ['ICCS02042', 'Trafficking in persons for forced labour or services'],
  ['ICCS02043', 'Trafficking in persons for organ removal'], ['ICCS02044', 'Trafficking in persons for other purposes'],
])

export const CJ_STAGE = list('CJ_STAGE', 'Criminal-justice stage', 'Stage reached in the criminal-justice process.', [
  ['SUSP', 'Suspected / investigated'], ['PROS', 'Prosecuted'], ['CONV', 'Convicted'],
])

export const SENTENCE = list('SENTENCE', 'Sentence', 'Sentence imposed on conviction; custodial bands in years.', [
  ['CUST_LT1', 'Custodial, under 1 year'], ['CUST_1T3', 'Custodial, 1 to under 3 years'],
  ['CUST_3T5', 'Custodial, 3 to under 5 years'], ['CUST_5T10', 'Custodial, 5 to under 10 years'],
  ['CUST_GE10', 'Custodial, 10 years or more'], ['SUSPENDED', 'Suspended sentence'], ['FINE', 'Fine'],
  ['OTH', 'Other'], ['UNK', 'Unknown'],
])

/** AREA: ISO 3166-1 alpha-3 plus these; the full list is in area.ts. */
export const AREA_EXTRA = list('AREA', 'Area', 'ISO 3166-1 alpha-3 codes, plus these codes outside ISO 3166-1.', [
  ['XKX', 'Kosovo'], ['STLS', 'Stateless'], ['UNK', 'Unknown'],
])

export const CODELISTS: readonly Codelist[] = [
  SEX, AGE_GROUP, AGE_BAND, CITIZEN_GRP, VICT_STATUS, EXPLOIT, IDENT_AGENCY, ASSIST, OFFENCE, CJ_STAGE, SENTENCE,
]

/** EXPLOIT rolled up to the SDG / ICCS split. */
export const EXPLOIT_ROLLUP: Readonly<Record<string, 'SEXUAL' | 'FORCED_LABOUR' | 'ORGAN_REMOVAL' | 'OTHER'>> = {
  SEX: 'SEXUAL',
  LAB: 'FORCED_LABOUR',
  DOM: 'FORCED_LABOUR',
  BEG: 'FORCED_LABOUR',
  ORG: 'ORGAN_REMOVAL',
  CRIM: 'OTHER',
  MAR: 'OTHER',
  ADOPT: 'OTHER',
  SURR: 'OTHER',
  MIX: 'OTHER',
  OTH: 'OTHER',
  UNK: 'OTHER',
}

/** Total code written in a dimension a margin totals over, as SDMX does. */
export const TOTAL_CODE = '_T'

export function codesOf (codelist: Codelist): string[] {
  return codelist.codes.map(c => c.code)
}

const CODE_SETS = new Map(CODELISTS.map(l => [l.id, new Set(codesOf(l))]))

/** Whether `code` belongs to codelist `id` (AREA is checked in area.ts). */
export function inCodelist (id: string, code: string): boolean {
  return CODE_SETS.get(id)?.has(code) ?? false
}
