import { chmodSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { AppError } from '../../src/errors.js'
import { initHome, openNode } from '../../src/node/home.js'
import { resolveNodeIdentity } from '../../src/node/identity.js'
import { keyFile } from '../../src/node/key-store.js'
import { freshDatabaseUrl } from '../helpers/db.js'
import { makeHome, tempDir, testClock } from '../helpers/node.js'

t.test('node identities', async t => {
  t.same(resolveNodeIdentity('XKX'), { id: 'XKX', kind: 'country', name: 'Kosovo' })
  t.same(resolveNodeIdentity('EUROPOL'), { id: 'EUROPOL', kind: 'liaison', name: 'Europol' })
  t.same(resolveNodeIdentity('FRONTEX', 'Frontex'), { id: 'FRONTEX', kind: 'liaison', name: 'Frontex' })
  t.throws(() => resolveNodeIdentity('srb'), new AppError('COUNTRY_INVALID', 'country "srb" must be written in capitals: SRB'))
  t.same(resolveNodeIdentity('DEU'), { id: 'DEU', kind: 'country', name: 'Germany' }, 'any ISO 3166-1 country (test/node/any-country.test.ts)')
  t.throws(() => resolveNodeIdentity('ZZZ'), { code: 'COUNTRY_INVALID', message: /^"ZZZ" is not an ISO 3166-1 alpha-3 country code; use an ISO 3166-1 alpha-3 country code/ })
  t.throws(() => resolveNodeIdentity('RS'), { code: 'COUNTRY_INVALID', message: /^"RS" is not a country code or liaison identifier/ })
  t.throws(() => resolveNodeIdentity('../x'), { code: 'COUNTRY_INVALID' })
})

t.test('init creates config, an owner-only key and a database bound to the node', async t => {
  const r = await makeHome(t, 'MKD')
  t.equal(r.config.node.name, 'North Macedonia')
  t.equal(statSync(keyFile(r.home, r.kid)).mode & 0o777, 0o600)
  t.equal(statSync(r.home).mode & 0o777, 0o700)
  t.equal(statSync(join(r.home, 'keys', 'record-key.secret')).mode & 0o777, 0o600, 'the record-id secret is created with the home')
  const node = await openNode({ home: r.home, env: r.databaseUrl === undefined ? {} : { DATABASE_URL: r.databaseUrl }, clock: testClock })
  t.teardown(() => node.db.close())
  t.equal(node.signingKey.kid, r.kid)
  t.same(await node.db.db.selectFrom('node_identity').select('node_id').execute(), [{ node_id: 'MKD' }])
  t.notMatch(readFileSync(join(r.home, 'config.json'), 'utf8'), /"d"/, 'no key material in the configuration')
})

t.test('init refuses a non-empty folder and leaves nothing behind on failure', async t => {
  const dir = tempDir(t)
  writeFileSync(join(dir, 'notes.txt'), 'mine')
  await t.rejects(initHome({ home: dir, country: 'SRB', clock: testClock }), new AppError('HOME_EXISTS', `${dir} already exists and is not empty; choose a new folder`))
  t.same(readdirSync(dir), ['notes.txt'])
  const home = join(tempDir(t), 'bad')
  await t.rejects(initHome({ home, country: 'SRB', databaseUrl: 'postgres://nobody@127.0.0.1:1/x', clock: testClock }), { code: 'DATABASE_UNAVAILABLE' })
  t.throws(() => statSync(home), { code: 'ENOENT' }, 'the half-made home is removed')
})

t.test('a readable, corrupt or missing key file is refused', async t => {
  const r = await makeHome(t, 'ALB')
  const env = r.databaseUrl === undefined ? {} : { DATABASE_URL: r.databaseUrl }
  const file = keyFile(r.home, r.kid)
  chmodSync(file, 0o644)
  await t.rejects(openNode({ home: r.home, env, clock: testClock }), new AppError('KEY_FILE_INSECURE', `${file}: key file is readable by group or others (mode 644); run chmod 600 on it`))
  chmodSync(file, 0o600)
  const original = readFileSync(file, 'utf8')
  writeFileSync(file, 'garbage')
  await t.rejects(openNode({ home: r.home, env, clock: testClock }), new AppError('KEY_FILE_INVALID', `${file}: not a JSON key file`))
  writeFileSync(file, original.replace('"node":"ALB"', '"node":"SRB"'))
  await t.rejects(openNode({ home: r.home, env, clock: testClock }), new AppError('KEY_FILE_INVALID', `key ${r.kid} speaks for SRB, but this node is ALB`))
  writeFileSync(file, original)
  const config = JSON.parse(readFileSync(join(r.home, 'config.json'), 'utf8'))
  writeFileSync(join(r.home, 'config.json'), JSON.stringify({ ...config, signing_key: 'b'.repeat(43) }))
  await t.rejects(openNode({ home: r.home, env, clock: testClock }), { code: 'KEY_FILE_INVALID', message: /the signing key b{43} named in config.json is missing$/ })
})

t.test('a home pointed at another node\'s database is refused', async t => {
  const url = await freshDatabaseUrl(t)
  if (url === undefined) {
    // On the embedded engine each home has its own folder; reuse HRV's folder under SRB's home.
    const hrv = await makeHome(t, 'HRV')
    const srb = await makeHome(t, 'SRB')
    const { renameSync, rmSync } = await import('node:fs')
    rmSync(join(srb.home, 'db'), { recursive: true })
    renameSync(join(hrv.home, 'db'), join(srb.home, 'db'))
    await t.rejects(openNode({ home: srb.home, env: {}, clock: testClock }), { code: 'DATABASE_UNAVAILABLE', message: /belongs to node HRV, not SRB$/ })
    return
  }
  const hrv = join(tempDir(t), 'hrv')
  await initHome({ home: hrv, country: 'HRV', databaseUrl: url, clock: testClock })
  const srb = join(tempDir(t), 'srb')
  await t.rejects(initHome({ home: srb, country: 'SRB', databaseUrl: url, clock: testClock }), { code: 'DATABASE_UNAVAILABLE', message: /belongs to node HRV, not SRB$/ })
})
