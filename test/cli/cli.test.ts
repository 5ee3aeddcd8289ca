import { chmodSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer, type AddressInfo } from 'node:net'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { signMessage } from '../../src/protocol/jws.js'
import { jwksOf } from '../../src/protocol/keys.js'
import { keyFile } from '../../src/node/key-store.js'
import { sampleRelease, VECTOR_NOW, vectorKey } from '../../scripts/vectors.js'
import { cli } from '../helpers/cli.js'
import { freshDatabaseUrl, LATEST_MIGRATION } from '../helpers/db.js'
import { tempDir } from '../helpers/node.js'

const dbEnv = async (t: Test): Promise<Record<string, string>> => {
  const url = await freshDatabaseUrl(t)
  return url === undefined ? {} : { DATABASE_URL: url }
}

t.test('init, migrate, and their errors', async t => {
  const env = await dbEnv(t)
  const home = join(tempDir(t), 'srb')
  const r = await cli(['init', '--country', 'SRB', '--home', home, '--port', '7444'], { env })
  t.equal(r.status, 0, r.stderr)
  t.match(r.stdout, /^created node SRB \(Serbia\) in /)
  t.match(r.stdout, /public URL {3}http:\/\/127\.0\.0\.1:7444\n/)
  t.same(JSON.parse(readFileSync(join(home, 'config.json'), 'utf8')).http, { host: '127.0.0.1', port: 7444 })

  const m = await cli(['migrate', '--home', home], { env })
  t.same([m.status, m.stdout], [0, `database (${env.DATABASE_URL === undefined ? 'pglite' : 'postgres'}) is up to date at ${LATEST_MIGRATION}\n`])

  const fromEnv = await cli(['migrate'], { env: { ...env, DCIMX_HOME: home } })
  t.same([fromEnv.status, fromEnv.stdout], [0, m.stdout], '--home defaults to $DCIMX_HOME')
  const other = join(tempDir(t), 'none')
  const both = await cli(['migrate', '--home', other], { env: { ...env, DCIMX_HOME: home } })
  t.same([both.status, both.stderr], [1, `dcimx: ${other} is not a node home (no config.json); create one with "dcimx init"\n`], '--home given wins over $DCIMX_HOME')

  const again = await cli(['init', '--country', 'SRB', '--home', home])
  t.same([again.status, again.stderr], [1, `dcimx: ${home} already exists and is not empty; choose a new folder\n`])

  const badCountry = await cli(['init', '--country', 'ZZZ', '--home', join(tempDir(t), 'x')])
  t.equal(badCountry.status, 1)
  t.equal(badCountry.stderr, 'dcimx: "ZZZ" is not an ISO 3166-1 alpha-3 country code; use an ISO 3166-1 alpha-3 country code (SRB, AUT, DEU ...; XKX for Kosovo), or a liaison identifier of 4-16 capital letters (EUROPOL, SELEC)\n')

  const badPort = await cli(['init', '--country', 'SRB', '--home', join(tempDir(t), 'y'), '--port', '99999'])
  t.equal(badPort.status, 2)
  t.match(badPort.stderr, /^dcimx: option '--port <port>' argument '99999' is invalid\. must be a whole number from 0 to 65535\n/)

  const missing = await cli(['migrate', '--home', join(home, 'nope')])
  t.same([missing.status, missing.stderr], [1, `dcimx: ${join(home, 'nope')} is not a node home (no config.json); create one with "dcimx init"\n`])

  const noHome = await cli(['serve'])
  t.equal(noHome.status, 2)
  t.match(noHome.stderr, /^dcimx: required option '--home <dir>' not specified\n/)

  const unknown = await cli(['frobnicate'])
  t.equal(unknown.status, 2)
  t.match(unknown.stderr, /^dcimx: unknown command 'frobnicate'/)

  const help = await cli(['--help'])
  t.equal(help.status, 0)
  t.match(help.stdout, /Usage: dcimx/)
})

