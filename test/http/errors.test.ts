// The HTTP error model: one registry (HTTP_STATUS in src/errors.ts) gives each code its status,
// a code not registered is a server fault (500), and a server fault's details (messages, paths
// on the server) stay in the node's log.
import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import t from 'tap'
import { AppError, HTTP_STATUS, httpStatus, MESSAGE_SENT_5XX, type ErrorCode } from '../../src/errors.js'
import { buildApp } from '../../src/http/build-app.js'
import { createLogger } from '../../src/logger.js'
import { openNode } from '../../src/node/home.js'
import { addUser } from '../../src/users/users.js'
import { makeHome, testClock } from '../helpers/node.js'

const PASSWORD = 'correct horse battery staple'

t.test('the registry: every code has one status, 500 unless registered', async t => {
  t.equal(httpStatus('USAGE'), 400)
  t.equal(httpStatus('LOGIN_THROTTLED'), 429)
  t.equal(httpStatus('DATABASE_UNAVAILABLE'), 503)
  t.equal(httpStatus('AGREEMENTS_INVALID'), 503)
  t.same([...MESSAGE_SENT_5XX], ['AGREEMENTS_INVALID'], 'the one 5xx whose message is sent')
  for (const code of ['MIGRATION_FAILED', 'CONFIG_INVALID', 'FILE_UNREADABLE', 'KEY_FILE_INVALID', 'AUDIT_ENTRY_INVALID', 'SCHEMA_INVALID', 'NO_SUCH_CODE'] as const) {
    t.equal(httpStatus(code), 500, `${code}: 500`)
  }
  for (const [code, status] of Object.entries(HTTP_STATUS)) t.ok(Number.isInteger(status) && status! >= 400 && status! < 600, `${code}: ${status}`)
})

t.test('server faults over HTTP: 500 (or 503), the code, no message, details in the log', async t => {
  const r = await makeHome(t, 'SRB')
  const node = await openNode({ home: r.home, env: r.databaseUrl === undefined ? {} : { DATABASE_URL: r.databaseUrl }, clock: testClock })
  const lines: string[] = []
  const sink = new Writable({ write (chunk, _enc, cb) { lines.push(String(chunk)); cb() } })
  const app = await buildApp({ ...node, clock: testClock, logger: createLogger({ level: 'info', destination: sink }) })
  t.teardown(async () => { await app.close(); await node.db.close() })
  const home = node.config.home
  const thrown: Array<[ErrorCode, string]> = [
    ['DATABASE_UNAVAILABLE', `${home}/db: cannot open the database`],
    ['MIGRATION_FAILED', `migration 0007 failed in ${home}/db`],
    ['CONFIG_INVALID', `${home}/policies/x.yaml: line 3: bad indentation`],
    ['USAGE', 'years 2024-2023: the range runs backwards'],
    ['ROLE_FORBIDDEN', 'role legal may not use this'],
  ]
  for (const [i, [code, message]] of thrown.entries()) app.get(`/test/throw/${i}`, async () => { throw new AppError(code, message) })
  app.get('/test/throw/plain', async () => { throw new Error(`ENOENT: no such file ${home}/keys/x`) })

  for (const [i, [code, message]] of thrown.entries()) {
    const res = await app.inject(`/test/throw/${i}`)
    const status = httpStatus(code)
    t.equal(res.statusCode, status, `${code}: ${status}`)
    if (status >= 500) {
      t.same(res.json(), { statusCode: status, code, error: status === 503 ? 'Service Unavailable' : 'Internal Server Error', message: `internal error; see the node log for request ${res.json().message.split(' ').pop()}` }, `${code}: no message`)
      t.notMatch(res.body, home, `${code}: no server path`)
      t.ok(lines.some(l => l.includes(message)), `${code}: the message is in the log`)
    } else {
      t.same(res.json(), { statusCode: status, code, error: status === 400 ? 'Bad Request' : 'Forbidden', message })
    }
  }
  const plain = await app.inject('/test/throw/plain')
  t.same([plain.statusCode, plain.json().code, plain.json().error], [500, 'INTERNAL', 'Internal Server Error'])
  t.notMatch(plain.body, home)

  // A broken agreement file: it used to be a 400 naming the file with its absolute path, then a
  // bare 500. Now 503 AGREEMENTS_INVALID, whose message names the first problem as GET
  // /v1/policy/lint does (the file by its name, to the same roles) and points there.
  for (const [name, role] of [['op', 'operator'], ['lo', 'legal'], ['li', 'liaison']] as const) await addUser(node.db.db, testClock, { name, role, password: PASSWORD })
  const token = async (user: string): Promise<string> => (await app.inject({ method: 'POST', url: '/v1/login', payload: { user, password: PASSWORD } })).json().token
  const tokens = { op: await token('op'), lo: await token('lo'), li: await token('li') }
  writeFileSync(join(home, 'policies', 'broken.yaml'), 'agreement: [unclosed\n')
  const lint = await app.inject({ url: '/v1/policy/lint', headers: { authorization: `Bearer ${tokens.op}` } })
  t.same(lint.json().problems.map((p: { file: string, line: number }) => [p.file, p.line]), [['broken.yaml', 1]])
  const first = lint.json().problems[0] as { file: string, line: number, field: string | null, message: string }
  const expected = {
    statusCode: 503,
    code: 'AGREEMENTS_INVALID',
    error: 'Service Unavailable',
    message: `the node's agreement files have 1 problem(s), the first: broken.yaml:1: ${first.field === null ? '' : `${first.field}: `}${first.message}. The node uses none of its agreements until they are fixed: see every problem with GET /v1/policy/lint (the console's Agreement checks screen) or dcimx policy lint`,
  }
  for (const url of ['/v1/policy/matrix', '/v1/policy/agreements', '/v1/policy/diff?agreement=srb-europol&from=1&to=2', '/v1/policy/preview?peer=EUROPOL&year=2024']) {
    for (const user of ['op', 'lo'] as const) {
      const res = await app.inject({ url, headers: { authorization: `Bearer ${tokens[user]}` } })
      t.same(res.json(), expected, `${url} (${user}): 503, what is wrong and where to look`)
      t.equal(res.statusCode, 503)
      t.notMatch(res.body, home, 'no path on the server')
    }
    const refused = await app.inject({ url, headers: { authorization: `Bearer ${tokens.li}` } })
    t.same([refused.statusCode, refused.json().code], [403, 'ROLE_FORBIDDEN'], `${url}: a role without it learns nothing of the files`)
    t.notMatch(refused.body, 'broken.yaml')
  }
  t.ok(lines.some(l => l.includes('broken.yaml') && l.includes('request failed')), 'and is in the log')
  rmSync(join(home, 'policies', 'broken.yaml'))
  t.equal((await app.inject({ url: '/v1/policy/matrix', headers: { authorization: `Bearer ${tokens.op}` } })).statusCode, 200, 'fixed: the routes answer again')
})
