/**
 * Benchmark for issue 6: GET /v1/regional/totals on a liaison node under load, side by side
 * with a bare fastify JSON route on the same machine. Aim: at least half the bare route's
 * throughput for a cached query.
 *
 *   node --import tsx test/bench/regional.ts      (npm run bench:regional)
 *
 * Set-up (not measured), in this process: real nodes on loopback as the federation tests start
 * them (initHome, startNode on port 0, no schedule, each country and EUROPOL set up as each
 * other's peer with the pinned thumbprint). Each country (SRB, BIH, ALB by default) imports the
 * demo's synthetic records for 2015-2024 (DEMO_VOLUMES, the demo's seeds) and publishes under
 * its sample agreement with Europol (docs/agreements/<country>-europol.yaml, copied into both
 * homes' policies folders); EUROPOL pulls each feed (syncPeer). The country nodes are then
 * closed: only EUROPOL serves during the measurement. A user with role liaison is added
 * (addUser) and logs in over HTTP (POST /v1/login). PGlite (each node's embedded database in
 * its home, created from one migrated template) by default; PostgreSQL when DATABASE_URL is set
 * (one fresh database dcimx_bench_regional_* per node, created and dropped here).
 *
 * Contenders, served by this process (one server process), loaded by autocannon in a child
 * process (this file again, with --load) so that the load generator does not take CPU from the
 * servers' event loop:
 *   bare (object)   a bare fastify 5 app (no logger, no auth, no plugins) on loopback whose one
 *                   route returns the very object the node answered (JSON.parse of its body), so
 *                   fastify serialises the same JSON per request, as it does for the node.
 *   bare (string)   the same app, a second route sending the precomputed JSON text: what a
 *                   route costs with no serialisation at all.
 *   node cached     GET /v1/regional/totals?indicator=V2&years=2020-2024&by=EXPLOIT with the
 *                   bearer token, warmed once before (so every measured request hits the cache).
 *   node uncached   the same query with a different as_of on every request (each one misses
 *                   the cache and computes), once, after the rounds.
 * Each round runs the contenders in turn for BENCH_SECONDS with BENCH_CONNECTIONS connections,
 * pipelining 1, the order reversed every other round; each contender is warmed up for 2 s
 * first. For every run: requests/s (2xx responses over the run's duration), latency p50 and
 * p99, and the server process's CPU time per request (process.cpuUsage around the run; on
 * PostgreSQL the database server's own CPU is not in it).
 *
 * Then the breakdown: each step of a cached request timed on its own, in this process, with no
 * load (JWT verification, the user lookup, the data-version query, JSON serialisation of the
 * result, the whole request through app.inject); and, with BENCH_PROFILE=1, a V8 CPU profile
 * of the server process during one more cached-node run, its self time grouped by package.
 *
 * Environment:
 *   BENCH_ROUNDS       rounds (default 3)
 *   BENCH_SECONDS      seconds per run (default 10)
 *   BENCH_CONNECTIONS  autocannon connections (default 10)
 *   BENCH_COUNTRIES    countries publishing to EUROPOL (default SRB,BIH,ALB)
 *   BENCH_PROFILE      1: also profile the server during a cached-node run
 *   BENCH_JSON         a file: raw results as JSON (and, with BENCH_PROFILE=1, the profile as
 *                      <file>.cpuprofile, for Chrome DevTools)
 *   DATABASE_URL       PostgreSQL server to create the node databases on (default: PGlite)
 *
 * Prints markdown tables on stdout, progress on stderr; exits 1 if a measured run saw a non-2xx
 * response or an error.
 */
