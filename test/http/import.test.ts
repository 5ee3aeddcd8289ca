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

  t.test('another separator, encoding and id columns, checked as the command line checks them', async t => {
    const usage = (message: string) => ({ statusCode: 400, code: 'USAGE', error: 'Bad Request', message })
    t.same((await upload('/v1/import/victims?delimiter=ab', GOOD)).json(), usage('delimiter is one character such as ";" or "," (or "tab"), neither a double quote nor | (which separates codes in a field); got "ab"'))
    t.same((await upload('/v1/import/victims?delimiter=%7C', GOOD)).json(), usage('delimiter is one character such as ";" or "," (or "tab"), neither a double quote nor | (which separates codes in a field); got "|"'))
    t.same((await upload('/v1/import/victims?id_columns=,%20,', GOOD)).json(), usage('id_columns names one or more columns, comma-separated'))
    const ascii = await upload('/v1/import/victims?encoding=ascii', GOOD)
    t.same([ascii.statusCode, ascii.json().code], [400, 'FST_ERR_VALIDATION'], 'an encoding the command line does not offer')
    // The applied file again, tab-separated and read as Windows-1250: the same records, all unchanged.
    const tabbed = GOOD.replaceAll(',', '\t')
    const asFound = (await upload('/v1/import/victims?delimiter=%3B', tabbed)).json()
    t.same([asFound.status, asFound.delimiter, asFound.problem_counts], ['rejected', ';', { BAD_HEADER: 1 }], 'read with the separator given, not the one found')
    const tab = (await upload('/v1/import/victims?delimiter=tab&encoding=windows-1250', tabbed)).json()
    t.same([tab.status, tab.rows, tab.inserted, tab.updated, tab.unchanged, tab.delimiter, tab.encoding], ['dry-run', 7, 0, 0, 7, '\t', 'windows-1250'])
    // No record_id: ids derived from other columns are new records (a dry run here).
    const noId = GOOD.replace(/^record_id,/, 'case_no,')
    const derived = (await upload('/v1/import/victims?id_columns=case_no,registered_on', noId)).json()
    t.same([derived.status, derived.rows, derived.inserted, derived.unchanged], ['dry-run', 7, 7, 0])
    t.equal(await victims(), 7, 'nothing changed')
  })

  t.test('a withdrawal: the dry run says how many, apply removes exactly the records named', async t => {
    const keyer = (await nodeImportDeps(db, testClock, node.config)).keyer
    const held = async (): Promise<string[]> => (await db.selectFrom('victim').select('record_key').execute()).map(r => r.record_key).sort()
    const before = await held()
    t.same(before, ['V1', 'V2', 'V3', 'V4', 'V5', 'V6', 'V7'].map(keyer).sort())
    const unknown = (await upload('/v1/import/victims?withdraw=true&apply=true', 'record_id\nV2\nV99\n')).json()
    t.same([unknown.action, unknown.status, unknown.withdrawn, unknown.problems.map((p: { code: string, lines: number[] }) => [p.code, p.lines])], ['withdraw', 'rejected', 0, [['UNKNOWN_RECORD', [3]]]])
    t.same(await held(), before, 'an id the node does not hold: nothing withdrawn')
    const withdrawal = 'record_id;x\nV2;a\nV5;b\n'
    const dry = (await upload('/v1/import/victims?withdraw=true&file=withdraw.csv', withdrawal)).json()
    t.same([dry.action, dry.status, dry.rows, dry.withdrawn, dry.rejected, dry.delimiter, dry.import_id], ['withdraw', 'dry-run', 2, 2, 0, ';', null])
    t.same(await held(), before, 'the dry run withdrew nothing')
    const applied = (await upload('/v1/import/victims?withdraw=true&file=withdraw.csv&apply=true', withdrawal)).json()
    t.same([applied.action, applied.status, applied.rows, applied.withdrawn], ['withdraw', 'applied', 2, 2])
    t.ok(applied.tables.length > 0, 'the tables recomputed are listed')
    t.same(await held(), ['V1', 'V3', 'V4', 'V6', 'V7'].map(keyer).sort(), 'exactly V2 and V5 withdrawn')
    const run = await db.selectFrom('import_run').select(['id', 'action', 'file_name', 'withdrawn']).orderBy('id', 'desc').executeTakeFirstOrThrow()
    t.same(run, { id: applied.import_id, action: 'withdraw', file_name: 'withdraw.csv', withdrawn: 2 })
    const again = (await upload('/v1/import/victims?withdraw=true&apply=true', withdrawal)).json()
    t.same([again.status, again.problem_counts], ['rejected', { UNKNOWN_RECORD: 2 }], 'withdrawn records are no longer held')
    t.equal((await upload('/v1/import/victims?withdraw=true&apply=true', 'record_id\nV1\n', tokens.legal)).statusCode, 403, 'a withdrawal is for operators only')
    t.same(await held(), ['V1', 'V3', 'V4', 'V6', 'V7'].map(keyer).sort(), 'nothing withdrawn by another role')

    // Ids derived from id columns: imported, then withdrawn by the same columns.
    const derived = [GOOD.split('\n')[0]!.replace(/^record_id,/, 'case_no,'), GOOD.split('\n')[1]!.replace(/^V1,/, 'K9,')].join('\n') + '\n'
    t.equal((await upload('/v1/import/victims?id_columns=case_no,registered_on&apply=true', derived)).json().inserted, 1)
    t.equal(await victims(), 6)
    const byColumns = (await upload('/v1/import/victims?withdraw=true&id_columns=case_no,registered_on&apply=true', 'registered_on,case_no\n2023-01-10,K9\n')).json()
    t.same([byColumns.status, byColumns.withdrawn], ['applied', 1])
    t.same(await held(), ['V1', 'V3', 'V4', 'V6', 'V7'].map(keyer).sort(), 'the derived record withdrawn, the others kept')
  })

  t.test('a liaison node imports nothing', async t => {
    await t.rejects(nodeImportDeps(db, testClock, { ...node.config, node: { ...node.config.node, kind: 'liaison' } }), { code: 'USAGE', message: /is a liaison node: it holds no national records of its own/ })
  })
})
