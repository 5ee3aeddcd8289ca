import { generateKeyPairSync } from 'node:crypto'
import { chmodSync, copyFileSync, existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { SignJWT } from 'jose'
import t from 'tap'
import { listAudit } from '../../src/audit/log.js'
import { AppError } from '../../src/errors.js'
import { signPeerToken } from '../../src/exchange/peer-token.js'
import { buildApp } from '../../src/http/build-app.js'
import { loadSessionSecret, SESSION_SECRET_FILE } from '../../src/http/plugins/auth.js'
import { createLogger } from '../../src/logger.js'
import { addUser, LOGIN_FAILED_MESSAGE, removeUser, ROLES, setUserDisabled, ROUTE_ROLES, userVersion, type GuardedRoute, type Role } from '../../src/users/users.js'
import { testApp } from '../helpers/app.js'
import { tempDir, TEST_NOW } from '../helpers/node.js'

const PASSWORD = 'correct horse battery staple'
const NOW_S = TEST_NOW / 1000

/** A request to each guarded route; the regional routes are tested with the totals, the import in import.test.ts. */
const REQUESTS: Partial<Record<GuardedRoute, string>> = {
  'GET /v1/me': '/v1/me',
  'GET /v1/status': '/v1/status',
  'GET /v1/audit': '/v1/audit?limit=5',
  'GET /v1/audit/verify': '/v1/audit/verify',
  'GET /v1/policy/matrix': '/v1/policy/matrix',
  'GET /v1/policy/agreements': '/v1/policy/agreements',
  'GET /v1/policy/diff': '/v1/policy/diff?agreement=srb-europol&from=1&to=1',
  'GET /v1/policy/preview': '/v1/policy/preview?peer=EUROPOL&year=2024&indicator=V1',
  'GET /v1/policy/lint': '/v1/policy/lint',
  'GET /v1/users': '/v1/users',
}

t.test('the session secret: created once, owner-only, refused when others can read it', async t => {
  const home = tempDir(t)
  const file = join(home, 'keys', SESSION_SECRET_FILE)
  t.notOk(existsSync(file))
  const secret = loadSessionSecret(home)
  t.equal(secret.byteLength, 32)
  t.equal(statSync(file).mode & 0o777, 0o600)
  t.same(loadSessionSecret(home), secret, 'reused, not regenerated')
  chmodSync(file, 0o644)
  t.throws(() => loadSessionSecret(home), new AppError('KEY_FILE_INSECURE', `${file}: secret is readable by group or others (mode 644); run chmod 600 on it`))
  chmodSync(file, 0o600)
  writeFileSync(file, readFileSync(file, 'utf8').slice(0, 20))
  t.throws(() => loadSessionSecret(home), new AppError('KEY_FILE_INVALID', `${file}: the secret must be at least 32 bytes`))
})

// Set-up and teardown belong to one parent test: tap may end the root early while it awaits.
t.test('users, tokens and roles over HTTP', async t => {
  let now = TEST_NOW
  const clock = { now: () => now }
  const { app, node } = await testApp(t, 'SRB', clock)
  const db = node.db.db
  const self = node.config.node.id
  copyFileSync(join(import.meta.dirname, '..', '..', 'docs', 'agreements', 'srb-europol.yaml'), join(node.config.home, 'policies', 'srb-europol.yaml'))
  for (const role of ROLES) await addUser(db, clock, { name: `${role}1`, role, password: PASSWORD })

  const loginAs = async (user: string, password = PASSWORD): Promise<{ statusCode: number, body: any, headers: Record<string, unknown> }> => {
    const res = await app.inject({ method: 'POST', url: '/v1/login', payload: { user, password } })
    return { statusCode: res.statusCode, body: res.json(), headers: res.headers }
  }
  const tokens = {} as Record<Role, string>
  const get = async (url: string, token?: string): Promise<{ statusCode: number, body: any, headers: Record<string, unknown> }> => {
    const res = await app.inject({ url, headers: token === undefined ? {} : { authorization: `Bearer ${token}` } })
    return { statusCode: res.statusCode, body: res.json(), headers: res.headers }
  }
  const refusedToken = (message: string): unknown => ({ statusCode: 401, code: 'USER_TOKEN_INVALID', error: 'Unauthorized', message: `user token refused: ${message}` })
  const secret = loadSessionSecret(node.config.home)
  const hs256 = async (claims: Record<string, unknown>, options: { key?: Uint8Array, iat?: number, exp?: number, iss?: string, aud?: string } = {}): Promise<string> => {
    const row = await db.selectFrom('app_user').select('password_hash').where('name', '=', 'operator1').executeTakeFirstOrThrow()
    return await new SignJWT({ sub: 'operator1', role: 'operator', uv: userVersion(row.password_hash), ...claims })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(options.iss ?? self)
      .setAudience(options.aud ?? self)
      .setIssuedAt(options.iat ?? NOW_S)
      .setExpirationTime(options.exp ?? NOW_S + 3600)
      .sign(options.key ?? secret)
  }

  t.test('login: a token for an hour, audited', async t => {
    for (const role of ROLES) {
      const r = await loginAs(`${role}1`)
      t.equal(r.statusCode, 200, JSON.stringify(r.body))
      t.same(Object.keys(r.body).sort(), ['expires_at', 'expires_in', 'role', 'token'])
      t.same([r.body.role, r.body.expires_at, r.body.expires_in], [role, '2026-11-25T13:00:00.000Z', 3600])
      t.equal(r.headers['cache-control'], 'no-store')
      tokens[role] = r.body.token
    }
    const [header, payload] = tokens.liaison.split('.').slice(0, 2).map(p => JSON.parse(Buffer.from(p, 'base64url').toString('utf8')))
    t.same(header, { alg: 'HS256', typ: 'JWT' })
    t.same({ ...payload, uv: typeof payload.uv }, { sub: 'liaison1', role: 'liaison', uv: 'string', iss: 'SRB', aud: 'SRB', iat: NOW_S, exp: NOW_S + 3600 })
    const audit = (await listAudit(db)).filter(e => e.event === 'login')
    t.same(audit.map(e => [e.actor, e.detail]), ROLES.map(role => [`${role}1`, { role }]))
  })

  t.test('a failed login: one answer whatever was wrong, audited with the reason', async t => {
    const failed = { statusCode: 401, code: 'LOGIN_FAILED', error: 'Unauthorized', message: LOGIN_FAILED_MESSAGE }
    await addUser(db, clock, { name: 'gone', role: 'auditor', password: PASSWORD })
    await db.updateTable('app_user').set({ disabled_at: new Date(now) }).where('name', '=', 'gone').execute()
    for (const [what, user, password] of [['wrong password', 'liaison1', 'wrong password!!'], ['unknown user', 'nobody', PASSWORD], ['disabled user', 'gone', PASSWORD], ['not a user name', 'Liaison 1', PASSWORD]] as const) {
      const r = await loginAs(user, password)
      t.same([r.statusCode, r.body], [401, failed], what)
      t.equal(r.headers['www-authenticate'], 'Bearer realm="dcim-exchange"')
    }
    const audit = (await listAudit(db)).filter(e => e.event === 'login_refused')
    t.same(audit.map(e => [e.actor, e.detail]), [['liaison1', { reason: 'wrong_password' }], ['gone', { reason: 'disabled' }]], 'refusals for existing users are chained')
    // Names that are nobody's are counted, not chained (test/http/strangers.test.ts).
    t.same(app.refusals.current().counts, [{ kind: 'login', reason: 'malformed', count: 1 }, { kind: 'login', reason: 'unknown_user', count: 1 }])
    const bad = await app.inject({ method: 'POST', url: '/v1/login', payload: { user: 'liaison1' } })
    t.same([bad.statusCode, bad.json().code], [400, 'FST_ERR_VALIDATION'], 'a body without a password is a bad request')
    const extra = await app.inject({ method: 'POST', url: '/v1/login', payload: { user: 'liaison1', password: PASSWORD, role: 'operator' } })
    t.equal(extra.statusCode, 400, 'no other members')
  })

  t.test('who may call what: every role against every guarded route', async t => {
    t.same(Object.keys(REQUESTS).sort(), Object.keys(ROUTE_ROLES).filter(r => !r.startsWith('GET /v1/regional/') && !r.startsWith('POST ')).sort(), 'every guarded route but the regional ones and the POST routes is tested here (the import in test/http/import.test.ts, the users\' below)')
    const matrix: Record<string, Record<string, number>> = {}
    for (const [route, url] of Object.entries(REQUESTS)) {
      matrix[route] = {}
      for (const role of ROLES) matrix[route][role] = (await get(url, tokens[role])).statusCode
      matrix[route].none = (await get(url)).statusCode
    }
    t.same(matrix, {
      'GET /v1/me': { operator: 200, legal: 200, liaison: 200, auditor: 200, none: 401 },
      'GET /v1/status': { operator: 200, legal: 403, liaison: 403, auditor: 200, none: 401 },
      'GET /v1/audit': { operator: 200, legal: 403, liaison: 403, auditor: 200, none: 401 },
      'GET /v1/audit/verify': { operator: 200, legal: 403, liaison: 403, auditor: 200, none: 401 },
      'GET /v1/policy/matrix': { operator: 200, legal: 200, liaison: 403, auditor: 403, none: 401 },
      'GET /v1/policy/agreements': { operator: 200, legal: 200, liaison: 403, auditor: 403, none: 401 },
      'GET /v1/policy/diff': { operator: 200, legal: 200, liaison: 403, auditor: 403, none: 401 },
      'GET /v1/policy/preview': { operator: 200, legal: 200, liaison: 403, auditor: 403, none: 401 },
      'GET /v1/policy/lint': { operator: 200, legal: 200, liaison: 403, auditor: 403, none: 401 },
      'GET /v1/users': { operator: 200, legal: 403, liaison: 403, auditor: 403, none: 401 },
    })
    t.same(ROUTE_ROLES['GET /v1/regional/*'], ['liaison', 'operator'])

    t.same((await get('/v1/status', tokens.liaison)).body, { statusCode: 403, code: 'ROLE_FORBIDDEN', error: 'Forbidden', message: 'role liaison may not use GET /v1/status; allowed: operator, auditor' })
    t.same((await get('/v1/me')).body, { statusCode: 401, code: 'USER_TOKEN_MISSING', error: 'Unauthorized', message: 'a user token is required: Authorization: Bearer <token from POST /v1/login>' })
    t.equal((await get('/v1/me')).headers['www-authenticate'], 'Bearer realm="dcim-exchange"')
  })

  t.test('what each route answers', async t => {
    t.same((await get('/v1/me', tokens.legal)).body, { user: 'legal1', role: 'legal', node: 'SRB', routes: ['GET /v1/me', 'GET /v1/policy/matrix', 'GET /v1/policy/agreements', 'GET /v1/policy/diff', 'GET /v1/policy/preview', 'GET /v1/policy/lint'] })
    t.same((await get('/v1/status', tokens.auditor)).body, { node: 'SRB', peers: [] })
    const matrix = await get('/v1/policy/matrix', tokens.legal)
    t.same(matrix.body, { matrix: [{ provider: 'SRB', recipient: 'EUROPOL', indicators: ['V1', 'V2', 'V3', 'C1', 'C3'], agreement: 'srb-europol', version: 1, in_force: true }] })
    const agreements = (await get('/v1/policy/agreements', tokens.legal)).body.agreements
    t.same(agreements.map((a: Record<string, unknown>) => [a.agreement, a.version, a.file, a.in_force, a.indicators]), [['srb-europol', 1, 'srb-europol.yaml', true, ['V1', 'V2', 'V3', 'C1', 'C3']]])
    t.match(agreements[0].explanation[0], /^Serbia shares with Europol \(agreement "srb-europol", version 1\)\.$/)
    t.same((await get('/v1/policy/diff?agreement=srb-europol&from=1&to=1', tokens.legal)).body, { agreement: 'srb-europol', from: 1, to: 1, same_hash: true, changes: ['The two versions hold the same agreement (same hash).'] })
    t.same((await get('/v1/policy/preview?peer=HRV&year=2024', tokens.legal)).body, { peer: 'HRV', year: 2024, granted: false, tables: [], refused: [], held: [], revisions: [] }, 'no agreement with HRV: nothing would be sent')
    const preview = (await get('/v1/policy/preview?peer=EUROPOL&year=2024&indicator=V2', tokens.legal)).body
    t.same([preview.granted, preview.tables.map((x: { agreement: string, indicator: string, year: number, by: string[] }) => [x.agreement, x.indicator, x.year, x.by])], [true, [['srb-europol', 'V2', 2024, ['EXPLOIT']]]])
    const missing = await get('/v1/policy/diff?agreement=srb-europol&from=1&to=2', tokens.legal)
    t.same([missing.statusCode, missing.body.message], [404, 'this node holds no version 2 of agreement "srb-europol" (it holds 1)'])

    // Lint: each problem with its file, line and field; while one is there, the agreements cannot be used.
    t.same((await get('/v1/policy/lint', tokens.legal)).body, { files: ['srb-europol.yaml'], problems: [] })
    const policies = join(node.config.home, 'policies')
    const v1 = readFileSync(join(policies, 'srb-europol.yaml'), 'utf8')
    writeFileSync(join(policies, 'srb-europol-v2.yaml'), v1.replace('version: 1', 'version: 2').replace('from: 2026-01-01', 'from: 2026-02-30').replace('threshold: 5', 'threshold: 5\ncolour: blue'))
    t.same((await get('/v1/policy/lint', tokens.operator)).body, {
      files: ['srb-europol-v2.yaml', 'srb-europol.yaml'],
      problems: [
        { file: 'srb-europol-v2.yaml', line: 13, field: 'validity.from', message: '"2026-02-30" is not a calendar day; write YYYY-MM-DD, e.g. 2026-01-01' },
        { file: 'srb-europol-v2.yaml', line: 17, field: 'colour', message: 'unknown key "colour"' },
      ],
    }, 'the file\'s name in the policies folder (not its path), the line, the field and what is wrong')
    const meanwhile = await get('/v1/policy/agreements', tokens.legal)
    t.same([meanwhile.statusCode, meanwhile.body.code], [503, 'AGREEMENTS_INVALID'], 'the agreements cannot be used meanwhile')
    // Two valid files in conflict: the problem in the later one, naming the other by its name.
    writeFileSync(join(policies, 'srb-europol-v2.yaml'), v1.replace('threshold: 5', 'threshold: 6'))
    const conflict = (await get('/v1/policy/lint', tokens.legal)).body
    t.same(conflict.problems, [{ file: 'srb-europol.yaml', line: 4, field: 'version', message: 'srb-europol version 1 is also srb-europol-v2.yaml:4, with other terms: each text of an agreement needs its own version' }])
    t.same((await get('/v1/policy/matrix', tokens.legal)).body.message, 'the node\'s agreement files have 1 problem(s), the first: srb-europol.yaml:4: version: srb-europol version 1 is also srb-europol-v2.yaml:4, with other terms: each text of an agreement needs its own version. The node uses none of its agreements until they are fixed: see every problem with GET /v1/policy/lint (the console\'s Agreement checks screen) or dcimx policy lint', 'two files in conflict: the same answer, naming the conflict')
    rmSync(join(policies, 'srb-europol-v2.yaml'))
    t.same((await get('/v1/policy/lint', tokens.legal)).body, { files: ['srb-europol.yaml'], problems: [] })

    const all = (await get('/v1/audit?limit=1000', tokens.auditor)).body.entries
    const verified = (await get('/v1/audit/verify', tokens.auditor)).body
    t.same(verified, { intact: true, entries: verified.entries, head: { seq: verified.entries, hash: verified.head.hash }, broken: null })
    t.ok(verified.entries >= all.length, 'every entry checked')
    const newest = (await get('/v1/audit?limit=3', tokens.auditor)).body.entries
    t.same(newest, all.slice(-3), 'without after: the newest entries, oldest first')
    t.same((await get('/v1/audit?after=2&limit=2', tokens.operator)).body.entries.map((e: { seq: number }) => e.seq), [3, 4])
    t.same(Object.keys(all[0]).sort(), ['actor', 'at', 'detail', 'event', 'hash', 'prev_hash', 'seq'])
    t.same(all[0], { ...all[0], seq: 1, event: 'user_added', actor: 'operator1', detail: { role: 'operator' }, at: '2026-11-25T12:00:00.000Z' })
    for (const bad of ['/v1/audit?limit=0', '/v1/audit?limit=10000', '/v1/audit?after=-1', '/v1/audit?event=login']) {
      t.equal((await get(bad, tokens.auditor)).statusCode, 400, bad)
    }
  })

  t.test('users over HTTP: list, add, disable and enable, for operators only', async t => {
    const send = async (method: 'GET' | 'POST', url: string, token?: string, payload?: Record<string, unknown>): Promise<{ statusCode: number, body: any, headers: Record<string, unknown> }> => {
      const res = await app.inject({ method, url, headers: token === undefined ? {} : { authorization: `Bearer ${token}` }, ...(payload === undefined ? {} : { payload }) })
      return { statusCode: res.statusCode, body: res.json(), headers: res.headers }
    }
    const routes: Array<[GuardedRoute, 'GET' | 'POST', string, Record<string, unknown>?]> = [
      ['GET /v1/users', 'GET', '/v1/users'],
      ['POST /v1/users', 'POST', '/v1/users', { name: 'mallory', role: 'operator', password: PASSWORD }],
      ['POST /v1/users/*', 'POST', '/v1/users/operator1/disable'],
      ['POST /v1/users/*', 'POST', '/v1/users/gone/enable'],
    ]
    for (const [route, method, url, payload] of routes) {
      const codes: Record<string, number> = {}
      for (const role of ROLES) if (role !== 'operator') codes[role] = (await send(method, url, tokens[role], payload)).statusCode
      codes.none = (await send(method, url, undefined, payload)).statusCode
      t.same(codes, { legal: 403, liaison: 403, auditor: 403, none: 401 }, `${method} ${url}: operators only`)
      t.same(ROUTE_ROLES[route], ['operator'])
    }
    t.same((await send('POST', '/v1/users/gone/enable', tokens.auditor)).body.message, 'role auditor may not use POST /v1/users/:name/enable; allowed: operator')
    t.equal(await db.selectFrom('app_user').select('name').where('name', '=', 'mallory').executeTakeFirst(), undefined, 'nobody was added by a refused request')

    const list = await send('GET', '/v1/users', tokens.operator)
    t.same(list.body.users.map((u: Record<string, unknown>) => [u.name, u.role, u.disabled_at === null]), [['auditor1', 'auditor', true], ['gone', 'auditor', false], ['legal1', 'legal', true], ['liaison1', 'liaison', true], ['operator1', 'operator', true]])
    t.same(Object.keys(list.body.users[0]).sort(), ['created_at', 'disabled_at', 'name', 'role'], 'no password hash')
    t.equal(list.headers['cache-control'], 'no-store')

    const given = await send('POST', '/v1/users', tokens.operator, { name: 'marko', role: 'auditor', password: 'a password of marko' })
    t.same([given.statusCode, given.body], [201, { user: { name: 'marko', role: 'auditor', created_at: '2026-11-25T12:00:00.000Z', disabled_at: null } }], 'a password given is not sent back')
    const made = await send('POST', '/v1/users', tokens.operator, { name: 'ana', role: 'liaison' })
    t.equal(made.statusCode, 201)
    t.match(made.body.password, /^[A-Za-z0-9_-]{20}$/, 'a generated password, shown once')
    t.equal(made.headers['cache-control'], 'no-store')
    t.equal((await loginAs('ana', made.body.password)).statusCode, 200, 'the new user logs in with it')
    t.equal((await loginAs('marko', 'a password of marko')).statusCode, 200)

    const refusals: Array<[Record<string, unknown>, number, string, string]> = [
      [{ name: 'ana', role: 'legal' }, 409, 'USER_EXISTS', 'user ana already exists; remove it first to add it again'],
      [{ name: 'Ana Novak', role: 'legal' }, 400, 'USER_NAME_INVALID', 'invalid user name "Ana Novak": 2-32 characters, lower-case letters, digits, \'.\', \'_\' or \'-\', starting with a letter'],
      [{ name: 'zoran', role: 'legal', password: 'short' }, 400, 'PASSWORD_WEAK', 'password too short: at least 12 characters (got 5)'],
      [{ name: 'zoran', role: 'admin' }, 400, 'FST_ERR_VALIDATION', 'body/role must be equal to constant'],
      [{ name: 'zoran', role: 'legal', disabled: true }, 400, 'FST_ERR_VALIDATION', 'body must NOT have additional properties'],
    ]
    for (const [payload, status, code, message] of refusals) {
      const r = await send('POST', '/v1/users', tokens.operator, payload)
      t.same([r.statusCode, r.body.code], [status, code], JSON.stringify(payload))
      t.match(r.body.message, message.startsWith('body') ? new RegExp(`^${message}`) : message)
    }

    const disabled = await send('POST', '/v1/users/ana/disable', tokens.operator)
    t.same([disabled.statusCode, disabled.body.changed, typeof disabled.body.user.disabled_at], [200, true, 'string'])
    t.equal((await loginAs('ana', made.body.password)).statusCode, 401, 'no login once disabled')
    t.same((await send('POST', '/v1/users/ana/disable', tokens.operator)).body.changed, false, 'disabling twice changes nothing')
    t.same((await send('POST', '/v1/users/operator1/disable', tokens.operator)).body, { statusCode: 409, code: 'USER_IS_SELF', error: 'Conflict', message: 'operator1 cannot disable their own account; another operator can, or dcimx user disable on the node' })
    t.equal((await send('GET', '/v1/me', tokens.operator)).statusCode, 200, 'and the operator is still logged in')
    t.same([(await send('POST', '/v1/users/nobody/enable', tokens.operator)).statusCode, (await send('POST', '/v1/users/Not%20A%20Name/enable', tokens.operator)).statusCode], [404, 400])
    const enabled = await send('POST', '/v1/users/ana/enable', tokens.operator)
    t.same([enabled.statusCode, enabled.body.changed, enabled.body.user.disabled_at], [200, true, null])
    t.equal((await loginAs('ana', made.body.password)).statusCode, 200, 'enabled: logs in again')

    const audit = (await listAudit(db)).filter(e => e.actor === 'ana' || e.actor === 'marko')
    t.same(audit.filter(e => e.event.startsWith('user_')).map(e => [e.event, e.actor, e.detail]), [
      ['user_added', 'marko', { role: 'auditor', by: 'operator1' }],
      ['user_added', 'ana', { role: 'liaison', by: 'operator1' }],
      ['user_disabled', 'ana', { role: 'liaison', by: 'operator1' }],
      ['user_enabled', 'ana', { role: 'liaison', by: 'operator1' }],
    ], 'audited as the command line does, with the operator who did it')
    const everything = JSON.stringify(await listAudit(db)) + JSON.stringify((await send('GET', '/v1/users', tokens.operator)).body)
    t.notOk(everything.includes(made.body.password) || everything.includes('a password of marko'), 'no password in the audit log or the list')
    await removeUser(db, clock, 'ana')
    await removeUser(db, clock, 'marko')

    // Nor in the node's log, at its most talkative, whatever the request: added, refused, generated.
    const lines: string[] = []
    const sink = new Writable({ write (chunk, _enc, cb) { lines.push(String(chunk)); cb() } })
    const logged = await buildApp({ ...node, clock, logger: createLogger({ level: 'trace', destination: sink }) })
    t.teardown(async () => { await logged.close() })
    const headers = { authorization: `Bearer ${tokens.operator}` }
    const secrets = ['a logged password 1', 'short!']
    t.equal((await logged.inject({ method: 'POST', url: '/v1/users', headers, payload: { name: 'vesna', role: 'legal', password: secrets[0] } })).statusCode, 201)
    t.equal((await logged.inject({ method: 'POST', url: '/v1/users', headers, payload: { name: 'vera', role: 'legal', password: secrets[1] } })).statusCode, 400)
    const generated = (await logged.inject({ method: 'POST', url: '/v1/users', headers, payload: { name: 'vid', role: 'legal' } })).json().password as string
    secrets.push(generated)
    t.ok(lines.length > 0, 'the node logged the requests')
    t.same(secrets.filter(p => lines.join('').includes(p)), [], 'no password in the log')
    await removeUser(db, clock, 'vesna')
    await removeUser(db, clock, 'vid')
  })

  t.test('alerts acknowledged over HTTP, by operators only, as dcimx alerts ack', async t => {
    const ack = async (payload: Record<string, unknown>, token?: string): Promise<{ statusCode: number, body: any }> => {
      const res = await app.inject({ method: 'POST', url: '/v1/alerts/ack', payload, headers: token === undefined ? {} : { authorization: `Bearer ${token}` } })
      return { statusCode: res.statusCode, body: res.json() }
    }
    const raise = async (peer: string): Promise<number> => Number((await db.insertInto('evidence').values({ peer, kind: 'gap', feed_seq: 7, detail: 'SEQ_GAP: entry 6 missing', objects: '[]', recorded_at: new Date(now) }).returning('id').executeTakeFirstOrThrow()).id)
    const open = async (): Promise<number[]> => (await db.selectFrom('evidence').select('id').where('acknowledged_at', 'is', null).orderBy('id').execute()).map(r => Number(r.id))
    const [a, b, c] = [await raise('HRV'), await raise('HRV'), await raise('MNE')]
    t.same(ROUTE_ROLES['POST /v1/alerts/ack'], ['operator'])
    t.same([await ack({ id: a }, tokens.legal), await ack({ id: a }, tokens.liaison), await ack({ id: a }, tokens.auditor), await ack({ id: a })].map(r => r.statusCode), [403, 403, 403, 401])
    t.same(await open(), [a, b, c], 'nothing acknowledged by a refused request')
    for (const bad of [{ id: 0 }, { id: 'x' }, { peer: 'hrv' }, { id: a, note: 'seen' }]) t.equal((await ack(bad, tokens.operator)).statusCode, 400, JSON.stringify(bad))
    t.same(await ack({ id: a }, tokens.operator), { statusCode: 200, body: { acknowledged: 1 } })
    t.same(await ack({ id: a }, tokens.operator), { statusCode: 200, body: { acknowledged: 0 } }, 'already acknowledged')
    t.same(await open(), [b, c])
    t.same((await ack({ peer: 'MNE' }, tokens.operator)).body, { acknowledged: 1 })
    t.same((await ack({}, tokens.operator)).body, { acknowledged: 1 }, 'without id or peer: every alert')
    t.same(await open(), [])
    t.equal(Number((await db.selectFrom('evidence').select(d => d.fn.countAll().as('n')).executeTakeFirstOrThrow()).n), 3, 'the evidence is kept')
  })

  t.test('tokens that are refused', async t => {
    const cases: Array<[string, string, string]> = [
      ['another secret', await hs256({}, { key: Buffer.alloc(32, 7) }), 'signature invalid'],
      ['another issuer', await hs256({}, { iss: 'HRV' }), 'The iss claim value is not allowed.'],
      ['another audience', await hs256({}, { aud: 'HRV' }), 'The aud claim value is not allowed.'],
      ['issued in the future', await hs256({}, { iat: NOW_S + 600, exp: NOW_S + 4200 }), 'issued in the future'],
      ['no user version', await hs256({ uv: undefined }), 'The uv claim is required.'],
      ['another role than the user has', await hs256({ role: 'auditor' }), 'user operator1 has been removed or disabled since the token was issued; log in again'],
      ['an unknown user', await hs256({ sub: 'nobody' }), 'user nobody has been removed or disabled since the token was issued; log in again'],
    ]
    const [h, p, s] = tokens.operator.split('.') as [string, string, string]
    const none = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')
    cases.push(['alg none, no signature', `${none}.${p}.`, 'unsigned'])
    cases.push(['alg none, the HS256 signature kept', `${none}.${p}.${s}`, 'not a user token of this node (only HS256 is accepted)'])
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p, 'base64url').toString()), role: 'auditor', sub: 'auditor1' })).toString('base64url')
    cases.push(['a payload altered', `${h}.${forged}.${s}`, 'signature invalid'])
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
    cases.push(['RS256', await new SignJWT({ sub: 'operator1', role: 'operator', uv: 'x' }).setProtectedHeader({ alg: 'RS256' }).setIssuer(self).setAudience(self).setIssuedAt(NOW_S).setExpirationTime(NOW_S + 60).sign(rsa.privateKey), 'not a user token of this node (only HS256 is accepted)'])
    // A peer token (node to node, EdDSA), even one this node signed for itself.
    const peer = await signPeerToken(node.signingKey, { issuer: self, audience: self, now: NOW_S, agreements: [] })
    cases.push(['a peer token', peer, 'not a user token of this node (only HS256 is accepted)'])
    cases.push(['not a JWT', 'abc.def', 'The token is malformed.'])
    for (const [what, token, message] of cases) {
      const r = await get('/v1/me', token)
      t.same([r.statusCode, r.body], [401, refusedToken(message)], what)
    }
    t.same((await get('/v1/me', await hs256({}))).body, { user: 'operator1', role: 'operator', node: 'SRB', routes: ['GET /v1/me', 'GET /v1/status', 'POST /v1/alerts/ack', 'GET /v1/audit', 'GET /v1/audit/verify', 'GET /v1/policy/matrix', 'GET /v1/policy/agreements', 'GET /v1/policy/diff', 'GET /v1/policy/preview', 'GET /v1/policy/lint', 'GET /v1/users', 'POST /v1/users', 'POST /v1/users/*', 'GET /v1/regional/*', 'POST /v1/import/*'] }, 'while the same claims, signed with the secret, pass')

    for (const header of ['Basic b3BlcmF0b3IxOnh4eA==', 'Bearer', `Bearer ${tokens.operator} extra`, `Token ${tokens.operator}`]) {
      const res = await app.inject({ url: '/v1/me', headers: { authorization: header } })
      t.same([res.statusCode, res.json().code, res.json().message], [401, 'USER_TOKEN_INVALID', 'the Authorization header must be "Bearer <token from POST /v1/login>"'], header.slice(0, 12))
    }
    const lower = await app.inject({ url: '/v1/me', headers: { authorization: `bearer ${tokens.operator}` } })
    t.equal(lower.statusCode, 200, 'the scheme is case-insensitive')
  })

  t.test('a token expires after an hour of the node\'s clock', async t => {
    now = TEST_NOW + 3599 * 1000
    t.equal((await get('/v1/me', tokens.auditor)).statusCode, 200)
    now = TEST_NOW + 3600 * 1000
    t.same((await get('/v1/me', tokens.auditor)).body, refusedToken('expired; log in again'))
    now = TEST_NOW
    t.equal((await get('/v1/me', tokens.auditor)).statusCode, 200, 'the node\'s clock decides, not the machine\'s')
  })

  t.test('removed and disabled users: tokens issued before are refused', async t => {
    await removeUser(db, clock, 'liaison1')
    t.same((await get('/v1/me', tokens.liaison)).body, refusedToken('user liaison1 has been removed or disabled since the token was issued; log in again'))
    await addUser(db, clock, { name: 'liaison1', role: 'liaison', password: PASSWORD })
    t.same((await get('/v1/me', tokens.liaison)).body, refusedToken('user liaison1 has been removed or disabled since the token was issued; log in again'), 'also once the name is added again')
    const fresh = await loginAs('liaison1')
    t.same((await get('/v1/me', fresh.body.token)).body, { user: 'liaison1', role: 'liaison', node: 'SRB', routes: ['GET /v1/me', 'GET /v1/regional/*'] }, 'a new login works')

    await db.updateTable('app_user').set({ disabled_at: new Date(now) }).where('name', '=', 'legal1').execute()
    t.same((await get('/v1/policy/matrix', tokens.legal)).body, refusedToken('user legal1 has been removed or disabled since the token was issued; log in again'))
    t.equal((await loginAs('legal1')).statusCode, 401)
  })

  t.test('disable and enable: tokens issued before the disable stay refused', async t => {
    const before = await loginAs('auditor1')
    t.equal(before.statusCode, 200)
    t.same((await setUserDisabled(db, clock, 'auditor1', true)).changed, true)
    const stale = refusedToken('user auditor1 has been removed or disabled since the token was issued; log in again')
    t.same((await get('/v1/me', before.body.token)).body, stale)
    t.equal((await loginAs('auditor1')).statusCode, 401, 'no login while disabled')
    t.same((await setUserDisabled(db, clock, 'auditor1', true)).changed, false, 'disabling twice changes nothing')
    t.same((await setUserDisabled(db, clock, 'auditor1', false)).changed, true)
    t.same((await get('/v1/me', before.body.token)).body, stale, 'enabled again: a token from before the disable is still refused')
    const after = await loginAs('auditor1')
    t.same((await get('/v1/me', after.body.token)).body, { user: 'auditor1', role: 'auditor', node: 'SRB', routes: ['GET /v1/me', 'GET /v1/status', 'GET /v1/audit', 'GET /v1/audit/verify'] }, 'a new login works')
    t.same((await listAudit(db)).filter(e => (e.event === 'user_disabled' || e.event === 'user_enabled') && e.actor === 'auditor1').map(e => [e.event, e.actor]), [['user_disabled', 'auditor1'], ['user_enabled', 'auditor1']])
    await t.rejects(setUserDisabled(db, clock, 'nobody', true), { code: 'USER_UNKNOWN' })
  })

  t.test('failed logins are throttled per user name and address', async t => {
    const from = async (remoteAddress: string, user: string, password: string): Promise<{ statusCode: number, code?: string, retry?: unknown }> => {
      const res = await app.inject({ method: 'POST', url: '/v1/login', payload: { user, password }, remoteAddress })
      return { statusCode: res.statusCode, code: res.json().code, retry: res.headers['retry-after'] }
    }
    const wrong = 'not the password at all'
    for (let i = 0; i < 5; i++) t.equal((await from('10.0.0.1', 'operator1', wrong)).statusCode, 401)
    t.same(await from('10.0.0.1', 'operator1', PASSWORD), { statusCode: 429, code: 'LOGIN_THROTTLED', retry: '900' }, 'the sixth attempt waits, even with the right password')
    t.equal((await from('10.0.0.2', 'operator1', PASSWORD)).statusCode, 200, 'another address is not held back')
    t.equal((await from('10.0.0.1', 'legal1', PASSWORD)).statusCode, 401, 'nor another user from that address (legal1 is disabled: 401, not 429)')
    now += 10 * 60_000
    t.same(await from('10.0.0.1', 'operator1', PASSWORD), { statusCode: 429, code: 'LOGIN_THROTTLED', retry: '300' }, 'five minutes left')
    now += 5 * 60_000
    t.equal((await from('10.0.0.1', 'operator1', PASSWORD)).statusCode, 200, 'after 15 minutes')
    for (let i = 0; i < 4; i++) await from('10.0.0.1', 'operator1', wrong)
    t.equal((await from('10.0.0.1', 'operator1', PASSWORD)).statusCode, 200, 'a success clears the count')
    for (let i = 0; i < 4; i++) t.equal((await from('10.0.0.1', 'operator1', wrong)).statusCode, 401, 'counting starts again from zero')
    now = TEST_NOW
  })

  t.test('another node\'s user token is refused', async t => {
    const other = await testApp(t, 'HRV', clock)
    await addUser(other.node.db.db, clock, { name: 'operator1', role: 'operator', password: PASSWORD })
    const res = await other.app.inject({ method: 'POST', url: '/v1/login', payload: { user: 'operator1', password: PASSWORD } })
    const foreign = res.json().token as string
    t.same((await get('/v1/me', foreign)).body, refusedToken('signature invalid'))
  })

  t.test('a node whose session secret others can read does not start', async t => {
    const file = join(node.config.home, 'keys', SESSION_SECRET_FILE)
    chmodSync(file, 0o640)
    await t.rejects(buildApp({ ...node, clock, logger: createLogger({ level: 'silent' }) }), { code: 'KEY_FILE_INSECURE' })
    chmodSync(file, 0o600)
  })
})