import { spawn } from 'node:child_process'
import { copyFileSync, createWriteStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import os from 'node:os'
import { join } from 'node:path'
import { finished } from 'node:stream/promises'
import Fastify, { type FastifyInstance } from 'fastify'
import { sql } from 'kysely'
import { fixedClock } from '../../src/clock.js'
import { pgliteTemplate } from '../../src/db/create-db.js'
import { migrateToLatest } from '../../src/db/migrate.js'
import { DEMO_NODES, DEMO_VOLUMES, DEMO_YEARS, SAMPLE_AGREEMENTS_DIR } from '../../src/demo/federation.js'
import { addPeer } from '../../src/exchange/peers.js'
import { publish } from '../../src/exchange/publish.js'
import { syncPeer } from '../../src/exchange/sync.js'
import { EMPTY_CROSSWALK } from '../../src/ingest/crosswalk.js'
import { importFile } from '../../src/ingest/import-file.js'
import { loadRecordSecret, recordKeyer } from '../../src/ingest/record-key.js'
import { writeSyntheticCsv } from '../../src/ingest/synthetic.js'
import { createLogger } from '../../src/logger.js'
import { initHome } from '../../src/node/home.js'
import { startNode, type RunningNode } from '../../src/node/start-node.js'
import { nodeAgreements, POLICIES_DIR } from '../../src/policy/load.js'
import { regionalTotals } from '../../src/totals/regional.js'
import type { RegionalResult } from '../../src/totals/types.js'
import { activeUser, addUser, generatePassword } from '../../src/users/users.js'
import { createDatabase, POSTGRES_URL } from '../helpers/db.js'

/** What the parent asks a --load child to do. */
interface LoadSpec {
  url: string
  headers: Record<string, string>
  seconds: number
  connections: number
  /** Append `&as_of=<NOW + n ms>` with a new n on every request (every request misses the cache). */
  varyAsOf?: number
}

/** What a --load child answers (one line of JSON). */
interface LoadResult {
  ok: number
  non2xx: number
  errors: number
  timeouts: number
  seconds: number
  rps: number
  p50: number
  p99: number
  /** Mean response size (bytes, headers included). */
  bytes: number
}

// ---------------------------------------------------------------------------------------------
// The load child: autocannon in a process of its own.

async function loadChild (spec: LoadSpec): Promise<void> {
  const { default: autocannon } = await import('autocannon')
  let n = 0
  const url = new URL(spec.url)
  const path = url.pathname + url.search
  const result = await autocannon({
    url: spec.url,
    connections: spec.connections,
    pipelining: 1,
    duration: spec.seconds,
    headers: spec.headers,
    ...(spec.varyAsOf === undefined
      ? {}
      : { requests: [{ method: 'GET', setupRequest: req => ({ ...req, path: `${path}&as_of=${new Date(spec.varyAsOf! + (++n)).toISOString()}` }) }] }),
  })
  const ok = result['2xx']
  const out: LoadResult = {
    ok,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    seconds: result.duration,
    rps: ok / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    bytes: result.requests.total === 0 ? 0 : result.throughput.total / result.requests.total,
  }
  process.stdout.write(JSON.stringify(out) + '\n')
}

// ---------------------------------------------------------------------------------------------
// Settings and helpers of the harness.

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10)
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10)
const COUNTRIES = (process.env.BENCH_COUNTRIES ?? 'SRB,BIH,ALB').split(',').map(c => c.trim()).filter(c => c !== '')
const PROFILE = process.env.BENCH_PROFILE === '1'
const JSON_OUT = process.env.BENCH_JSON
const LIAISON = 'EUROPOL'
const USER = 'liaison'
const QUERY = '/v1/regional/totals?indicator=V2&years=2020-2024&by=EXPLOIT'
const GOAL_RATIO = 0.5
/** The tests' "now": the sample agreements are in force and every year is in the past. */
const NOW = Date.UTC(2026, 10, 25, 12, 0, 0)
const clock = fixedClock(NOW)
const SELF = join(import.meta.dirname, 'regional.ts')

const log = (text: string): void => { process.stderr.write(text + '\n') }
const int = (v: number): string => Math.round(v).toLocaleString('en-US')
const fix = (v: number, digits = 1): string => v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })

function median (values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}
const range = (values: number[], f: (v: number) => string): string => values.length < 2 ? f(values[0]!) : `${f(Math.min(...values))}–${f(Math.max(...values))}`

/** A fresh PostgreSQL database (dropped by the cleanup), or undefined for PGlite. */
async function freshDatabase (drops: Array<() => Promise<void>>): Promise<string | undefined> {
  if (POSTGRES_URL === undefined) return undefined
  const fresh = await createDatabase('dcimx_bench_regional', POSTGRES_URL)
  drops.push(fresh.drop)
  return fresh.url
}

// ---------------------------------------------------------------------------------------------
// The federation: countries publishing to EUROPOL.

