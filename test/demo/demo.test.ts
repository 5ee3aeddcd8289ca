import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { demoLogin, startDemoFederation } from '../../src/demo/federation.js'
import { fetchPeerDescriptor } from '../../src/exchange/peer-descriptor.js'
import { cli } from '../helpers/cli.js'
import { tempDir, testClock, TEST_NOW } from '../helpers/node.js'

t.test('the demo federation starts its nodes and each descriptor verifies', async t => {
  const dir = tempDir(t)
  const lines: string[] = []
  const fed = await startDemoFederation({ dir, nodes: ['SRB', 'EUROPOL'], clock: testClock, progress: l => lines.push(l) })
  t.teardown(() => fed.close())
  t.same(fed.checks.map(c => [c.node, c.ok]), [['SRB', true], ['EUROPOL', true]])
  t.same(fed.checks.map(c => c.detail), fed.nodes.map(n => n.node.signingKey.kid))
  t.match(lines.join('\n'), /created node SRB in .*\nstarted SRB at http:\/\/127\.0\.0\.1:\d+\nSRB imported 850 victims and 550 offenders\ncreated node EUROPOL/)
  t.same(fed.held, [{ node: 'SRB', victims: 850, offenders: 550, victimsLastYear: 85 }], 'the country node imported its synthetic exports; the liaison holds none')
  t.match(lines.join('\n'), /\npeers set up: 2 new pinned key\(s\)\nSRB published \d+ signed object\(s\)\npulled: 1 of 1 pulls ok, \d+ release\(s\) applied/)
  t.equal(fed.published.length, 1)
  t.ok(fed.published[0]!.issued > 0 && fed.published[0]!.refused === 0, `SRB published ${fed.published[0]!.issued} releases under srb-europol`)
  t.same(fed.syncs.map(s => [s.peer, s.ok, s.applied]), [['SRB', true, fed.published[0]!.issued]], 'EUROPOL pulled every one')
  const europolDb = fed.nodes[1]!.node.db.db
  t.same((await europolDb.selectFrom('peer').select('id').execute()).map(r => r.id), ['SRB'])

  // The liaison officer the demo prints: logged in over HTTP, and the token answers a query.
  const login = await demoLogin(fed.nodes[1]!)
  t.same([login.user, login.file, login.password], ['liaison', join(dir, 'europol', 'demo-liaison.password'), readFileSync(login.file, 'utf8').trim()])
  const totals = await fetch(`${fed.nodes[1]!.address}/v1/regional/totals?indicator=V1&years=2024`, { headers: { authorization: `Bearer ${login.token}` } })
  t.equal(totals.status, 200)
  const body = await totals.json() as { cells: Array<{ value?: number }> }
  t.same(body.cells.map(c => c.value), [85], 'Serbia\'s 2024 victims, as Europol received them')
  t.equal((await demoLogin(fed.nodes[1]!)).user, 'liaison', 'a second login reuses the user and its password')
  const europol = await fetchPeerDescriptor(fed.nodes[1]!.address, { now: TEST_NOW / 1000 })
  t.same(europol.descriptor.node, { id: 'EUROPOL', kind: 'liaison', name: 'Europol', url: fed.nodes[1]!.address })

  // A peer serving a descriptor under another URL is noticed.
  await t.rejects(fetchPeerDescriptor(fed.nodes[0]!.address.replace('127.0.0.1', 'localhost'), { now: TEST_NOW / 1000 }), {
    code: 'SCHEMA_INVALID',
    message: `${fed.nodes[0]!.address.replace('127.0.0.1', 'localhost')}: the descriptor names its URL as ${fed.nodes[0]!.address}`,
  })
  // An expired view of the peer (the verifier's clock two days ahead) is refused.
  await t.rejects(fetchPeerDescriptor(fed.nodes[0]!.address, { now: TEST_NOW / 1000 + 2 * 86400 }), { code: 'EXPIRED' })
  await fed.close()

  // The command reuses the homes it finds and ends after one round with --once.
  const again = await cli(['demo', '--dir', dir, '--nodes', 'SRB,EUROPOL', '--once'])
  t.equal(again.status, 0, again.stderr)
  t.notMatch(again.stdout, /created node/)
  t.match(again.stdout, /SRB {6}http:\/\/127\.0\.0\.1:\d+ +valid, key /)
  t.match(again.stdout, /\n {2}SRB +0 issued, +\d+ unchanged\n/, 'nothing new to publish on the second run')
  t.match(again.stdout, /\n {2}V1 regional totals, 2020-2024; as held at .* by EUROPOL\n/)
  t.match(again.stdout, /\n {2}2024 +85 +SRB 85\n/, 'the liaison sees Serbia\'s 2024 total')
  t.match(again.stdout, /\nFirst round in \d+\.\d s/)
  t.match(again.stdout, /\n {2}SRB +850 +550 +85\n/, 're-importing the same exports changes nothing')
  t.equal((await cli(['demo', '--dir', join(dir, 'x'), '--nodes', ',', '--once'])).stderr, 'dcimx: --nodes needs at least one node id\n')
})
