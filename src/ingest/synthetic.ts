/**
 * Seeded generator of realistic synthetic national exports (victims.csv and offenders.csv in
 * the formats of the shared brief, indicators.md), for tests, benchmarks and the demo.
 *
 * The shapes follow what is published about the region (UNODC GLOTIP country profiles,
 * Eurostat crim_thb, national rapporteurs' reports): victims mostly women and girls, about a
 * third children, sexual exploitation the largest form with labour exploitation growing, most
 * victims nationals of the reporting country; offenders mostly adult men and nationals, with a
 * criminal-justice funnel from suspicion to conviction. The figures are illustrative, not data.
 *
 * Everything is drawn from a small seeded PRNG (sfc32 seeded by a cyrb128 hash of the options),
 * so the same options always give byte-identical output. Rows are produced lazily: a million
 * rows need no more memory than ten.
 */
import { AppError } from '../errors.js'
import { WESTERN_BALKANS, type CountryCode } from '../protocol/codelists.js'
import { toCsvLine } from './csv-line.js'

/** What to generate. */
export interface SyntheticOptions {
  /** The reporting country: ALB BIH HRV XKX MNE MKD SRB. */
  country: string
  /**
   * The calendar years covered (four digits, distinct, any order); each gets its own block of
   * rows, in ascending year order. Dates may fall anywhere in these years: the output does not
   * depend on today's date, so pass past years when an importer refuses future dates.
   */
  years: readonly number[]
  /** Victims registered per year (default 80). */
  victimsPerYear?: number
  /** Persons newly suspected per year (default 50). */
  offendersPerYear?: number
  /** Any finite number; the same seed (and options) gives the same output. */
  seed: number
}

const DEFAULT_VICTIMS_PER_YEAR = 80
const DEFAULT_OFFENDERS_PER_YEAR = 50

const VICTIMS_HEADER = [
  'record_id', 'registered_on', 'status', 'sex', 'age', 'citizenship', 'country_of_exploitation',
  'exploitation', 'identified_by', 'assistance',
] as const

const OFFENDERS_HEADER = [
  'record_id', 'sex', 'age', 'citizenship', 'offence', 'exploitation', 'suspected_on',
  'prosecuted_on', 'convicted_on', 'sentence',
] as const

// ---------------------------------------------------------------------------------------------
// PRNG: cyrb128 to spread the seed over 128 bits of state, sfc32 to draw.

function cyrb128 (text: string): [number, number, number, number] {
  let h1 = 1779033703
  let h2 = 3144134277
  let h3 = 1013904242
  let h4 = 2773480762
  for (let i = 0; i < text.length; i++) {
    const k = text.charCodeAt(i)
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067)
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233)
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213)
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179)
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067)
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233)
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213)
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179)
  h1 ^= h2 ^ h3 ^ h4
  h2 ^= h1
  h3 ^= h1
  h4 ^= h1
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0]
}

class Rng {
  private a: number
  private b: number
  private c: number
  private d: number

  constructor (key: string) {
    [this.a, this.b, this.c, this.d] = cyrb128(key)
    for (let i = 0; i < 15; i++) this.next()
  }

  /** A uniform 32-bit unsigned integer (sfc32). */
  next (): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0
    this.d = (this.d + 1) | 0
    this.a = this.b ^ (this.b >>> 9)
    this.b = (this.c + (this.c << 3)) | 0
    this.c = (this.c << 21) | (this.c >>> 11)
    this.c = (this.c + t) | 0
    return t >>> 0
  }

  /** Uniform in [0, 1). */
  float (): number {
    return this.next() / 4294967296
  }

  /** Uniform in (0, 1]. */
  positive (): number {
    return (this.next() + 1) / 4294967296
  }

  /** Uniform integer in [0, n). */
  int (n: number): number {
    return Math.floor(this.float() * n)
  }

  chance (p: number): boolean {
    return this.float() < p
  }

  /** Exponential with mean 1. */
  exp (): number {
    return -Math.log(this.positive())
  }
}

