// Real national exports as they come: separators, byte order marks, CRLF, encodings, and
// problems shared by many rows reported once per group.
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { EMPTY_CROSSWALK, parseCrosswalk } from '../../src/ingest/crosswalk.js'
import { detectDelimiter } from '../../src/ingest/csv-rows.js'
import { importFile, withdrawRecords, type ImportDeps } from '../../src/ingest/import-file.js'
import { formatGroup, formatIssue } from '../../src/ingest/issues.js'
import { recordKeyer } from '../../src/ingest/record-key.js'
import { testDb } from '../helpers/db.js'
import { tempDir, testClock } from '../helpers/node.js'

const COLUMNS = ['record_id', 'registered_on', 'status', 'sex', 'age', 'citizenship', 'country_of_exploitation', 'exploitation', 'identified_by', 'assistance']

async function setup (t: Test): Promise<ImportDeps> {
  const db = await testDb(t)
  return { db: db.db, clock: testClock, reporter: 'SRB', keyer: recordKeyer(Buffer.alloc(32, 7)), crosswalk: EMPTY_CROSSWALK }
}

async function cells (deps: ImportDeps, indicator: string, year: number): Promise<Record<string, number>> {
  const rows = await deps.db.selectFrom('indicator_cell').select(['cell_key', 'value']).where('indicator', '=', indicator).where('year', '=', year).execute()
  return Object.fromEntries(rows.map(r => [r.cell_key, r.value]))
}

function file (t: Test, name: string, content: string | Buffer): string {
  const path = join(tempDir(t), name)
  writeFileSync(path, content)
  return path
}

t.test('the separator is found from the header: comma, semicolon or tab', async t => {
  t.equal(detectDelimiter(COLUMNS.join(',')), ',')
  t.equal(detectDelimiter(COLUMNS.join(';')), ';')
  t.equal(detectDelimiter(COLUMNS.join('\t')), '\t')
  t.equal(detectDelimiter('"a;b;c",d'), ',', 'separators inside quotes do not count')
  t.equal(detectDelimiter('record_id'), ',', 'a single column reads as comma-separated')
})

t.test('a semicolon file with a byte order mark and CRLF line ends imports as it is', async t => {
  const deps = await setup(t)
  const rows = [COLUMNS, ['S1', '2023-01-10', 'IDENT', 'F', '16', 'SRB', 'SRB', 'SEX', 'POL', 'SHELTER|PSY'], ['S2', '2023-02-11', 'PRES', 'M', '30', 'ALB', 'SRB', 'LAB', 'NGO', ''], ['S3', '2023-03-12', 'IDENT', 'F', '', 'SRB', 'DEU', 'SEX|LAB', 'POL', '']]
  const path = file(t, 'semi.csv', '\uFEFF' + rows.map(r => r.join(';')).join('\r\n') + '\r\n')
  const r = await importFile(deps, { kind: 'victims', path })
  t.match(r, { status: 'applied', rows: 3, inserted: 3, rejected: 0, delimiter: ';', encoding: 'utf8', issues: [], issueGroups: [] })
  t.same(await cells(deps, 'V1', 2023).then(c => [c['_T|_T|_T|_T'], c['IDENT|_T|_T|_T'], c['PRES|M|Y_GE18|WB_OTH'], c['_T|F|UNK|_T']]), [3, 2, 1, 1])
  const v2 = await cells(deps, 'V2', 2023)
  t.same([v2['SEX|_T|_T'], v2['LAB|_T|_T']], [2, 1], 'the last field of a CRLF line holds no stray CR')
  const v5 = await cells(deps, 'V5', 2023)
  t.same([v5['SHELTER|_T|_T'], v5['PSY|_T|_T'], v5['UNK|_T|_T']], [1, 1, 2])

  const crlfBad = file(t, 'crlf.csv', [COLUMNS, ['C1', '2024-01-10', 'IDENT', 'F', '16', 'SRB', 'SRB', 'SEX', 'POL', ''], ['C2', '2024-01-10', 'IDENT', 'F', '16', 'SRB', 'SRB', 'SEX', 'POL', 'SHELTR']].map(r => r.join(';')).join('\r\n') + '\r\n')
  t.same((await importFile(deps, { kind: 'victims', path: crlfBad })).issues.map(formatIssue), ['crlf.csv:3: assistance "SHELTR" not a ASSIST code [UNKNOWN_CODE]'], 'CRLF lines are counted as lines')

  const tab = file(t, 'tab.csv', [COLUMNS, ['T1', '2024-01-10', 'IDENT', 'F', '16', 'SRB', 'SRB', 'SEX', 'POL', '']].map(r => r.join('\t')).join('\n') + '\n')
  t.match(await importFile(deps, { kind: 'victims', path: tab }), { status: 'applied', inserted: 1, delimiter: '\t' })

  const quoted = file(t, 'q.csv', COLUMNS.join(';') + '\n' + 'Q1;2024-01-10;IDENT;F;16;SRB;SRB;SEX;POL;"SHELTER"\n')
  t.match(await importFile(deps, { kind: 'victims', path: quoted }), { status: 'applied', inserted: 1 }, 'quoting works with any separator')
})

