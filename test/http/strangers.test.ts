// What a stranger can make the node do (issue 12, "Strangers and errors" (a)): refusals of
// unauthenticated callers are counted, one audit entry per window, not chained one by one;
// requests are limited per source address; behind a proxy named in http.trust_proxy, the login
// throttle tells the clients apart, so an attacker behind it does not lock real users out.
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import t, { type Test } from 'tap'
import { listAudit, verifyAuditLog } from '../../src/audit/log.js'
import { REFUSAL_WINDOW_MS, refusalCounter } from '../../src/audit/refusal-counter.js'
import { parseConfig } from '../../src/config.js'
import { buildApp } from '../../src/http/build-app.js'
import { LOGIN_RATE, PEER_RATE, rateLimiter } from '../../src/http/rate-limit.js'
import { createLogger } from '../../src/logger.js'
import { openNode, type OpenNode } from '../../src/node/home.js'
import { addUser } from '../../src/users/users.js'
import { testApp } from '../helpers/app.js'
import { makeHome, TEST_NOW } from '../helpers/node.js'

const PASSWORD = 'correct horse battery staple'
const WRONG = 'not the password at all'

/** A node whose config.json has `http` settings added. */
async function appWith (t: Test, http: Record<string, unknown>, clock: { now: () => number }): Promise<{ app: FastifyInstance, node: OpenNode }> {
  const r = await makeHome(t, 'SRB')
  const file = join(r.home, 'config.json')
  const config = JSON.parse(readFileSync(file, 'utf8'))
  writeFileSync(file, JSON.stringify({ ...config, http: { ...config.http, ...http } }))
  const node = await openNode({ home: r.home, env: r.databaseUrl === undefined ? {} : { DATABASE_URL: r.databaseUrl }, clock })
  const app = await buildApp({ ...node, clock, logger: createLogger({ level: 'silent' }) })
  t.teardown(async () => { await app.close(); await node.db.close() })
  return { app, node }
}

t.test('the rate limiter: max per address per sliding window', async t => {
  const limiter = rateLimiter({ max: 3, windowMs: 1000 })
  t.same([0, 1, 2].map(i => limiter.take('a', i)), [undefined, undefined, undefined])
  t.equal(limiter.take('a', 500), 500, 'the fourth waits until the first leaves the window')
  t.equal(limiter.take('b', 500), undefined, 'another address')
  t.equal(limiter.take('a', 1000), undefined, 'the first has left')
  const small = rateLimiter({ max: 1, windowMs: 1000 }, 2)
  small.take('x', 0)
  small.take('y', 0)
  small.take('z', 0)
  t.equal(small.take('x', 0), undefined, 'bounded: the oldest address was forgotten')
  const refunding = rateLimiter({ max: 2, windowMs: 1000 })
  for (let i = 0; i < 10; i++) {
    t.equal(refunding.take('peer', i), undefined)
    refunding.refund('peer')
  }
  t.same([refunding.take('peer', 10), refunding.take('peer', 10), refunding.take('peer', 10)], [undefined, undefined, 1000], 'requests handed back do not count')
})

t.test('http.trust_proxy in the configuration', async t => {
  const base = { node: { id: 'SRB', kind: 'country', name: 'Serbia' }, url: 'http://x', http: { host: '127.0.0.1', port: 0 }, database: { url: null }, log: { level: 'info' }, signing_key: 'a'.repeat(43) }
  for (const v of [true, false, 2, ['10.0.0.1', '10.1.0.0/16']]) t.doesNotThrow(() => parseConfig({ ...base, http: { ...base.http, trust_proxy: v } }, 'config.json'), JSON.stringify(v))
  for (const v of ['yes', 0, 11, []]) t.throws(() => parseConfig({ ...base, http: { ...base.http, trust_proxy: v } }, 'config.json'), { code: 'CONFIG_INVALID' }, JSON.stringify(v))
})

