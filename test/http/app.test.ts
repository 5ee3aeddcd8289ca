import t from 'tap'
import { keySetFromJwks } from '../../src/protocol/keys.js'
import { verifySigned } from '../../src/protocol/verify.js'
import { testApp } from '../helpers/app.js'
import { TEST_NOW } from '../helpers/node.js'

// Set-up and teardown belong to one parent test: tap may end the root early while it awaits.
t.test('the HTTP app of a node', async t => {
  let now = TEST_NOW
  const clock = { now: () => now }
  const { app, node } = await testApp(t, 'BIH', clock)

  t.test('health: liveness and readiness, nothing more', async t => {
    const res = await app.inject('/health')
    t.equal(res.statusCode, 200)
    t.same(res.json(), { status: 'ok', live: true, ready: true, node: 'BIH', protocol: 'dcim-exchange/1', time: '2026-11-25T12:00:00.000Z' })
    t.equal(res.headers['cache-control'], 'no-store')
  })

  t.test('JWKS and a descriptor that verifies against it', async t => {
    const jwksRes = await app.inject('/.well-known/jwks.json')
    t.equal(jwksRes.statusCode, 200)
    t.same(jwksRes.json(), { keys: [node.signingKey.publicJwk] })
    t.notMatch(jwksRes.body, /"d":/, 'no private key material')
    const res = await app.inject('/.well-known/dcim-node')
    t.equal(res.statusCode, 200)
    t.match(res.headers['content-type'], /^application\/jose\+json/)
    const v = verifySigned(res.json(), keySetFromJwks(jwksRes.json()), { now: TEST_NOW / 1000, expectedType: 'node-descriptor' })
    t.same(v.payload.node, { id: 'BIH', kind: 'country', name: 'Bosnia and Herzegovina', url: node.config.url })
    t.equal(v.payload.expires_at - v.payload.issued_at, 86400)

    const again = await app.inject('/.well-known/dcim-node')
    t.equal(again.body, res.body, 'the descriptor is cached')
    now += 13 * 3600 * 1000
    const later = await app.inject('/.well-known/dcim-node')
    t.not(later.body, res.body, 'and re-signed once half its lifetime has passed')
    t.equal(verifySigned(later.json(), keySetFromJwks(jwksRes.json()), { now: now / 1000 }).payload.issued_at, now / 1000)
    now = TEST_NOW
  })

  t.test('OpenAPI documentation lists the routes', async t => {
    const res = await app.inject('/openapi.json')
    t.equal(res.statusCode, 200)
    const doc = res.json()
    t.equal(doc.openapi, '3.1.0')
    t.same(Object.keys(doc.paths).sort(), ['/.well-known/dcim-node', '/.well-known/jwks.json', '/health', '/v1/alerts/ack', '/v1/audit', '/v1/audit/verify', '/v1/feed', '/v1/import/{kind}', '/v1/login', '/v1/me', '/v1/objects/{id}', '/v1/policy/agreements', '/v1/policy/diff', '/v1/policy/lint', '/v1/policy/matrix', '/v1/policy/preview', '/v1/regional/totals', '/v1/status', '/v1/users', '/v1/users/{name}/disable', '/v1/users/{name}/enable'])
    const ui = await app.inject('/docs/')
    t.equal(ui.statusCode, 200)
    t.match(ui.body, /swagger/i)
  })

  t.test('unknown routes get a JSON 404', async t => {
    const res = await app.inject('/nope?x=1')
    t.equal(res.statusCode, 404)
    t.same(res.json(), { statusCode: 404, code: 'NOT_FOUND', error: 'Not Found', message: 'no route GET /nope' })
  })

  t.test('health is 503 when the database is gone', async t => {
    await node.db.close()
    const res = await app.inject('/health')
    t.same([res.statusCode, res.json()], [503, { status: 'unavailable', live: true, ready: false, node: 'BIH', protocol: 'dcim-exchange/1', time: '2026-11-25T12:00:00.000Z' }])
  })
})
