// The edge of the HTTP API, issue 12 (g): what the HTTP parser refuses is answered with a code;
// the Bearer scheme is read alike, in any case, by peer and user routes; a user token that
// claims a longer life than the node issues is refused even when signed with the node's secret.
import { readFileSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { join } from 'node:path'
import { SignJWT } from 'jose'
import t from 'tap'
import { buildApp } from '../../src/http/build-app.js'
import { loadSessionSecret } from '../../src/http/plugins/auth.js'
import { createLogger } from '../../src/logger.js'
import { openNode } from '../../src/node/home.js'
import { addUser, userVersion } from '../../src/users/users.js'
import { testApp } from '../helpers/app.js'
import { makeHome, TEST_NOW, testClock } from '../helpers/node.js'

const PASSWORD = 'correct horse battery staple'
const NOW_S = TEST_NOW / 1000

/** Sends raw bytes and reads the whole answer (the node closes the connection). */
async function raw (port: number, request: string): Promise<{ status: number, headers: string, body: unknown }> {
  const socket = connect(port, '127.0.0.1')
  socket.on('error', () => {})
  socket.end(request)
  let text = ''
  for await (const chunk of socket) text += String(chunk)
  const [head, body] = [text.slice(0, text.indexOf('\r\n\r\n')), text.slice(text.indexOf('\r\n\r\n') + 4)]
  return { status: Number(head.split(' ')[1]), headers: head, body: JSON.parse(body) }
}

t.test('the HTTP edge', async t => {
  const { app, node } = await testApp(t, 'SRB')
  const db = node.db.db
  await addUser(db, testClock, { name: 'op', role: 'operator', password: PASSWORD })
  const token = (await app.inject({ method: 'POST', url: '/v1/login', payload: { user: 'op', password: PASSWORD } })).json().token as string
  const me = async (authorization?: string): Promise<[number, string | undefined]> => {
    const res = await app.inject({ url: '/v1/me', headers: authorization === undefined ? {} : { authorization } })
    return [res.statusCode, res.statusCode === 200 ? res.json().user : res.json().code]
  }
  const feed = async (authorization?: string): Promise<[number, string]> => {
    const res = await app.inject({ url: '/v1/feed?after=0', headers: authorization === undefined ? {} : { authorization } })
    return [res.statusCode, res.json().code]
  }

  t.test('parser-level refusals are JSON with a code', async t => {
    await app.listen({ host: '127.0.0.1', port: 0 })
    const port = (app.server.address() as { port: number }).port
    const malformed = await raw(port, 'GARBAGE\r\n\r\n')
    t.same([malformed.status, malformed.body], [400, { statusCode: 400, code: 'REQUEST_MALFORMED', error: 'Bad Request', message: 'the request is not well-formed HTTP/1.1' }])
    t.match(malformed.headers, /content-type: application\/json/i)
    const tooLarge = await raw(port, `GET /health HTTP/1.1\r\nHost: x\r\nX-Pad: ${'a'.repeat(20_000)}\r\n\r\n`)
    t.same([tooLarge.status, tooLarge.body], [431, { statusCode: 431, code: 'HEADERS_TOO_LARGE', error: 'Request Header Fields Too Large', message: 'the request headers are larger than the node accepts' }])
    const badLine = await raw(port, 'GET /health HTTP/9.9\r\nHost: x\r\n\r\n')
    t.same([badLine.status, (badLine.body as { code: string }).code], [400, 'REQUEST_MALFORMED'])
  })

  t.test('Bearer in any case, one or more spaces, on user and peer routes alike', async t => {
    for (const scheme of ['Bearer', 'bearer', 'BEARER', 'bEaReR']) {
      t.same(await me(`${scheme} ${token}`), [200, 'op'], `${scheme}: a user route`)
      // Before, the feed took only "Bearer ": any other case was a missing token.
      t.same(await feed(`${scheme} not.a.token`), [401, 'TOKEN_INVALID'], `${scheme}: the feed reads the token`)
    }
    t.same(await me(`Bearer   ${token}`), [200, 'op'], 'several spaces')
    t.same(await feed('Bearer   not.a.token'), [401, 'TOKEN_INVALID'])
    for (const header of ['Basic b3A6cGFzc3dvcmQ=', 'Bearer', 'Bearertoken', `Token ${token}`, `Bearer ${token} extra`]) {
      t.same(await me(header), [401, 'USER_TOKEN_INVALID'], `user route: ${header.slice(0, 20)}`)
      t.same(await feed(header), [401, 'TOKEN_MISSING'], `feed: ${header.slice(0, 20)}`)
    }
    t.same(await me(), [401, 'USER_TOKEN_MISSING'])
    t.same(await feed(), [401, 'TOKEN_MISSING'])
  })

  t.test('a user token living longer than the node issues is refused, though signed with its secret', async t => {
    const secret = loadSessionSecret(node.config.home)
    const row = await db.selectFrom('app_user').select('password_hash').where('name', '=', 'op').executeTakeFirstOrThrow()
    const forge = async (lifetime: number): Promise<string> => await new SignJWT({ sub: 'op', role: 'operator', uv: userVersion(row.password_hash) })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuer('SRB').setAudience('SRB').setIssuedAt(NOW_S).setExpirationTime(NOW_S + lifetime).sign(secret)
    t.same(await me(`Bearer ${await forge(3600)}`), [200, 'op'], 'an hour: what the node issues')
    const tenYears = await app.inject({ url: '/v1/me', headers: { authorization: `Bearer ${await forge(10 * 365 * 86400)}` } })
    t.same([tenYears.statusCode, tenYears.json().code, tenYears.json().message], [401, 'USER_TOKEN_INVALID', 'user token refused: it claims to live 315360000 s; this node issues tokens for at most 3600 s'])
    t.same(await me(`Bearer ${await forge(3601)}`), [401, 'USER_TOKEN_INVALID'], 'a second more')
  })
})

t.test('http.session_lifetime_s: tokens issued for it, longer ones refused', async t => {
  const r = await makeHome(t, 'SRB')
  const file = join(r.home, 'config.json')
  const config = JSON.parse(readFileSync(file, 'utf8'))
  writeFileSync(file, JSON.stringify({ ...config, http: { ...config.http, session_lifetime_s: 600 } }))
  const node = await openNode({ home: r.home, env: r.databaseUrl === undefined ? {} : { DATABASE_URL: r.databaseUrl }, clock: testClock })
  const app = await buildApp({ ...node, clock: testClock, logger: createLogger({ level: 'silent' }) })
  t.teardown(async () => { await app.close(); await node.db.close() })
  await addUser(node.db.db, testClock, { name: 'op', role: 'operator', password: PASSWORD })
  const login = await app.inject({ method: 'POST', url: '/v1/login', payload: { user: 'op', password: PASSWORD } })
  t.equal(login.json().expires_at, new Date(TEST_NOW + 600_000).toISOString())
  const secret = loadSessionSecret(r.home)
  const row = await node.db.db.selectFrom('app_user').select('password_hash').where('name', '=', 'op').executeTakeFirstOrThrow()
  const hour = await new SignJWT({ sub: 'op', role: 'operator', uv: userVersion(row.password_hash) })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuer('SRB').setAudience('SRB').setIssuedAt(NOW_S).setExpirationTime(NOW_S + 3600).sign(secret)
  const res = await app.inject({ url: '/v1/me', headers: { authorization: `Bearer ${hour}` } })
  t.same([res.statusCode, res.json().message], [401, 'user token refused: it claims to live 3600 s; this node issues tokens for at most 600 s'])
})
