// Real processes: `dcimx init` + `dcimx serve`, checked from outside by an independent
// implementation of the signing rules (jose plus a JCS check written here).
import { createHash } from 'node:crypto'
import { createServer, type AddressInfo, type Server } from 'node:net'
import { join } from 'node:path'
import { flattenedVerify, importJWK } from 'jose'
import t from 'tap'
import { POSTGRES_URL, freshDatabaseUrl } from '../helpers/db.js'
import { cli, serve, spawnCli } from '../helpers/cli.js'
import { makeHome, tempDir } from '../helpers/node.js'

function jcs (v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(jcs).join(',')}]`
  if (v !== null && typeof v === 'object') {
    return `{${Object.keys(v).sort().map(k => `${JSON.stringify(k)}:${jcs((v as Record<string, unknown>)[k])}`).join(',')}}`
  }
  return JSON.stringify(v)
}

// Set-up and teardown belong to one parent test: tap may end the root early while it awaits.
t.test('a node served by dcimx serve', async t => {
  const url = await freshDatabaseUrl(t)
  const env: Record<string, string> = url === undefined ? {} : { DATABASE_URL: url }
  const home = join(tempDir(t), 'xkx')
  const init = await spawnCli(['init', '--country', 'XKX', '--home', home, '--port', '0'], env)
  t.equal(init.status, 0, init.stderr)

  const node = await serve(t, ['--home', home], env)

  t.test('the served descriptor verifies with an independent implementation', async t => {
    const jwks = await (await fetch(`${node.url}/.well-known/jwks.json`)).json() as { keys: Array<Record<string, string>> }
    const res = await fetch(`${node.url}/.well-known/dcim-node`)
    t.equal(res.status, 200)
    t.equal(res.headers.get('content-type'), 'application/jose+json; charset=utf-8')
    const signed = await res.json() as { protected: string, payload: string, signature: string }
    t.same(Object.keys(signed).sort(), ['payload', 'protected', 'signature'], 'flattened JWS, no unprotected header')
    const header = JSON.parse(Buffer.from(signed.protected, 'base64url').toString())
    t.same(header, { alg: 'EdDSA', kid: jwks.keys[0]!.kid, typ: 'node-descriptor' })
    const jwk = jwks.keys.find(k => k.kid === header.kid)!
    const { payload } = await flattenedVerify(signed, await importJWK(jwk, 'EdDSA'), { algorithms: ['EdDSA'] })
    const text = new TextDecoder().decode(payload)
    const body = JSON.parse(text)
    t.equal(jcs(body), text, 'payload is RFC 8785 canonical')
    t.equal(body.protocol, 'dcim-exchange/1')
    t.same(body.node, { id: 'XKX', kind: 'country', name: 'Kosovo', url: node.url })
    t.equal(body.issuer, 'XKX')
    t.ok(body.expires_at > body.issued_at)
    // RFC 7638 thumbprint recomputed here from the JWK members.
    const tp = createHash('sha256').update(`{"crv":"Ed25519","kty":"OKP","x":"${jwk.x}"}`).digest('base64url')
    t.equal(jwk.kid, tp)

    const v = await spawnCli(['verify', `${node.url}/.well-known/dcim-node`, '--jwks', `${node.url}/.well-known/jwks.json`])
    t.equal(v.status, 0, v.stderr)
    t.match(v.stdout, /^valid: node descriptor of XKX \(Kosovo, country\) at http:\/\/127\.0\.0\.1:\d+ with 1 key\(s\); issued by XKX/)
  })

  t.test('a port in use is one line and exit status 1', async t => {
    const blocker: Server = createServer()
    await new Promise<void>(resolve => blocker.listen(0, '127.0.0.1', resolve))
    t.teardown(() => { blocker.close() })
    const port = (blocker.address() as AddressInfo).port
    // In-process this time: the same command code, without two more process start-ups.
    const other = await makeHome(t, 'MNE')
    const r = await cli(['serve', '--home', other.home, '--port', String(port)], { env: other.databaseUrl === undefined ? {} : { DATABASE_URL: other.databaseUrl } })
    t.same([r.status, r.stderr], [1, `dcimx: port ${port} on 127.0.0.1 is already in use; choose another with --port\n`])
  })

  t.test('a second process on the same embedded database is refused', { skip: POSTGRES_URL !== undefined && 'PostgreSQL serves many processes' }, async t => {
    const r = await spawnCli(['serve', '--home', home, '--port', '0'])
    t.same([r.status, r.stderr], [1, `dcimx: the database in ${join(home, 'db')} is in use by another dcimx process\n`])
  })

  t.test('SIGTERM shuts the node down gracefully', async t => {
    const code = await node.stop('SIGTERM')
    t.equal(code, 0)
    t.match(node.stderr(), /SIGTERM received, shutting down\ndcimx: stopped\n$/)
  })
})
