// Agreements that are each valid but wrong together, and values in lint messages: a recipient
// outside the federation, two texts of one version, two agreements between one pair granting
// one table or granting what the other prohibits. Every problem names file, line and value.
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { publish } from '../../src/exchange/publish.js'
import { EMPTY_CROSSWALK } from '../../src/ingest/crosswalk.js'
import { importFile } from '../../src/ingest/import-file.js'
import { recordKeyer } from '../../src/ingest/record-key.js'
import { formatProblem, lintAgreementText, loadAgreement, nodeAgreements, POLICIES_DIR } from '../../src/policy/load.js'
import { generateSigningKey } from '../../src/protocol/keys.js'
import { cli } from '../helpers/cli.js'
import { testDb } from '../helpers/db.js'
import { makeHome, tempDir, TEST_NOW } from '../helpers/node.js'

const FIXTURES = join(import.meta.dirname, '..', 'fixtures')
const V1_FILE = join(FIXTURES, 'agreements', 'srb-hrv.yaml')
const TEXT = readFileSync(V1_FILE, 'utf8')
const lint = (text: string): string[] => lintAgreementText(text, 'a.yaml').problems.map(formatProblem)

/** A second agreement between Serbia and Croatia, with these grants. */
const other = (id: string, grants: string): string => TEXT.replace('agreement: srb-hrv', `agreement: ${id}`).replace(/grants:\n[\s\S]*$/, `grants:\n${grants}`)

t.test('one agreement: a recipient outside the federation, and the value in every message', async t => {
  t.same(lint(TEXT.replace('recipient: HRV', 'recipient: ZZZ')), [
    'a.yaml:6: recipient: "ZZZ" is not a node of the federation: the recipient is a country (an ISO 3166-1 alpha-3 code such as SRB or AUT; XKX for Kosovo) or a liaison organisation (EUROPOL, SELEC, IOM, MARRI, ICMPD, or another id of 4-16 capital letters)',
  ])
  t.same(lint(TEXT.replace('recipient: HRV', 'recipient: USA')), [], 'any country can run a node')
  t.same(lint(TEXT.replace('recipient: HRV', 'recipient: EUROPOL')), [], 'a liaison is a node')
  t.same(lint(TEXT.replace('until: 2028-12-31', 'until: 2028-02-30')), ['a.yaml:13: validity.until: "2028-02-30" is not a calendar day; write YYYY-MM-DD, e.g. 2026-01-01'])
  t.same(lint(TEXT.replace('from: 2026-01-01', 'from: 2026-1-1')), ['a.yaml:12: validity.from: "2026-1-1" is not a calendar day; write YYYY-MM-DD, e.g. 2026-01-01'], 'one problem, not one per rule broken')
  t.same(lint(TEXT.replace('until: 2028-12-31', 'until: 20281231')), ['a.yaml:13: validity.until: "20281231" is not a calendar day; write YYYY-MM-DD, e.g. 2026-01-01'])
  t.same(lint(TEXT.replace('threshold: 3', 'threshold: 0')), ['a.yaml:15: threshold: must be >= 1, not "0"'])
})

