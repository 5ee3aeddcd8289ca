import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { sql } from 'kysely'
import t, { type Test } from 'tap'
import { EMPTY_CROSSWALK, parseCrosswalk } from '../../src/ingest/crosswalk.js'
import { importFile, withdrawRecords, type ImportDeps } from '../../src/ingest/import-file.js'
import { formatIssue } from '../../src/ingest/issues.js'
import { recordKeyer } from '../../src/ingest/record-key.js'
import { testDb } from '../helpers/db.js'
import { tempDir, testClock } from '../helpers/node.js'

const FIXTURES = join(import.meta.dirname, '..', 'fixtures')
const VICTIMS = join(FIXTURES, 'victims-small.csv')
const OFFENDERS = join(FIXTURES, 'offenders-small.csv')

async function setup (t: Test): Promise<ImportDeps> {
  const db = await testDb(t)
  return { db: db.db, clock: testClock, reporter: 'SRB', keyer: recordKeyer(Buffer.alloc(32, 7)), crosswalk: EMPTY_CROSSWALK }
}

async function cells (deps: ImportDeps, indicator: string, year: number): Promise<Record<string, number>> {
  const rows = await deps.db.selectFrom('indicator_cell').select(['cell_key', 'value']).where('indicator', '=', indicator).where('year', '=', year).execute()
  return Object.fromEntries(rows.map(r => [r.cell_key, r.value]))
}

/** Every row of every table, for byte-for-byte comparisons. */
async function snapshot (deps: ImportDeps): Promise<string> {
  const out: Record<string, unknown[]> = {}
  for (const table of ['import_run', 'victim', 'offender', 'indicator_cell', 'indicator_table', 'node_identity']) {
    out[table] = (await sql.raw(`select * from ${table} order by 1, 2, 3`).execute(deps.db)).rows
  }
  return JSON.stringify(out)
}

function file (t: Test, name: string, text: string): string {
  const path = join(tempDir(t), name)
  writeFileSync(path, text)
  return path
}