t.test('a header read with the wrong separator says which separator it holds', async t => {
  const deps = await setup(t)
  const semi = file(t, 'semi.csv', COLUMNS.join(';') + '\nS1;2023-01-10;IDENT;F;16;SRB;SRB;SEX;POL;\n')
  const r = await importFile(deps, { kind: 'victims', path: semi, format: { delimiter: ',' } })
  t.same(r.issues.map(formatIssue), ['semi.csv:1: the header looks like one name holding ";" separators: the file is separated by ";", not ","; import it with --delimiter ";" [BAD_HEADER]'])
  const crlfBad = file(t, 'crlf.csv', [COLUMNS, ['C1', '2024-01-10', 'IDENT', 'F', '16', 'SRB', 'SRB', 'SEX', 'POL', ''], ['C2', '2024-01-10', 'IDENT', 'F', '16', 'SRB', 'SRB', 'SEX', 'POL', 'SHELTR']].map(r => r.join(';')).join('\r\n') + '\r\n')
  t.same((await importFile(deps, { kind: 'victims', path: crlfBad })).issues.map(formatIssue), ['crlf.csv:3: assistance "SHELTR" not a ASSIST code [UNKNOWN_CODE]'], 'CRLF lines are counted as lines')

  const tab = file(t, 'tab.csv', COLUMNS.join('\t') + '\n')
  t.same((await importFile(deps, { kind: 'victims', path: tab, format: { delimiter: ';' } })).issues.map(i => i.message), ['the header looks like one name holding tab separators: the file is separated by tab, not ";"; import it with --delimiter tab'])
  const comma = file(t, 'comma.csv', COLUMNS.join(',') + '\n')
  t.match((await importFile(deps, { kind: 'victims', path: comma, format: { delimiter: ';' } })).issues[0]!.message, /holding "," separators: the file is separated by ",", not ";"; import it with --delimiter ","$/)
  t.equal(await deps.db.selectFrom('victim').select(db => db.fn.countAll().as('n')).executeTakeFirst().then(x => Number(x?.n)), 0)
})

t.test('Latin-1 and Windows-1250 exports are read with --encoding; UTF-8 is the default and says so', async t => {
  const deps = await setup(t)
  const crosswalk = parseCrosswalk('victims:\n  sex: { "Ž": F, "M": M, "Männlich": M }\n  exploitation: { prosjačenje: BEG, seksualna: SEX }\n', 'cw.yaml')
  const header = Buffer.from(COLUMNS.join(';') + '\n')
  // Windows-1250: Ž is 0x8E, č is 0xE8.
  const cp1250 = file(t, 'cp1250.csv', Buffer.concat([header, Buffer.from('W1;2023-01-10;IDENT;'), Buffer.from([0x8e]), Buffer.from(';16;SRB;SRB;prosja'), Buffer.from([0xe8]), Buffer.from('enje;POL;\n')]))
  const wrong = await importFile({ ...deps, crosswalk }, { kind: 'victims', path: cp1250 })
  t.same(wrong.issues.map(formatIssue), ['cp1250.csv:2: sex the field is not valid UTF-8 (save the export as UTF-8, or give its encoding: --encoding latin1 or windows-1250) [BAD_ENCODING]'])
  const r = await importFile({ ...deps, crosswalk }, { kind: 'victims', path: cp1250, format: { encoding: 'windows-1250' } })
  t.match(r, { status: 'applied', inserted: 1, encoding: 'windows-1250', delimiter: ';' })
  t.equal((await cells(deps, 'V2', 2023))['BEG|F|Y_LT18'], 1)
  // Latin-1: ä is 0xE4.
  const latin1 = file(t, 'latin1.csv', Buffer.concat([header, Buffer.from('L1;2023-01-10;IDENT;M'), Buffer.from([0xe4]), Buffer.from('nnlich;40;SRB;SRB;seksualna;POL;\n')]))
  t.match(await importFile({ ...deps, crosswalk }, { kind: 'victims', path: latin1, format: { encoding: 'latin1' } }), { status: 'applied', inserted: 1, encoding: 'latin1' })
  t.equal((await cells(deps, 'V2', 2023))['SEX|M|Y_GE18'], 1)
})