// ---------------------------------------------------------------------------------------------
// Weighted tables.

type Weights = ReadonlyArray<readonly [string, number]>

interface Table {
  readonly codes: readonly string[]
  readonly cumulative: readonly number[]
  readonly total: number
}

function table (weights: Weights): Table {
  const codes: string[] = []
  const cumulative: number[] = []
  let total = 0
  for (const [code, weight] of weights) {
    if (weight <= 0) continue
    total += weight
    codes.push(code)
    cumulative.push(total)
  }
  return { codes, cumulative, total }
}

function pick (rng: Rng, t: Table): string {
  const r = rng.float() * t.total
  const n = t.codes.length
  for (let i = 0; i < n - 1; i++) {
    if (r < (t.cumulative[i] as number)) return t.codes[i] as string
  }
  return t.codes[n - 1] as string
}

/** Up to `k` distinct codes drawn without replacement, in draw order. */
function pickDistinct (rng: Rng, weights: Weights, k: number): string[] {
  const pool = weights.filter(([, w]) => w > 0).map(([code, w]) => [code, w] as [string, number])
  const out: string[] = []
  while (out.length < k && pool.length > 0) {
    let total = 0
    for (const [, w] of pool) total += w
    let r = rng.float() * total
    let i = 0
    for (; i < pool.length - 1; i++) {
      r -= (pool[i] as [string, number])[1]
      if (r < 0) break
    }
    out.push((pool[i] as [string, number])[0])
    pool.splice(i, 1)
  }
  return out
}

// ---------------------------------------------------------------------------------------------
// Calendar: days since 1970-01-01 (proleptic Gregorian; H. Hinnant's algorithms).

function daysFromCivil (year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year
  const era = Math.floor(y / 400)
  const yoe = y - era * 400
  const doy = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
}

function isoDate (days: number): string {
  const z = days + 719468
  const era = Math.floor(z / 146097)
  const doe = z - era * 146097
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365)
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100))
  const mp = Math.floor((5 * doy + 2) / 153)
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1
  const m = mp < 10 ? mp + 3 : mp - 9
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0)
  return `${y}-${m < 10 ? '0' : ''}${m}-${d < 10 ? '0' : ''}${d}`
}

/**
 * `n` days of one year in non-decreasing order, drawn as the order statistics of `n` uniform
 * variates (descending products of U^(1/i)), so no array of dates is ever held.
 */
function * sortedDaysOfYear (rng: Rng, year: number, n: number): Generator<number> {
  const first = daysFromCivil(year, 1, 1)
  const length = daysFromCivil(year + 1, 1, 1) - first
  let top = 1
  for (let i = n; i >= 1; i--) {
    top *= Math.pow(rng.positive(), 1 / i)
    yield first + Math.min(length - 1, Math.floor((1 - top) * length))
  }
}

// ---------------------------------------------------------------------------------------------
// Codes and their shares.

/** Land neighbours (and the closest destination markets) of each reporting country. */
const NEIGHBOURS: Readonly<Record<CountryCode, readonly string[]>> = {
  ALB: ['GRC', 'MKD', 'MNE', 'XKX', 'ITA'],
  BIH: ['HRV', 'SRB', 'MNE'],
  HRV: ['SVN', 'HUN', 'SRB', 'BIH', 'MNE'],
  XKX: ['ALB', 'MKD', 'SRB', 'MNE'],
  MNE: ['ALB', 'BIH', 'SRB', 'XKX', 'HRV'],
  MKD: ['ALB', 'BGR', 'GRC', 'SRB', 'XKX'],
  SRB: ['HUN', 'ROU', 'BGR', 'MKD', 'BIH', 'HRV', 'MNE', 'XKX'],
}