interface Federation {
  liaison: RunningNode
  token: string
  /** The uv claim of the token (the user's version). */
  userVersion: string
  /** The cached query's answer, as the node sent it. */
  body: string
  result: RegionalResult
  counts: Record<string, { victims: number, offenders: number, issued: number, applied: number }>
  /** Rows EUROPOL holds: signed objects received, and cells of releases. */
  held: { incoming: number, cells: number }
}

async function importRecords (node: RunningNode, country: string, dir: string): Promise<{ victims: number, offenders: number }> {
  const volume = DEMO_VOLUMES[country]
  const keyer = recordKeyer(loadRecordSecret(node.node.config.home))
  const out: Record<string, number> = {}
  for (const kind of ['victims', 'offenders'] as const) {
    const path = join(dir, `${country.toLowerCase()}-${kind}.csv`)
    const stream = createWriteStream(path)
    await writeSyntheticCsv(kind, { country, years: DEMO_YEARS, seed: DEMO_NODES.indexOf(country) + 1, victimsPerYear: volume?.victims, offendersPerYear: volume?.offenders }, stream)
    stream.end()
    await finished(stream)
    const r = await importFile({ db: node.node.db.db, clock, reporter: country, keyer, crosswalk: EMPTY_CROSSWALK }, { kind, path })
    if (r.status !== 'applied') throw new Error(`${country}: import of ${kind} was ${r.status}`)
    out[kind] = r.inserted + r.updated
  }
  return { victims: out.victims!, offenders: out.offenders! }
}

async function setUp (dir: string, drops: Array<() => Promise<void>>, closers: Array<() => Promise<void>>): Promise<Federation> {
  const template = POSTGRES_URL === undefined ? await pgliteTemplate(migrateToLatest) : undefined
  const start = async (id: string, agreements: string[]): Promise<RunningNode> => {
    const home = join(dir, id.toLowerCase())
    const databaseUrl = await freshDatabase(drops)
    await initHome({ home, country: id, port: 0, clock, ...(databaseUrl === undefined ? { template } : { databaseUrl }) })
    for (const name of agreements) copyFileSync(join(SAMPLE_AGREEMENTS_DIR, name), join(home, POLICIES_DIR, name))
    const running = await startNode({ home, env: {}, clock, port: 0, schedule: false, logger: () => createLogger({ level: 'silent' }) })
    closers.push(() => running.close())
    return running
  }
  const files = COUNTRIES.map(c => `${c.toLowerCase()}-europol.yaml`)
  const liaison = await start(LIAISON, files)
  const countries: RunningNode[] = []
  const counts: Federation['counts'] = {}
  for (const [i, c] of COUNTRIES.entries()) {
    const node = await start(c, [files[i]!])
    countries.push(node)
    const imported = await importRecords(node, c, dir)
    await addPeer(node.node.db.db, clock, c, { id: LIAISON, url: liaison.address, thumbprint: liaison.node.signingKey.kid })
    await addPeer(liaison.node.db.db, clock, LIAISON, { id: c, url: node.address, thumbprint: node.node.signingKey.kid })
    const report = await publish({ db: node.node.db.db, clock, node: c, signingKey: node.node.signingKey, agreements: nodeAgreements(node.node.config.home) })
    const sync = await syncPeer({ db: liaison.node.db.db, clock, node: LIAISON, signingKey: liaison.node.signingKey, agreements: nodeAgreements(liaison.node.config.home) }, c)
    if (!sync.ok) throw new Error(`EUROPOL could not pull ${c}: ${JSON.stringify(sync)}`)
    counts[c] = { ...imported, issued: report.issued.length, applied: sync.applied }
    log(`${c}: imported ${imported.victims} victims and ${imported.offenders} offenders, published ${report.issued.length} signed object(s), EUROPOL applied ${sync.applied}`)
  }
  // Only EUROPOL serves during the measurement.
  for (const node of countries) await node.close()

  const password = generatePassword()
  await addUser(liaison.node.db.db, clock, { name: USER, role: 'liaison', password })
  const res = await fetch(`${liaison.address}/v1/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: USER, password }) })
  const login = await res.json() as { token?: string }
  if (!res.ok || login.token === undefined) throw new Error(`login failed: ${res.status} ${JSON.stringify(login)}`)
  const token = login.token
  const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as { uv: string }

  // The warm-up request fills the cache; the second one is served from it.
  const get = async (): Promise<string> => {
    const r = await fetch(`${liaison.address}${QUERY}`, { headers: { authorization: `Bearer ${token}` } })
    const text = await r.text()
    if (r.status !== 200) throw new Error(`GET ${QUERY}: ${r.status} ${text.slice(0, 300)}`)
    return text
  }
  const first = await get()
  const body = await get()
  if (body !== first) throw new Error('the cached answer differs from the computed one')
  const result = JSON.parse(body) as RegionalResult
  const included = new Set(result.contributions.filter(c => c.status === 'included').map(c => c.country))
  if (COUNTRIES.some(c => !included.has(c))) throw new Error(`the totals do not include every country: ${[...included].join(', ')}`)
  const db = liaison.node.db.db
  const [incoming, cells] = await Promise.all([
    db.selectFrom('incoming').select(eb => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
    db.selectFrom('received_cell').select(eb => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
  ])
  return { liaison, token, userVersion: claims.uv, body, result, counts, held: { incoming: Number(incoming.n), cells: Number(cells.n) } }
}

// ---------------------------------------------------------------------------------------------
// The bare fastify app.

async function startBare (body: string): Promise<{ app: FastifyInstance, url: string }> {
  const object = JSON.parse(body) as unknown
  const app = Fastify({ logger: false })
  app.get('/object', async () => object)
  app.get('/string', async (_request, reply) => await reply.type('application/json; charset=utf-8').send(body))
  await app.listen({ host: '127.0.0.1', port: 0 })
  const addr = app.server.address()
  if (addr === null || typeof addr !== 'object') throw new Error('the bare app has no address')
  return { app, url: `http://127.0.0.1:${addr.port}` }
}

// ---------------------------------------------------------------------------------------------
// Runs.

interface Contender { name: string, url: string, headers: Record<string, string>, varyAsOf?: number }

interface Run extends LoadResult {
  contender: string
  round: number
  /** Server process CPU time per 2xx response, µs (user + system). */
  cpuUs: number
  /** Server process CPU use over the run, in cores. */
  cpuCores: number
}

function runChild (spec: LoadSpec): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', SELF, '--load', JSON.stringify(spec)], { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout.setEncoding('utf8')
    child.stdout.on('data', (chunk: string) => { out += chunk })
    child.on('error', reject)
    child.on('close', code => {
      if (code !== 0) { reject(new Error(`load child exited with ${code}`)); return }
      try {
        resolve(JSON.parse(out.trim().split('\n').at(-1)!) as LoadResult)
      } catch (err) {
        reject(err)
      }
    })
  })
}

