import { Writable } from 'node:stream'
import t from 'tap'
import {
  syntheticOffenders,
  syntheticVictims,
  writeSyntheticCsv,
  type SyntheticOptions,
} from '../../src/ingest/synthetic.js'
import { toCsvLine } from '../../src/ingest/csv-line.js'

// The codelists of the shared brief (indicators.md), written out here on purpose: the test
// checks the generator against the standard, not against the code that implements it.
const WB = ['ALB', 'BIH', 'HRV', 'XKX', 'MNE', 'MKD', 'SRB']
const SEX = new Set(['F', 'M', 'O', 'U'])
const VICT_STATUS = new Set(['IDENT', 'PRES'])
const EXPLOIT = new Set(['SEX', 'LAB', 'DOM', 'BEG', 'CRIM', 'MAR', 'ADOPT', 'SURR', 'ORG', 'MIX', 'OTH', 'UNK'])
const IDENT_AGENCY = new Set(['POL', 'PROS_CRT', 'LAB_INSP', 'SOC', 'BORD_IMM', 'GOV_OTH', 'NGO', 'IO', 'OTH', 'UNK'])
const ASSIST = new Set(['SHELTER', 'HEALTH', 'PSY', 'LEGAL', 'FIN', 'EDU', 'LIVELI', 'SOCIAL', 'RESPERM', 'RETURN', 'NONE', 'UNK'])
const OFFENCE = new Set(['ICCS0204', 'ICCS02041', 'ICCS02042', 'ICCS02043', 'ICCS02044'])
const SENTENCE = new Set(['CUST_LT1', 'CUST_1T3', 'CUST_3T5', 'CUST_5T10', 'CUST_GE10', 'SUSPENDED', 'FINE', 'OTH', 'UNK'])
/** AREA: ISO 3166-1 alpha-3 (Europe and the usual countries of origin and destination), XKX, STLS, UNK. */
const AREA = new Set([
  ...WB, 'STLS', 'UNK',
  'AUT', 'BEL', 'BGR', 'CYP', 'CZE', 'DNK', 'EST', 'FIN', 'FRA', 'DEU', 'GRC', 'HUN', 'IRL', 'ITA', 'LVA', 'LTU',
  'LUX', 'MLT', 'NLD', 'POL', 'PRT', 'ROU', 'SVK', 'SVN', 'ESP', 'SWE', 'GBR', 'CHE', 'NOR', 'ISL', 'LIE', 'AND',
  'MCO', 'SMR', 'VAT', 'UKR', 'MDA', 'BLR', 'RUS', 'TUR', 'GEO', 'ARM', 'AZE', 'SYR', 'IRQ', 'IRN', 'AFG', 'PAK',
  'IND', 'BGD', 'NPL', 'LKA', 'PHL', 'CHN', 'VNM', 'THA', 'IDN', 'ARE', 'SAU', 'QAT', 'KWT', 'ISR', 'LBN', 'JOR',
  'EGY', 'LBY', 'TUN', 'DZA', 'MAR', 'NGA', 'GHA', 'CMR', 'ERI', 'ETH', 'SOM', 'SDN', 'USA', 'CAN', 'BRA', 'DOM',
])

const VICTIMS_HEADER = ['record_id', 'registered_on', 'status', 'sex', 'age', 'citizenship', 'country_of_exploitation', 'exploitation', 'identified_by', 'assistance']
const OFFENDERS_HEADER = ['record_id', 'sex', 'age', 'citizenship', 'offence', 'exploitation', 'suspected_on', 'prosecuted_on', 'convicted_on', 'sentence']

const YEARS = [2015, 2016, 2017, 2018, 2019, 2020, 2021, 2022, 2023, 2024]

function text (rows: Iterable<string[]>): string {
  let out = ''
  for (const row of rows) out += toCsvLine(row)
  return out
}

function body (rows: Iterable<string[]>): string[][] {
  return [...rows].slice(1)
}

function isDate (s: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) return false
  const [y, m, d] = s.split('-').map(Number) as [number, number, number]
  return new Date(Date.UTC(y, m - 1, d)).toISOString().slice(0, 10) === s
}

function validAge (s: string): boolean {
  return s === '' || (/^(0|[1-9]\d{0,2})$/.test(s) && Number(s) <= 120)
}

function multi (s: string, allowed: Set<string>): boolean {
  if (s === '') return true
  const codes = s.split('|')
  return new Set(codes).size === codes.length && codes.every(c => allowed.has(c))
}

