// The exchange from an operator's seat: dcimx peer add|list|remove, sync, status, alerts ack,
// audit verify, and import publishing at once.
import { copyFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { POLICIES_DIR } from '../../src/policy/load.js'
import { cli, openForCommands } from '../helpers/cli.js'
import { connect, FIXTURES, startTestNode, testClock } from '../helpers/federation.js'
import { makeHome } from '../helpers/node.js'

const AGREEMENT = join(FIXTURES, 'agreements', 'srb-hrv.yaml')

t.test('an operator sets up a peer, pulls, checks status and removes it', async t => {
  const clock = testClock()
  const srb = await startTestNode(t, 'SRB', clock, [AGREEMENT])
  const hrv = await startTestNode(t, 'HRV', clock, [AGREEMENT])
  await connect(srb, hrv, clock)
  await srb.importVictims(join(FIXTURES, 'victims-small.csv'))
  await srb.publish()
  // The CLI opens Croatia's home itself, as an operator's shell would, for the first command and
  // the last; the others run on the home opened once (`attached`), as `dcimx serve` runs a
  // command routed through its admin channel: the same command code, without the embedded
  // database's start-up each time.
  await hrv.running.close()
  const home = ['--home', hrv.home]

  const unconfirmed = await cli(['peer', 'add', 'SRB', srb.url, ...home], { clock })
  const node = await openForCommands(t, hrv.home, {}, clock)
  const opts = { clock, attached: node }
  t.equal(unconfirmed.status, 1)
  t.equal(unconfirmed.stdout, `Serbia (SRB) at ${srb.url} presents key ${srb.kid}; confirm it with SRB's operator out of band, then repeat with --thumbprint\n`)
  t.equal((await cli(['peer', 'list', ...home], opts)).stdout, '0 peer(s)\n', 'nothing stored without a confirmed thumbprint')

  const wrong = await cli(['peer', 'add', 'SRB', srb.url, '--thumbprint', 'A'.repeat(43), ...home], opts)
  t.same([wrong.status, wrong.stderr], [1, `dcimx: ${srb.url} presents key ${srb.kid}, not ${'A'.repeat(43)}: do not add this peer before you know why\n`])
  const impostor = await cli(['peer', 'add', 'MNE', srb.url, '--thumbprint', srb.kid, ...home], opts)
  t.same([impostor.status, impostor.stderr], [1, `dcimx: ${srb.url} is node SRB, not MNE\n`])

  const added = await cli(['peer', 'add', 'SRB', srb.url, '--thumbprint', srb.kid, ...home], opts)
  t.equal(added.status, 0, added.stderr)
  t.match(added.stdout, new RegExp(`^Serbia \\(SRB, country\\) added at ${srb.url}\npinned key ${srb.kid}; 1 key\\(s\\) from descriptor [A-Za-z0-9_-]{43}\n$`))
  const again = await cli(['peer', 'add', 'SRB', srb.url, '--thumbprint', srb.kid, ...home], opts)
  t.same([again.status, again.stderr], [1, `dcimx: SRB is already a peer (${srb.url}); remove it first to set it up again\n`])
  t.equal((await cli(['peer', 'list', ...home], opts)).stdout, `SRB      country  ${srb.url}  key ${srb.kid}\n1 peer(s)\n`)

  const before = await cli(['status', ...home], opts)
  t.same([before.status, before.stdout], [1, 'Croatia (HRV), 1 peer(s)\nSRB      never_synced feed 0/0, 0 table(s), never pulled - no pull has succeeded yet\n'])

  const sync = await cli(['sync', ...home], opts)
  t.same([sync.status, sync.stdout], [0, 'SRB: ok, feed 0 -> 4 of 4, 4 applied, 0 unchanged, 0 superseded, 0 retracted (1 request)\n'])
  const json = JSON.parse((await cli(['sync', '--peer', 'SRB', '--json', ...home], opts)).stdout) as Array<{ peer: string, ok: boolean, requests: number, applied: number }>
  t.same(json.map(r => [r.peer, r.ok, r.requests, r.applied]), [['SRB', true, 1, 0]], 'nothing new: one request')

  const status = await cli(['status', ...home], opts)
  t.same([status.status, status.stdout], [0, 'Croatia (HRV), 1 peer(s)\nSRB      ok           feed 4/4, 4 table(s), last pull 2026-11-25T12:00:00.000Z\n'])
  const statusJson = JSON.parse((await cli(['status', '--json', ...home], opts)).stdout) as { peers: Array<{ peer: string, status: string, lastSeq: number }> }
  t.same(statusJson.peers.map(p => [p.peer, p.status, p.lastSeq]), [['SRB', 'ok', 4]])

  const audit = await cli(['audit', 'verify', ...home], opts)
  t.equal(audit.status, 0)
  t.match(audit.stdout, /^audit log intact: \d+ entries, head #\d+ [A-Za-z0-9_-]{43}\n$/)

  t.equal((await cli(['alerts', 'ack', ...home], opts)).stdout, '0 alert(s) acknowledged; the evidence is kept\n')
  const unknown = await cli(['sync', '--peer', 'MNE', ...home], opts)
  t.same([unknown.status, unknown.stderr], [1, 'dcimx: MNE is not a peer of this node; add it with dcimx peer add\n'])

  t.equal((await cli(['peer', 'remove', 'SRB', ...home], opts)).stdout, 'SRB removed: it is no longer served or pulled; what was received from it is kept\n')
  const gone = await cli(['peer', 'remove', 'SRB', ...home], opts)
  t.same([gone.status, gone.stderr], [1, 'dcimx: SRB is not a peer of this node\n'])
  await node.db.close()
  t.equal((await cli(['sync', ...home], { clock })).stdout, 'no country peers to pull from; add one with dcimx peer add\n')
})

t.test('an import is published at once under the agreements in force, unless --no-publish', async t => {
  const clock = testClock()
  const made = await makeHome(t, 'SRB')
  copyFileSync(AGREEMENT, join(made.home, POLICIES_DIR, 'srb-hrv.yaml'))
  const quiet = await cli(['import', 'victims', join(FIXTURES, 'victims-small.csv'), '--home', made.home, '--no-publish'], { clock })
  t.equal(quiet.status, 0, quiet.stderr)
  t.notMatch(quiet.stdout, /published/)
  const offenders = await cli(['import', 'offenders', join(FIXTURES, 'offenders-small.csv'), '--home', made.home], { clock })
  t.equal(offenders.status, 0, offenders.stderr)
  t.match(offenders.stdout, /\npublished: 4 signed object\(s\) issued, 0 table\(s\) unchanged, 0 refused\n$/, 'the victims tables held back before go out now; no offender table is granted')
})