/** EU citizenships seen among victims and offenders in the region (HRV comes with the WB draw). */
const EU_CITIZENSHIP: Weights = [
  ['DEU', 4], ['AUT', 3], ['ITA', 3], ['GRC', 3], ['BGR', 4], ['ROU', 4], ['HUN', 2], ['SVN', 1], ['FRA', 1],
]

/** Other foreign citizenships: Ukraine after 2014/2022, migration routes, labour recruitment in Asia. */
const OTHER_CITIZENSHIP: Weights = [
  ['UKR', 15], ['TUR', 10], ['NGA', 8], ['PAK', 8], ['SYR', 8], ['BGD', 10], ['NPL', 10], ['MDA', 8],
  ['PHL', 8], ['AFG', 6], ['CHN', 4],
]

/** Destinations abroad, besides the neighbours. */
const ABROAD: Weights = [
  ['DEU', 25], ['AUT', 15], ['ITA', 10], ['FRA', 5], ['CHE', 5], ['GRC', 5], ['NLD', 3], ['TUR', 3], ['ARE', 2], ['GBR', 2],
]

/** Primary form of exploitation; `t` runs from 0 (first year) to 1 (last year): LAB grows from ~10% to ~24%. */
function exploitationWeights (t: number): Weights {
  return [
    ['SEX', 62 - 10 * t], ['LAB', 10 + 15 * t], ['BEG', 7], ['DOM', 4], ['MAR', 4], ['CRIM', 3], ['MIX', 4],
    ['OTH', 1], ['ADOPT', 0.3], ['SURR', 0.2], ['ORG', 0.2], ['UNK', 2],
  ]
}

/** Forms that appear as secondary forms (and as the components of MIX). */
const SECONDARY: Weights = [['SEX', 5], ['LAB', 4], ['BEG', 2], ['CRIM', 2], ['DOM', 2], ['MAR', 1]]

/** P(female | primary form), for persons of known binary sex. */
const FEMALE_SHARE: Readonly<Record<string, number>> = {
  SEX: 0.93, LAB: 0.3, BEG: 0.5, DOM: 0.8, MAR: 0.97, CRIM: 0.4, MIX: 0.7, OTH: 0.6, ADOPT: 0.5, SURR: 1, ORG: 0.3, UNK: 0.65,
}

/** P(child | primary form). */
const CHILD_SHARE: Readonly<Record<string, number>> = {
  SEX: 0.3, LAB: 0.1, BEG: 0.7, DOM: 0.25, MAR: 0.75, CRIM: 0.45, MIX: 0.35, OTH: 0.2, ADOPT: 1, SURR: 0, ORG: 0.05, UNK: 0.3,
}

/** Weights of ages 0..17 among child victims: mostly adolescents. */
const CHILD_AGES = table(Array.from({ length: 18 }, (_, age) => [String(age), age <= 8 ? 0.3 : age <= 12 ? 2 : 10] as const))

/** Weights of ages 0..17 among children exploited for begging: younger. */
const CHILD_AGES_BEGGING = table(Array.from({ length: 18 }, (_, age) => [String(age), age <= 3 ? 1 : age <= 8 ? 4 : 3] as const))

function identifiedByWeights (labour: boolean, foreign: boolean): Weights {
  return [
    ['POL', 45], ['SOC', 15], ['NGO', 14], ['BORD_IMM', foreign ? 20 : 6], ['LAB_INSP', labour ? 20 : 3],
    ['PROS_CRT', 5], ['IO', 3], ['GOV_OTH', 2], ['OTH', 1], ['UNK', 1],
  ]
}

const IDENTIFIED_BY = [
  table(identifiedByWeights(false, false)), table(identifiedByWeights(false, true)),
  table(identifiedByWeights(true, false)), table(identifiedByWeights(true, true)),
]

/** Codelist order of ASSIST, used to list a person's assistance. */
const ASSIST_ORDER = ['SHELTER', 'HEALTH', 'PSY', 'LEGAL', 'FIN', 'EDU', 'LIVELI', 'SOCIAL', 'RESPERM', 'RETURN']