t.test('problems shared by many rows are grouped by column, value and reason, with a count and their lines', async t => {
  const deps = await setup(t)
  const rows = Array.from({ length: 30 }, (_, i) => `G${i},2023-01-10,IDENT,X,16,SRB,SRB,SEX,POL,`)
  rows[9] = 'G9,2023-01-10,IDENT,X,16,SRR,SRB,SEX,POL,'
  rows.push('G30,2023-01-10,IDENT,Q,16,SRB,SRB,SEX,POL,')
  const r = await importFile(deps, { kind: 'victims', path: file(t, 'many.csv', COLUMNS.join(',') + '\n' + rows.join('\n') + '\n') })
  t.same(r.issueCounts, { UNKNOWN_CODE: 32 })
  t.equal(r.rejected, 31)
  t.same(r.issueGroups, [
    { file: 'many.csv', code: 'UNKNOWN_CODE', column: 'sex', value: 'X', message: 'not a SEX code', count: 30, lines: Array.from({ length: 30 }, (_, i) => i + 2) },
    { file: 'many.csv', code: 'UNKNOWN_CODE', column: 'citizenship', value: 'SRR', message: 'not a AREA code (ISO 3166-1 alpha-3, XKX, STLS or UNK)', count: 1, lines: [11] },
    { file: 'many.csv', code: 'UNKNOWN_CODE', column: 'sex', value: 'Q', message: 'not a SEX code', count: 1, lines: [32] },
  ])
  t.same(r.issueGroups.map(formatGroup), [
    'many.csv, 30 lines (2, 3, 4, 5, 6, ...): sex "X" not a SEX code [UNKNOWN_CODE]',
    'many.csv:11: citizenship "SRR" not a AREA code (ISO 3166-1 alpha-3, XKX, STLS or UNK) [UNKNOWN_CODE]',
    'many.csv:32: sex "Q" not a SEX code [UNKNOWN_CODE]',
  ])
  t.equal(r.issues.length, 32, 'the issues are still listed one by one for tools')
})

const OFFENDER_COLUMNS = 'record_id,sex,age,citizenship,offence,exploitation,suspected_on,prosecuted_on,convicted_on,sentence\n'

