import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { agreementHash, loadAgreement } from '../../src/policy/load.js'
import { cli } from '../helpers/cli.js'
import { tempDir, testClock } from '../helpers/node.js'

const SAMPLES = join(import.meta.dirname, '..', '..', 'docs', 'agreements')
const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'agreements', 'srb-hrv.yaml')

t.test('the sample agreements are valid and cover every country and the liaison', async t => {
  const files = readdirSync(SAMPLES).filter(f => f.endsWith('.yaml')).map(f => join(SAMPLES, f))
  t.equal(files.length, 27)
  const r = await cli(['policy', 'lint', ...files])
  t.same([r.status, r.stdout], [0, '27 agreement file(s), no problems\n'])
  const recipients = new Set(files.map(f => loadAgreement(f).agreement.recipient))
  t.ok(recipients.has('EUROPOL'), 'the liaison node is covered')
  const providers = new Set(files.map(f => loadAgreement(f).agreement.provider))
  t.same([...providers].sort(), ['ALB', 'BIH', 'HRV', 'MKD', 'MNE', 'SRB', 'XKX'], 'every country shares something')
})

t.test('policy lint, explain, diff and matrix from the command line', async t => {
  const dir = tempDir(t)
  const bad = join(dir, 'bad.yaml')
  writeFileSync(bad, readFileSync(FIXTURE, 'utf8').replace('threshold: 3', 'threshold: 3\ncolour: red').replace('by: [SEX, AGE_GROUP]', 'by: [SEX, CITIZEN_GRP]'))
  const lint = await cli(['policy', 'lint', FIXTURE, bad, join(dir, 'missing.yaml')])
  t.equal(lint.status, 1)
  t.equal(lint.stdout, `${bad}:16: colour: unknown key "colour"\n${join(dir, 'missing.yaml')}:1: cannot read the file (ENOENT)\n3 agreement file(s), 2 problem(s)\n`)

  const explain = await cli(['policy', 'explain', FIXTURE])
  t.equal(explain.status, 0)
  t.match(explain.stdout, /^Serbia shares with Croatia \(agreement "srb-hrv", version 1\)\.\n/)
  t.match(explain.stdout, new RegExp(`\\(agreement hash ${agreementHash(loadAgreement(FIXTURE).agreement)}: both parties must hold an agreement with this hash\\)\\n$`))
  const invalid = await cli(['policy', 'explain', bad])
  t.same([invalid.status, invalid.stderr], [1, `dcimx: agreement is invalid:\n  ${bad}:16: colour: unknown key "colour"\n`])

  const same = join(dir, 'same.yaml')
  writeFileSync(same, '# only a comment differs\n' + readFileSync(FIXTURE, 'utf8'))
  t.equal((await cli(['policy', 'diff', FIXTURE, same])).stdout, 'The two files hold the same agreement (same hash); only layout or comments differ.\n')
  const v2 = join(dir, 'v2.yaml')
  writeFileSync(v2, readFileSync(FIXTURE, 'utf8').replace('version: 1', 'version: 2').replace('retention_years: 5', 'retention_years: 3'))
  t.equal((await cli(['policy', 'diff', FIXTURE, v2])).stdout, 'Version 1 becomes version 2.\nCroatia may now keep the data for 3 years (was 5).\n')

  const home = join(dir, 'home')
  mkdirSync(join(home, 'policies'), { recursive: true })
  writeFileSync(join(home, 'config.json'), JSON.stringify({ node: { id: 'SRB', kind: 'country', name: 'Serbia' }, url: 'http://127.0.0.1:1', http: { host: '127.0.0.1', port: 1 }, database: { url: null }, log: { level: 'info' }, signing_key: 'a'.repeat(43) }))
  for (const f of ['srb-hrv.yaml', 'srb-europol.yaml', 'hrv-srb.yaml']) copyFileSync(join(SAMPLES, f), join(home, 'policies', f))
  const matrix = await cli(['policy', 'matrix', '--home', home], { clock: testClock })
  t.equal(matrix.stdout, [
    'who shares with whom  indicators                  status',
    'Croatia -> Serbia     V1 V2 V3 C2 C3              in force (hrv-srb v1)',
    'Serbia -> Europol     V1 V2 V3 C1 C3              in force (srb-europol v1)',
    'Serbia -> Croatia     V1 V2 V3 C2 C3              in force (srb-hrv v1)',
    '',
  ].join('\n'))
  const later = await cli(['policy', 'matrix', '--home', home], { clock: { now: () => Date.UTC(2028, 5, 1) } })
  t.match(later.stdout, /Serbia -> Europol +V1 V2 V3 C1 C3 +not in force today \(srb-europol v1\)/, 'the Europol samples end in 2027')
  t.equal((await cli(['policy', 'lint', '--home', home])).stdout, '3 agreement file(s), no problems\n')
  t.equal((await cli(['policy', 'lint'])).stderr, 'dcimx: name agreement files, or give --home to use the node\'s policies folder\n')
  t.equal((await cli(['policy', 'lint', '--home', dir])).stderr, `dcimx: ${dir} is not a node home (no config.json); create one with "dcimx init"\n`)
})