async function measure (c: Contender, seconds: number, round: number): Promise<Run> {
  // The CPU window is the child's whole life, its start-up included (tsx, autocannon): the
  // servers are idle then, and nothing else runs in this process meanwhile.
  const cpu0 = process.cpuUsage()
  const r = await runChild({ url: c.url, headers: c.headers, seconds, connections: CONNECTIONS, ...(c.varyAsOf === undefined ? {} : { varyAsOf: c.varyAsOf }) })
  const cpu = process.cpuUsage(cpu0)
  const cpuUs = cpu.user + cpu.system
  return { ...r, contender: c.name, round, cpuUs: r.ok === 0 ? 0 : cpuUs / r.ok, cpuCores: cpuUs / 1e6 / r.seconds }
}

// ---------------------------------------------------------------------------------------------
// Breakdown: the steps of a cached request, each on its own, and an optional CPU profile.

/** Mean µs per call of `fn`, over about `ms` milliseconds after a short warm-up; median of 5 slices. */
async function timeIt (fn: () => unknown, ms = 1000): Promise<{ us: number, range: string }> {
  const warmEnd = performance.now() + ms / 5
  while (performance.now() < warmEnd) await fn()
  const slices: number[] = []
  for (let s = 0; s < 5; s++) {
    let n = 0
    const t0 = performance.now()
    const end = t0 + ms / 5
    while (performance.now() < end) { await fn(); n++ }
    slices.push((performance.now() - t0) * 1000 / n)
  }
  return { us: median(slices), range: range(slices, v => fix(v)) }
}

interface Step { step: string, us: number, range: string, note: string }