t.test('hand-counted fixture: every indicator', async t => {
  const deps = await setup(t)
  const v = await importFile(deps, { kind: 'victims', path: VICTIMS })
  t.match(v, { status: 'applied', rows: 7, inserted: 7, updated: 0, unchanged: 0, rejected: 0, issues: [] })
  const o = await importFile(deps, { kind: 'offenders', path: OFFENDERS })
  t.match(o, { status: 'applied', rows: 5, inserted: 5 })

  const v1 = await cells(deps, 'V1', 2023)
  t.equal(v1['_T|_T|_T|_T'], 5)
  t.equal(v1['IDENT|_T|_T|_T'], 4)
  t.equal(v1['PRES|_T|_T|_T'], 1)
  t.equal(v1['_T|F|_T|_T'], 3)
  t.equal(v1['_T|U|_T|_T'], 1)
  t.equal(v1['_T|_T|Y_LT18|_T'], 2)
  t.equal(v1['_T|_T|UNK|_T'], 1, 'unknown age is counted as UNK, not dropped')
  t.equal(v1['_T|_T|_T|NAT'], 3)
  t.equal(v1['_T|_T|_T|WB_OTH'], 1)
  t.equal(v1['_T|_T|_T|NEU_FOR'], 1)
  t.equal(v1['IDENT|F|_T|_T'], 3)
  t.equal(v1['IDENT|F|Y_LT18|NAT'], 1)
  t.equal(v1['PRES|F|_T|_T'], undefined, 'a zero cell is absent, not stored')
  const v1b = await cells(deps, 'V1', 2024)
  t.equal(v1b['_T|_T|_T|_T'], 2)
  t.equal(v1b['_T|_T|_T|WB_OTH'], 1, 'HRV counts as other Western Balkan')
  t.equal(v1b['_T|_T|_T|UNK'], 1)

  const v2 = await cells(deps, 'V2', 2023)
  t.same([v2['SEX|_T|_T'], v2['LAB|_T|_T'], v2['BEG|_T|_T'], v2['UNK|_T|_T'], v2['SEX|F|Y_LT18']], [2, 1, 1, 1, 1])
  const v3 = await cells(deps, 'V3', 2023)
  t.same([v3['SRB|SRB'], v3['SRB|_T'], v3['_T|SRB'], v3['_T|DEU'], v3['UKR|SRB'], v3['_T|_T']], [2, 3, 4, 1, 1, 5])
  const v4 = await cells(deps, 'V4', 2023)
  t.same([v4['POL|_T'], v4['NGO|IDENT'], v4['LAB_INSP|PRES'], v4['_T|IDENT']], [2, 1, 1, 4])
  const v5 = await cells(deps, 'V5', 2023)
  t.same([v5['_T|_T|_T'], v5['SHELTER|_T|_T'], v5['PSY|_T|_T'], v5['NONE|_T|_T'], v5['UNK|_T|_T'], v5['EDU|U|Y_LT18']], [8, 3, 2, 1, 1, 1], 'multi-count: 8 assistance records for 5 persons')

  t.same(await cells(deps, 'C1', 2022), { '_T|_T|_T|_T': 1, 'M|_T|_T|_T': 1, '_T|Y_GE18|_T|_T': 1, '_T|_T|NAT|_T': 1, '_T|_T|_T|ICCS02041': 1, 'M|Y_GE18|_T|_T': 1, 'M|_T|NAT|_T': 1, 'M|_T|_T|ICCS02041': 1, '_T|Y_GE18|NAT|_T': 1, '_T|Y_GE18|_T|ICCS02041': 1, '_T|_T|NAT|ICCS02041': 1, 'M|Y_GE18|NAT|_T': 1, 'M|Y_GE18|_T|ICCS02041': 1, 'M|_T|NAT|ICCS02041': 1, '_T|Y_GE18|NAT|ICCS02041': 1, 'M|Y_GE18|NAT|ICCS02041': 1 })
  const c1 = await cells(deps, 'C1', 2023)
  t.same([c1['_T|_T|_T|_T'], c1['M|_T|_T|_T'], c1['F|_T|_T|_T'], c1['_T|UNK|_T|_T'], c1['_T|_T|EU_FOR|_T']], [3, 2, 1, 1, 1])
  const c2 = await cells(deps, 'C2', 2023)
  t.same([c2['_T|_T|_T|_T'], c2['M|_T|_T|_T'], c2['_T|_T|NAT|_T'], c2['_T|_T|WB_OTH|_T'], c2['_T|_T|EU_FOR|_T']], [3, 3, 1, 1, 1])
  const c3 = await cells(deps, 'C3', 2023)
  t.same([c3['_T|_T|_T|_T|_T'], c3['_T|_T|_T|_T|SEX'], c3['_T|_T|_T|_T|BEG'], c3['_T|Y_LT18|_T|_T|_T']], [2, 1, 1, 1])
  t.equal((await cells(deps, 'C3', 2024))['_T|UNK|_T|_T|_T'], 1)
  t.same(await cells(deps, 'C4', 2023), { 'CUST_3T5|M': 1, 'CUST_3T5|_T': 1, 'UNK|M': 1, 'UNK|_T': 1, '_T|M': 2, '_T|_T': 2 })
  t.same(await cells(deps, 'C4', 2024), { 'SUSPENDED|M': 1, 'SUSPENDED|_T': 1, '_T|M': 1, '_T|_T': 1 })

  const stored = await deps.db.selectFrom('victim').select('record_key').execute()
  t.notOk(stored.some(r => /^V\d$/.test(r.record_key)), 'no national record_id is stored in clear')
  t.equal(stored[0]!.record_key.length, 43)
})

t.test('re-import is idempotent; a changed row is an update that moves its year', async t => {
  const deps = await setup(t)
  await importFile(deps, { kind: 'victims', path: VICTIMS })
  const before = await snapshot(deps)
  const again = await importFile(deps, { kind: 'victims', path: VICTIMS })
  t.match(again, { status: 'unchanged', inserted: 0, updated: 0, unchanged: 7, importId: null })
  t.equal(await snapshot(deps), before, 'nothing changed in the database')

  // V7 moves from 2024 to 2023, and a new record V8 arrives.
  const changed = file(t, 'victims.csv', 'record_id,registered_on,status,sex,age,citizenship,country_of_exploitation,exploitation,identified_by,assistance\n' +
    'V7,2023-07-16,PRES,M,40,,SRB,LAB,BORD_IMM,RETURN\nV8,2024-08-01,IDENT,F,30,SRB,SRB,SEX,POL,\n')
  const r = await importFile(deps, { kind: 'victims', path: changed })
  t.match(r, { status: 'applied', rows: 2, inserted: 1, updated: 1, unchanged: 0 })
  t.same(r.tables.filter(x => x.indicator === 'V1').map(x => x.year), [2023, 2024], 'both the old and the new year are recomputed')
  t.equal((await cells(deps, 'V1', 2023))['_T|_T|_T|_T'], 6)
  t.equal((await cells(deps, 'V1', 2024))['_T|_T|_T|_T'], 2)
})