t.test('the refusal counter: one chained entry per window that saw refusals', async t => {
  let now = TEST_NOW
  const clock = { now: () => now }
  const { node } = await testApp(t, 'SRB', clock)
  const db = node.db.db
  const counter = refusalCounter({ db, clock })
  const before = (await listAudit(db, { limit: 1000 })).length
  for (let i = 0; i < 500; i++) await counter.count('peer_auth', 'TOKEN_MISSING', `10.0.${i % 3}.1`)
  await counter.count('login', 'unknown_user', '10.0.0.9')
  t.equal((await listAudit(db, { limit: 1000 })).length, before, 'nothing written while the window is open')
  now += REFUSAL_WINDOW_MS
  await counter.count('peer_auth', 'TOKEN_INVALID', '10.0.0.1')
  const written = (await listAudit(db, { limit: 1000 })).slice(before)
  const windowFrom = TEST_NOW - (TEST_NOW % REFUSAL_WINDOW_MS)
  t.same(written.map(e => [e.event, e.actor, e.detail]), [['refusals_counted', 'unauthenticated', {
    window_from: new Date(windowFrom).toISOString(),
    window_to: new Date(windowFrom + REFUSAL_WINDOW_MS).toISOString(),
    counts: [{ kind: 'login', reason: 'unknown_user', count: 1 }, { kind: 'peer_auth', reason: 'TOKEN_MISSING', count: 500 }],
    addresses: 4,
  }]], 'one entry for 501 refusals')
  await counter.flush()
  await counter.flush()
  const all = (await listAudit(db, { limit: 1000 })).slice(before)
  t.same(all.map(e => (e.detail as { counts: unknown }).counts), [
    [{ kind: 'login', reason: 'unknown_user', count: 1 }, { kind: 'peer_auth', reason: 'TOKEN_MISSING', count: 500 }],
    [{ kind: 'peer_auth', reason: 'TOKEN_INVALID', count: 1 }],
  ], 'flush writes the open window once; an empty window writes nothing')
  t.equal((await verifyAuditLog(db)).broken, null, 'the chain holds')
})

t.test('strangers at /v1/feed and /v1/login: counted, not chained; limited per address', async t => {
  let now = TEST_NOW
  const clock = { now: () => now }
  const { app, node } = await testApp(t, 'SRB', clock)
  const db = node.db.db
  await addUser(db, clock, { name: 'ana', role: 'operator', password: PASSWORD })
  const audited = async (): Promise<number> => (await listAudit(db, { limit: 5000 })).length
  const before = await audited()
  const feed = async (remoteAddress: string, authorization?: string): Promise<string> => {
    const res = await app.inject({ url: '/v1/feed?after=0', remoteAddress, headers: authorization === undefined ? {} : { authorization } })
    return `${res.statusCode} ${res.json().code as string}${res.headers['retry-after'] === undefined ? '' : ` retry ${String(res.headers['retry-after'])}`}`
  }
  // Before: each of these was a chained `refusal` entry, written under the node-wide audit lock.
  const first = await Promise.all(Array.from({ length: 100 }, async (_, i) => await feed('203.0.113.1', i % 2 === 0 ? undefined : 'Bearer not.a.token')))
  t.same([first.filter(c => c === '401 TOKEN_MISSING').length, first.filter(c => c === '401 TOKEN_INVALID').length], [50, 50])
  const second = await Promise.all(Array.from({ length: PEER_RATE.max + 30 }, async () => await feed('203.0.113.2')))
  t.same([second.filter(c => c === '401 TOKEN_MISSING').length, second.filter(c => c === '429 RATE_LIMITED retry 60').length], [PEER_RATE.max, 30], `${PEER_RATE.max} per minute from one address, then 429 RATE_LIMITED with Retry-After`)
  t.equal(await feed('203.0.113.3'), '401 TOKEN_MISSING', 'another address is not held back')

  // Logins for names that are nobody's cost a scrypt, but no audit entry; 30 per minute per address.
  const logins = []
  for (let i = 0; i < LOGIN_RATE.max + 5; i++) {
    const res = await app.inject({ method: 'POST', url: '/v1/login', payload: { user: `nobody${i}`, password: WRONG }, remoteAddress: '203.0.113.4' })
    logins.push(`${res.statusCode} ${res.json().code as string}`)
  }
  t.same([logins.filter(c => c === '401 LOGIN_FAILED').length, logins.filter(c => c === '429 RATE_LIMITED').length], [LOGIN_RATE.max, 5])
  t.equal(await audited(), before, 'not one audit entry for 286 refusals of strangers')
  t.same(app.refusals.current().counts, [
    { kind: 'login', reason: 'unknown_user', count: LOGIN_RATE.max },
    { kind: 'peer_auth', reason: 'TOKEN_INVALID', count: 50 },
    { kind: 'peer_auth', reason: 'TOKEN_MISSING', count: 50 + PEER_RATE.max + 1 },
    { kind: 'rate_limit', reason: 'login', count: 5 },
    { kind: 'rate_limit', reason: 'peer', count: 30 },
  ])
  t.equal(app.refusals.current().addresses, 4)
  // Real logins from one address (users behind one gateway) are handed back: never limited.
  for (let i = 0; i < LOGIN_RATE.max + 10; i++) {
    const res = await app.inject({ method: 'POST', url: '/v1/login', payload: { user: 'ana', password: PASSWORD }, remoteAddress: '192.0.2.10' })
    if (res.statusCode !== 200) t.fail(`login ${i}: ${res.statusCode}`)
  }
  t.equal(await audited(), before + LOGIN_RATE.max + 10, `${LOGIN_RATE.max + 10} logins, each audited`)
  // A wrong password for a real user is still chained, for the auditor.
  await app.inject({ method: 'POST', url: '/v1/login', payload: { user: 'ana', password: WRONG }, remoteAddress: '203.0.113.5' })
  t.equal(await audited(), before + LOGIN_RATE.max + 11)
  t.same((await listAudit(db, { newest: true, limit: 1 }))[0]!.detail, { reason: 'wrong_password' })
  // The window turns: its counts become one entry.
  now += REFUSAL_WINDOW_MS
  t.equal(await feed('203.0.113.1'), '401 TOKEN_MISSING')
  const last = (await listAudit(db, { newest: true, limit: 1 }))[0]!
  t.same([await audited(), last.event, (last.detail as { addresses: number }).addresses], [before + LOGIN_RATE.max + 12, 'refusals_counted', 4])
  t.equal((await verifyAuditLog(db)).broken, null)
})