t.test('partial dates: YYYY and YYYY-MM count in their year; order checks compare what both dates hold', async t => {
  const deps = await setup(t)
  const v = (id: string, date: string): string => `${id},${date},IDENT,F,20,SRB,SRB,SEX,POL,\n`
  const bad = await importFile(deps, { kind: 'victims', path: file(t, 'bad.csv', COLUMNS.join(',') + '\n' + v('B1', '2023-13') + v('B2', '2023-5') + v('B3', '1989') + v('B4', '2027') + v('B5', '2026-12') + v('B6', '202') + v('B7', '2026') + v('B8', '2026-11')) })
  t.same(bad.issues.map(formatIssue), [
    'bad.csv:2: registered_on "2023-13" not a calendar date written YYYY-MM-DD, YYYY-MM or YYYY [BAD_DATE]',
    'bad.csv:3: registered_on "2023-5" not a calendar date written YYYY-MM-DD, YYYY-MM or YYYY [BAD_DATE]',
    'bad.csv:4: registered_on "1989" dates before 1990-01-01 are not accepted [BAD_DATE]',
    'bad.csv:5: registered_on "2027" the date is after today (2026-11-25) [DATE_IN_FUTURE]',
    'bad.csv:6: registered_on "2026-12" the date is after today (2026-11-25) [DATE_IN_FUTURE]',
    'bad.csv:7: registered_on "202" not a calendar date written YYYY-MM-DD, YYYY-MM or YYYY [BAD_DATE]',
  ], 'the current year and month are not in the future')

  const ok = await importFile(deps, { kind: 'victims', path: file(t, 'ok.csv', COLUMNS.join(',') + '\n' + v('P1', '2022') + v('P2', '2023-05') + v('P3', '2023-06-01') + v('P4', '1990')) })
  t.match(ok, { status: 'applied', inserted: 4 })
  t.same(ok.tables.filter(x => x.indicator === 'V1').map(x => x.year), [1990, 2022, 2023])
  t.same([(await cells(deps, 'V1', 2022))['_T|_T|_T|_T'], (await cells(deps, 'V1', 2023))['_T|_T|_T|_T']], [1, 2])
  const stored = await deps.db.selectFrom('victim').select(['registered_on', 'year']).orderBy('registered_on').execute()
  t.same(stored.map(r => [r.registered_on.toISOString().slice(0, 10), r.year]), [['1990-01-01', 1990], ['2022-01-01', 2022], ['2023-05-01', 2023], ['2023-06-01', 2023]], 'a partial date is stored as the first day of its year or month')

  const o = (id: string, s: string, p: string, c: string): string => `${id},M,30,SRB,ICCS0204,SEX,${s},${p},${c},${c === '' ? '' : 'FINE'}\n`
  const back = await importFile(deps, { kind: 'offenders', path: file(t, 'o-bad.csv', OFFENDER_COLUMNS + o('O1', '2021', '2021-03', '2021-03-15') + o('O2', '2021-05', '2021', '2021-03') + o('O3', '2022-02-10', '2022-02', '') + o('O4', '2022-03', '2022-02-28', '') + o('O5', '2022', '2021-12', '')) })
  t.same(back.issues.map(formatIssue), [
    'o-bad.csv:3: convicted_on "2021-03" convicted_on is before suspected_on (2021-05) [DATES_BACKWARDS]',
    'o-bad.csv:5: prosecuted_on "2022-02-28" prosecuted_on is before suspected_on (2022-03) [DATES_BACKWARDS]',
    'o-bad.csv:6: prosecuted_on "2021-12" prosecuted_on is before suspected_on (2022) [DATES_BACKWARDS]',
  ], 'a date in order with its neighbour can still run back from an earlier stage')
  const fine = await importFile(deps, { kind: 'offenders', path: file(t, 'o.csv', OFFENDER_COLUMNS + o('O1', '2021', '2021-03', '2021-03-15') + o('O3', '2022-02-10', '2022-02', '') + o('O6', '', '', '2020')) })
  t.match(fine, { status: 'applied', inserted: 3 })
  t.same([(await cells(deps, 'C1', 2021))['_T|_T|_T|_T'], (await cells(deps, 'C2', 2021))['_T|_T|_T|_T'], (await cells(deps, 'C3', 2021))['_T|_T|_T|_T|_T'], (await cells(deps, 'C4', 2021))['FINE|_T']], [1, 1, 1, 1])
  t.same([(await cells(deps, 'C1', 2022))['_T|_T|_T|_T'], (await cells(deps, 'C2', 2022))['_T|_T|_T|_T'], (await cells(deps, 'C3', 2020))['_T|_T|_T|_T|_T']], [1, 1, 1])
})