t.test('agreements together: lint, the node\'s loading and preview refuse a conflicting set', async t => {
  const dir = tempDir(t)
  const write = (name: string, text: string): string => { const f = join(dir, name); writeFileSync(f, text); return f }
  const twin = write('srb-hrv-twin.yaml', TEXT.replace('threshold: 3', 'threshold: 4'))
  const copy = write('srb-hrv-copy.yaml', TEXT.replace('# Serbia', '# A copy: Serbia'))
  const sameTable = write('srb-hrv-stats.yaml', other('srb-hrv-stats', '  - { indicator: V2, by: [EXPLOIT], years: { from: 2020 } }\n  - { indicator: V3, by: [CITIZENSHIP], years: { from: 2020 } }\n'))
  const prohibited = write('srb-hrv-research.yaml', other('srb-hrv-research', '  - indicator: V1\n    by: [SEX, CITIZEN_GRP]\n    years: [2010, 2011]\n'))
  const later = write('srb-hrv-later.yaml', other('srb-hrv-later', '  - { indicator: V2, by: [EXPLOIT], years: { from: 2020 } }\n').replace('from: 2026-01-01', 'from: 2029-01-01').replace('until: 2028-12-31', 'until: 2030-12-31'))

  const run = async (files: string[]): Promise<{ status: number, stdout: string }> => {
    const { status, stdout } = await cli(['policy', 'lint', ...files])
    return { status, stdout }
  }
  t.same(await run([V1_FILE, copy]), { status: 0, stdout: '2 agreement file(s), no problems\n' }, 'the same agreement twice (same hash) is no conflict')
  t.same(await run([V1_FILE, later]), { status: 0, stdout: '2 agreement file(s), no problems\n' }, 'agreements never in force together do not conflict')
  t.same(await run([V1_FILE, twin]), {
    status: 1,
    stdout: `${twin}:3: version: srb-hrv version 1 is also ${V1_FILE}:3, with other terms: each text of an agreement needs its own version\n2 agreement file(s), 1 problem(s)\n`,
  })
  t.same(await run([V1_FILE, sameTable]), {
    status: 1,
    stdout: `${sameTable}:18: grants[0].indicator: V2 to HRV (2020 onwards) is also granted by agreement srb-hrv at ${V1_FILE}:21 (2018 to 2025) while both are in force (2026-01-01 to 2028-12-31): grant a table under one agreement, or make the years or dates not overlap\n2 agreement file(s), 1 problem(s)\n`,
  })
  t.same(await run([V1_FILE, prohibited]), {
    status: 1,
    stdout: `${prohibited}:18: grants[0]: V1 by SEX, CITIZEN_GRP permits what agreement srb-hrv prohibits at ${V1_FILE}:26 (V1 by CITIZEN_GRP) while both are in force (2026-01-01 to 2028-12-31)\n2 agreement file(s), 1 problem(s)\n`,
  })

  // The node refuses such a folder, and so does everything that reads it.
  const r = await makeHome(t, 'SRB')
  const env = r.databaseUrl === undefined ? {} : { DATABASE_URL: r.databaseUrl }
  copyFileSync(V1_FILE, join(r.home, POLICIES_DIR, 'srb-hrv.yaml'))
  copyFileSync(prohibited, join(r.home, POLICIES_DIR, 'srb-hrv-research.yaml'))
  t.throws(() => nodeAgreements(r.home), { code: 'CONFIG_INVALID' })
  const preview = await cli(['policy', 'preview', '--home', r.home, '--peer', 'HRV'], { env })
  t.equal(preview.status, 1)
  t.equal(preview.stdout, '', 'no table is shown as going out')
  const folder = join(r.home, POLICIES_DIR)
  t.equal(preview.stderr, `dcimx: agreements are in conflict:\n  ${folder}/srb-hrv.yaml:26: prohibitions[0]: prohibits what agreement srb-hrv-research grants at ${folder}/srb-hrv-research.yaml:18 (V1 by SEX, CITIZEN_GRP) while both are in force (2026-01-01 to 2028-12-31)\n`)
  const lintHome = await cli(['policy', 'lint', '--home', r.home], { env })
  t.equal(lintHome.status, 1)
  t.match(lintHome.stdout, /2 agreement file\(s\), 1 problem\(s\)\n$/)
})

t.test('two agreements granting one table: publish does not re-issue it every time', async t => {
  const dir = tempDir(t)
  const sameTable = join(dir, 'srb-hrv-stats.yaml')
  writeFileSync(sameTable, other('srb-hrv-stats', '  - { indicator: V2, by: [EXPLOIT], years: { from: 2020 } }\n'))
  const db = await testDb(t)
  const clock = { now: () => TEST_NOW }
  await importFile({ db: db.db, clock, reporter: 'SRB', keyer: recordKeyer(Buffer.alloc(32, 9)), crosswalk: EMPTY_CROSSWALK }, { kind: 'victims', path: join(FIXTURES, 'victims-small.csv') })
  // Loaded one by one, as no node would: publish itself still sends each table once.
  const deps = { db: db.db, clock, node: 'SRB', signingKey: generateSigningKey('SRB'), agreements: [loadAgreement(V1_FILE), loadAgreement(sameTable)] }
  const first = await publish(deps)
  t.same(first.issued.map(i => `${i.indicator} ${i.year}`), ['V1 2023', 'V1 2024', 'V2 2023', 'V2 2024'])
  const again = await publish(deps)
  t.same([again.issued.length, again.unchanged], [0, 4], 'nothing re-issued')
})