async function breakdown (fed: Federation, bare: FastifyInstance): Promise<Step[]> {
  const { app, node } = fed.liaison
  const db = node.db.db
  const steps: Step[] = []
  const add = async (step: string, note: string, fn: () => unknown, ms?: number): Promise<void> => {
    const t = await timeIt(fn, ms)
    steps.push({ step, us: t.us, range: t.range, note })
    log(`  ${step}: ${fix(t.us)} µs`)
  }
  const auth = { authorization: `Bearer ${fed.token}` }
  await add('whole cached request, app.inject (node)', 'no socket; routing, hooks, validation, auth, handler, serialisation', async () => {
    const r = await app.inject({ method: 'GET', url: QUERY, headers: auth })
    if (r.statusCode !== 200) throw new Error(`inject: ${r.statusCode}`)
  })
  await add('whole request, app.inject (bare, object)', 'no socket; routing, serialisation', async () => {
    const r = await bare.inject({ method: 'GET', url: '/object' })
    if (r.statusCode !== 200) throw new Error(`inject: ${r.statusCode}`)
  })
  await add('JWT verify (HS256, app.jwt.verify)', 'auth preHandler', () => app.jwt.verify(fed.token, { clockTimestamp: NOW }))
  await add('user lookup (activeUser: select app_user + sha256)', 'auth preHandler, one query', () => activeUser(db, USER, fed.userVersion))
  await add('data version query (count(*) incoming, max(import_run.id))', 'handler, one query', () => sql`select (select count(*) from incoming)::text || '/' || coalesce((select max(id) from import_run), 0)::text as v`.execute(db))
  await add('select 1 (round trip of the simplest query)', 'floor of any query', () => sql`select 1`.execute(db))
  await add('JSON.stringify(result)', 'serialisation (no response schema)', () => JSON.stringify(fed.result))
  await add('nodeAgreements(home) (read and check the policies folder)', 'uncached requests only', () => nodeAgreements(node.config.home))
  await add('regionalTotals (the uncached computation)', 'uncached requests only', () => regionalTotals({ db, node: LIAISON, kind: 'liaison', agreements: nodeAgreements(node.config.home), nowMs: NOW }, { indicator: 'V2', years: [2020, 2021, 2022, 2023, 2024], by: ['EXPLOIT'] }), 3000)
  return steps
}

interface ProfileNode { id: number, callFrame: { functionName: string, url: string }, hitCount?: number, children?: number[] }
interface Profile { nodes: ProfileNode[], samples: number[], timeDeltas: number[], startTime: number, endTime: number }

/** Where a profile node's self time goes: a package, node's internals, or a V8 pseudo-node. */
function bucket (frame: ProfileNode['callFrame']): string {
  const { url, functionName } = frame
  if (url === '') {
    if (functionName === '(garbage collector)') return 'GC'
    if (functionName === '(idle)') return '(idle)'
    if (functionName === '(program)') return '(program: V8/native, not JS)'
    if (functionName === '(root)') return '(root)'
    return `native ${functionName}`
  }
  if (url.startsWith('wasm://')) return 'PGlite WASM (PostgreSQL itself)'
  if (url.includes('node_modules/@electric-sql/pglite/')) return 'PGlite JS (glue, protocol parsing, file system)'
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)
  if (m !== null) return m[1]!
  if (url.startsWith('node:')) return 'node internals (http, net, streams)'
  const src = /\/(src\/[^?]+)/.exec(url)
  if (src !== null) return src[1]!
  return url
}