t.test('crosswalks: many national codes to one, one table per codelist for every column using it, anchors', async t => {
  const deps = await setup(t)
  const crosswalk = parseCrosswalk([
    'x-agencies: &agencies { policija: POL, "nevladina org.": NGO }',
    'codelists:',
    '  AREA: &area { Srbija: SRB, Albanija: ALB, Njemačka: DEU, Nepoznato: UNK }',
    '  EXPLOIT: { isSexualExploit: SEX, isForcedLabour: LAB, isOtherExploit: OTH, isForcedMilitary: OTH }',
    'victims:',
    '  identified_by: *agencies',
    '  country_of_exploitation:',
    '    <<: *area',
    '    Njemačka: AUT',
    '    Austrija: AUT',
    'offenders:',
    '  offence: { "388": ICCS0204, "388-1": ICCS02041 }',
    '',
  ].join('\n'), 'cw.yaml')
  t.same([...crosswalk.victims.keys()], ['citizenship', 'country_of_exploitation', 'exploitation', 'identified_by'])
  t.same(Object.fromEntries(crosswalk.victims.get('citizenship')!), { Srbija: 'SRB', Albanija: 'ALB', Njemačka: 'DEU', Nepoznato: 'UNK' })
  t.same(Object.fromEntries(crosswalk.victims.get('country_of_exploitation')!), { Srbija: 'SRB', Albanija: 'ALB', Njemačka: 'AUT', Nepoznato: 'UNK', Austrija: 'AUT' }, 'a column\'s own entries go over its codelist\'s and what it merges')
  t.same([...crosswalk.offenders.keys()], ['citizenship', 'offence', 'exploitation'], 'codelist tables serve both files')

  const rows = [
    'K1,2023-01-10,IDENT,F,20,Srbija,Srbija,isOtherExploit|isForcedMilitary,policija,',
    'K2,2023-01-10,IDENT,F,20,Albanija,Njemačka,isForcedMilitary|isSexualExploit|isOtherExploit,nevladina org.,',
    'K3,2023-01-10,IDENT,M,30,Nepoznato,Austrija,isForcedLabour,policija,',
  ]
  const r = await importFile({ ...deps, crosswalk }, { kind: 'victims', path: file(t, 'cw.csv', COLUMNS.join(',') + '\n' + rows.join('\n') + '\n') })
  t.match(r, { status: 'applied', inserted: 3, issues: [] }, 'two flags both mapped to OTH are OTH once, not "OTH is listed twice"')
  const stored = await deps.db.selectFrom('victim').select(['exploit_primary', 'exploitation', 'country_of_exploitation']).orderBy('exploit_primary').execute()
  t.same(stored.map(s => [s.exploit_primary, s.exploitation, s.country_of_exploitation]), [['LAB', ['LAB'], 'AUT'], ['OTH', ['OTH'], 'SRB'], ['OTH', ['OTH', 'SEX'], 'AUT']])
  t.same(await cells(deps, 'V3', 2023), { 'SRB|SRB': 1, 'ALB|AUT': 1, 'UNK|AUT': 1, 'SRB|_T': 1, 'ALB|_T': 1, 'UNK|_T': 1, '_T|SRB': 1, '_T|AUT': 2, '_T|_T': 3 })
  t.same([(await cells(deps, 'V4', 2023))['POL|_T'], (await cells(deps, 'V4', 2023))['NGO|_T']], [2, 1])

  const twice = await importFile({ ...deps, crosswalk }, { kind: 'victims', path: file(t, 'twice.csv', COLUMNS.join(',') + '\nD1,2023-01-10,IDENT,F,20,Srbija,Srbija,isOtherExploit|isOtherExploit,policija,\n') })
  t.same(twice.issues.map(formatIssue), ['twice.csv:2: exploitation "isOtherExploit|isOtherExploit" isOtherExploit is listed twice [DUPLICATE_CODE]'], 'a code the file itself lists twice is still a problem')
  const unmapped = await importFile({ ...deps, crosswalk }, { kind: 'victims', path: file(t, 'un.csv', COLUMNS.join(',') + '\nU1,2023-01-10,IDENT,F,20,SRB,Srbija,isOtherExploit,policija,\n') })
  t.same(unmapped.issues.map(formatIssue), ['un.csv:2: citizenship "SRB" national code not in the crosswalk for victims.citizenship [UNMAPPED_CODE]'], 'a column with a codelist table accepts only the national codes it lists')

  t.throws(() => parseCrosswalk('codelists:\n  COLOUR: { a: b }\n  SEX: &s { Z: Q }\nvictims:\n  sex: *s\nwitnesses: {}\n', 'bad.yaml'), {
    code: 'CONFIG_INVALID',
    message: 'crosswalk is invalid:\n' +
      '  bad.yaml:2: no coded column draws on a codelist "COLOUR" (VICT_STATUS, SEX, AREA, EXPLOIT, IDENT_AGENCY, ASSIST, OFFENCE, SENTENCE)\n' +
      '  bad.yaml:3: codelists.SEX maps "Z" to "Q", which is not a SEX code\n' +
      '  bad.yaml:3: victims.sex maps "Z" to "Q", which is not a SEX code\n' +
      '  bad.yaml:6: unknown file "witnesses" (victims or offenders; or codelists)',
  })
})

t.test('the crosswalks of the operator guide parse as written', async t => {
  const guide = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'operator-guide.md'), 'utf8')
  const blocks = [...guide.matchAll(/```yaml\n([^]*?)```/g)].map(m => m[1]!).filter(b => /^(victims|offenders|codelists|x-[\w-]+):/m.test(b) && !/^(agreement|peers|node):/m.test(b))
  t.ok(blocks.length >= 2)
  for (const b of blocks) t.doesNotThrow(() => parseCrosswalk(b, 'guide.yaml'), b.split('\n')[0]!)
})