/** The name of the first failed check, or '' when all pass. */
function firstFailure (checks: Array<[string, boolean]>): string {
  return checks.find(([, ok]) => !ok)?.[0] ?? ''
}

function share<T> (items: readonly T[], test: (item: T) => boolean): number {
  return items.filter(test).length / items.length
}

t.test('header rows are exactly the columns of indicators.md', async t => {
  const options = { country: 'MNE', years: [2023], seed: 1 }
  t.same(syntheticVictims(options).next().value, VICTIMS_HEADER)
  t.same(syntheticOffenders(options).next().value, OFFENDERS_HEADER)
})

t.test('the same options give identical output; another seed or country does not', async t => {
  const options: SyntheticOptions = { country: 'SRB', years: [2021, 2022, 2023], seed: 42 }
  for (const generate of [syntheticVictims, syntheticOffenders]) {
    const a = text(generate(options))
    t.equal(text(generate({ ...options })), a)
    t.equal(text(generate({ ...options, years: [2023, 2021, 2022] })), a, 'the order of years does not matter')
    t.not(text(generate({ ...options, seed: 43 })), a)
    t.not(text(generate({ ...options, seed: 42.5 })), a)
    t.not(text(generate({ ...options, country: 'BIH' })), a)
  }
})

t.test('default volumes are 80 victims and 50 offenders a year', async t => {
  const options = { country: 'ALB', years: [2022, 2023], seed: 7 }
  t.equal(body(syntheticVictims(options)).length, 160)
  t.equal(body(syntheticOffenders(options)).length, 100)
  t.same([...syntheticVictims({ ...options, victimsPerYear: 0 })], [VICTIMS_HEADER])
  t.same([...syntheticOffenders({ ...options, offendersPerYear: 0 })], [OFFENDERS_HEADER])
  t.same([...syntheticVictims({ ...options, years: [] })], [VICTIMS_HEADER])
})

t.test('invalid options throw at once', async t => {
  t.throws(() => syntheticVictims({ country: 'GRC', years: [2023], seed: 1 }), { code: 'COUNTRY_INVALID' })
  t.throws(() => syntheticOffenders({ country: 'srb', years: [2023], seed: 1 }), { code: 'COUNTRY_INVALID' })
  t.throws(() => syntheticVictims({ country: 'SRB', years: [2023.5], seed: 1 }), { code: 'USAGE' })
  t.throws(() => syntheticVictims({ country: 'SRB', years: [2023, 2023], seed: 1 }), { code: 'USAGE' })
  t.throws(() => syntheticVictims({ country: 'SRB', years: [2023], seed: Number.NaN }), { code: 'USAGE' })
  t.throws(() => syntheticVictims({ country: 'SRB', years: [2023], seed: 1, victimsPerYear: -1 }), { code: 'USAGE' })
  t.throws(() => syntheticOffenders({ country: 'SRB', years: [2023], seed: 1, offendersPerYear: 1.5 }), { code: 'USAGE' })
  await t.rejects(writeSyntheticCsv('victims', { country: 'XXX', years: [2023], seed: 1 }, new Writable({ write (_c, _e, cb) { cb() } })), { code: 'COUNTRY_INVALID' })
})

