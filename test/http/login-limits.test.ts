// Limits on what an unauthenticated caller can make the node do at POST /v1/login (issue 12,
// "Strangers and errors"): password checks counted before the hash.
import t from 'tap'
import { listAudit } from '../../src/audit/log.js'
import { LOGIN_MAX_FAILURES, LOGIN_WINDOW_MS, loginThrottle } from '../../src/users/throttle.js'
import { addUser } from '../../src/users/users.js'
import { testApp } from '../helpers/app.js'
import { TEST_NOW } from '../helpers/node.js'

const PASSWORD = 'correct horse battery staple'
const WRONG = 'not the password at all'

t.test('the throttle counts a check when it is taken', async t => {
  const throttle = loginThrottle()
  for (let i = 0; i < LOGIN_MAX_FAILURES; i++) t.equal(throttle.take('a\nu', 1000 + i), undefined, `check ${i + 1}`)
  t.equal(throttle.take('a\nu', 2000), 1000 + LOGIN_WINDOW_MS - 2000, 'the sixth waits until the first leaves the window')
  t.equal(throttle.take('b\nu', 2000), undefined, 'another address')
  t.equal(throttle.take('a\nv', 2000), undefined, 'another name')
  t.equal(throttle.take('a\nu', 1000 + LOGIN_WINDOW_MS), undefined, 'once the first has left the window')
  throttle.succeeded('a\nu')
  for (let i = 0; i < LOGIN_MAX_FAILURES; i++) t.equal(throttle.take('a\nu', 3000), undefined, 'a success cleared the count')
  const small = loginThrottle({ maxKeys: 2 })
  small.take('x', 0)
  small.take('y', 0)
  small.take('z', 0)
  t.equal(small.take('x', 0), undefined, 'bounded: the oldest key was forgotten')
})

t.test('forty wrong passwords at once: five are checked', async t => {
  let now = TEST_NOW
  const clock = { now: () => now }
  const { app, node } = await testApp(t, 'SRB', clock)
  const db = node.db.db
  await addUser(db, clock, { name: 'ana', role: 'operator', password: PASSWORD })
  const attempt = async (password: string, remoteAddress = '10.0.0.1'): Promise<number> =>
    (await app.inject({ method: 'POST', url: '/v1/login', payload: { user: 'ana', password }, remoteAddress })).statusCode
  const before = (await listAudit(db, { limit: 1000 })).filter(e => e.event === 'login_refused').length
  const statuses = await Promise.all(Array.from({ length: 40 }, async () => await attempt(WRONG)))
  t.same([statuses.filter(s => s === 401).length, statuses.filter(s => s === 429).length], [5, 35], 'five checked (401), thirty-five refused unchecked (429)')
  const refusals = (await listAudit(db, { limit: 1000 })).filter(e => e.event === 'login_refused').length - before
  t.equal(refusals, 5, 'five checks audited')
  t.equal(await attempt(PASSWORD), 429, 'the right password now waits too')
  t.equal(await attempt(PASSWORD, '10.0.0.2'), 200, 'ana from elsewhere is not held back')
  now += LOGIN_WINDOW_MS
  t.equal(await attempt(PASSWORD), 200, 'after the window')
})