t.test('unknowns: every coded field a register may lack has an unknown code or a documented default', async t => {
  const deps = await setup(t)
  const v = await importFile(deps, { kind: 'victims', path: file(t, 'v.csv', COLUMNS.join(',') + '\n' + 'N1,2023-01-10,,,,,,,,\nN2,2023-01-10,,U,,UNK,UNK,UNK,UNK,UNK\nN3,2023-01-10,IDENT,F,30,SRB,SRB,SEX,POL,\n') })
  t.match(v, { status: 'applied', inserted: 3, defaulted: { status: { code: 'PRES', rows: 2 } } })
  t.same(await deps.db.selectFrom('victim').select(['status', 'sex', 'age_group', 'citizenship', 'citizen_grp', 'country_of_exploitation', 'exploit_primary', 'identified_by', 'assistance']).where('status', '=', 'PRES').execute(), [
    { status: 'PRES', sex: 'U', age_group: 'UNK', citizenship: 'UNK', citizen_grp: 'UNK', country_of_exploitation: 'UNK', exploit_primary: 'UNK', identified_by: 'UNK', assistance: ['UNK'] },
    { status: 'PRES', sex: 'U', age_group: 'UNK', citizenship: 'UNK', citizen_grp: 'UNK', country_of_exploitation: 'UNK', exploit_primary: 'UNK', identified_by: 'UNK', assistance: ['UNK'] },
  ], 'an empty field and the explicit unknown code are the same')
  const v1 = await cells(deps, 'V1', 2023)
  t.same([v1['PRES|U|UNK|UNK'], v1['IDENT|F|Y_GE18|NAT'], v1['_T|_T|_T|_T']], [2, 1, 3])
  t.same([(await cells(deps, 'V4', 2023))['UNK|PRES'], (await cells(deps, 'V3', 2023))['UNK|UNK']], [2, 2])

  const o = await importFile(deps, { kind: 'offenders', path: file(t, 'o.csv', OFFENDER_COLUMNS + 'F1,,,,,,2023,,,\nF2,U,,UNK,,UNK,2023,,,\nF3,M,40,SRB,ICCS02041,SEX,2023,,,\n') })
  t.match(o, { status: 'applied', inserted: 3, defaulted: { offence: { code: 'ICCS0204', rows: 2 } } })
  const c1 = await cells(deps, 'C1', 2023)
  t.same([c1['U|UNK|UNK|ICCS0204'], c1['M|Y_GE18|NAT|ICCS02041'], c1['_T|_T|_T|_T']], [2, 1, 3])
  t.same((await importFile(deps, { kind: 'victims', path: file(t, 'v2.csv', COLUMNS.join(',') + '\nN4,2023-01-10,IDENT,F,30,SRB,SRB,SEX,POL,\n') })).defaulted, {}, 'no default applied, none reported')
})