async function profileRun (c: Contender): Promise<{ run: Run, groups: Array<{ group: string, pct: number }>, functions: Array<{ fn: string, pct: number }> }> {
  const session = new Session()
  session.connect()
  await session.post('Profiler.enable')
  await session.post('Profiler.setSamplingInterval', { interval: 200 })
  await session.post('Profiler.start')
  const run = await measure(c, SECONDS, 0)
  const { profile } = await session.post('Profiler.stop') as unknown as { profile: Profile }
  session.disconnect()
  const byId = new Map(profile.nodes.map(n => [n.id, n]))
  // Samples taken while the profiler itself works (Profiler.stop serialising the profile) are
  // left out, as is idle time.
  const profiler = new Set<number>()
  const mark = (id: number, inside: boolean): void => {
    const n = byId.get(id)!
    const here = inside || n.callFrame.url === 'node:inspector'
    if (here) profiler.add(id)
    for (const c of n.children ?? []) mark(c, here)
  }
  mark(profile.nodes[0]!.id, false)
  const totals = new Map<string, number>()
  let all = 0
  for (const [i, id] of profile.samples.entries()) {
    const dt = profile.timeDeltas[i] ?? 0
    const group = bucket(byId.get(id)!.callFrame)
    if (group === '(idle)' || profiler.has(id)) continue
    totals.set(group, (totals.get(group) ?? 0) + dt)
    all += dt
  }
  const groups = [...totals].map(([group, t]) => ({ group, pct: 100 * t / all })).sort((a, b) => b.pct - a.pct)
  const fns = new Map<string, number>()
  for (const [i, id] of profile.samples.entries()) {
    const f = byId.get(id)!.callFrame
    if (f.functionName === '(idle)' || profiler.has(id)) continue
    const name = `${f.functionName === '' ? '(anonymous)' : f.functionName} ${bucket(f)}`
    fns.set(name, (fns.get(name) ?? 0) + (profile.timeDeltas[i] ?? 0))
  }
  const functions = [...fns].map(([fn, t]) => ({ fn, pct: 100 * t / all })).sort((a, b) => b.pct - a.pct).slice(0, 25)
  if (JSON_OUT !== undefined) writeFileSync(`${JSON_OUT}.cpuprofile`, JSON.stringify(profile))
  return { run, groups, functions }
}

// ---------------------------------------------------------------------------------------------
// Main.