t.test('withdrawal removes records from the next tables', async t => {
  const deps = await setup(t)
  await importFile(deps, { kind: 'victims', path: VICTIMS })
  const ids = file(t, 'withdraw.csv', 'record_id\nV6\nV7\n')
  const dry = await withdrawRecords(deps, { kind: 'victims', path: ids, dryRun: true })
  t.match(dry, { status: 'dry-run', withdrawn: 2 })
  const r = await withdrawRecords(deps, { kind: 'victims', path: ids })
  t.match(r, { status: 'applied', withdrawn: 2, rows: 2 })
  t.same(await cells(deps, 'V1', 2024), {}, '2024 has no records left, so no table')
  t.equal(await deps.db.selectFrom('indicator_table').select('year').where('year', '=', 2024).executeTakeFirst(), undefined)
  const before = await snapshot(deps)
  const bad = await withdrawRecords(deps, { kind: 'victims', path: file(t, 'w2.csv', 'record_id\nV1\nV6\nV1\n') })
  t.match(bad, { status: 'rejected', issueCounts: { UNKNOWN_RECORD: 1, DUPLICATE_RECORD_ID: 1 } })
  t.same(bad.issues.map(i => [i.line, i.code]).sort(), [[3, 'UNKNOWN_RECORD'], [4, 'DUPLICATE_RECORD_ID']])
  t.equal(await snapshot(deps), before, 'a rejected withdrawal changes nothing')
})