t.test('victims: every field uses only codes of the codelists, ids are unique, dates in their year', async t => {
  for (const country of WB) {
    const years = [2019, 2020, 2021, 2022, 2023]
    const rows = body(syntheticVictims({ country, years, victimsPerYear: 300, seed: 11 }))
    t.equal(rows.length, 1500)
    const ids = new Set<string>()
    const bad: string[] = []
    let previous = ''
    for (const row of rows) {
      const [id, registered, status, sex, age, citizenship, exploitedIn, exploitation, identifiedBy, assistance] = row as [string, string, string, string, string, string, string, string, string, string]
      const why = firstFailure([
        ['columns', row.length === 10],
        ['record_id', new RegExp(`^${country}-V-\\d{4}-\\d{6}$`).test(id)],
        ['registered_on', isDate(registered) && registered.slice(0, 4) === id.slice(6, 10) && years.includes(Number(registered.slice(0, 4)))],
        ['order of registration', registered >= previous],
        ['status', VICT_STATUS.has(status)],
        ['sex', SEX.has(sex)],
        ['age', validAge(age)],
        ['citizenship', citizenship === '' || AREA.has(citizenship)],
        ['country_of_exploitation', (exploitedIn === '' || AREA.has(exploitedIn)) && exploitedIn !== 'STLS'],
        ['exploitation', exploitation !== '' && multi(exploitation, EXPLOIT)],
        ['identified_by', identifiedBy === '' || IDENT_AGENCY.has(identifiedBy)],
        ['assistance', multi(assistance, ASSIST) && (assistance === 'NONE' || !assistance.includes('NONE')) && assistance.split('|').length <= 4],
      ])
      if (why !== '') bad.push(`${why}: ${row.join(',')}`)
      ids.add(id)
      previous = registered
    }
    t.same(bad.slice(0, 5), [], `${country}: every row is valid`)
    t.equal(ids.size, rows.length, `${country}: record_id is unique`)
    t.ok(rows.some(r => r[4] === '') && rows.some(r => r[5] === '') && rows.some(r => r[9] === ''), `${country}: some fields are unknown`)
    t.ok(rows.every(r => !/[",\r\n]/.test(r.join(''))), `${country}: no field needs quoting`)
  }
})

t.test('offenders: codes, funnel, non-decreasing dates, sentence only when convicted', async t => {
  const years = [2018, 2019, 2020, 2021, 2022, 2023]
  const lastDay = '2023-12-31'
  const all: string[][] = []
  for (const country of WB) {
    const rows = body(syntheticOffenders({ country, years, offendersPerYear: 400, seed: 5 }))
    t.equal(rows.length, 2400)
    const ids = new Set<string>()
    const bad: string[] = []
    for (const row of rows) {
      const [id, sex, age, citizenship, offence, exploitation, suspected, prosecuted, convicted, sentence] = row as [string, string, string, string, string, string, string, string, string, string]
      const primary = exploitation.split('|')[0] as string
      const expected = primary === 'SEX'
        ? 'ICCS02041'
        : ['LAB', 'DOM', 'BEG'].includes(primary) ? 'ICCS02042' : primary === 'ORG' ? 'ICCS02043' : 'ICCS02044'
      const why = firstFailure([
        ['columns', row.length === 10],
        ['record_id', new RegExp(`^${country}-O-\\d{4}-\\d{6}$`).test(id) && id.slice(6, 10) === suspected.slice(0, 4)],
        ['sex', SEX.has(sex)],
        ['age', validAge(age)],
        ['citizenship', citizenship === '' || AREA.has(citizenship)],
        ['offence', OFFENCE.has(offence) && (offence === 'ICCS0204' || offence === expected)],
        ['exploitation', multi(exploitation, EXPLOIT)],
        ['suspected_on', isDate(suspected) && years.includes(Number(suspected.slice(0, 4)))],
        ['prosecuted_on', prosecuted === '' || (isDate(prosecuted) && prosecuted >= suspected && prosecuted <= lastDay)],
        ['convicted_on', convicted === '' || (isDate(convicted) && prosecuted !== '' && convicted >= prosecuted && convicted <= lastDay)],
        ['sentence', (sentence === '') === (convicted === '') && (sentence === '' || SENTENCE.has(sentence))],
      ])
      if (why !== '') bad.push(`${why}: ${row.join(',')}`)
      ids.add(id)
    }
    t.same(bad.slice(0, 5), [], `${country}: every row is valid`)
    t.equal(ids.size, rows.length, `${country}: record_id is unique`)
    all.push(...rows)
  }
  const prosecuted = all.filter(r => r[7] !== '')
  const convicted = all.filter(r => r[8] !== '')
  t.ok(prosecuted.length > 0 && prosecuted.length < all.length, 'not every suspect is prosecuted')
  t.ok(convicted.length > 0 && convicted.length < prosecuted.length, 'not every prosecuted person is convicted')
  t.ok(share(all, r => r[7] !== '') > 0.55 && share(all, r => r[7] !== '') < 0.65, 'about 60% prosecuted')
  t.ok(convicted.length / prosecuted.length > 0.45 && convicted.length / prosecuted.length < 0.55, 'about half of them convicted')
  const male = share(all, r => r[1] === 'M')
  t.ok(male > 0.72 && male < 0.83, `mostly men (${male})`)
  const adults = share(all.filter(r => r[2] !== ''), r => Number(r[2]) >= 18)
  t.ok(adults > 0.98, `adults (${adults})`)
  const custodial1to5 = share(convicted, r => r[9] === 'CUST_1T3' || r[9] === 'CUST_3T5')
  t.ok(custodial1to5 > 0.45 && custodial1to5 < 0.65, `sentences mostly 1-5 years (${custodial1to5})`)
  t.ok(share(convicted, r => r[9] === 'SUSPENDED') > share(convicted, r => r[9] === 'FINE'), 'some suspended, fewer fines')
  t.ok(share(all, r => r[4] === 'ICCS0204') > 0.1, 'some exports use the generic offence code')
  const nationals = share(all, r => r[3] === r[0]?.slice(0, 3))
  t.ok(nationals > 0.65 && nationals < 0.9, `mostly nationals (${nationals})`)
  t.ok(YEARS.slice(3, 9).every(y => all.some(r => r[6]?.startsWith(`${y}-`))), 'suspicions are spread over the years')
})

t.test('victims: the shapes published for the region, on 20,000 records', async t => {
  const rows = body(syntheticVictims({ country: 'SRB', years: YEARS, victimsPerYear: 2000, seed: 2024 }))
  t.equal(rows.length, 20000)
  const female = share(rows, r => r[3] === 'F')
  t.ok(female > 0.65 && female < 0.8, `mostly women and girls (${female})`)
  const unknownSex = share(rows, r => r[3] === 'U')
  t.ok(unknownSex > 0.01 && unknownSex < 0.05, `a few of unknown sex (${unknownSex})`)
  t.ok(share(rows, r => r[3] === 'O') < 0.02, 'O is rare')
  const children = share(rows, r => r[4] !== '' && Number(r[4]) < 18)
  t.ok(children > 0.2 && children < 0.4, `about a third children (${children})`)
  const unknownAge = share(rows, r => r[4] === '')
  t.ok(unknownAge > 0.01 && unknownAge < 0.06, `a few of unknown age (${unknownAge})`)
  const primary = (r: string[]): string => (r[7] as string).split('|')[0] as string
  const sexual = share(rows, r => primary(r) === 'SEX')
  t.ok(sexual > 0.45 && sexual < 0.65, `sexual exploitation the largest form (${sexual})`)
  const forms = new Map<string, number>()
  for (const r of rows) forms.set(primary(r), (forms.get(primary(r)) ?? 0) + 1)
  t.equal([...forms.entries()].sort((a, b) => b[1] - a[1])[0]?.[0], 'SEX')
  for (const form of ['LAB', 'BEG', 'DOM', 'MAR', 'CRIM', 'MIX', 'UNK']) t.ok((forms.get(form) ?? 0) > 0, `some ${form}`)
  const inYear = (y: number): string[][] => rows.filter(r => r[1]?.startsWith(`${y}-`))
  const labFirst = share(inYear(2015), r => primary(r) === 'LAB')
  const labLast = share(inYear(2024), r => primary(r) === 'LAB')
  t.ok(labLast > labFirst + 0.05, `labour exploitation grows (${labFirst} -> ${labLast})`)
  t.ok(labFirst > 0.05 && labFirst < 0.16 && labLast > 0.18 && labLast < 0.32, 'from about 10% to about 25%')
  const nationals = share(rows, r => r[5] === 'SRB')
  t.ok(nationals > 0.5 && nationals < 0.8, `most victims are nationals (${nationals})`)
  const foreign = rows.filter(r => r[5] !== 'SRB' && r[5] !== '' && r[5] !== 'STLS')
  t.ok(share(foreign, r => WB.includes(r[5] as string)) > 0.3, 'foreigners mostly from the Western Balkans')
  t.ok(rows.some(r => r[5] === 'STLS') && rows.some(r => r[5] === ''), 'a few stateless and unknown')
  const home = share(rows, r => r[6] === 'SRB')
  t.ok(home > 0.7 && home < 0.92, `mostly exploited at home (${home})`)
  t.ok(rows.some(r => r[6] === 'DEU') && rows.some(r => r[6] === 'AUT'), 'some abroad')
  const identified = share(rows, r => r[2] === 'IDENT')
  t.ok(identified > 0.7 && identified < 0.9, `mostly formally identified (${identified})`)
  const agencies = new Map<string, number>()
  for (const r of rows) agencies.set(r[8] as string, (agencies.get(r[8] as string) ?? 0) + 1)
  t.equal([...agencies.entries()].sort((a, b) => b[1] - a[1])[0]?.[0], 'POL', 'police identify most')
  for (const a of ['SOC', 'NGO', 'BORD_IMM', 'LAB_INSP', 'PROS_CRT', 'IO']) t.ok((agencies.get(a) ?? 0) > 0, `some ${a}`)
  t.ok(rows.some(r => r[9] === 'NONE') && rows.some(r => r[9] === '') && rows.some(r => (r[9] as string).split('|').length === 4), 'assistance: none, unknown, up to 4')
  t.notOk(rows.some(r => r[5] === 'SRB' && /RESPERM|RETURN/.test(r[9] as string)), 'no residence permit or return for nationals')
  const ids = new Set(rows.map(r => r[0]))
  t.equal(ids.size, rows.length)
})

t.test('toCsvLine quotes as RFC 4180 requires', async t => {
  t.equal(toCsvLine(['a', 'b', 'c']), 'a,b,c\n')
  t.equal(toCsvLine([]), '\n')
  t.equal(toCsvLine(['']), '\n')
  t.equal(toCsvLine(['', '', '']), ',,\n')
  t.equal(toCsvLine(['a,b', 'c']), '"a,b",c\n')
  t.equal(toCsvLine(['say "hi"']), '"say ""hi"""\n')
  t.equal(toCsvLine(['"']), '""""\n')
  t.equal(toCsvLine(['line\nbreak', 'cr\r', 'crlf\r\n']), '"line\nbreak","cr\r","crlf\r\n"\n')
  t.equal(toCsvLine([' spaced ', 'SEX|LAB', 'Zürich']), ' spaced ,SEX|LAB,Zürich\n', 'no quoting otherwise')
})

t.test('writeSyntheticCsv writes 200,000 rows with bounded memory', async t => {
  let bytes = 0
  let peak = 0
  let writes = 0
  const out = new Writable({
    write (chunk: Buffer, _encoding, callback) {
      bytes += chunk.length
      if (++writes % 16 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed)
      callback()
    },
  })
  const options = { country: 'HRV', years: [2020, 2021, 2022, 2023], victimsPerYear: 50000, seed: 9 }
  const before = process.memoryUsage().heapUsed
  const written = await writeSyntheticCsv('victims', options, out)
  peak = Math.max(peak, process.memoryUsage().heapUsed)
  t.equal(written, 200000)
  let expected = 0
  for (const row of syntheticVictims(options)) expected += Buffer.byteLength(toCsvLine(row))
  t.equal(bytes, expected, 'every byte of every row was written')
  t.ok(writes > 100, `written in chunks (${writes})`)
  const growth = (peak - before) / 1024 / 1024
  t.ok(growth < 100, `heap growth ${growth.toFixed(1)} MB`)
})

t.test('writeSyntheticCsv waits for drain and writes exactly the rows', async t => {
  for (const kind of ['victims', 'offenders'] as const) {
    const chunks: string[] = []
    let drains = 0
    const out = new Writable({
      highWaterMark: 1024,
      decodeStrings: false,
      write (chunk: string, _encoding, callback) {
        chunks.push(chunk)
        setImmediate(callback)
      },
    })
    out.on('drain', () => drains++)
    const options = { country: 'MKD', years: [2022, 2023], victimsPerYear: 2000, offendersPerYear: 2000, seed: 3 }
    const written = await writeSyntheticCsv(kind, options, out)
    t.equal(written, 4000)
    t.ok(drains > 0, 'backpressure was respected')
    const generate = kind === 'victims' ? syntheticVictims : syntheticOffenders
    t.equal(chunks.join(''), text(generate(options)), `${kind}: output is the rows as CSV`)
  }
})

t.test('writeSyntheticCsv rejects when the stream fails', async t => {
  const out = new Writable({
    highWaterMark: 16,
    write (_chunk, _encoding, callback) {
      setImmediate(() => callback(new Error('disk full')))
    },
  })
  await t.rejects(writeSyntheticCsv('offenders', { country: 'XKX', years: [2023], offendersPerYear: 5000, seed: 1 }, out), { message: 'disk full' })
  const destroyed = new Writable({ write (_chunk, _encoding, callback) { callback() } })
  destroyed.on('error', () => {})
  destroyed.destroy()
  await t.rejects(writeSyntheticCsv('victims', { country: 'XKX', years: [2023], victimsPerYear: 5000, seed: 1 }, destroyed))
})