function assistanceWeights (child: boolean, foreign: boolean): Weights {
  return [
    ['SHELTER', 50], ['HEALTH', 45], ['PSY', 45], ['LEGAL', 40], ['FIN', 15], ['EDU', child ? 40 : 8],
    ['LIVELI', child ? 3 : 14], ['SOCIAL', 35], ['RESPERM', foreign ? 30 : 0], ['RETURN', foreign ? 25 : 0],
  ]
}

const ASSISTANCE = [
  assistanceWeights(false, false), assistanceWeights(false, true), assistanceWeights(true, false), assistanceWeights(true, true),
]

const ASSIST_COUNT = table([['1', 25], ['2', 30], ['3', 25], ['4', 20]])

const SENTENCES = table([
  ['CUST_LT1', 5], ['CUST_1T3', 30], ['CUST_3T5', 25], ['CUST_5T10', 15], ['CUST_GE10', 3],
  ['SUSPENDED', 15], ['FINE', 4], ['OTH', 1], ['UNK', 2],
])

// ---------------------------------------------------------------------------------------------
// Options.

interface Plan {
  readonly country: CountryCode
  readonly years: readonly number[]
  readonly victimsPerYear: number
  readonly offendersPerYear: number
  readonly seed: number
  /** Per year: the exploitation table at that point of the trend. */
  readonly exploitation: ReadonlyMap<number, Table>
  readonly wbCitizenship: Table
  readonly euCitizenship: Table
  readonly otherCitizenship: Table
  readonly abroad: Table
  /** The last day any date may take: 31 December of the last year. */
  readonly lastDay: number
}

function count (value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new AppError('USAGE', `${name} must be a non-negative integer (got ${String(value)})`)
  }
  return value
}

function plan (options: SyntheticOptions): Plan {
  const country = options.country as CountryCode
  if (!(WESTERN_BALKANS as readonly string[]).includes(country)) {
    throw new AppError('COUNTRY_INVALID', `country must be one of ${WESTERN_BALKANS.join(', ')} (got ${JSON.stringify(options.country)})`)
  }
  for (const y of options.years) {
    if (!Number.isInteger(y) || y < 1000 || y > 9999) throw new AppError('USAGE', `years must be four-digit calendar years (got ${String(y)})`)
  }
  const years = [...options.years].sort((a, b) => a - b)
  if (new Set(years).size !== years.length) throw new AppError('USAGE', `years must not repeat (got ${options.years.join(', ')})`)
  if (!Number.isFinite(options.seed)) throw new AppError('USAGE', `seed must be a finite number (got ${String(options.seed)})`)
  const first = years[0] ?? 0
  const last = years[years.length - 1] ?? 0
  const exploitation = new Map(years.map(y => [y, table(exploitationWeights(last > first ? (y - first) / (last - first) : 0.5))]))
  const neighbours = NEIGHBOURS[country]
  return {
    country,
    years,
    victimsPerYear: count(options.victimsPerYear, DEFAULT_VICTIMS_PER_YEAR, 'victimsPerYear'),
    offendersPerYear: count(options.offendersPerYear, DEFAULT_OFFENDERS_PER_YEAR, 'offendersPerYear'),
    seed: options.seed,
    exploitation,
    wbCitizenship: table(WESTERN_BALKANS.filter(c => c !== country).map(c => [c, neighbours.includes(c) ? 3 : 1] as const)),
    euCitizenship: table(EU_CITIZENSHIP.filter(([c]) => c !== country)),
    otherCitizenship: table(OTHER_CITIZENSHIP),
    abroad: table([
      ...neighbours.map(c => [c, 6] as const),
      ...ABROAD.filter(([c]) => c !== country && !neighbours.includes(c)),
    ]),
    lastDay: daysFromCivil(last, 12, 31),
  }
}