t.test('every validation error is reported with line, column, value and reason; nothing changes', async t => {
  const deps = await setup(t)
  await importFile(deps, { kind: 'victims', path: VICTIMS })
  const before = await snapshot(deps)
  const header = 'record_id,registered_on,status,sex,age,citizenship,country_of_exploitation,exploitation,identified_by,assistance\n'
  const bad = file(t, 'bad.csv', header +
    'A1,2023-02-30,IDENT,F,20,SRB,SRB,SEX,POL,\n' + // line 2: bad date
    'A2,2027-01-01,IDENT,F,20,SRB,SRB,SEX,POL,\n' + // 3: future
    'A3,2023-01-01,IDENT,X,20,SRB,SRB,SEX,POL,\n' + // 4: unknown SEX
    'A4,2023-01-01,IDENT,F,121,SRB,SRB,SEX,POL,\n' + // 5: age out of range
    'A5,2023-01-01,IDENT,F,2.5,SRR,SRB,SEX,POL,\n' + // 6: bad age + unknown AREA
    'A6,2023-01-01,,F,20,SRB,SRB,SEX,POL,\n' + // 7: fine: an empty status is counted as PRES
    'A7,2023-01-01,IDENT,F,20,SRB,SRB,SEX|SEX,POL,NONE|SHELTER\n' + // 8: duplicate + conflicting
    'A8,2023-01-01,IDENT,F,20,SRB\n' + // 9: column count
    'A9,2023-01-01,IDENT,F,20,SRB,SRB,SEX,POL,\n' + // 10: fine
    'A9,2023-01-01,IDENT,F,21,SRB,SRB,SEX,POL,\n' + // 11: duplicate id
    'A10,2023-01-01,IDENT,F,20,SRB,SRB,SEX,POL,"SHELTER\n' + // 12: unclosed quote
    '')
  const r = await importFile(deps, { kind: 'victims', path: bad })
  t.equal(r.status, 'rejected')
  t.same(r.issueCounts, { BAD_DATE: 1, DATE_IN_FUTURE: 1, UNKNOWN_CODE: 2, AGE_OUT_OF_RANGE: 1, BAD_AGE: 1, DUPLICATE_CODE: 1, CONFLICTING_CODES: 1, COLUMN_COUNT: 1, DUPLICATE_RECORD_ID: 1, CSV_SYNTAX: 1 })
  const byLine = (line: number): string[] => r.issues.filter(i => i.line === line).map(formatIssue)
  t.same(byLine(2), ['bad.csv:2: registered_on "2023-02-30" not a calendar date written YYYY-MM-DD, YYYY-MM or YYYY [BAD_DATE]'])
  t.same(byLine(3), ['bad.csv:3: registered_on "2027-01-01" the date is after today (2026-11-25) [DATE_IN_FUTURE]'])
  t.same(byLine(4), ['bad.csv:4: sex "X" not a SEX code [UNKNOWN_CODE]'])
  t.same(byLine(5), ['bad.csv:5: age "121" age must be from 0 to 120 [AGE_OUT_OF_RANGE]'])
  t.same(byLine(6), ['bad.csv:6: age "2.5" age is a whole number of years [BAD_AGE]', 'bad.csv:6: citizenship "SRR" not a AREA code (ISO 3166-1 alpha-3, XKX, STLS or UNK) [UNKNOWN_CODE]'])
  t.same(byLine(7), [], 'an empty status takes the documented default')
  t.same(byLine(8), ['bad.csv:8: exploitation "SEX|SEX" SEX is listed twice [DUPLICATE_CODE]', 'bad.csv:8: assistance "NONE|SHELTER" NONE cannot be combined with other codes [CONFLICTING_CODES]'])
  t.same(byLine(9), ['bad.csv:9: expected 10 fields, found 6 [COLUMN_COUNT]'])
  t.same(byLine(11), ['bad.csv:11: record_id the same record_id is on line 10 [DUPLICATE_RECORD_ID]'])
  t.equal(r.issues.find(i => i.code === 'CSV_SYNTAX')?.line, 12)
  t.equal(r.rejected, 9)
  t.equal(await snapshot(deps), before, 'the database is byte-for-byte as it was')

  const enc = file(t, 'latin1.csv', header)
  writeFileSync(enc, Buffer.concat([Buffer.from(header), Buffer.from('B1,2023-01-01,IDENT,F,20,SRB,SRB,SEX,POL,\nB2,2023-01-01,IDENT,F,20,SRB,SRB,SEX,'), Buffer.from([0x50, 0x4f, 0xc8]), Buffer.from(',\n')]))
  const e = await importFile(deps, { kind: 'victims', path: enc })
  t.same(e.issues.map(formatIssue), ['latin1.csv:3: identified_by the field is not valid UTF-8 (save the export as UTF-8, or give its encoding: --encoding latin1 or windows-1250) [BAD_ENCODING]'])

  const h = await importFile(deps, { kind: 'victims', path: file(t, 'h.csv', 'record_id,registered,status\n') })
  t.same(h.issues.map(i => i.code), ['BAD_HEADER'])
  t.match(h.issues[0]!.message, /missing registered_on, sex, age, citizenship, country_of_exploitation, exploitation, identified_by, assistance; unknown "registered"$/)
  t.same((await importFile(deps, { kind: 'victims', path: file(t, 'e.csv', '') })).issues.map(i => i.code), ['EMPTY_FILE'])
  t.equal(await snapshot(deps), before)

  const o = await importFile(deps, {
    kind: 'offenders',
    path: file(t, 'o.csv', 'record_id,sex,age,citizenship,offence,exploitation,suspected_on,prosecuted_on,convicted_on,sentence\n' +
      'P1,M,30,SRB,ICCS0204,SEX,2023-05-01,2023-04-01,,\n' +
      'P2,M,30,SRB,,SEX,2023-05-01,,,\n' + // fine: an empty offence is counted as ICCS0204
      'P3,M,30,SRB,ICCS0204,SEX,2023-05-01,,,FINE\n' +
      'P4,M,30,SRB,ICCS0204,SEX,,,,\n'),
  })
  t.same(o.issues.map(formatIssue), [
    'o.csv:2: prosecuted_on "2023-04-01" prosecuted_on is before suspected_on (2023-05-01) [DATES_BACKWARDS]',
    'o.csv:4: sentence "FINE" a sentence needs a convicted_on date [SENTENCE_WITHOUT_CONVICTION]',
    'o.csv:5: suspected_on "" at least one of suspected_on, prosecuted_on, convicted_on is required [MISSING_VALUE]',
  ])
})

