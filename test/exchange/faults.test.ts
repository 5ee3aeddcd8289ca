// Faults between real nodes: a connection dropped mid-pull and resumed, two pulls at once, a
// peer down, and the puller killed (SIGKILL) inside the transaction applying an object.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { peerStatuses } from '../../src/exchange/status.js'
import { openNode } from '../../src/node/home.js'
import { addUser } from '../../src/users/users.js'
import { FIXTURES, startPair, testClock, type TestNode } from '../helpers/federation.js'

const AGREEMENT = join(FIXTURES, 'agreements', 'srb-hrv.yaml')

async function held (node: TestNode | { running: { node: { db: { db: TestNode['running']['node']['db']['db'] } } } }): Promise<{ incoming: number, slices: number, cells: number, lastSeq: number }> {
  const db = node.running.node.db.db
  const count = async (table: 'incoming' | 'received_slice' | 'received_cell'): Promise<number> => Number((await db.selectFrom(table).select(eb => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n)
  const state = await db.selectFrom('sync_state').select('last_seq').executeTakeFirst()
  return { incoming: await count('incoming'), slices: await count('received_slice'), cells: await count('received_cell'), lastSeq: Number(state?.last_seq ?? 0) }
}

async function published (t: Test): Promise<{ srb: TestNode, hrv: TestNode, clock: ReturnType<typeof testClock> }> {
  const clock = testClock()
  const [srb, hrv] = await startPair(t, 'SRB', 'HRV', [AGREEMENT], clock)
  await srb.importVictims(join(FIXTURES, 'victims-small.csv'))
  const p = await srb.publish()
  t.equal(p.issued.length, 4, 'four releases in the feed')
  return { srb, hrv, clock }
}

t.test('a connection dropped mid-pull: what arrived whole is applied, the rest follows on the next pull', async t => {
  const { hrv } = await published(t)
  let calls = 0
  // The third page is cut off after 100 bytes; the fourth arrives as truncated JSON.
  const dropping: typeof fetch = async (input, init) => {
    calls++
    const res = await fetch(input, init)
    if (calls === 3) {
      const reader = res.body!.getReader()
      const body = new ReadableStream({
        async pull (controller) {
          const { value } = await reader.read()
          controller.enqueue(value!.slice(0, 100))
          controller.error(new TypeError('terminated', { cause: new Error('other side closed') }))
        },
      })
      return new Response(body, { status: res.status, headers: res.headers })
    }
    return res
  }
  const first = await hrv.sync('SRB', { fetch: dropping, pageSize: 1 })
  t.same([first.ok, first.toSeq, first.applied, Object.keys(first.rejected), first.requests], [false, 2, 2, ['FETCH_FAILED'], 3])
  t.match(first.rejected.FETCH_FAILED![0]!.message, /other side closed/)
  t.same(await held(hrv), { incoming: 2, slices: 2, cells: (await held(hrv)).cells, lastSeq: 2 }, 'two objects applied whole, nothing of the third')

  const truncated: typeof fetch = async (input, init) => {
    const res = await fetch(input, init)
    const text = await res.text()
    return new Response(text.slice(0, text.length - 10), { status: 200 })
  }
  const second = await hrv.sync('SRB', { fetch: truncated, pageSize: 1 })
  t.same([second.ok, second.toSeq, Object.keys(second.rejected)], [false, 2, ['FEED_MALFORMED']])

  const resumed = await hrv.sync('SRB', { pageSize: 1 })
  t.same([resumed.ok, resumed.fromSeq, resumed.toSeq, resumed.applied, resumed.requests], [true, 2, 4, 2, 2], 'resumes after the last object applied')
  const [status] = await peerStatuses(hrv.running.node.db.db, Date.now())
  t.equal(status!.failures, 0, 'a successful pull clears the failures')
})

t.test('two pulls at once apply each object once', async t => {
  const { hrv } = await published(t)
  const [a, b] = await Promise.all([hrv.sync('SRB', { pageSize: 1 }), hrv.sync('SRB', { pageSize: 2 })])
  t.ok(a.ok && b.ok, 'both pulls succeed')
  t.equal(a.applied + b.applied, 4, 'four objects applied in all, none twice')
  const h = await held(hrv)
  t.same([h.incoming, h.slices, h.lastSeq], [4, 4, 4])
})

t.test('a peer that is down is reported with the reason, and pulls back off', async t => {
  const { srb, hrv, clock } = await published(t)
  await srb.running.close()
  const down = await hrv.sync('SRB')
  t.same([down.ok, Object.keys(down.rejected)], [false, ['FETCH_FAILED']])
  const [status] = await peerStatuses(hrv.running.node.db.db, clock.now())
  t.same([status!.status, status!.failures], ['down', 1])
  t.match(status!.reason, /^FETCH_FAILED: http:\/\/127\.0\.0\.1:\d+\/v1\/feed\?after=0: /)
  // Public /health says the node is up and ready, and nothing of its peers (issue 12: it showed their error texts).
  const health = await hrv.running.app.inject({ method: 'GET', url: '/health' })
  t.same([health.statusCode, health.json().status, health.json().ready], [200, 'ok', true], 'the node itself is up')
  t.same(Object.keys(health.json()).sort(), ['live', 'node', 'protocol', 'ready', 'status', 'time'])
  t.notMatch(health.body, /SRB|FETCH_FAILED|127\.0\.0\.1/, 'no peer, error or address in /health')
  // Operators read the details with a token.
  await addUser(hrv.running.node.db.db, clock, { name: 'op', role: 'operator', password: 'a long operator password' })
  const login = await hrv.running.app.inject({ method: 'POST', url: '/v1/login', payload: { user: 'op', password: 'a long operator password' } })
  const detail = await hrv.running.app.inject({ url: '/v1/status', headers: { authorization: `Bearer ${login.json().token}` } })
  const peer = detail.json().peers[0]
  t.same([detail.statusCode, peer.peer, peer.status, peer.failures, peer.last_error.code], [200, 'SRB', 'down', 1, 'FETCH_FAILED'])
  t.equal((await hrv.running.app.inject({ url: '/v1/status' })).statusCode, 401, 'and not without one')
})

t.test('the puller killed inside an apply: nothing half-applied, and the next pull completes', async t => {
  const { srb, hrv, clock } = await published(t)
  // The reference: what a clean pull gives, in another recipient's copy is not available, so
  // count from the feed itself: 4 objects, one slice each.
  await hrv.running.close()
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '..', 'helpers', 'sync-child.ts'), hrv.home, 'SRB', '2', String(clock.now())], {
    env: { ...process.env, NODE_V8_COVERAGE: undefined, NODE_OPTIONS: undefined, DATABASE_URL: undefined },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  child.stdout.on('data', (d: Buffer) => { out += d.toString() })
  child.stderr.on('data', (d: Buffer) => { out += d.toString() })
  const [code, signal] = await once(child, 'exit') as [number | null, string | null]
  t.same([code, signal], [null, 'SIGKILL'], `the puller was killed (${out.trim()})`)

  const reopened = await openNode({ home: hrv.home, env: {}, clock })
  t.teardown(() => reopened.db.close())
  const after = await held({ running: { node: reopened } })
  t.same([after.incoming, after.slices, after.lastSeq], [1, 1, 1], 'the first object is applied, nothing of the second')
  const cells = await reopened.db.db.selectFrom('received_cell').select('release_id').distinct().execute()
  t.equal(cells.length, 1, 'no cells of the object whose apply was killed')

  const { syncPeer } = await import('../../src/exchange/sync.js')
  const { nodeAgreements } = await import('../../src/policy/load.js')
  const resumed = await syncPeer({ db: reopened.db.db, clock, node: 'HRV', signingKey: reopened.signingKey, agreements: nodeAgreements(hrv.home) }, 'SRB')
  t.same([resumed.ok, resumed.fromSeq, resumed.toSeq, resumed.applied], [true, 1, 4, 3])
  t.ok(srb.url.startsWith('http://127.0.0.1:'))
})