function rngFor (kind: 'victims' | 'offenders', p: Plan): Rng {
  return new Rng(`dcimx-synthetic/1/${kind}/${p.country}/${String(p.seed)}`)
}

function recordId (p: Plan, letter: 'V' | 'O', year: number, seq: number): string {
  return `${p.country}-${letter}-${year}-${String(seq).padStart(6, '0')}`
}

// ---------------------------------------------------------------------------------------------
// Shared draws.

/** Exploitation codes, primary first, distinct. */
function drawExploitation (rng: Rng, forms: Table, secondaryShare: number): string[] {
  const primary = pick(rng, forms)
  if (primary === 'MIX') return ['MIX', ...pickDistinct(rng, SECONDARY, 2)]
  if (primary === 'UNK' || primary === 'OTH' || !rng.chance(secondaryShare)) return [primary]
  return [primary, ...pickDistinct(rng, SECONDARY.filter(([c]) => c !== primary), 1)]
}

/** Citizenship: '' (unknown), the reporting country, or a foreign code; `national` is P(national | known). */
function drawCitizenship (rng: Rng, p: Plan, national: number, foreignMix: readonly [number, number, number, number]): string {
  if (rng.chance(0.03)) return ''
  if (rng.chance(national)) return p.country
  const [wb, eu, other] = foreignMix
  const r = rng.float() * (foreignMix[0] + foreignMix[1] + foreignMix[2] + foreignMix[3])
  if (r < wb) return pick(rng, p.wbCitizenship)
  if (r < wb + eu) return pick(rng, p.euCitizenship)
  if (r < wb + eu + other) return pick(rng, p.otherCitizenship)
  return 'STLS'
}

/** Adult age: 18 plus a gamma(2) spread with the given scale, capped at `max`. */
function adultAge (rng: Rng, scale: number, max: number): number {
  return Math.min(max, 18 + Math.floor((rng.exp() + rng.exp()) * scale))
}

// ---------------------------------------------------------------------------------------------
// Victims.

function victimRow (rng: Rng, p: Plan, id: string, day: number, forms: Table): string[] {
  const exploitation = drawExploitation(rng, forms, 0.1)
  const primary = exploitation[0] as string
  const labour = primary === 'LAB'

  const u = rng.float()
  const sex = u < 0.025 ? 'U' : u < 0.03 ? 'O' : rng.chance(FEMALE_SHARE[primary] ?? 0.7) ? 'F' : 'M'

  let age = ''
  let child = false
  if (!rng.chance(0.03)) {
    if (primary === 'ADOPT') {
      age = String(rng.int(2))
    } else if (primary === 'SURR') {
      age = String(20 + rng.int(19))
    } else if (rng.chance(CHILD_SHARE[primary] ?? 0.3)) {
      age = pick(rng, primary === 'BEG' ? CHILD_AGES_BEGGING : CHILD_AGES)
    } else {
      age = String(adultAge(rng, 5, 75))
    }
    child = Number(age) < 18
  }

  const citizenship = drawCitizenship(rng, p, labour ? 0.45 : 0.68, labour ? [35, 10, 53, 2] : [55, 15, 27, 3])
  const foreign = citizenship !== p.country && citizenship !== ''

  let exploitedIn: string
  if (rng.chance(0.03)) exploitedIn = ''
  else if (citizenship === p.country) exploitedIn = rng.chance(0.78) ? p.country : pick(rng, p.abroad)
  else exploitedIn = rng.chance(0.94) ? p.country : pick(rng, p.abroad)

  const status = rng.chance(0.8) ? 'IDENT' : 'PRES'
  const identifiedBy = rng.chance(0.01) ? '' : pick(rng, IDENTIFIED_BY[(labour ? 2 : 0) + (foreign ? 1 : 0)] as Table)

  let assistance: string
  const a = rng.float()
  if (a < 0.05) assistance = ''
  else if (a < (status === 'PRES' ? 0.2 : 0.12)) assistance = 'NONE'
  else {
    const codes = pickDistinct(rng, ASSISTANCE[(child ? 2 : 0) + (foreign ? 1 : 0)] as Weights, Number(pick(rng, ASSIST_COUNT)))
    assistance = ASSIST_ORDER.filter(c => codes.includes(c)).join('|')
  }

  return [id, isoDate(day), status, sex, age, citizenship, exploitedIn, exploitation.join('|'), identifiedBy, assistance]
}