async function main (): Promise<number> {
  const dir = mkdtempSync(join(os.tmpdir(), 'dcimx-bench-regional-'))
  const drops: Array<() => Promise<void>> = []
  const closers: Array<() => Promise<void>> = []
  const apps: FastifyInstance[] = []
  try {
    const engine = POSTGRES_URL === undefined ? 'PGlite (embedded, data folder in the home)' : `PostgreSQL (${new URL(POSTGRES_URL).host})`
    log(`set-up: ${COUNTRIES.join(', ')} publish to ${LIAISON} on ${engine}`)
    const t0 = performance.now()
    const fed = await setUp(dir, drops, closers)
    log(`set-up done in ${fix((performance.now() - t0) / 1000)} s; answer ${int(Buffer.byteLength(fed.body))} bytes, ${fed.result.cells.length} cells`)
    const bare = await startBare(fed.body)
    apps.push(bare.app)

    const auth = { authorization: `Bearer ${fed.token}` }
    const contenders: Contender[] = [
      { name: 'bare (object)', url: `${bare.url}/object`, headers: {} },
      { name: 'node cached', url: `${fed.liaison.address}${QUERY}`, headers: auth },
      { name: 'bare (string)', url: `${bare.url}/string`, headers: {} },
    ]
    log('warm-up, 2 s each')
    for (const c of contenders) await measure(c, 2, 0)
    const runs: Run[] = []
    for (let round = 1; round <= ROUNDS; round++) {
      const order = round % 2 === 1 ? contenders : [...contenders].reverse()
      for (const c of order) {
        const r = await measure(c, SECONDS, round)
        runs.push(r)
        log(`round ${round} ${c.name}: ${int(r.rps)} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms, ${int(r.cpuUs)} µs CPU/req, ${r.non2xx} non-2xx, ${r.errors} errors`)
      }
    }
    // Uncached: as_of varies, from one millisecond after the node's "now" on (everything applied is visible).
    const uncached: Contender = { name: 'node uncached', url: `${fed.liaison.address}${QUERY}`, headers: auth, varyAsOf: NOW }
    const un = await measure(uncached, SECONDS, 1)
    runs.push(un)
    log(`uncached: ${int(un.rps)} req/s, p50 ${un.p50} ms, p99 ${un.p99} ms, ${int(un.cpuUs)} µs CPU/req`)

    log('breakdown, each step on its own')
    const steps = await breakdown(fed, bare.app)
    let profiled: Awaited<ReturnType<typeof profileRun>> | undefined
    if (PROFILE) {
      log('profiling a cached-node run')
      profiled = await profileRun(contenders[1]!)
      log(`profiled run: ${int(profiled.run.rps)} req/s`)
    }

    // Report.
    const of = (name: string): Run[] => runs.filter(r => r.contender === name)
    const rpsBare = median(of('bare (object)').map(r => r.rps))
    const rpsNode = median(of('node cached').map(r => r.rps))
    const ratios = Array.from({ length: ROUNDS }, (_, i) => of('node cached')[i]!.rps / of('bare (object)')[i]!.rps)
    const out: string[] = []
    out.push(`Engine: ${engine}. Countries: ${COUNTRIES.join(', ')} (2015-2024). EUROPOL holds ${int(fed.held.incoming)} signed objects and ${int(fed.held.cells)} received cells. Answer: ${int(Buffer.byteLength(fed.body))} bytes of JSON, ${fed.result.cells.length} cells. ` +
      `${ROUNDS} rounds × ${SECONDS} s per contender, ${CONNECTIONS} connections, pipelining 1; servers in one process, autocannon in a child process. Node ${process.version}, ${os.cpus().length} CPUs, load average ${os.loadavg().map(v => v.toFixed(2)).join(' ')}.`)
    out.push('')
    out.push('| contender | req/s (median) | req/s (range) | p50 ms (median) | p99 ms (median, range) | server CPU µs/req (median) | server CPU (cores) | bytes/response |')
    out.push('| :-- | --: | --: | --: | --: | --: | --: | --: |')
    for (const name of ['bare (object)', 'bare (string)', 'node cached', 'node uncached']) {
      const rs = of(name)
      if (rs.length === 0) continue
      out.push(`| ${name}${name === 'node uncached' ? ' (1 run)' : ''} | ${int(median(rs.map(r => r.rps)))} | ${range(rs.map(r => r.rps), int)} | ${median(rs.map(r => r.p50))} | ${median(rs.map(r => r.p99))} (${range(rs.map(r => r.p99), v => String(v))}) | ${int(median(rs.map(r => r.cpuUs)))} | ${fix(median(rs.map(r => r.cpuCores)), 2)} | ${int(median(rs.map(r => r.bytes)))} |`)
    }
    out.push('')
    const ratio = rpsNode / rpsBare
    out.push(`**node cached / bare (object): ${fix(ratio, 2)}** (median req/s over median req/s; per round ${ratios.map(r => fix(r, 2)).join(', ')}); aim ≥ ${GOAL_RATIO}: ${ratio >= GOAL_RATIO ? 'met' : 'not met'}. ` +
      `node cached / bare (string): ${fix(rpsNode / median(of('bare (string)').map(r => r.rps)), 2)}. node uncached / node cached: ${fix(un.rps / rpsNode, 3)}.`)
    out.push('')
    out.push('Breakdown, each step on its own in the server process with no load (µs per call, median of 5 slices, range):')
    out.push('')
    out.push('| step | µs | range | where |')
    out.push('| :-- | --: | --: | :-- |')
    for (const s of steps) out.push(`| ${s.step} | ${fix(s.us)} | ${s.range} | ${s.note} |`)
    if (profiled !== undefined) {
      out.push('')
      out.push(`CPU profile of the server process during one cached-node run (${int(profiled.run.rps)} req/s), self time by package, idle excluded:`)
      out.push('')
      out.push('| where | share of busy time |')
      out.push('| :-- | --: |')
      for (const g of profiled.groups.filter(g => g.pct >= 0.5)) out.push(`| ${g.group} | ${fix(g.pct)}% |`)
      out.push('')
      out.push('| function (self time) | share |')
      out.push('| :-- | --: |')
      for (const f of profiled.functions.slice(0, 15)) out.push(`| ${f.fn} | ${fix(f.pct)}% |`)
    }
    process.stdout.write(out.join('\n') + '\n')
    if (JSON_OUT !== undefined) writeFileSync(JSON_OUT, JSON.stringify({ engine, countries: COUNTRIES, counts: fed.counts, held: fed.held, bytes: Buffer.byteLength(fed.body), runs, steps, profile: profiled }, null, 2))
    const bad = runs.filter(r => r.non2xx > 0 || r.errors > 0 || r.timeouts > 0)
    if (bad.length > 0) {
      log(`runs with non-2xx responses or errors: ${bad.map(r => `${r.contender} round ${r.round}`).join(', ')}`)
      return 1
    }
    return 0
  } finally {
    for (const app of apps) await app.close()
    for (const close of closers.reverse()) await close().catch(() => {})
    for (const drop of drops) await drop().catch(err => log(`drop failed: ${(err as Error).message}`))
    rmSync(dir, { recursive: true, force: true })
  }
}

if (process.argv[2] === '--load') {
  await loadChild(JSON.parse(process.argv[3]!) as LoadSpec)
} else {
  process.exitCode = await main()
}
