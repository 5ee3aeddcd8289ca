// The whole pull ends at its deadline, whatever the peer does (found from outside, issue 12:
// against a peer that answered slowly, `dcimx sync` ran past its own 60 s limit in 13 of 19
// trials, to 93-100 s, three times hanging until killed: each page had its own limit).
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { FIXTURES, SAMPLE_AGREEMENTS, startPair, testClock } from '../helpers/federation.js'

t.test('pages served slowly one after another: cut at the pull\'s deadline, what was applied kept', async t => {
  const clock = testClock()
  const [srb, eu] = await startPair(t, 'SRB', 'EUROPOL', [join(SAMPLE_AGREEMENTS, 'srb-europol.yaml')], clock)
  await srb.importVictims(join(FIXTURES, 'victims-small.csv'))
  t.equal((await srb.publish()).issued.length, 6, 'six releases wait in Europol\'s feed')
  // One entry per page, each answered after 400 ms: every request alone is well inside the
  // 1-second deadline, the pull as a whole is not.
  const slow: typeof fetch = async (input, init) => {
    await sleep(400)
    return await fetch(input, init)
  }
  const started = performance.now()
  const r = await eu.sync('SRB', { pageSize: 1, timeoutMs: 1000, fetch: slow })
  const took = performance.now() - started
  t.equal(r.ok, false)
  t.same(Object.keys(r.rejected), ['TIMEOUT'])
  t.match(r.rejected.TIMEOUT![0]!.message, /the pull (had no complete answer within|passed) its deadline of 1000 ms/)
  t.ok(r.toSeq >= 1 && r.toSeq <= 3, `applied ${r.toSeq} page(s) of one entry before the deadline, of 6`)
  t.ok(took < 2500, `the pull ended after ${Math.round(took)} ms`)
  // The next pull goes on from there.
  const next = await eu.sync('SRB')
  t.same([next.ok, next.fromSeq], [true, r.toSeq])
  t.equal(next.toSeq, 6)
})
