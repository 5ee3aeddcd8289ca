// `dcimx import` on real exports: --delimiter, --encoding, and grouped problems.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { cli } from '../helpers/cli.js'
import { makeHome, tempDir } from '../helpers/node.js'

const HEADER = 'record_id;registered_on;status;sex;age;citizenship;country_of_exploitation;exploitation;identified_by;assistance\n'

t.test('import --delimiter and --encoding; problems of many rows are one line each', async t => {
  const home = await makeHome(t, 'SRB')
  const env = home.databaseUrl === undefined ? {} : { DATABASE_URL: home.databaseUrl }
  const dir = tempDir(t)

  // Windows-1250 (Ž is 0x8E), semicolons, a header ending LF above a row ending CRLF.
  const semi = join(dir, 'semi.csv')
  writeFileSync(semi, Buffer.concat([Buffer.from(HEADER), Buffer.from('W1;2023-01-10;IDENT;'), Buffer.from([0x8e]), Buffer.from(';16;SRB;SRB;SEX;POL;\r\n')]))
  writeFileSync(join(home.home, 'crosswalk.yaml'), 'victims:\n  sex: { "Ž": F, "M": M }\n')
  const forced = await cli(['import', 'victims', semi, '--home', home.home, '--delimiter', ',', '--encoding', 'windows-1250', '--dry-run'], { env })
  t.same([forced.status, forced.stdout], [1, 'semi.csv: rejected, nothing changed: 1 problem(s) in 1 row(s) of 0\nsemi.csv:1: the header looks like one name holding ";" separators: the file is separated by ";", not ","; import it with --delimiter ";" [BAD_HEADER]\n'])
  const ok = await cli(['import', 'victims', semi, '--home', home.home, '--delimiter', ';', '--encoding', 'windows-1250', '--dry-run'], { env })
  t.same([ok.status, ok.stdout], [0, 'semi.csv: dry run, valid; would give: 1 inserted, 0 updated, 0 unchanged, 0 rejected\n'])
  const json = JSON.parse((await cli(['import', 'victims', semi, '--home', home.home, '--encoding', 'windows-1250', '--json', '--dry-run'], { env })).stdout) as { status: string, delimiter: string, encoding: string }
  t.same([json.status, json.delimiter, json.encoding], ['dry-run', ';', 'windows-1250'], 'the separator is found from the header')

  t.same((await cli(['import', 'victims', semi, '--home', home.home, '--delimiter', '|'], { env })).stderr, 'dcimx: --delimiter is one character such as ";" or "," (or "tab"), neither a double quote nor | (which separates codes in a field); got "|"\n')
  t.match((await cli(['import', 'victims', semi, '--home', home.home, '--encoding', 'ebcdic'], { env })).stderr, /option '--encoding <name>' argument 'ebcdic' is invalid\. Allowed choices are utf8, latin1, windows-1250\./)

  const unknown = join(dir, 'unknown.csv')
  writeFileSync(unknown, HEADER + 'U1;2023;;;;;;;;\nU2;2023-02;;M;;;;;;\n')
  const d = await cli(['import', 'victims', unknown, '--home', home.home, '--no-publish'], { env })
  t.same([d.status, d.stdout], [0, 'unknown.csv: import applied (run 1): 2 row(s): 2 inserted, 0 updated, 0 unchanged, 0 rejected\n' +
    'defaults applied (docs/operator-guide.md, "Unknowns"): status empty on 2 row(s), counted as PRES\n' +
    'tables recomputed: V1 2023; V2 2023; V3 2023; V4 2023; V5 2023\n'])

  const noid = join(dir, 'noid.csv')
  writeFileSync(noid, HEADER.replace('record_id', 'case_no') + '7;2021;IDENT;M;Adult;;;;;\n8;2021;IDENT;M;15-24;;;;;\n')
  writeFileSync(join(dir, 'cw.yaml'), 'victims:\n  sex: { "M": M }\n  age: { Adult: [18, 120], "15-24": [15, 24] }\n')
  const ids = await cli(['import', 'victims', noid, '--home', home.home, '--crosswalk', join(dir, 'cw.yaml'), '--id-columns', 'case_no, registered_on', '--no-publish'], { env })
  t.same([ids.status, ids.stdout], [0, 'noid.csv: import applied (run 2): 2 row(s): 2 inserted, 0 updated, 0 unchanged, 0 rejected\n' +
    'age bands straddling 18: 1 row(s) counted in age group UNK\n' +
    'tables recomputed: V1 2021; V2 2021; V3 2021; V4 2021; V5 2021\n'])
  t.equal((await cli(['import', 'victims', noid, '--home', home.home, '--id-columns', ',', '--no-publish'], { env })).stderr, 'dcimx: --id-columns names one or more columns, comma-separated\n')

  const many = join(dir, 'many.csv')
  writeFileSync(many, HEADER + Array.from({ length: 2000 }, (_, i) => `M${i};2023-01-10;IDENT;Z;16;SRB;SRB;SEX;POL;`).join('\n') + '\nX1;2023-01-10;IDENT;M;16;SRB;SRB;SEX;POL;NONE|NONE\n')
  const rej = await cli(['import', 'victims', many, '--home', home.home], { env })
  t.equal(rej.status, 1)
  t.equal(rej.stdout, 'many.csv: rejected, nothing changed: 2001 problem(s) in 2001 row(s) of 2001\n' +
    'many.csv, 2000 lines (2, 3, 4, 5, 6, ...): sex "Z" national code not in the crosswalk for victims.sex [UNMAPPED_CODE]\n' +
    'many.csv:2002: assistance "NONE|NONE" NONE is listed twice [DUPLICATE_CODE]\n')
  const rejJson = JSON.parse((await cli(['import', 'victims', many, '--home', home.home, '--json'], { env })).stdout) as { issues: unknown[], issueGroups: Array<{ count: number, lines: number[] }> }
  t.same([rejJson.issues.length, rejJson.issueGroups.length, rejJson.issueGroups[0]!.count, rejJson.issueGroups[0]!.lines.length, rejJson.issueGroups[0]!.lines.at(-1)], [1000, 2, 2000, 2000, 2001], '--json keeps every line of each group')
})