t.test('what a record_id may hold, and fields of megabytes give short, bounded reports', async t => {
  const deps = await setup(t)
  const header = 'record_id,registered_on,status,sex,age,citizenship,country_of_exploitation,exploitation,identified_by,assistance\n'
  const row = (id: string, exploitation = 'SEX'): string => `${id},2023-01-01,IDENT,F,20,SRB,SRB,${exploitation},POL,\n`
  const ids = ['   ', ' 17', '17 ', 'A\u202eB', 'A\u200bB', 'A\u2066B\u2069', 'A\u00adB', 'x'.repeat(201)]
  const r = await importFile(deps, { kind: 'victims', path: file(t, 'ids.csv', header + ids.map(id => row(JSON.stringify(id))).join('') + row('"Beograd 17/2023-č"')) })
  t.same(r.issueCounts, { BAD_RECORD_ID: ids.length }, 'spaces only, outer spaces, bidirectional and invisible characters, too long: refused; inner spaces, slashes and letters of any script pass')
  t.same(r.issues.map(i => i.line), [2, 3, 4, 5, 6, 7, 8, 9])
  t.equal(r.issues[0]!.message, 'a record_id is 1 to 200 characters (letters, digits, punctuation, symbols, inner spaces): no control or invisible formatting characters (bidirectional marks, zero-width spaces), no line breaks, and no space at either end')
  t.equal(r.issues[7]!.value, `${'x'.repeat(100)}... (201 characters)`, 'a long value is quoted by its start and length')

  // A 2 MB list of codes (once 1 GB of problems, then out of memory): one problem, value cut.
  const huge = Array.from({ length: 400_000 }, () => 'SEX').join('|')
  const h = await importFile(deps, { kind: 'victims', path: file(t, 'huge.csv', header + row('H1', huge) + row('H2', Array.from({ length: 200 }, () => 'SEX').join('|'))) })
  t.same(h.issues.map(formatIssue), [
    `huge.csv:2: exploitation "${huge.slice(0, 100)}... (${huge.length} characters)" a field holds at most 1000 characters; this one has ${huge.length} [FIELD_TOO_LONG]`,
    `huge.csv:3: exploitation "${'SEX|'.repeat(25)}... (799 characters)" SEX is listed twice [DUPLICATE_CODE]`,
  ], 'each problem once per field')
})

t.test('dry run validates and counts without changing anything', async t => {
  const deps = await setup(t)
  const before = await snapshot(deps)
  const r = await importFile(deps, { kind: 'victims', path: VICTIMS, dryRun: true })
  t.match(r, { status: 'dry-run', inserted: 7, importId: null })
  t.equal(await snapshot(deps), before)
})

t.test('crosswalks map national codes; an unmapped code is an error', async t => {
  const deps = await setup(t)
  const crosswalk = parseCrosswalk('victims:\n  sex: { "Ž": F, "M": M }\n  exploitation:\n    seksualna: SEX\n    radna: LAB\n', 'cw.yaml')
  const header = 'record_id,registered_on,status,sex,age,citizenship,country_of_exploitation,exploitation,identified_by,assistance\n'
  const path = file(t, 'nat.csv', header + 'N1,2023-01-01,IDENT,Ž,20,SRB,SRB,seksualna|radna,POL,\nN2,2023-01-01,IDENT,F,20,SRB,SRB,SEX,POL,\n')
  const r = await importFile({ ...deps, crosswalk }, { kind: 'victims', path })
  t.same(r.issues.map(formatIssue), [
    'nat.csv:3: sex "F" national code not in the crosswalk for victims.sex [UNMAPPED_CODE]',
    'nat.csv:3: exploitation "SEX" national code not in the crosswalk for victims.exploitation [UNMAPPED_CODE]',
  ])
  const ok = file(t, 'nat2.csv', header + 'N1,2023-01-01,IDENT,Ž,20,SRB,SRB,seksualna|radna,POL,\n')
  t.match(await importFile({ ...deps, crosswalk }, { kind: 'victims', path: ok }), { status: 'applied', inserted: 1 })
  t.equal((await cells(deps, 'V2', 2023))['SEX|F|Y_GE18'], 1)

  t.throws(() => parseCrosswalk('victims:\n  sex: { Z: F }\n  colour: { a: b }\n  age: { x: y }\noffenders:\n  offence:\n    "388": ICCS9999\nwitnesses: {}\n', 'cw.yaml'), {
    code: 'CONFIG_INVALID',
    message: 'crosswalk is invalid:\n' +
      '  cw.yaml:3: victims has no coded column "colour" (status, sex, citizenship, country_of_exploitation, exploitation, identified_by, assistance)\n' +
      '  cw.yaml:4: victims.age: "x" must map to [from, to] in years, or to an AGE_BAND or AGE_GROUP code (not "y")\n' +
      '  cw.yaml:7: offenders.offence maps "388" to "ICCS9999", which is not a OFFENCE code\n' +
      '  cw.yaml:8: unknown file "witnesses" (victims or offenders; or codelists)',
  })
  t.throws(() => parseCrosswalk('victims:\n  sex: { Z: F, Z: M }\n', 'dup.yaml'), { code: 'CONFIG_INVALID', message: /^crosswalk is invalid:\n {2}dup\.yaml:2: Map keys must be unique/ })
})
