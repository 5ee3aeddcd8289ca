// GET /v1/regional/totals on a liaison node fed by a real country node: who may ask, what
// they get (JSON, CSV, SDMX-JSON), what no agreement grants stays out, and the cache follows
// the data.
import { copyFileSync, watch, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { createDb } from '../../src/db/create-db.js'
import { SAMPLE_AGREEMENTS_DIR } from '../../src/demo/federation.js'
import { nodeAgreements, POLICIES_DIR } from '../../src/policy/load.js'
import { bundleText, regionalBundle, verifyBundle } from '../../src/totals/bundle.js'
import { EMPTY_CROSSWALK } from '../../src/ingest/crosswalk.js'
import { withdrawRecords } from '../../src/ingest/import-file.js'
import { recordKeyer } from '../../src/ingest/record-key.js'
import { addUser, removeUser } from '../../src/users/users.js'
import { SDMX_MEDIA_TYPE } from '../../src/totals/sdmx.js'
import type { RegionalResult } from '../../src/totals/types.js'
import { serbiaToEuropol, testClock } from '../helpers/federation.js'
import { tempDir } from '../helpers/node.js'

t.test('regional totals over HTTP', async t => {
  const clock = testClock()
  const { srb, eu } = await serbiaToEuropol(t, clock)

  const app = eu.running.app
  const tokens: Record<string, string> = {}
  for (const role of ['operator', 'legal', 'liaison', 'auditor']) {
    await addUser(eu.running.node.db.db, clock, { name: `${role}1`, role, password: `a long password for ${role}` })
    const res = await app.inject({ method: 'POST', url: '/v1/login', payload: { user: `${role}1`, password: `a long password for ${role}` } })
    t.equal(res.statusCode, 200, `${role} logs in`)
    tokens[role] = res.json().token
  }
  const get = async (url: string, role?: string) => await app.inject({ method: 'GET', url, headers: role === undefined ? {} : { authorization: `Bearer ${tokens[role]!}` } })
  const url = '/v1/regional/totals?indicator=V1&years=2023-2024&by=SEX'

  t.same([(await get(url)).statusCode, (await get(url)).json().code], [401, 'USER_TOKEN_MISSING'])
  for (const [role, status] of [['liaison', 200], ['operator', 200], ['legal', 403], ['auditor', 403]] as const) {
    const res = await get(url, role)
    t.equal(res.statusCode, status, `${role}: ${status}`)
    if (status === 403) t.equal(res.json().code, 'ROLE_FORBIDDEN')
  }

  // On a country node, its own tables are not protected: only its operators see them.
  const own: Record<string, string> = {}
  for (const role of ['operator', 'liaison']) {
    await addUser(srb.running.node.db.db, clock, { name: `${role}2`, role, password: `a long password for ${role}` })
    own[role] = (await srb.running.app.inject({ method: 'POST', url: '/v1/login', payload: { user: `${role}2`, password: `a long password for ${role}` } })).json().token
  }
  const ownView = async (role: string): Promise<RegionalResult> => (await srb.running.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${own[role]!}` } })).json()
  t.same((await ownView('operator')).contributions.filter(c => c.country === 'SRB').map(c => [c.year, c.status, c.source]), [[2023, 'included', 'own'], [2024, 'included', 'own']])
  const liaisonView = await ownView('liaison')
  t.same(liaisonView.contributions.filter(c => c.country === 'SRB').map(c => [c.year, c.status, c.reason]), [[2023, 'missing', 'own_unprotected'], [2024, 'missing', 'own_unprotected']])
  t.same(liaisonView.cells, [], 'a liaison user on a country node sees none of its unprotected figures')

  const r = (await get(url, 'liaison')).json() as RegionalResult
  t.same(r.query, { indicator: 'V1', years: [2023, 2024], by: ['SEX'], asOf: null })
  t.same(r.contributions.filter(c => c.status === 'included').map(c => `${c.year} ${c.country}`), ['2023 SRB', '2024 SRB'])
  t.ok(r.cells.length > 0 && r.cells.every(c => c.parts.every(p => p.country === 'SRB')))

  // What no agreement grants is not there: V4 is not in srb-europol, nor V1 by citizenship.
  const v4 = (await get('/v1/regional/totals?indicator=V4&years=2023', 'liaison')).json() as RegionalResult
  t.same([v4.cells, v4.contributions.find(c => c.country === 'SRB')?.reason], [[], 'not_granted'])
  const byCitizen = (await get('/v1/regional/totals?indicator=V1&years=2023&by=CITIZEN_GRP', 'liaison')).json() as RegionalResult
  t.same([byCitizen.cells, byCitizen.contributions.find(c => c.country === 'SRB')?.reason], [[], 'breakdown_not_granted'])

  const csv = await get(`${url}&format=csv`, 'liaison')
  t.equal(csv.headers['content-type'], 'text/csv; charset=utf-8')
  t.equal(csv.body.split('\n')[0], 'TIME_PERIOD,SEX,OBS_VALUE,OBS_LOWER,OBS_UPPER,OBS_STATUS,CONF_STATUS,CONTRIBUTORS,SUPPRESSED_IN')
  t.equal(csv.body.trim().split('\n').length, r.cells.length + 1)
  const sdmx = await get(`${url}&format=sdmx-json`, 'liaison')
  t.ok(String(sdmx.headers['content-type']).startsWith(SDMX_MEDIA_TYPE.split(';')[0]!), 'the SDMX-JSON media type')
  t.equal(Object.keys(sdmx.json().data.dataSets[0].observations).length, r.cells.length)

  // The provenance bundle: what `dcimx totals --bundle` writes (the same function), byte for
  // byte, and it verifies offline; the roles are the route's.
  const bundleUrl = `${url}&format=bundle`
  const bundleRes = await get(bundleUrl, 'liaison')
  t.same([bundleRes.statusCode, bundleRes.headers['content-type']], [200, 'application/json; charset=utf-8'])
  const deps = { db: eu.running.node.db.db, node: 'EUROPOL', kind: 'liaison' as const, agreements: nodeAgreements(eu.home), nowMs: clock.now() }
  const written = bundleText(await regionalBundle(deps, { indicator: 'V1', years: [2023, 2024], by: ['SEX'] }))
  t.equal(bundleRes.body, written, 'the bundle dcimx totals --bundle writes, byte for byte')
  const checked = await verifyBundle(JSON.parse(bundleRes.body))
  t.same([checked.ok, checked.problem, checked.releases, checked.publishers.map(p => p.id)], [true, null, 6, ['SRB']], 'it verifies: V1 2023 and 2024, each with its linked V2 and V3')
  t.same(checked.result, r, 'its result is the JSON answer\'s')
  t.equal((await get(bundleUrl, 'operator')).body, written, 'the operator gets the same bundle')
  t.same([(await get(bundleUrl)).statusCode, (await get(bundleUrl, 'legal')).statusCode, (await get(bundleUrl, 'auditor')).statusCode], [401, 403, 403], 'no token, legal and auditor refused')
  // At a country node, a bundle never carries the node's own unprotected figures, whoever asks.
  const srbBundle = await srb.running.app.inject({ method: 'GET', url: bundleUrl, headers: { authorization: `Bearer ${own.operator!}` } })
  t.equal(srbBundle.statusCode, 200)
  const srbChecked = await verifyBundle(JSON.parse(srbBundle.body))
  t.same([srbChecked.ok, srbChecked.releases, srbChecked.result!.cells, srbChecked.result!.contributions.filter(c => c.country === 'SRB').map(c => c.reason)], [true, 0, [], ['own_unprotected', 'own_unprotected']], 'the operator\'s bundle at Serbia: Serbia\'s own figures left out')

  const bad = await get('/v1/regional/totals?indicator=V9&years=2023', 'liaison')
  t.equal(bad.statusCode, 400)
  const badBy = await get('/v1/regional/totals?indicator=V1&years=2023&by=EXPLOIT', 'liaison')
  t.same([badBy.statusCode, badBy.json().message], [400, 'V1 cannot be broken down by "EXPLOIT": its dimensions are VICT_STATUS, SEX, AGE_GROUP, CITIZEN_GRP'])
  const backwards = await get('/v1/regional/totals?indicator=V1&years=2024-2023', 'liaison')
  t.same([backwards.statusCode, backwards.json().message], [400, 'years 2024-2023: the range runs backwards'])

  // The cache follows the data: Serbia withdraws its 2023 records, and the answer changes.
  const before = (await get('/v1/regional/totals?indicator=V1&years=2023', 'liaison')).json() as RegionalResult
  t.same((await get('/v1/regional/totals?indicator=V1&years=2023', 'liaison')).json(), before, 'the same answer while nothing changes')
  t.equal(before.contributions.find(c => c.country === 'SRB')?.status, 'included')
  clock.advance(60_000)
  const ids = join(tempDir(t), 'withdraw.csv')
  writeFileSync(ids, 'record_id\nV1\nV2\nV3\nV4\nV5\n')
  await withdrawRecords({ db: srb.running.node.db.db, clock, reporter: 'SRB', keyer: recordKeyer(Buffer.alloc(32, 7)), crosswalk: EMPTY_CROSSWALK }, { kind: 'victims', path: ids })
  t.ok((await srb.publish()).issued.some(i => i.type === 'retraction' && i.recipient === 'EUROPOL' && i.indicator === 'V1' && i.year === 2023))
  t.ok((await eu.sync('SRB')).ok)
  const afterRes = await get('/v1/regional/totals?indicator=V1&years=2023', 'liaison')
  t.equal(afterRes.statusCode, 200, afterRes.body)
  const after = afterRes.json() as RegionalResult
  t.same([after.cells, after.contributions.find(c => c.country === 'SRB')?.reason], [[], 'no_data'], 'the retraction is in the answer')

  // A cached answer costs no query: every query of the node's database is counted.
  const executor = eu.running.node.db.db.getExecutor()
  const execute = executor.executeQuery.bind(executor)
  let queries = 0
  executor.executeQuery = async (...args) => { queries++; return await execute(...args) }
  t.teardown(() => { executor.executeQuery = execute })
  const cachedUrl = '/v1/regional/totals?indicator=V1&years=2023-2024&by=SEX'
  const first = await get(cachedUrl, 'liaison')
  queries = 0
  const again = await get(cachedUrl, 'liaison')
  t.same([again.statusCode, again.body, queries], [200, first.body, 0], 'the same bytes, and not one query')
  t.equal(again.headers['content-type'], 'application/json; charset=utf-8')
  const csvFirst = (await get(`${cachedUrl}&format=csv`, 'liaison')).body
  queries = 0
  const csvAgain = (await get(`${cachedUrl}&format=csv`, 'liaison')).body
  t.same([csvAgain, queries], [csvFirst, 0], 'CSV from the cache too')

  // An agreement file added to the policies folder changes the answer: BIH was missing for want
  // of an agreement, and is now granted V1 with nothing received. The node watches the folder;
  // this test's own watcher of the same folder fires in the same batch of file system events.
  const v1 = '/v1/regional/totals?indicator=V1&years=2023'
  const bihReason = async (): Promise<string | undefined> => ((await get(v1, 'liaison')).json() as RegionalResult).contributions.find(c => c.country === 'BIH')?.reason
  t.equal(await bihReason(), 'no_agreement')
  const policies = join(eu.home, POLICIES_DIR)
  const seen = new Promise<void>(resolve => {
    const w = watch(policies, () => { w.close(); setImmediate(resolve) })
  })
  copyFileSync(join(SAMPLE_AGREEMENTS_DIR, 'bih-europol.yaml'), join(policies, 'bih-europol.yaml'))
  await seen
  t.equal(await bihReason(), 'no_data', 'the new agreement is in the next answer')

  // On PostgreSQL another process may write: `dcimx user remove` run beside the node. Its commit
  // reaches the node as a notification, and the next request is refused.
  const url0 = eu.running.node.config.database.url
  if (url0 !== null) {
    const other = await createDb({ kind: 'postgres', url: url0 })
    t.teardown(() => other.close())
    t.equal((await get(cachedUrl, 'liaison')).statusCode, 200)
    const notified = eu.running.node.db.changes.nextChange()
    await removeUser(other.db, clock, 'liaison1')
    await notified
    const refused = await get(cachedUrl, 'liaison')
    t.same([refused.statusCode, refused.json().code], [401, 'USER_TOKEN_INVALID'], 'a user removed by another process is refused')
  }
})
