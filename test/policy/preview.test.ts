import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { importFile } from '../../src/ingest/import-file.js'
import { EMPTY_CROSSWALK } from '../../src/ingest/crosswalk.js'
import { recordKeyer } from '../../src/ingest/record-key.js'
import { openNode } from '../../src/node/home.js'
import { activeGrants, inForce } from '../../src/policy/grants.js'
import { loadAgreement } from '../../src/policy/load.js'
import { protectGrants } from '../../src/stats/protect-grants.js'
import { cli } from '../helpers/cli.js'
import { makeHome, testClock, TEST_NOW } from '../helpers/node.js'

const FIXTURES = join(import.meta.dirname, '..', 'fixtures')
const SAMPLES = join(import.meta.dirname, '..', '..', 'docs', 'agreements')

t.test('grants in force, and what each peer would receive, protected', async t => {
  const r = await makeHome(t, 'SRB')
  const env = r.databaseUrl === undefined ? {} : { DATABASE_URL: r.databaseUrl }
  mkdirSync(join(r.home, 'policies'), { recursive: true })
  copyFileSync(join(FIXTURES, 'agreements', 'srb-hrv.yaml'), join(r.home, 'policies', 'srb-hrv.yaml'))
  copyFileSync(join(SAMPLES, 'srb-europol.yaml'), join(r.home, 'policies', 'srb-europol.yaml'))
  copyFileSync(join(SAMPLES, 'hrv-srb.yaml'), join(r.home, 'policies', 'hrv-srb.yaml'))
  const node = await openNode({ home: r.home, env, clock: testClock })
  t.teardown(() => node.db.close())
  await importFile({ db: node.db.db, clock: testClock, reporter: 'SRB', keyer: recordKeyer(Buffer.alloc(32, 3)), crosswalk: EMPTY_CROSSWALK }, { kind: 'victims', path: join(FIXTURES, 'victims-small.csv') })

  const agreements = ['srb-hrv.yaml', 'srb-europol.yaml', 'hrv-srb.yaml'].map(f => loadAgreement(join(r.home, 'policies', f)))
  const grants = activeGrants(agreements, 'SRB', TEST_NOW)
  t.same(grants.map(g => [g.recipient, g.indicator, g.by.join('+'), g.years.at(0), g.years.at(-1), g.threshold]), [
    ['EUROPOL', 'V1', 'SEX+AGE_GROUP', 2018, 2025, 5],
    ['EUROPOL', 'V2', 'EXPLOIT', 2018, 2025, 5],
    ['EUROPOL', 'V3', 'CITIZENSHIP+COUNTRY_OF_EXPLOITATION', 2018, 2025, 5],
    ['EUROPOL', 'C1', 'OFFENCE', 2018, 2025, 5],
    ['EUROPOL', 'C3', 'OFFENCE', 2018, 2025, 5],
    ['HRV', 'V1', 'SEX+AGE_GROUP', 2015, 2025, 3],
    ['HRV', 'V2', 'EXPLOIT+SEX', 2018, 2025, 5],
  ], 'only SRB\'s agreements, closed at the last full year; HRV\'s own agreement grants SRB nothing to send')
  t.equal(activeGrants(agreements, 'SRB', Date.UTC(2029, 0, 2)).length, 0, 'nothing once the agreements have expired')
  t.notOk(inForce(agreements[0]!.agreement, Date.UTC(2025, 11, 31, 22, 59)), 'not before local midnight of the first day')

  const v1 = grants.filter(g => g.indicator === 'V1').map(g => ({ ...g, years: [2023] }))
  const { tables, summary } = await protectGrants(node.db.db, v1)
  t.same(summary, [{ indicator: 'V1', year: 2023, population: 'victims', threshold: 5, published: 12, suppressed: summary[0]!.suppressed, ok: true, unsafe: [] }], 'one pattern over both peers at the highest threshold')
  t.same(tables.map(x => x.recipient), ['EUROPOL', 'HRV'])
  const hrv = tables.find(x => x.recipient === 'HRV')!
  t.equal(hrv.cells.length, 12, 'the cells of SEX x AGE_GROUP (margins included) with records; the others are zeros and not listed')
  t.ok(hrv.cells.every(c => c.key.TIME_PERIOD === '2023' && c.key.VICT_STATUS === '_T' && c.key.CITIZEN_GRP === '_T'), 'nothing outside the grant')
  const unprotected = Object.fromEntries((await node.db.db.selectFrom('indicator_cell').select(['cell_key', 'value']).where('indicator', '=', 'V1').where('year', '=', 2023).execute()).map(c => [c.cell_key, c.value]))
  for (const c of hrv.cells) {
    const key = ['VICT_STATUS', 'SEX', 'AGE_GROUP', 'CITIZEN_GRP'].map(d => c.key[d]).join('|')
    const truth = unprotected[key] ?? 0
    if (c.conf_status === 'C') t.same([c.value, c.obs_status], [undefined, 'Q'], `${key} suppressed carries no value`)
    else {
      t.same([c.value, c.obs_status, c.conf_status], [truth, 'A', 'F'], `${key} published as counted`)
      t.ok(truth === 0 || truth >= 5, `${key}: no published count from 1 to 4 (${truth})`)
    }
  }
  const europol = tables.find(x => x.recipient === 'EUROPOL')!
  t.same(europol.cells.map(c => [c.key.SEX, c.key.AGE_GROUP, c.conf_status]), hrv.cells.map(c => [c.key.SEX, c.key.AGE_GROUP, c.conf_status]), 'a cell has one status for every peer')

  await node.db.close()
  const none = await cli(['policy', 'preview', '--home', r.home, '--peer', 'BIH'], { env })
  t.equal(none.stdout, 'No agreement in force grants Bosnia and Herzegovina anything: nothing would be sent.\n')
  const preview = await cli(['policy', 'preview', '--home', r.home, '--peer', 'HRV', '--indicator', 'V1', '--year', '2023'], { env })
  t.equal(preview.status, 0, preview.stderr)
  t.match(preview.stdout, /^V1 2023, by SEX, AGE_GROUP \(agreement srb-hrv\): 12 cells, \d+ confidential\n/)
  // All five persons sit in cells below 5, so even the total is hidden (a person counted in a
  // singleton cell could otherwise narrow the others below the threshold).
  t.match(preview.stdout, /\n {2}_T {9}_T {9}confidential\n/, 'the grand total row is listed')
  t.match(preview.stdout, /1 table\(s\) for Croatia; 0 refused\. Confidential cells carry no value \(OBS_STATUS Q, CONF_STATUS C\); a cell not listed is 0\.\n$/)
  const json = JSON.parse((await cli(['policy', 'preview', '--home', r.home, '--peer', 'HRV', '--indicator', 'V2', '--json'], { env })).stdout)
  t.same(json.tables.map((x: { indicator: string, year: number }) => `${x.indicator} ${x.year}`), ['V2 2018', 'V2 2019', 'V2 2020', 'V2 2021', 'V2 2022', 'V2 2023', 'V2 2024', 'V2 2025'])
  t.same(json.tables.find((x: { year: number }) => x.year === 2020).cells, [], 'a granted year with no records: nothing is sent, not zeros')

  // Once 2023 is released, new 2023 records are a revision held back: preview says so.
  t.equal((await cli(['publish', '--home', r.home], { env })).status, 0)
  const late = join(r.home, 'late.csv')
  writeFileSync(late, 'record_id,registered_on,status,sex,age,citizenship,country_of_exploitation,exploitation,identified_by,assistance\nL1,2023-12-30,IDENT,F,30,SRB,SRB,SEX,POL,\n')
  t.equal((await cli(['import', 'victims', late, '--home', r.home, '--no-publish'], { env })).status, 0)
  const held = await cli(['policy', 'preview', '--home', r.home, '--peer', 'HRV', '--indicator', 'V1', '--year', '2023'], { env })
  t.match(held.stdout, /\n2023 victims \(V1 V2 V3 V4 V5\): revision held back; the records changed since the release of 2026-11-25 \(1 person\(s\) added, 0 withdrawn\) and peers keep the released figures: 1 person\(s\) added since the last release, fewer than the threshold 5: the change itself would be a small cell\. It goes out once at least 5 persons have been added \(and none or at least 5 withdrawn\) since then, and can be protected \(docs\/disclosure\.md, "Revisions"\)\n1 table\(s\) for Croatia; 0 refused; 1 revision\(s\) held back\./)
  t.equal(held.stdout.split('\n')[0], preview.stdout.split('\n')[0], 'the table shown is the released one')
})