/**
 * The rows of one file: the header, then `perYear` persons a year in date order, numbered
 * per year. Victims and offenders differ only in the row they build.
 */
function * personRows (kind: 'victims' | 'offenders', p: Plan, header: readonly string[], perYear: number, letter: 'V' | 'O', row: (rng: Rng, p: Plan, id: string, day: number, forms: Table) => string[]): Generator<string[]> {
  const rng = rngFor(kind, p)
  yield [...header]
  for (const year of p.years) {
    const forms = p.exploitation.get(year) as Table
    let seq = 0
    for (const day of sortedDaysOfYear(rng, year, perYear)) {
      seq++
      yield row(rng, p, recordId(p, letter, year, seq), day, forms)
    }
  }
}

/**
 * Rows of a synthetic victims.csv for `options.country`: the header row first, then
 * `victimsPerYear` rows for each year in ascending year order, each year's rows in order of
 * registration date.
 *
 * Guarantees: columns in the order of indicators.md; every code comes from its codelist
 * (AREA as ISO 3166-1 alpha-3, XKX or STLS); an empty field means unknown; multi-valued fields
 * are distinct codes joined by `|` (primary exploitation first, assistance in codelist order,
 * NONE alone); `registered_on` is a valid date in the row's year; `age` is 0-120 or empty;
 * `record_id` (`SRB-V-2023-000123`) is unique within the output. No field contains a comma,
 * quote or line break. The same options give the same rows.
 *
 * @throws AppError COUNTRY_INVALID or USAGE, at once, for options out of range.
 */
export function syntheticVictims (options: SyntheticOptions): Generator<string[]> {
  const p = plan(options)
  return personRows('victims', p, VICTIMS_HEADER, p.victimsPerYear, 'V', victimRow)
}

// ---------------------------------------------------------------------------------------------
// Offenders.

const LABOUR = new Set(['LAB', 'DOM', 'BEG'])

function offenceFor (rng: Rng, primary: string): string {
  if (primary === 'UNK' || rng.chance(0.15)) return 'ICCS0204'
  if (primary === 'SEX') return 'ICCS02041'
  if (LABOUR.has(primary)) return 'ICCS02042'
  if (primary === 'ORG') return 'ICCS02043'
  return rng.chance(0.7) ? 'ICCS02044' : 'ICCS0204'
}

/** A later date `from + lag`, kept within the generated window (cases near its end resolve sooner). */
function later (rng: Rng, p: Plan, from: number, lag: number): number {
  if (from + lag <= p.lastDay) return from + lag
  return from + rng.int(p.lastDay - from + 1)
}

function offenderRow (rng: Rng, p: Plan, id: string, suspected: number, forms: Table): string[] {
  const exploitation = drawExploitation(rng, forms, 0.08)
  const primary = exploitation[0] as string

  const u = rng.float()
  const sex = u < 0.015 ? 'U' : u < 0.78 ? 'M' : 'F'

  const a = rng.float()
  const age = a < 0.03 ? '' : a < 0.035 ? String(16 + rng.int(2)) : String(adultAge(rng, 8, 85))

  const citizenship = drawCitizenship(rng, p, 0.8, [60, 18, 19, 3])
  const offence = offenceFor(rng, primary)

  let prosecuted = ''
  let convicted = ''
  let sentence = ''
  if (rng.chance(0.6)) {
    const prosecutedDay = later(rng, p, suspected, Math.min(730, 14 + Math.floor(rng.exp() * 120)))
    prosecuted = isoDate(prosecutedDay)
    if (rng.chance(0.5)) {
      convicted = isoDate(later(rng, p, prosecutedDay, Math.min(1500, 60 + Math.floor(rng.exp() * 300))))
      sentence = pick(rng, SENTENCES)
    }
  }

  return [id, sex, age, citizenship, offence, exploitation.join('|'), isoDate(suspected), prosecuted, convicted, sentence]
}