t.test('serve refuses an insecure key file with one line', async t => {
  const env = await dbEnv(t)
  const home = join(tempDir(t), 'hrv')
  t.equal((await cli(['init', '--country', 'HRV', '--home', home], { env })).status, 0)
  const kid = JSON.parse(readFileSync(join(home, 'config.json'), 'utf8')).signing_key
  chmodSync(keyFile(home, kid), 0o644)
  const r = await cli(['serve', '--home', home], { env })
  t.same([r.status, r.stderr], [1, `dcimx: ${keyFile(home, kid)}: key file is readable by group or others (mode 644); run chmod 600 on it\n`])
})

t.test('verify prints what an object is, who signed it, and the verdict', async t => {
  const dir = tempDir(t)
  const key = vectorKey('SRB-1', 'SRB')
  const jwks = join(dir, 'jwks.json')
  writeFileSync(jwks, JSON.stringify(jwksOf([key])))
  const signed = signMessage('release', sampleRelease(), key)
  const good = join(dir, 'release.json')
  writeFileSync(good, JSON.stringify(signed.jws))

  const ok = await cli(['verify', good, '--jwks', jwks, '--at', '2026-11-25T00:00:00Z'])
  t.same([ok.status, ok.stderr], [0, ''])
  t.equal(ok.stdout, `valid: release #2 for HRV: V1 2025, 6 cells; issued by SRB with key ${key.kid}; issued 2026-11-24T23:00:00Z, expires 2026-12-02T00:00:00Z; id ${signed.id}\n`)

  const json = await cli(['verify', good, '--jwks', jwks, '--at', String(VECTOR_NOW), '--json'])
  t.same(JSON.parse(json.stdout), { valid: true, type: 'release', id: signed.id, issuer: 'SRB', kid: key.kid, issued_at: VECTOR_NOW - 3600, expires_at: VECTOR_NOW + 7 * 86400 })

  const expired = await cli(['verify', good, '--jwks', jwks, '--at', '2027-01-01T00:00:00Z'])
  t.same([expired.status, expired.stdout], [1, 'invalid: EXPIRED: expired at 2026-12-02T00:00:00Z (now 2027-01-01T00:00:00Z)\n'])

  const tampered = join(dir, 'tampered.json')
  writeFileSync(tampered, JSON.stringify({ ...signed.jws, signature: 'A' + signed.jws.signature.slice(1) }))
  const bad = await cli(['verify', tampered, '--jwks', jwks, '--at', String(VECTOR_NOW), '--json'])
  t.same([bad.status, JSON.parse(bad.stdout)], [1, { valid: false, code: 'SIGNATURE_INVALID', message: 'signature does not verify with the key named by kid' }])

  const malformed = join(dir, 'malformed.json')
  writeFileSync(malformed, '{"protected": ')
  const m = await cli(['verify', malformed, '--jwks', jwks])
  t.equal(m.status, 1)
  t.match(m.stderr, new RegExp(`^dcimx: ${malformed}: the signed object is not JSON \\(.+\\)\\n$`))

  const none = await cli(['verify', join(dir, 'missing.json'), '--jwks', jwks])
  t.same([none.status, none.stderr], [1, `dcimx: ${join(dir, 'missing.json')}: no such file\n`])

  const badJwks = join(dir, 'bad-jwks.json')
  writeFileSync(badJwks, '{"keys":[{"kty":"RSA"}]}')
  const bj = await cli(['verify', good, '--jwks', badJwks])
  t.same([bj.status, bj.stderr], [1, 'dcimx: keys[0] is not an Ed25519 (OKP) key\n'])

  const closedPort = await new Promise<number>(resolve => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as AddressInfo).port
      s.close(() => resolve(port))
    })
  })
  const url = `http://127.0.0.1:${closedPort}/.well-known/jwks.json`
  const down = await cli(['verify', good, '--jwks', url])
  t.same([down.status, down.stderr], [1, `dcimx: ${url}: connect ECONNREFUSED 127.0.0.1:${closedPort}\n`])

  const badTime = await cli(['verify', good, '--jwks', jwks, '--at', 'yesterday'])
  t.same([badTime.status, badTime.stderr], [2, 'dcimx: --at "yesterday" is not an ISO 8601 time with a zone (2026-11-25T12:00:00Z) or seconds since the epoch\n'])
})
