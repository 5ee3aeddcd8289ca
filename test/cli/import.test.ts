import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { cli, openForCommands } from '../helpers/cli.js'
import { makeHome, tempDir, testClock } from '../helpers/node.js'

const FIXTURES = join(import.meta.dirname, '..', 'fixtures')

t.test('generate, import, tables and withdraw from the command line', async t => {
  const home = await makeHome(t, 'SRB')
  const env = home.databaseUrl === undefined ? {} : { DATABASE_URL: home.databaseUrl }
  const dir = tempDir(t)

  const gen = await cli(['generate', 'victims', '--country', 'SRB', '--years', '2021-2023', '--per-year', '40', '--seed', '7', '--out', join(dir, 'v.csv')])
  t.same([gen.status, gen.stdout], [0, `wrote 120 synthetic victims row(s) for SRB, 2021-2023, seed 7, to ${join(dir, 'v.csv')}\n`])
  const again = await cli(['generate', 'victims', '--country', 'SRB', '--years', '2021-2023', '--out', join(dir, 'v.csv')])
  t.same([again.status, again.stderr], [1, `dcimx: ${join(dir, 'v.csv')}: already exists (choose a new file)\n`])
  t.equal((await cli(['generate', 'victims', '--country', 'SRB', '--years', '2023-2021', '--out', join(dir, 'x.csv')])).stderr, 'dcimx: --years 2023-2021: the range runs backwards\n')

  const dry = await cli(['import', 'victims', join(dir, 'v.csv'), '--home', home.home, '--dry-run'], { env })
  t.equal(dry.status, 0)
  t.equal(dry.stdout, 'v.csv: dry run, valid; would give: 120 inserted, 0 updated, 0 unchanged, 0 rejected\n')
  t.match(dry.stderr, /v\.csv: 100% read/, 'plain progress lines when not on a terminal')

  // The dry run above opened the home itself, as an operator's shell does; the commands below run
  // on the home opened once (`attached`), as `dcimx serve` runs a command routed through its
  // admin channel: the same command code, without the embedded database's start-up each time.
  const node = await openForCommands(t, home.home, env, testClock)
  const imp = await cli(['import', 'victims', join(FIXTURES, 'victims-small.csv'), '--home', home.home], { env, attached: node })
  t.equal(imp.status, 0, imp.stderr)
  t.equal(imp.stdout, 'victims-small.csv: import applied (run 1): 7 row(s): 7 inserted, 0 updated, 0 unchanged, 0 rejected\ntables recomputed: V1 2023,2024; V2 2023,2024; V3 2023,2024; V4 2023,2024; V5 2023,2024\n')

  const csv = await cli(['tables', '--home', home.home, '--indicator', 'V4', '--year', '2023', '--format', 'csv'], { env, attached: node })
  t.equal(csv.stdout, [
    'IDENT_AGENCY,VICT_STATUS,value',
    'POL,IDENT,2', 'POL,_T,2', 'LAB_INSP,PRES,1', 'LAB_INSP,_T,1', 'SOC,IDENT,1', 'SOC,_T,1', 'NGO,IDENT,1', 'NGO,_T,1',
    '_T,IDENT,4', '_T,PRES,1', '_T,_T,5', '',
  ].join('\n'))
  const json = JSON.parse((await cli(['tables', '--home', home.home, '--indicator', 'C4', '--year', '2023', '--format', 'json'], { env, attached: node })).stdout)
  t.same([json.indicator, json.year, json.dimensions, json.cells], ['C4', 2023, ['SENTENCE', 'SEX'], []], 'no offenders imported: an empty table')
  const table = await cli(['tables', '--home', home.home, '--indicator', 'V3', '--year', '2023'], { env, attached: node })
  t.match(table.stdout, /^V3 Victims by citizenship and country of exploitation, 2023 \(unprotected: for this node's operators only; _T = total; cells not listed are 0\)\nCITIZENSHIP {2}COUNTRY_OF_EXPLOITATION {2}value\nALB {10}SRB {26}1\n/)
  t.equal((await cli(['tables', '--home', home.home, '--indicator', 'V9', '--year', '2023'], { env, attached: node })).stderr, 'dcimx: unknown indicator "V9"; use one of V1, V2, V3, V4, V5, C1, C2, C3, C4\n')
  t.equal((await cli(['tables', '--home', home.home, '--indicator', 'V1', '--year', '23'], { env, attached: node })).stderr, 'dcimx: --year "23": give a year (2023), a range (2015-2024) or a list (2019,2021)\n')
  // Several tables at once: every indicator and every year with records, or a range.
  const all = JSON.parse((await cli(['tables', '--home', home.home, '--format', 'json'], { env, attached: node })).stdout) as Array<{ indicator: string, year: number }>
  t.same(all.map(x => `${x.indicator} ${x.year}`), ['V1', 'V2', 'V3', 'V4', 'V5', 'C1', 'C2', 'C3', 'C4'].flatMap(i => [`${i} 2023`, `${i} 2024`]), 'all indicators, the years with records')
  const two = await cli(['tables', '--home', home.home, '--indicator', 'v1,V4', '--year', '2023-2024'], { env, attached: node })
  t.equal(two.stdout.split('\n').filter(l => /^V[14] .*, 202[34] \(unprotected/.test(l)).length, 4, 'V1 and V4 for both years, one after the other')
  t.same((await cli(['tables', '--home', home.home, '--indicator', 'V1', '--format', 'csv'], { env, attached: node })).stderr, 'dcimx: CSV holds one table: give one --indicator and one --year, or use --format json or table for several\n')

  const bad = join(dir, 'bad.csv')
  writeFileSync(bad, readFileSync(join(FIXTURES, 'victims-small.csv'), 'utf8').replace('V3,2023-03-12,PRES,M,35', 'V3,2023-03-12,PRES,M,350'))
  const rej = await cli(['import', 'victims', bad, '--home', home.home], { env, attached: node })
  t.equal(rej.status, 1)
  t.equal(rej.stdout, 'bad.csv: rejected, nothing changed: 1 problem(s) in 1 row(s) of 7\nbad.csv:4: age "350" age must be from 0 to 120 [AGE_OUT_OF_RANGE]\n')
  const rejJson = await cli(['import', 'victims', bad, '--home', home.home, '--json'], { env, attached: node })
  t.match(JSON.parse(rejJson.stdout), { status: 'rejected', issues: [{ file: 'bad.csv', line: 4, column: 'age', value: '350', code: 'AGE_OUT_OF_RANGE' }], issueCounts: { AGE_OUT_OF_RANGE: 1 } })
  t.equal(rejJson.stderr, '', 'no progress lines with --json')

  const ids = join(dir, 'withdraw.csv')
  writeFileSync(ids, 'record_id\nV1\n')
  const w = await cli(['import', 'victims', ids, '--withdraw', '--home', home.home], { env, attached: node })
  t.equal(w.stdout, 'withdraw.csv: withdrawal applied (run 2): 1 row(s): 1 record(s) withdrawn\ntables recomputed: V1 2023; V2 2023; V3 2023; V4 2023; V5 2023\n')

  writeFileSync(join(home.home, 'crosswalk.yaml'), 'victims:\n  sex: { "Ž": F }\n')
  const cw = await cli(['import', 'victims', join(FIXTURES, 'victims-small.csv'), '--home', home.home, '--dry-run'], { env, attached: node })
  t.equal(cw.status, 1, 'the node\'s default crosswalk applies')
  t.match(cw.stdout, /\nvictims-small\.csv, 4 lines \(2, 3, 5, 7\): sex "F" national code not in the crosswalk for victims\.sex \[UNMAPPED_CODE\]\n/, 'rows sharing a problem are one line')
  writeFileSync(join(home.home, 'crosswalk.yaml'), 'victims:\n  sex: { "Ž": Q }\n')
  const cwBad = await cli(['import', 'victims', join(FIXTURES, 'victims-small.csv'), '--home', home.home], { env, attached: node })
  t.same([cwBad.status, cwBad.stderr], [1, `dcimx: crosswalk is invalid:\n  ${join(home.home, 'crosswalk.yaml')}:2: victims.sex maps "Ž" to "Q", which is not a SEX code\n`])

  t.equal((await cli(['import', 'witnesses', 'x.csv', '--home', home.home], { env, attached: node })).stderr, 'dcimx: import what: "victims" or "offenders" (got "witnesses")\n')
  t.equal((await cli(['import', 'victims', join(dir, 'none.csv'), '--home', home.home, '--crosswalk', join(FIXTURES, 'none.yaml')], { env, attached: node })).stderr, `dcimx: ${join(FIXTURES, 'none.yaml')}: no such file\n`)
  t.equal((await cli(['import', 'victims', join(dir, 'none.csv'), '--home', home.home, '--crosswalk', join(home.home, 'crosswalk.yaml').replace('crosswalk.yaml', 'config.json')], { env, attached: node })).status, 1)
})

t.test('a liaison node holds no national records', async t => {
  const home = await makeHome(t, 'EUROPOL')
  const env = home.databaseUrl === undefined ? {} : { DATABASE_URL: home.databaseUrl }
  const r = await cli(['import', 'victims', join(FIXTURES, 'victims-small.csv'), '--home', home.home], { env })
  t.same([r.status, r.stderr], [2, 'dcimx: EUROPOL is a liaison node: it holds no national records of its own\n'])
})

t.test('the import\'s report comes before its publish, and a failed publish does not hide that the import applied', async t => {
  const home = await makeHome(t, 'SRB')
  const env = home.databaseUrl === undefined ? {} : { DATABASE_URL: home.databaseUrl }
  writeFileSync(join(home.home, 'policies', 'broken.yaml'), 'agreement: [\n')
  const imp = await cli(['import', 'victims', join(FIXTURES, 'victims-small.csv'), '--home', home.home], { env })
  t.equal(imp.status, 1)
  t.equal(imp.stdout, 'victims-small.csv: import applied (run 1): 7 row(s): 7 inserted, 0 updated, 0 unchanged, 0 rejected\ntables recomputed: V1 2023,2024; V2 2023,2024; V3 2023,2024; V4 2023,2024; V5 2023,2024\n')
  t.match(imp.stderr, /\ndcimx: the import is applied, but publishing it failed: CONFIG_INVALID: [^]*broken\.yaml:1: not valid YAML[^]*\. It goes out with the next publish \(dcimx publish, or the serving node's schedule\)\.\n$/)
  const json = JSON.parse((await cli(['import', 'victims', join(FIXTURES, 'victims-small.csv'), '--home', home.home, '--json'], { env })).stdout) as { status: string, publish_error?: unknown }
  t.same([json.status, json.publish_error], ['unchanged', undefined], 'nothing changed: nothing to publish, no error')
})