/**
 * Rows of a synthetic offenders.csv for `options.country`: the header row first, then
 * `offendersPerYear` persons newly suspected in each year (ascending), in order of
 * `suspected_on`.
 *
 * Guarantees: columns in the order of indicators.md; every code comes from its codelist;
 * `suspected_on` is always set and falls in the row's year, so each person reaches C1 in a
 * requested year; about 60% are prosecuted and about half of those convicted;
 * suspected_on <= prosecuted_on <= convicted_on, with no date after 31 December of the last
 * requested year; a conviction implies a prosecution, and `sentence` is set exactly when
 * `convicted_on` is; `offence` is always set, ICCS0204 or the sub-code consistent with the
 * primary exploitation (SEX ICCS02041; LAB, DOM, BEG ICCS02042; ORG ICCS02043; others ICCS02044);
 * `record_id` (`SRB-O-2023-000045`) is unique within the output. The same options give the
 * same rows.
 *
 * @throws AppError COUNTRY_INVALID or USAGE, at once, for options out of range.
 */
export function syntheticOffenders (options: SyntheticOptions): Generator<string[]> {
  const p = plan(options)
  return personRows('offenders', p, OFFENDERS_HEADER, p.offendersPerYear, 'O', offenderRow)
}

// ---------------------------------------------------------------------------------------------
// CSV.

/** Bytes of CSV text gathered before each write. */
const CHUNK = 64 * 1024

function drained (out: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (err?: unknown): void => {
      out.off('drain', onDrain)
      out.off('error', onError)
      out.off('close', onClose)
      if (err === undefined) resolve()
      else reject(err)
    }
    const onDrain = (): void => done()
    const onError = (err: unknown): void => done(err)
    const onClose = (): void => done(new Error('the output stream closed before all rows were written'))
    out.on('drain', onDrain)
    out.on('error', onError)
    out.on('close', onClose)
  })
}

/**
 * Writes a synthetic victims.csv or offenders.csv (header included) to `out` and resolves to the
 * number of data rows written (the header is not counted).
 *
 * Rows are generated lazily and written in chunks of about 64 KiB; when `out.write` returns
 * false the writer waits for 'drain', so memory stays bounded whatever the volume (a million
 * rows take a few MB). The output is byte-identical for the same options. `out` is not ended:
 * the caller owns it. Rejects if `out` emits 'error' or closes early; throws (rejects) at once
 * for invalid options, before anything is written.
 */
export async function writeSyntheticCsv (kind: 'victims' | 'offenders', options: SyntheticOptions, out: NodeJS.WritableStream): Promise<number> {
  const rows = kind === 'victims' ? syntheticVictims(options) : syntheticOffenders(options)
  let failure: unknown
  let failed = false
  const onError = (err: unknown): void => {
    if (!failed) failure = err
    failed = true
  }
  out.on('error', onError)
  try {
    let written = -1
    let buffer = ''
    const flush = async (): Promise<void> => {
      const ok = out.write(buffer)
      buffer = ''
      if (!ok && !failed) {
        if ((out as { destroyed?: boolean }).destroyed === true) throw new Error('the output stream was destroyed before all rows were written')
        await drained(out)
      }
      if (failed) throw failure
    }
    for (const row of rows) {
      buffer += toCsvLine(row)
      written++
      if (buffer.length >= CHUNK) await flush()
    }
    if (buffer.length > 0) await flush()
    return written
  } finally {
    out.off('error', onError)
  }
}