t.test('behind a proxy: the login throttle per client, with http.trust_proxy', async t => {
  const clock = { now: () => TEST_NOW }
  const proxy = '10.0.0.1'
  const via = async (app: FastifyInstance, client: string, password: string): Promise<string> => {
    const res = await app.inject({ method: 'POST', url: '/v1/login', payload: { user: 'ana', password }, remoteAddress: proxy, headers: { 'x-forwarded-for': client } })
    return `${res.statusCode}${res.statusCode === 200 ? '' : ` ${res.json().code as string}`}`
  }
  const trusting = await appWith(t, { trust_proxy: [proxy] }, clock)
  await addUser(trusting.node.db.db, clock, { name: 'ana', role: 'operator', password: PASSWORD })
  for (let i = 0; i < 5; i++) t.equal(await via(trusting.app, '203.0.113.66', WRONG), '401 LOGIN_FAILED')
  t.equal(await via(trusting.app, '203.0.113.66', PASSWORD), '429 LOGIN_THROTTLED', 'the attacker behind the proxy is throttled')
  t.equal(await via(trusting.app, '198.51.100.7', PASSWORD), '200', 'ana, behind the same proxy, logs in')
  const spoofed = await trusting.app.inject({ method: 'POST', url: '/v1/login', payload: { user: 'ana', password: WRONG }, remoteAddress: '203.0.113.66', headers: { 'x-forwarded-for': '192.0.2.1' } })
  t.same([spoofed.statusCode, spoofed.json().code], [429, 'LOGIN_THROTTLED'], 'X-Forwarded-For from an address that is not the proxy is ignored')

  // Without it every client behind the proxy is the proxy: the attacker locks ana out.
  const { app, node } = await appWith(t, {}, clock)
  await addUser(node.db.db, clock, { name: 'ana', role: 'operator', password: PASSWORD })
  for (let i = 0; i < 5; i++) await via(app, `203.0.113.${i}`, WRONG)
  t.equal(await via(app, '198.51.100.7', PASSWORD), '429 LOGIN_THROTTLED', 'without http.trust_proxy: locked out (hence the setting)')
  for (let i = 0; i < 5; i++) await app.inject({ method: 'POST', url: '/v1/login', payload: { user: 'bob', password: WRONG }, remoteAddress: '203.0.113.9', headers: { 'x-forwarded-for': `192.0.2.${i}` } })
  const evading = await app.inject({ method: 'POST', url: '/v1/login', payload: { user: 'bob', password: WRONG }, remoteAddress: '203.0.113.9', headers: { 'x-forwarded-for': '192.0.2.99' } })
  t.equal(evading.statusCode, 429, 'and a forged X-Forwarded-For does not evade the throttle')
})
