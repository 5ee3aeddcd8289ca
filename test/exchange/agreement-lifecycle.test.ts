// Agreements over time, across two nodes: a retraction names the agreement the release was
// sent under (from the ledger), even when that agreement's file was removed; and a recipient
// is never wedged by one object: it is refused with evidence, shown in status, and an operator
// moves past it explicitly with dcimx peer skip.
import { copyFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { epochSeconds } from '../../src/clock.js'
import { signMessage } from '../../src/protocol/jws.js'
import { PROTOCOL, type Retraction } from '../../src/protocol/messages.js'
import { verifySigned } from '../../src/protocol/verify.js'
import { jwksOf, keySetFromJwks } from '../../src/protocol/keys.js'
import { POLICIES_DIR } from '../../src/policy/load.js'
import { cli, openForCommands } from '../helpers/cli.js'
import { connect, FIXTURES, startTestNode, testClock } from '../helpers/federation.js'

const AGREEMENT = join(FIXTURES, 'agreements', 'srb-hrv.yaml')

t.test('retractions under a removed agreement, and skipping a refused object', async t => {
  const clock = testClock()
  const srb = await startTestNode(t, 'SRB', clock, [AGREEMENT])
  const hrv = await startTestNode(t, 'HRV', clock, [AGREEMENT])
  await connect(srb, hrv, clock)
  await connect(hrv, srb, clock)
  await srb.importVictims(join(FIXTURES, 'victims-small.csv'))
  t.equal((await srb.publish()).issued.length, 4)
  const first = await hrv.sync('SRB')
  t.same([first.ok, first.applied, first.toSeq], [true, 4, 4])
  const srbDb = srb.running.node.db.db
  const hash = (await srbDb.selectFrom('outgoing').select('agreement_hash').where('feed_seq', '=', 1).executeTakeFirstOrThrow()).agreement_hash

  await t.test('a retraction under an agreement whose file was removed names it from the ledger', async t => {
    rmSync(join(srb.home, POLICIES_DIR, 'srb-hrv.yaml'))
    const ended = await srb.publish()
    t.same(ended.issued.map(i => `#${i.seq} ${i.type} ${i.indicator} ${i.year} ${i.reason}`), [
      '#5 retraction V1 2023 agreement_ended', '#6 retraction V1 2024 agreement_ended', '#7 retraction V2 2023 agreement_ended', '#8 retraction V2 2024 agreement_ended',
    ])
    const keys = keySetFromJwks(jwksOf([srb.running.node.signingKey]))
    const row = await srbDb.selectFrom('outgoing').select('signed').where('feed_seq', '=', 5).where('recipient', '=', 'HRV').executeTakeFirstOrThrow()
    const v = verifySigned(row.signed, keys, { now: clock.now() / 1000, expectedType: 'retraction' })
    t.same(v.payload.agreement, { id: 'srb-hrv', hash })
    const pulled = await hrv.sync('SRB')
    t.same([pulled.ok, pulled.retracted, pulled.toSeq, pulled.rejected], [true, 4, 8, {}], 'Croatia applies every retraction')
  })

  await t.test('a refused object stops the feed with evidence until an operator skips it', async t => {
    // Back under the agreement: four releases (#9-12). Then a faulty publisher: an object Croatia
    // must refuse (the retraction this node used to sign with agreement id "unknown"), and four
    // valid releases after it (the releases re-signed before they expire).
    copyFileSync(AGREEMENT, join(srb.home, POLICIES_DIR, 'srb-hrv.yaml'))
    t.same((await srb.publish()).issued.map(i => `#${i.seq} ${i.type}`), ['#9 release', '#10 release', '#11 release', '#12 release'])
    const last = await srbDb.selectFrom('outgoing').select(['id', 'feed_seq']).where('recipient', '=', 'HRV').orderBy('feed_seq', 'desc').executeTakeFirstOrThrow()
    const now = epochSeconds(clock)
    const payload: Retraction = {
      protocol: PROTOCOL,
      type: 'retraction',
      issuer: 'SRB',
      issued_at: now,
      expires_at: now + 86400,
      audience: 'HRV',
      feed_seq: 13,
      prev: last.id,
      agreement: { id: 'unknown', hash },
      dataset: { indicator: 'V1', years: [2023] },
      retracts: last.id,
      reason: 'agreement_ended',
    }
    const bad = signMessage('retraction', payload, srb.running.node.signingKey)
    await srbDb.insertInto('outgoing').values({
      id: bad.id,
      recipient: 'HRV',
      feed_seq: 13,
      type: 'retraction',
      indicator: 'V1',
      year: 2023,
      agreement_hash: hash,
      cells_digest: null,
      supersedes: last.id,
      issued_at: new Date(now * 1000),
      expires_at: new Date((now + 86400) * 1000),
      signed: JSON.stringify(bad.jws),
    }).execute()
    clock.advance(4 * 86400_000)
    t.same((await srb.publish()).issued.map(i => `#${i.seq} ${i.type}`), ['#14 release', '#15 release', '#16 release', '#17 release'])
    const first1 = await srbDb.selectFrom('outgoing').select('id').where('feed_seq', '=', 1).where('recipient', '=', 'HRV').executeTakeFirstOrThrow()

    // Croatia's operator works from the shell on Croatia's home. The commands between the first
    // sync and the one that resumes run on the home opened once (`attached`), as `dcimx serve`
    // runs a command routed through its admin channel: the same command code, without the
    // embedded database's start-up each time.
    await hrv.running.close()
    const home = ['--home', hrv.home]
    const stopped = await cli(['sync', ...home], { clock })
    const node = await openForCommands(t, hrv.home, {}, clock)
    t.same([stopped.status, stopped.stdout], [1, 'SRB: refused, feed 8 -> 12 of 17, 4 applied, 0 unchanged, 0 superseded, 0 retracted; rejected AGREEMENT_MISMATCH #13 entry 13: agreement ' + hash + ' is srb-hrv from SRB to HRV, not unknown from SRB to HRV (1 request)\n'])
    const again = await cli(['sync', '--json', ...home], { clock, attached: node })
    t.same((JSON.parse(again.stdout) as Array<{ evidence: number[], toSeq: number }>).map(r => [r.evidence, r.toSeq]), [[[], 12]], 'refused again, the evidence is not kept twice')
    const status = await cli(['status', ...home], { clock, attached: node })
    t.equal(status.status, 1)
    t.equal(status.stdout.split('\n')[1], `SRB      refused      feed 12/17, 4 table(s), last pull 2026-11-25T12:00:00.000Z - the feed is stopped at entry 13 (${bad.id}), refused: AGREEMENT_MISMATCH: entry 13: agreement ${hash} is srb-hrv from SRB to HRV, not unknown from SRB to HRV; once checked, skip it with dcimx peer skip SRB 13 --object ${bad.id}`)
    t.match(status.stdout.split('\n')[2], new RegExp(`^  alert #1 refused at feed_seq 13 \\(object ${bad.id}\\), `))

    // Skipping what is not the refused entry changes nothing.
    const wrongId = await cli(['peer', 'skip', 'SRB', '13', '--object', first1.id, ...home], { clock, attached: node })
    t.same([wrongId.status, wrongId.stderr], [2, `dcimx: entry 13 of SRB's feed is ${bad.id}, not ${first1.id}: look at it again (dcimx status) before skipping\n`])
    const wrongSeq = await cli(['peer', 'skip', 'SRB', '14', '--object', bad.id, ...home], { clock, attached: node })
    t.same([wrongSeq.status, wrongSeq.stderr], [2, 'dcimx: nothing refused at feed_seq 14 of SRB\'s feed to skip (the feed is applied up to 12); see dcimx status\n'])
    const unknown = await cli(['peer', 'skip', 'MNE', '13', '--object', bad.id, ...home], { clock, attached: node })
    t.same([unknown.status, unknown.stderr], [1, 'dcimx: MNE is not a peer of this node\n'])
    t.equal((await cli(['status', ...home], { clock, attached: node })).stdout, status.stdout, 'nothing changed')

    const skipped = await cli(['peer', 'skip', 'SRB', '13', '--object', bad.id, '--reason', 'SRB confirmed the faulty retraction', ...home], { clock, env: { USER: 'ops' }, attached: node })
    t.same([skipped.status, skipped.stdout], [0, `SRB entry 13 (${bad.id}, refused AGREEMENT_MISMATCH) skipped: it is not applied, the evidence is kept (alert #1), and the next pull resumes after it\n`])
    const audit = await cli(['audit', 'list', '--event', 'pull_skipped', '--json', ...home], { clock, attached: node })
    t.match(audit.stdout, '"reason": "SRB confirmed the faulty retraction"')
    t.match(audit.stdout, '"by": "ops"')
    const twice = await cli(['peer', 'skip', 'SRB', '13', '--object', bad.id, ...home], { clock, attached: node })
    t.same([twice.status, twice.stderr], [2, 'dcimx: nothing refused at feed_seq 13 of SRB\'s feed to skip (the feed is applied up to 13); see dcimx status\n'])

    await node.db.close()
    const resumed = await cli(['sync', ...home], { clock })
    t.same([resumed.status, resumed.stdout], [0, 'SRB: ok, feed 13 -> 17 of 17, 0 applied, 4 unchanged, 0 superseded, 0 retracted (1 request)\n'])
    const after = await cli(['status', ...home], { clock })
    t.same([after.status, after.stdout.split('\n')[1]], [0, 'SRB      ok           feed 17/17, 4 table(s), last pull 2026-11-29T12:00:00.000Z'])
  })
  await t.test('the recipient may remove an ended agreement too: its retractions are still served and applied', async t => {
    const home = ['--home', hrv.home]
    rmSync(join(srb.home, POLICIES_DIR, 'srb-hrv.yaml'))
    t.same((await srb.publish()).issued.map(i => `#${i.seq} ${i.type} ${i.reason}`), [
      '#18 retraction agreement_ended', '#19 retraction agreement_ended', '#20 retraction agreement_ended', '#21 retraction agreement_ended',
    ])
    rmSync(join(hrv.home, POLICIES_DIR, 'srb-hrv.yaml'))
    const pulled = await cli(['sync', ...home], { clock })
    t.same([pulled.status, pulled.stdout], [0, 'SRB: ok, feed 17 -> 21 of 21, 0 applied, 0 unchanged, 0 superseded, 4 retracted (1 request)\n'])
    const status = await cli(['status', ...home], { clock })
    t.same([status.status, status.stdout.split('\n')[1]], [0, 'SRB      ok           feed 21/21, 0 table(s), last pull 2026-11-29T12:00:00.000Z'])
  })
})
