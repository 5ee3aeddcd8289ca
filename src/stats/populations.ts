/**
 * Linked tables: the indicators of one population and year count the same persons, so they are
 * protected as one problem over the persons' profiles (every attribute any of them breaks down
 * by), never indicator by indicator.
 *
 * - `victims`: V1 to V5, registered victims of the year;
 * - `convicted`: C3 and C4, persons convicted in the year;
 * - `suspected` (C1) and `prosecuted` (C2) stand alone: a person's stages fall in different
 *   years, so those tables share no equation with the others.
 *
 * A dimension id names the same attribute of a person in every indicator of its population
 * (SEX in V1 is the person's sex in V2 too). V5 counts a person once per type of assistance:
 * its ASSIST attribute is the set of types the person received.
 */
import { sql, type Kysely } from 'kysely'
import type { Database } from '../db/types.js'
import { findIndicator } from '../protocol/indicators.js'

export type Population = 'victims' | 'suspected' | 'prosecuted' | 'convicted'

interface PopulationDef {
  indicators: string[]
  table: 'victim' | 'offender'
  /** SQL of the year a record counts in. */
  year: string
  /** Attribute (dimension id) -> SQL column expression; never NULL. */
  attributes: Record<string, string>
}

const OFFENDER = { SEX: 'sex', AGE_GROUP: 'age_group', CITIZEN_GRP: 'citizen_grp', OFFENCE: 'offence' }

const POPULATIONS: Readonly<Record<Population, PopulationDef>> = {
  victims: {
    indicators: ['V1', 'V2', 'V3', 'V4', 'V5'],
    table: 'victim',
    year: 'year',
    attributes: {
      VICT_STATUS: 'status',
      SEX: 'sex',
      AGE_GROUP: 'age_group',
      CITIZEN_GRP: 'citizen_grp',
      EXPLOIT: 'exploit_primary',
      CITIZENSHIP: 'citizenship',
      COUNTRY_OF_EXPLOITATION: 'country_of_exploitation',
      IDENT_AGENCY: 'identified_by',
      ASSIST: 'assistance',
    },
  },
  suspected: { indicators: ['C1'], table: 'offender', year: 'extract(year from suspected_on)::int', attributes: OFFENDER },
  prosecuted: { indicators: ['C2'], table: 'offender', year: 'extract(year from prosecuted_on)::int', attributes: OFFENDER },
  convicted: {
    indicators: ['C3', 'C4'],
    table: 'offender',
    year: 'extract(year from convicted_on)::int',
    attributes: { ...OFFENDER, EXPLOIT: 'exploit_primary', SENTENCE: "coalesce(sentence, 'UNK')" },
  },
}

/** The attribute counted once per code of a set (V5's types of assistance). */
export const MULTI_ATTRIBUTE = 'ASSIST'
/** Separator of the codes of a set-valued attribute in a profile. */
const SET_SEPARATOR = '+'

/** The population an indicator counts. */
export function populationOf (indicator: string): Population {
  for (const [p, def] of Object.entries(POPULATIONS) as Array<[Population, PopulationDef]>) {
    if (def.indicators.includes(indicator)) return p
  }
  throw new Error(`no population counts indicator ${indicator}`)
}

/** The indicators of a population, in order. */
export function indicatorsOfPopulation (p: Population): readonly string[] {
  return POPULATIONS[p].indicators
}

/** The attributes of a population's profiles, in profile-key order. */
export function attributesOf (p: Population): string[] {
  return Object.keys(POPULATIONS[p].attributes)
}

/** A profile: one code per attribute (a sorted set of codes for ASSIST), and how many persons have it. */
export interface Profile {
  /** The codes joined with `|` in {@link attributesOf} order. */
  key: string
  codes: string[]
  count: number
}

/** Builds a profile key from its codes. */
function profileKey (codes: readonly string[]): string {
  return codes.join('|')
}

/** The codes of a profile key. */
export function profileCodes (key: string): string[] {
  return key.split('|')
}

/** The codes of a set-valued attribute's value in a profile. */
export function setCodes (value: string): string[] {
  return value === '' ? [] : value.split(SET_SEPARATOR)
}

/**
 * The profiles of `population` in `year` as the records stand now: every distinct combination
 * of the population's attributes with its number of persons, sorted by key. The counts of every
 * indicator of the population are sums over these profiles.
 */
export async function readProfiles (db: Kysely<Database>, population: Population, year: number): Promise<Profile[]> {
  const def = POPULATIONS[population]
  const attrs = Object.entries(def.attributes)
  const cols = sql.join(attrs.map(([, expr], i) => sql`${sql.raw(expr)} as ${sql.raw(`a${i}`)}`))
  const groupBy = sql.join(attrs.map((_, i) => sql.raw(`a${i}`)))
  const rows = (await sql<Record<string, unknown>>`
    select ${cols}, count(*)::int as n from ${sql.table(def.table)}
    where ${sql.raw(def.year)} = ${year}
    group by ${groupBy}`.execute(db)).rows
  const counts = new Map<string, number>()
  for (const r of rows) {
    const codes = attrs.map(([attr], i) => {
      const v = r[`a${i}`]
      // A set of codes: sorted, so that the same set is one profile whatever the order imported.
      return attr === MULTI_ATTRIBUTE ? [...(v as string[])].sort().join(SET_SEPARATOR) : String(v)
    })
    const key = profileKey(codes)
    counts.set(key, (counts.get(key) ?? 0) + Number(r.n))
  }
  return [...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([key, count]) => ({ key, codes: profileCodes(key), count }))
}

/**
 * How a profile counts in a cell of `indicator` whose codes are `cellCodes` (in the indicator's
 * dimension order; each a code, `_T`, or a group's canonical code): 0 when it is not counted,
 * else the number of times it is (1, or for V5's ASSIST margin the number of types received).
 * `matches(cellCode, code)` says whether a code falls in a cell code.
 */
export function profileWeight (indicator: string, attrs: readonly string[], profile: readonly string[], cellCodes: readonly string[], matches: (cellCode: string, code: string) => boolean): number {
  const dims = findIndicator(indicator)!.dimensions
  let weight = 1
  for (let i = 0; i < dims.length; i++) {
    const d = dims[i]!.id
    const value = profile[attrs.indexOf(d)]!
    const cellCode = cellCodes[i]!
    if (d === MULTI_ATTRIBUTE) {
      const codes = setCodes(value)
      const n = codes.filter(c => matches(cellCode, c)).length
      if (n === 0) return 0
      weight *= n
    } else if (!matches(cellCode, value)) return 0
  }
  return weight
}