t.test('age as a band: mapped by the crosswalk to the age groups; a band straddling 18 is UNK and counted', async t => {
  const deps = await setup(t)
  const crosswalk = parseCrosswalk([
    'x-bands: &bands { "0-8": [0, 8], "9--17": Y9T17, "18--20": [18, 20], Adult: Y_GE18, "15-24": [15, 24], "Unknown": UNK, "12-17": [12, 17] }',
    'victims:',
    '  age: *bands',
    'offenders:',
    '  age: *bands',
    '',
  ].join('\n'), 'cw.yaml')
  t.same(Object.fromEntries(crosswalk.ageBands!.victims), {
    '0-8': { group: 'Y_LT18', straddles: false }, '9--17': { group: 'Y_LT18', straddles: false }, '18--20': { group: 'Y_GE18', straddles: false }, Adult: { group: 'Y_GE18', straddles: false }, '15-24': { group: 'UNK', straddles: true }, Unknown: { group: 'UNK', straddles: false }, '12-17': { group: 'Y_LT18', straddles: false },
  })
  const v = (id: string, age: string): string => `${id},2023-01-10,IDENT,F,${age},SRB,SRB,SEX,POL,\n`
  const r = await importFile({ ...deps, crosswalk }, { kind: 'victims', path: file(t, 'bands.csv', COLUMNS.join(',') + '\n' + v('A1', '0-8') + v('A2', '18--20') + v('A3', 'Adult') + v('A4', '15-24') + v('A5', '15-24') + v('A6', 'Unknown') + v('A7', '34') + v('A8', '12-17') + v('A9', '9--17')) })
  t.match(r, { status: 'applied', inserted: 9, ageBandsStraddling: 2 })
  const v1 = await cells(deps, 'V1', 2023)
  t.same([v1['_T|_T|Y_LT18|_T'], v1['_T|_T|Y_GE18|_T'], v1['_T|_T|UNK|_T']], [3, 3, 3])
  t.same(await deps.db.selectFrom('victim').select('age').where('age', 'is not', null).execute(), [{ age: 34 }], 'a band stores no age in years')
  const bad = await importFile({ ...deps, crosswalk }, { kind: 'victims', path: file(t, 'bad.csv', COLUMNS.join(',') + '\n' + v('B1', '20-30')) })
  t.same(bad.issues.map(formatIssue), ['bad.csv:2: age "20-30" age is a whole number of years, or an age band of the crosswalk for victims.age [BAD_AGE]'])
  const o = await importFile({ ...deps, crosswalk }, { kind: 'offenders', path: file(t, 'o.csv', OFFENDER_COLUMNS + 'O1,M,Adult,SRB,ICCS0204,SEX,2023,,,\nO2,M,15-24,SRB,ICCS0204,SEX,2023,,,\n') })
  t.match(o, { status: 'applied', ageBandsStraddling: 1 })
  const c1 = await cells(deps, 'C1', 2023)
  t.same([c1['_T|Y_GE18|_T|_T'], c1['_T|UNK|_T|_T']], [1, 1])

  t.throws(() => parseCrosswalk('victims:\n  age: { "30": [30, 30], a: [20, 10], b: [0, 121], c: Y99, d: [1] }\n', 'bad.yaml'), {
    message: 'crosswalk is invalid:\n' +
      '  bad.yaml:2: victims.age: "30" cannot be an age band (an empty field means unknown, a number is an age)\n' +
      '  bad.yaml:2: victims.age: "a" must map to [from, to], whole years from 0 to 120, from <= to\n' +
      '  bad.yaml:2: victims.age: "b" must map to [from, to], whole years from 0 to 120, from <= to\n' +
      '  bad.yaml:2: victims.age: "c" must map to [from, to] in years, or to an AGE_BAND or AGE_GROUP code (not "Y99")\n' +
      '  bad.yaml:2: victims.age: "d" must map to [from, to], whole years from 0 to 120, from <= to',
  })
})

t.test('several forms of exploitation without a primary one: MIX, or a declared order of precedence', async t => {
  const deps = await setup(t)
  const flags = '  EXPLOIT: { isSexualExploit: SEX, isForcedLabour: LAB, isOtherExploit: OTH, isForcedMilitary: OTH }\n'
  const mix = parseCrosswalk('several_exploitation_forms: MIX\ncodelists:\n' + flags, 'mix.yaml')
  const v = (id: string, year: number, forms: string): string => `${id},${year},IDENT,F,30,SRB,SRB,${forms},POL,\n`
  const rows = (year: number): string => v(`M1-${year}`, year, 'isForcedLabour|isSexualExploit') + v(`M2-${year}`, year, 'isSexualExploit') + v(`M3-${year}`, year, 'isOtherExploit|isForcedMilitary') + v(`M4-${year}`, year, 'isOtherExploit|isSexualExploit')
  t.match(await importFile({ ...deps, crosswalk: mix }, { kind: 'victims', path: file(t, 'mix.csv', COLUMNS.join(',') + '\n' + rows(2021)) }), { status: 'applied', inserted: 4 })
  const v2 = await cells(deps, 'V2', 2021)
  t.same([v2['MIX|_T|_T'], v2['SEX|_T|_T'], v2['OTH|_T|_T'], v2['_T|_T|_T']], [2, 1, 1, 4], 'several forms count once, as MIX; two flags that map to one form are one form')

  const ranked = parseCrosswalk('several_exploitation_forms: [SEX, LAB]\ncodelists:\n' + flags, 'rank.yaml')
  t.match(await importFile({ ...deps, crosswalk: ranked }, { kind: 'victims', path: file(t, 'rank.csv', COLUMNS.join(',') + '\n' + rows(2022)) }), { status: 'applied', inserted: 4 })
  const r2 = await cells(deps, 'V2', 2022)
  t.same([r2['SEX|_T|_T'], r2['OTH|_T|_T'], r2['LAB|_T|_T'], r2['_T|_T|_T']], [3, 1, undefined, 4], 'the declared order decides, never the order of the file')

  const first = parseCrosswalk('codelists:\n' + flags, 'first.yaml')
  t.match(await importFile({ ...deps, crosswalk: first }, { kind: 'victims', path: file(t, 'first.csv', COLUMNS.join(',') + '\n' + rows(2023)) }), { status: 'applied' })
  const f2 = await cells(deps, 'V2', 2023)
  t.same([f2['LAB|_T|_T'], f2['SEX|_T|_T'], f2['OTH|_T|_T']], [1, 1, 2], 'by default the first code is the primary form')
  t.throws(() => parseCrosswalk('several_exploitation_forms: [SEX, SEXY]\n', 'b.yaml'), { message: 'crosswalk is invalid:\n  b.yaml:1: several_exploitation_forms is first (the first code is the primary form), MIX, or a list of EXPLOIT codes in order of precedence' })
})

