/**
 * The harmonised indicator set (shared brief, indicators.md). protocol/indicators.json is
 * generated from this file.
 */
export interface Dimension {
  /** Dimension id as it appears in a cell key. */
  readonly id: string
  /** Codelist the dimension draws its codes from (AREA for country dimensions). */
  readonly codelist: string
}

export interface Indicator {
  readonly id: string
  readonly name: string
  readonly counts: string
  readonly source: 'victims' | 'offenders'
  readonly dimensions: readonly Dimension[]
  /** True when a person may count in several cells of one dimension (V5: once per assistance type). */
  readonly multiCount: boolean
}

const d = (id: string, codelist = id): Dimension => ({ id, codelist })

export const INDICATORS: readonly Indicator[] = [
  {
    id: 'V1',
    name: 'Registered victims',
    counts: 'Persons registered as victims of trafficking in the year.',
    source: 'victims',
    dimensions: [d('VICT_STATUS'), d('SEX'), d('AGE_GROUP'), d('CITIZEN_GRP')],
    multiCount: false,
  },
  {
    id: 'V2',
    name: 'Victims by form of exploitation',
    counts: 'Registered victims by their primary form of exploitation (one per person).',
    source: 'victims',
    dimensions: [d('EXPLOIT'), d('SEX'), d('AGE_GROUP')],
    multiCount: false,
  },
  {
    id: 'V3',
    name: 'Victims by citizenship and country of exploitation',
    counts: 'Registered victims by citizenship and by country of exploitation (flows).',
    source: 'victims',
    dimensions: [d('CITIZENSHIP', 'AREA'), d('COUNTRY_OF_EXPLOITATION', 'AREA')],
    multiCount: false,
  },
  {
    id: 'V4',
    name: 'Victims by identifying agency',
    counts: 'Registered victims by the agency that identified them.',
    source: 'victims',
    dimensions: [d('IDENT_AGENCY'), d('VICT_STATUS')],
    multiCount: false,
  },
  {
    id: 'V5',
    name: 'Victims assisted, by type of assistance',
    counts: 'Registered victims by type of assistance received; a person counts once per type, so the total is not the number of persons.',
    source: 'victims',
    dimensions: [d('ASSIST'), d('SEX'), d('AGE_GROUP')],
    multiCount: true,
  },
  {
    id: 'C1',
    name: 'Persons suspected or investigated',
    counts: 'Persons suspected of or investigated for trafficking, in the year of suspicion.',
    source: 'offenders',
    dimensions: [d('SEX'), d('AGE_GROUP'), d('CITIZEN_GRP'), d('OFFENCE')],
    multiCount: false,
  },
  {
    id: 'C2',
    name: 'Persons prosecuted',
    counts: 'Persons prosecuted for trafficking, in the year of prosecution.',
    source: 'offenders',
    dimensions: [d('SEX'), d('AGE_GROUP'), d('CITIZEN_GRP'), d('OFFENCE')],
    multiCount: false,
  },
  {
    id: 'C3',
    name: 'Persons convicted',
    counts: 'Persons convicted of trafficking, in the year of conviction.',
    source: 'offenders',
    dimensions: [d('SEX'), d('AGE_GROUP'), d('CITIZEN_GRP'), d('OFFENCE'), d('EXPLOIT')],
    multiCount: false,
  },
  {
    id: 'C4',
    name: 'Convicted persons by sentence',
    counts: 'Persons convicted of trafficking by the sentence imposed, in the year of conviction.',
    source: 'offenders',
    dimensions: [d('SENTENCE'), d('SEX')],
    multiCount: false,
  },
]

export const INDICATOR_IDS = INDICATORS.map(i => i.id)

/** The dimension every cell key carries besides the indicator's own: the reference year. */
export const TIME_DIMENSION = 'TIME_PERIOD'

export function findIndicator (id: string): Indicator | undefined {
  return INDICATORS.find(i => i.id === id)
}

const DIMENSION_CODELIST = new Map(INDICATORS.flatMap(i => i.dimensions.map(d => [d.id, d.codelist] as const)))

/** The codelist a dimension draws on (the same in every indicator that has it). */
export function dimensionCodelist (dim: string): string | undefined {
  return DIMENSION_CODELIST.get(dim)
}
