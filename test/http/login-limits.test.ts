// Limits on what an unauthenticated caller can make the node do at POST /v1/login (issue 12,
// "Strangers and errors"): password checks counted before the hash; small bodies, their JSON
// depth bounded before parsing.
import t from 'tap'
import { listAudit } from '../../src/audit/log.js'
import { jsonDepth, MAX_JSON_DEPTH } from '../../src/http/plugins/json-body.js'
import { LOGIN_BODY_BYTES } from '../../src/http/routes/session.js'
import { LOGIN_MAX_FAILURES, LOGIN_WINDOW_MS, loginThrottle } from '../../src/users/throttle.js'
import { addUser } from '../../src/users/users.js'
import { testApp } from '../helpers/app.js'
import { TEST_NOW } from '../helpers/node.js'

const PASSWORD = 'correct horse battery staple'
const WRONG = 'not the password at all'

t.test('the throttle counts a check when it is taken', async t => {
  const throttle = loginThrottle()
  for (let i = 0; i < LOGIN_MAX_FAILURES; i++) t.equal(throttle.take('a\nu', 1000 + i), undefined, `check ${i + 1}`)
  t.equal(throttle.take('a\nu', 2000), 1000 + LOGIN_WINDOW_MS - 2000, 'the sixth waits until the first leaves the window')
  t.equal(throttle.take('b\nu', 2000), undefined, 'another address')
  t.equal(throttle.take('a\nv', 2000), undefined, 'another name')
  t.equal(throttle.take('a\nu', 1000 + LOGIN_WINDOW_MS), undefined, 'once the first has left the window')
  throttle.succeeded('a\nu')
  for (let i = 0; i < LOGIN_MAX_FAILURES; i++) t.equal(throttle.take('a\nu', 3000), undefined, 'a success cleared the count')
  const small = loginThrottle({ maxKeys: 2 })
  small.take('x', 0)
  small.take('y', 0)
  small.take('z', 0)
  t.equal(small.take('x', 0), undefined, 'bounded: the oldest key was forgotten')
})

t.test('forty wrong passwords at once: five are checked', async t => {
  let now = TEST_NOW
  const clock = { now: () => now }
  const { app, node } = await testApp(t, 'SRB', clock)
  const db = node.db.db
  await addUser(db, clock, { name: 'ana', role: 'operator', password: PASSWORD })
  const attempt = async (password: string, remoteAddress = '10.0.0.1'): Promise<number> =>
    (await app.inject({ method: 'POST', url: '/v1/login', payload: { user: 'ana', password }, remoteAddress })).statusCode
  const before = (await listAudit(db, { limit: 1000 })).filter(e => e.event === 'login_refused').length
  const answers = await Promise.all(Array.from({ length: 40 }, async () => await app.inject({ method: 'POST', url: '/v1/login', payload: { user: 'ana', password: WRONG }, remoteAddress: '10.0.0.1' })))
  const codes = answers.map(res => `${res.statusCode} ${res.json().code as string}`)
  const tally = (code: string): number => codes.filter(c => c === code).length
  t.same([tally('401 LOGIN_FAILED'), tally('429 LOGIN_THROTTLED'), tally('429 RATE_LIMITED')], [5, 25, 10], 'five checked; the rest refused unchecked (30 per address per minute reach the throttle)')
  const refusals = (await listAudit(db, { limit: 1000 })).filter(e => e.event === 'login_refused').length - before
  t.equal(refusals, 5, 'five checks audited')
  t.equal(await attempt(PASSWORD), 429, 'the right password now waits too')
  t.equal(await attempt(PASSWORD, '10.0.0.2'), 200, 'ana from elsewhere is not held back')
  now += LOGIN_WINDOW_MS
  t.equal(await attempt(PASSWORD), 200, 'after the window')
})

t.test('jsonDepth counts brackets outside strings', async t => {
  t.equal(jsonDepth('{"user":"a","password":"b"}'), 1)
  t.equal(jsonDepth('[[[]],[{"a":[1]}]]'), 4)
  t.equal(jsonDepth('{"password":"[[[[{{{{\\"[[["}'), 1, 'brackets in strings, escaped quotes')
  t.equal(jsonDepth('['.repeat(1000), 40), 41, 'stops once past the limit')
  t.equal(jsonDepth(''), 0)
})

t.test('bodies at /v1/login: small, and not nested deep', async t => {
  const { app, node } = await testApp(t, 'SRB')
  const db = node.db.db
  await addUser(db, { now: () => TEST_NOW }, { name: 'ana', role: 'operator', password: PASSWORD })
  const audited = async (): Promise<number> => (await listAudit(db, { limit: 1000 })).length
  const entries = await audited()
  const post = async (payload: string): Promise<[number, string]> => {
    const res = await app.inject({ method: 'POST', url: '/v1/login', headers: { 'content-type': 'application/json' }, payload })
    return [res.statusCode, res.json().code]
  }
  // The attack was 28 MB of brackets; 100 KB is past every limit and proves the same.
  t.same(await post('['.repeat(100_000)), [413, 'BODY_TOO_LARGE'], '100 KB of brackets: refused as it arrives')
  t.same(await post('['.repeat(LOGIN_BODY_BYTES)), [400, 'JSON_TOO_DEEP'], 'brackets within the size limit: refused before parsing')
  const nested = (depth: number): string => `{"user":"ana","password":${'['.repeat(depth - 1)}${']'.repeat(depth - 1)}}`
  t.same(await post(nested(MAX_JSON_DEPTH + 1)), [400, 'JSON_TOO_DEEP'], `${MAX_JSON_DEPTH + 1} levels`)
  t.same(await post(nested(MAX_JSON_DEPTH)), [400, 'FST_ERR_VALIDATION'], `${MAX_JSON_DEPTH} levels are parsed (and fail the schema)`)
  t.same(await post(JSON.stringify({ user: 'ana', password: '['.repeat(1000) })), [401, 'LOGIN_FAILED'], 'brackets inside a string are text')
  t.same(await post(`{"user":"ana","password":"${'\\u00e9'.repeat(1024)}"}`), [401, 'LOGIN_FAILED'], 'the longest password, every character escaped, fits')
  t.equal(await audited(), entries + 2, 'only the two checked passwords were audited')
  const ok = await app.inject({ method: 'POST', url: '/v1/login', payload: { user: 'ana', password: PASSWORD } })
  t.equal(ok.statusCode, 200, 'a real login still works')
})
