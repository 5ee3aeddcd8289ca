// A health check answers under load (found from outside, issue 12: under 100 connections
// /health on the embedded database served 220-290 requests/s with requests waiting more than
// 10 s, each queueing its own `select 1` behind the others). Requests arriving together share
// one probe; a probe that hangs answers "not ready" at its timeout.
import t from 'tap'
import { readinessProbe } from '../../src/http/routes/health.js'
import { testApp } from '../helpers/app.js'

t.test('concurrent requests share one probe; a stuck database is "not ready" at the timeout', async t => {
  let calls = 0
  let release: (ok: boolean) => void = () => {}
  const probe = readinessProbe(async () => { calls++; return await new Promise<boolean>(resolve => { release = resolve }) }, { timeoutMs: 60_000 })
  const waiting = Array.from({ length: 200 }, async () => await probe.ready())
  release(true)
  t.same(new Set(await Promise.all(waiting)), new Set([true]))
  t.same([calls, probe.probes()], [1, 1], '200 requests, one probe')
  const again = probe.ready()
  release(false)
  t.equal(await again, false, 'the next request probes again (no stale answer)')
  t.equal(probe.probes(), 2)

  const stuck = readinessProbe(async () => await new Promise<boolean>(() => {}), { timeoutMs: 50 })
  t.equal(await stuck.ready(), false, 'a probe that never answers: not ready at the timeout')
  const failing = readinessProbe(async () => { throw new Error('connection refused') })
  t.equal(await failing.ready(), false)
})

t.test('/health under 300 concurrent requests: all answered ok', async t => {
  const { app } = await testApp(t, 'SRB')
  const replies = await Promise.all(Array.from({ length: 300 }, async () => await app.inject('/health')))
  t.same(new Set(replies.map(r => r.statusCode)), new Set([200]))
  t.same(new Set(replies.map(r => r.json().status as string)), new Set(['ok']))
})