t.test('--id-columns: a file without record ids gets ids derived from chosen columns', async t => {
  const deps = await setup(t)
  const header = ['case_no', ...COLUMNS.slice(1)].join(';') + '\n'
  const row = (no: string, year: string, sex: string): string => `${no};${year};IDENT;${sex};30;SRB;SRB;SEX;POL;\n`
  const path = file(t, 'noid.csv', header + row('17', '2022', 'F') + row('17', '2023', 'F') + row('18', '2023', 'M'))
  const refused = await importFile(deps, { kind: 'victims', path })
  t.match(refused.issues[0]!.message, /missing record_id; unknown "case_no"$/, 'without --id-columns the file needs a record_id')
  const idColumns = ['case_no', 'registered_on']
  const r = await importFile(deps, { kind: 'victims', path, idColumns })
  t.match(r, { status: 'applied', inserted: 3 })
  const again = await importFile(deps, { kind: 'victims', path: file(t, 'noid2.csv', header + row('17', '2022', 'M') + row('17', '2023', 'F') + row('18', '2023', 'M')), idColumns })
  t.match(again, { status: 'applied', inserted: 0, updated: 1, unchanged: 2 }, 'the same id columns match the same records')
  const moved = await importFile(deps, { kind: 'victims', path: file(t, 'noid3.csv', header + row('17', '2024', 'M')), idColumns })
  t.match(moved, { status: 'applied', inserted: 1, updated: 0 }, 'the cost: a row whose id columns change is a new record')
  t.same([(await cells(deps, 'V1', 2022))['_T|_T|_T|_T'], (await cells(deps, 'V1', 2024))['_T|_T|_T|_T']], [1, 1])

  const w = await withdrawRecords(deps, { kind: 'victims', path: file(t, 'w.csv', 'case_no;registered_on\n17;2024\n17;2022\n'), idColumns })
  t.match(w, { status: 'applied', withdrawn: 2 }, 'records with derived ids are withdrawn by the same columns')
  t.same([(await cells(deps, 'V1', 2022))['_T|_T|_T|_T'], (await cells(deps, 'V1', 2024))['_T|_T|_T|_T'], (await cells(deps, 'V1', 2023))['_T|_T|_T|_T']], [undefined, undefined, 2])
  const wBad = await withdrawRecords(deps, { kind: 'victims', path: file(t, 'w2.csv', 'case_no\n17\n'), idColumns })
  t.same(wBad.issues.map(formatIssue), ['w2.csv:1: a withdrawal file with --id-columns has the columns case_no, registered_on [BAD_HEADER]'])

  const dup = await importFile(deps, { kind: 'victims', path: file(t, 'dup.csv', header + row('5', '2022', 'F') + row('5', '2022', 'M')), idColumns })
  t.same(dup.issues.map(formatIssue), ['dup.csv:3: the id columns (case_no, registered_on) hold the same values as on line 2: choose columns that tell every row apart [DUPLICATE_RECORD_ID]'])
  const missing = await importFile(deps, { kind: 'victims', path, idColumns: ['case'] })
  t.match(missing.issues[0]!.message, /unknown "case_no"; --id-columns names case, which the header does not hold$/)
  const both = await importFile(deps, { kind: 'victims', path: file(t, 'both.csv', COLUMNS.join(';') + '\n'), idColumns: ['sex'] })
  t.match(both.issues[0]!.message, /the file has a record_id: import it without --id-columns$/)
})
