// POST /v1/import/{kind}: the operator's upload of a national export, checked (dry run) or
// applied by the same import as `dcimx import`; its own body limit, its role checked before
// the body is read.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { nodeImportDeps } from '../../src/ingest/node-import.js'
import { IMPORT_BODY_BYTES } from '../../src/http/routes/import.js'
import { addUser, ROLES, ROUTE_ROLES, type Role } from '../../src/users/users.js'
import { testApp } from '../helpers/app.js'
import { FIXTURES } from '../helpers/federation.js'
import { testClock } from '../helpers/node.js'

const PASSWORD = 'correct horse battery staple'
const GOOD = readFileSync(join(FIXTURES, 'victims-small.csv'), 'utf8')
const lines = GOOD.split('\n')
// Line 3 has a sex code no codelist knows, line 5 a date that does not exist.
const BAD = [lines[0], lines[1], lines[2]!.replace(',F,', ',Q,'), lines[3], lines[4]!.replace(/^(V\d+),\d{4}-\d\d-\d\d/, '$1,2023-13-40'), ...lines.slice(5)].join('\n')

t.test('POST /v1/import/{kind}', async t => {
  const { app, node } = await testApp(t, 'SRB', testClock)
  const db = node.db.db
  for (const role of ROLES) await addUser(db, testClock, { name: `${role}1`, role, password: PASSWORD })
  const tokens = {} as Record<Role, string>
  for (const role of ROLES) tokens[role] = (await app.inject({ method: 'POST', url: '/v1/login', payload: { user: `${role}1`, password: PASSWORD } })).json().token
  const upload = async (url: string, body: string | Buffer, token: string | null = tokens.operator, type = 'text/csv') =>
    await app.inject({ method: 'POST', url, payload: body, headers: { 'content-type': type, ...(token === null ? {} : { authorization: `Bearer ${token}` }) } })
  const victims = async (): Promise<number> => Number((await db.selectFrom('victim').select(d => d.fn.countAll().as('n')).executeTakeFirstOrThrow()).n)
  const tables = async (): Promise<number> => Number((await db.selectFrom('indicator_table').select(d => d.fn.countAll().as('n')).executeTakeFirstOrThrow()).n)

  t.test('operators only; the role is checked before the body', async t => {
    t.same(ROUTE_ROLES['POST /v1/import/*'], ['operator'])
    const codes: Record<string, number> = {}
    for (const role of ROLES) codes[role] = (await upload('/v1/import/victims', GOOD, tokens[role])).statusCode
    codes.none = (await upload('/v1/import/victims', GOOD, null)).statusCode
    t.same(codes, { operator: 200, legal: 403, liaison: 403, auditor: 403, none: 401 })
    const big = Buffer.alloc(IMPORT_BODY_BYTES + 1, 'a')
    t.equal((await upload('/v1/import/victims', big, tokens.liaison)).statusCode, 403, 'another role is refused before a large body is read')
    const tooBig = await upload('/v1/import/victims', big)
    t.same(tooBig.json(), { statusCode: 413, code: 'BODY_TOO_LARGE', error: 'Payload Too Large', message: 'the file is larger than the 32 MiB the console may upload: import it with `dcimx import` on the node\'s host, or split it' })
    t.equal((await upload('/v1/import/victims', '{}', tokens.operator, 'application/json')).statusCode, 400, 'the body is CSV')
    t.equal((await upload('/v1/import/persons', GOOD)).statusCode, 400, 'victims or offenders')
    t.equal((await upload('/v1/import/victims?file=../x', GOOD)).statusCode, 400, 'a plain file name')
    t.equal(await victims(), 0, 'nothing imported by any of these')
  })

  t.test('a file with problems: the report groups them with their lines; applying it changes nothing', async t => {
    const dry = (await upload('/v1/import/victims?file=victims-march.csv', BAD)).json()
    t.same([dry.status, dry.file, dry.kind, dry.rows, dry.rejected], ['rejected', 'victims-march.csv', 'victims', 7, 2])
    t.same(dry.problems.map((p: { code: string, column?: string, value?: string, lines: number[], count: number }) => [p.code, p.column, p.value, p.count, p.lines]), [
      ['UNKNOWN_CODE', 'sex', 'Q', 1, [3]],
      ['BAD_DATE', 'registered_on', '2023-13-40', 1, [5]],
    ])
    t.same(dry.problem_counts, { UNKNOWN_CODE: 1, BAD_DATE: 1 })
    const applied = (await upload('/v1/import/victims?file=victims-march.csv&apply=true', BAD)).json()
    t.same([applied.status, applied.import_id], ['rejected', null])
    t.same([await victims(), await tables()], [0, 0], 'nothing changed')
  })

  t.test('the fixed file: a dry run says what would change, then apply imports it in one go', async t => {
    const dry = (await upload('/v1/import/victims?file=victims-march.csv', GOOD)).json()
    t.same([dry.status, dry.rows, dry.inserted, dry.rejected, dry.problems, dry.import_id, dry.tables], ['dry-run', 7, 7, 0, [], null, []])
    t.same([await victims(), await tables()], [0, 0], 'a dry run changes nothing')
    const applied = (await upload('/v1/import/victims?file=victims-march.csv&apply=true', GOOD)).json()
    t.same([applied.status, applied.inserted], ['applied', 7])
    t.ok(applied.tables.length > 0, 'the tables recomputed are listed')
    t.equal(await victims(), 7)
    const stored = await db.selectFrom('indicator_table').select(['indicator', 'year', 'cells', 'import_id']).orderBy('indicator').orderBy('year').execute()
    t.same(stored.map(r => ({ indicator: r.indicator, year: r.year, cells: r.cells })), [...applied.tables].sort((a, b) => a.indicator.localeCompare(b.indicator) || a.year - b.year), 'the tables recomputed, as the report lists them')
    t.ok(stored.every(r => r.import_id === applied.import_id), 'by this import')
    const run = await db.selectFrom('import_run').select(['id', 'file_name', 'inserted']).executeTakeFirstOrThrow()
    t.same(run, { id: applied.import_id, file_name: 'victims-march.csv', inserted: 7 })
    t.equal((await upload('/v1/import/victims?apply=true', GOOD)).json().status, 'unchanged', 'the same file again changes nothing')
  })

  t.test('a liaison node imports nothing', async t => {
    await t.rejects(nodeImportDeps(db, testClock, { ...node.config, node: { ...node.config.node, kind: 'liaison' } }), { code: 'USAGE', message: /is a liaison node: it holds no national records of its own/ })
  })
})
