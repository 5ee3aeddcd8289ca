/**
 * Benchmark for issue 5: a full sync of one peer's releases (all indicators, 10 years) against
 * the floor, an HTTP GET of the same bytes plus one Ed25519 signature verification per release,
 * on the same machine; and an incremental sync with nothing new (aim: one request) against one
 * bare GET of an empty page.
 *
 *   node --import tsx test/bench/sync.ts      (npm run bench:sync)
 *
 * Set-up (not measured): two real nodes on loopback in this process, as the federation tests
 * start them (initHome, startNode on port 0, no schedule, each set up as the other's peer with
 * the pinned thumbprint). The publisher SRB imports the demo's synthetic records (2015-2024,
 * DEMO_VOLUMES.SRB) and publishes under a bench-only agreement, written as YAML to a temporary
 * folder and checked with loadAgreement, that grants the recipient HRV every indicator (V1-V5,
 * C1-C4) by every dimension for 2015-2024. PGlite (each node's embedded database in its home)
 * by default; PostgreSQL when DATABASE_URL is set (two fresh databases dcimx_bench_sync_*,
 * created and dropped here).
 *
 * Measured, in rounds that alternate the order (node, floor / floor, node):
 *   node full         syncPeer(HRV -> SRB) from last_seq 0 into an empty recipient. Between runs
 *                     the recipient's exchange rows for SRB (received_cell, received_slice,
 *                     incoming, sync_state) are deleted in one transaction and the tables
 *                     vacuumed, outside the measurement.
 *   floor full        fetch() of the very response bodies the node received (captured from its
 *                     own sync), served by a bare node:http server on loopback in this process,
 *                     read to the end; then crypto.verify(null, signingInput, publicKey,
 *                     signature) once per release (inputs prepared beforehand).
 *   node incremental  syncPeer with nothing new (the recipient is at the head).
 *   floor incremental fetch() of the empty page the node received, read to the end.
 * Then instrumented runs (a Kysely plugin timing every statement, a fetch wrapper timing the
 * HTTP exchange) split the node's full and incremental syncs into set-up, HTTP, parse + verify
 * and apply, and standalone timings of the parts on the captured bytes (JSON.parse,
 * verifySigned + object checks, the cells digests, feedPage, an empty transaction).
 *
 * Environment:
 *   BENCH_RUNS         full-sync rounds (default 7)
 *   BENCH_IDLE_RUNS    incremental rounds (default 40)
 *   BENCH_BREAKDOWN    instrumented full syncs (default 3; 0 skips the breakdown)
 *   BENCH_VOLUME       demo (default: SRB's demo volume, 85 victims and 55 offenders a year) or
 *                      large (400 and 250 a year)
 *   BENCH_JSON         a file: raw results as JSON, with the process.hrtime windows (µs) of the
 *                      timed node runs, to cut a --cpu-prof profile to them
 *   DATABASE_URL       PostgreSQL server to create the two databases on (default: PGlite)
 *
 * Prints markdown tables on stdout, progress on stderr; exits 1 if a sync is not ok.
 */
import { createPublicKey, verify as cryptoVerify, createHash, type KeyObject } from 'node:crypto'
import { createWriteStream, mkdtempSync, rmSync, writeFileSync, copyFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { once } from 'node:events'
import { finished } from 'node:stream/promises'
import os from 'node:os'
import { join } from 'node:path'
import { AliasNode, sql, TableNode, type Kysely, type KyselyPlugin, type OperationNode, type PluginTransformQueryArgs, type PluginTransformResultArgs, type QueryResult, type RootOperationNode, type UnknownRow } from 'kysely'
import { stringify } from 'yaml'
import { epochSeconds, fixedClock } from '../../src/clock.js'
import type { Database } from '../../src/db/types.js'
import { DEMO_NODES, DEMO_VOLUMES, DEMO_YEARS } from '../../src/demo/federation.js'
import { checkAgreement, checkCells, checkPlace } from '../../src/exchange/check-object.js'
import { feedPage } from '../../src/exchange/feed.js'
import { signPeerToken, verifyPeerToken } from '../../src/exchange/peer-token.js'
import { addPeer, findPeer } from '../../src/exchange/peers.js'
import { publish } from '../../src/exchange/publish.js'
import { syncPeer, type SyncDeps, type SyncReport } from '../../src/exchange/sync.js'
import { EMPTY_CROSSWALK } from '../../src/ingest/crosswalk.js'
import { importFile } from '../../src/ingest/import-file.js'
import { loadRecordSecret, recordKeyer } from '../../src/ingest/record-key.js'
import { writeSyntheticCsv } from '../../src/ingest/synthetic.js'
import { createLogger } from '../../src/logger.js'
import { initHome } from '../../src/node/home.js'
import { startNode, type RunningNode } from '../../src/node/start-node.js'
import type { AgreementFile } from '../../src/policy/agreement.js'
import { loadAgreement, lintAgreementText, formatProblem, nodeAgreements, POLICIES_DIR, type LoadedAgreement } from '../../src/policy/load.js'
import { canonicalJson } from '../../src/protocol/canonical-json.js'
import { findIndicator, INDICATOR_IDS } from '../../src/protocol/indicators.js'
import { signingInput, type FlattenedJws } from '../../src/protocol/jws.js'
import type { Release, Retraction } from '../../src/protocol/messages.js'
import { verifySigned } from '../../src/protocol/verify.js'
import { createDatabase, POSTGRES_URL } from '../helpers/db.js'

const VOLUMES = {
  demo: { victims: DEMO_VOLUMES.SRB!.victims, offenders: DEMO_VOLUMES.SRB!.offenders },
  large: { victims: 400, offenders: 250 },
} as const
type Volume = keyof typeof VOLUMES

const VOLUME = (process.env.BENCH_VOLUME ?? 'demo') as Volume
const RUNS = Number(process.env.BENCH_RUNS ?? 7)
const IDLE_RUNS = Number(process.env.BENCH_IDLE_RUNS ?? 40)
const BREAKDOWN_RUNS = Number(process.env.BENCH_BREAKDOWN ?? 3)
const JSON_OUT = process.env.BENCH_JSON
const PUBLISHER = 'SRB'
const RECIPIENT = 'HRV'
const YEARS = DEMO_YEARS
/** The tests' "now": the agreement is in force and every year is in the past. */
const NOW = Date.UTC(2026, 10, 25, 12, 0, 0)
const clock = fixedClock(NOW)
/** Standalone timings of the parts: repetitions (median). */
const PART_REPS = 7

const log = (text: string): void => { process.stderr.write(text + '\n') }
const ms = (v: number): string => v >= 100 ? Math.round(v).toLocaleString('en-US') : v >= 10 ? v.toFixed(1) : v.toFixed(2)
const int = (v: number): string => Math.round(v).toLocaleString('en-US')
const pct = (part: number, whole: number): string => whole === 0 ? '–' : `${(100 * part / whole).toFixed(1)}%`
const x = (a: number, b: number): string => `${(a / b).toFixed(1)}x`

function median (values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}
const range = (values: number[]): string => `${ms(Math.min(...values))}–${ms(Math.max(...values))}`
const micros = (): number => Number(process.hrtime.bigint() / 1000n)

// ---------------------------------------------------------------------------------------------
// Databases and nodes.

/** A fresh PostgreSQL database (dropped by the cleanup), or undefined for PGlite. */
async function freshDatabase (drops: Array<() => Promise<void>>): Promise<string | undefined> {
  if (POSTGRES_URL === undefined) return undefined
  const fresh = await createDatabase('dcimx_bench_sync', POSTGRES_URL)
  drops.push(fresh.drop)
  return fresh.url
}

interface BenchNode {
  id: string
  home: string
  kid: string
  running: RunningNode
  db: Kysely<Database>
  agreements: LoadedAgreement[]
}

async function startBenchNode (dir: string, id: string, agreementFile: string, drops: Array<() => Promise<void>>): Promise<BenchNode> {
  const home = join(dir, id.toLowerCase())
  const databaseUrl = await freshDatabase(drops)
  const { kid } = await initHome({ home, country: id, port: 0, databaseUrl, clock })
  copyFileSync(agreementFile, join(home, POLICIES_DIR, agreementFile.split('/').at(-1)!))
  const running = await startNode({ home, env: {}, clock, port: 0, schedule: false, logger: () => createLogger({ level: 'silent' }) })
  return { id, home, kid, running, db: running.node.db.db, agreements: nodeAgreements(home) }
}

/** The bench-only agreement: every indicator, every dimension, 2015-2024, checked by the node's own loader. */
function writeAgreement (dir: string): string {
  const file: AgreementFile = {
    agreement: 'srb-hrv-bench-sync',
    version: 1,
    title: 'Benchmark only: everything Serbia holds, to Croatia',
    provider: PUBLISHER,
    recipient: RECIPIENT,
    legal_basis: { instrument: 'Memorandum of Understanding on the regional exchange of THB statistics (DCIM Phase II)', article: 'Article 5' },
    purposes: ['statistics'],
    validity: { from: '2026-01-01', until: '2028-12-31', timezone: 'Europe/Belgrade' },
    threshold: 3,
    retention_years: 5,
    onward_sharing: false,
    grants: INDICATOR_IDS.map(id => ({
      indicator: id,
      by: findIndicator(id)!.dimensions.map(d => d.id),
      years: { from: YEARS[0]!, to: YEARS.at(-1)! },
    })) as AgreementFile['grants'],
    prohibitions: [],
  }
  const path = join(dir, 'srb-hrv-bench-sync.yaml')
  const text = stringify(file)
  const { problems } = lintAgreementText(text, path)
  if (problems.length > 0) throw new Error(`bench agreement invalid:\n${problems.map(formatProblem).join('\n')}`)
  writeFileSync(path, text)
  loadAgreement(path)
  return path
}

async function importRecords (node: BenchNode, dir: string): Promise<{ victims: number, offenders: number }> {
  const volume = VOLUMES[VOLUME]
  const keyer = recordKeyer(loadRecordSecret(node.home))
  const out: Record<string, number> = {}
  for (const kind of ['victims', 'offenders'] as const) {
    const path = join(dir, `${kind}.csv`)
    const stream = createWriteStream(path)
    // The demo's seed for SRB, so the demo volume gives the demo's records.
    await writeSyntheticCsv(kind, { country: PUBLISHER, years: YEARS, seed: DEMO_NODES.indexOf(PUBLISHER) + 1, victimsPerYear: volume.victims, offendersPerYear: volume.offenders }, stream)
    stream.end()
    await finished(stream)
    const r = await importFile({ db: node.db, clock, reporter: PUBLISHER, keyer, crosswalk: EMPTY_CROSSWALK }, { kind, path })
    if (r.status !== 'applied') throw new Error(`import of ${kind} was ${r.status}`)
    out[kind] = r.inserted + r.updated
  }
  return { victims: out.victims!, offenders: out.offenders! }
}

/** Deletes what the recipient holds from the publisher, in one transaction, then vacuums. */
async function resetRecipient (db: Kysely<Database>): Promise<void> {
  await db.transaction().execute(async trx => {
    await trx.deleteFrom('received_cell').where('release_id', 'in', trx.selectFrom('incoming').select('id').where('publisher', '=', PUBLISHER)).execute()
    await trx.deleteFrom('received_slice').where('publisher', '=', PUBLISHER).execute()
    await trx.deleteFrom('incoming').where('publisher', '=', PUBLISHER).execute()
    await trx.deleteFrom('sync_state').where('peer', '=', PUBLISHER).execute()
  })
  // Every run starts from the same physical state (no dead rows under the same keys).
  await sql`vacuum received_cell, received_slice, incoming, sync_state`.execute(db)
}

// ---------------------------------------------------------------------------------------------
// Instrumentation (breakdown runs only): every statement through a Kysely plugin, the HTTP
// exchange through a fetch wrapper that reads the whole body before handing it on.

interface Event { t: number, kind: 'fetch-start' | 'fetch-end' | 'query' }
interface StatementStats { n: number, ms: number }

class Recorder {
  events: Event[] = []
  statements = new Map<string, StatementStats>()
  /** Statement time by category, only for statements that start inside an apply segment. */
  applyStatements = new Map<string, StatementStats>()
  pages: Array<{ body: Buffer, contentType: string }> = []
  /** Every statement that finished: when it started, its category and how long it took. */
  finished: Array<{ t0: number, category: string, ms: number }> = []
  private readonly pending = new Map<string, { t0: number, category: string }>()

  plugin (): KyselyPlugin {
    return {
      transformQuery: (args: PluginTransformQueryArgs): RootOperationNode => {
        const t = performance.now()
        this.events.push({ t, kind: 'query' })
        this.pending.set(args.queryId.queryId, { t0: t, category: categorize(args.node) })
        return args.node
      },
      transformResult: async (args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> => {
        const p = this.pending.get(args.queryId.queryId)
        if (p !== undefined) {
          this.pending.delete(args.queryId.queryId)
          const s = this.statements.get(p.category) ?? { n: 0, ms: 0 }
          s.n++
          s.ms += performance.now() - p.t0
          this.statements.set(p.category, s)
          this.finished.push({ t0: p.t0, category: p.category, ms: performance.now() - p.t0 })
        }
        return args.result
      },
    }
  }

  fetch (): typeof fetch {
    return async (input, init) => {
      this.events.push({ t: performance.now(), kind: 'fetch-start' })
      const res = await fetch(input, init)
      const body = Buffer.from(await res.arrayBuffer())
      this.events.push({ t: performance.now(), kind: 'fetch-end' })
      this.pages.push({ body, contentType: res.headers.get('content-type') ?? 'application/json' })
      return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers })
    }
  }

  /** Splits [t0, t1] into set-up, HTTP, parse + verify and apply, from the events. */
  segments (t0: number, t1: number): Segments {
    const seg: Segments = { setup: 0, http: 0, verify: 0, apply: 0 }
    let phase: keyof Segments = 'setup'
    let since = t0
    const applyWindows: Array<[number, number]> = []
    for (const e of this.events) {
      if (e.t < t0 || e.t > t1) continue
      let next: keyof Segments = phase
      if (e.kind === 'fetch-start') next = 'http'
      else if (e.kind === 'fetch-end') next = 'verify'
      else if (phase === 'verify') next = 'apply'
      if (next !== phase) {
        seg[phase] += e.t - since
        if (phase === 'apply') applyWindows.push([since, e.t])
        phase = next
        since = e.t
      }
    }
    seg[phase] += t1 - since
    if (phase === 'apply') applyWindows.push([since, t1])
    for (const f of this.finished) {
      if (!applyWindows.some(([a, b]) => f.t0 >= a && f.t0 < b)) continue
      const s = this.applyStatements.get(f.category) ?? { n: 0, ms: 0 }
      s.n++
      s.ms += f.ms
      this.applyStatements.set(f.category, s)
    }
    return seg
  }

  reset (): void {
    this.events = []
    this.statements = new Map()
    this.applyStatements = new Map()
    this.finished = []
    this.pages = []
  }
}

interface Segments { setup: number, http: number, verify: number, apply: number }

function tableOf (node: OperationNode | undefined): string {
  if (node === undefined) return '?'
  if (TableNode.is(node)) return node.table.identifier.name
  if (AliasNode.is(node)) return tableOf(node.node)
  return node.kind
}

function categorize (node: RootOperationNode): string {
  switch (node.kind) {
    case 'SelectQueryNode': return `select ${tableOf(node.from?.froms[0])}`
    case 'InsertQueryNode': return `insert ${tableOf(node.into)}`
    case 'UpdateQueryNode': return `update ${tableOf(node.table)}`
    case 'DeleteQueryNode': return `delete ${tableOf(node.from.froms[0])}`
    case 'RawNode': {
      const text = node.sqlFragments.join('$').replace(/\s+/g, ' ').trim()
      if (text.includes('pg_advisory_xact_lock')) return 'select pg_advisory_xact_lock (audit)'
      if (/from sync_state .*for update/.test(text)) return 'select sync_state for update'
      if (text.startsWith('insert into sync_state')) return 'insert sync_state on conflict'
      return `raw ${text.slice(0, 40)}`
    }
    default: return node.kind
  }
}

// ---------------------------------------------------------------------------------------------
// The floor: a bare HTTP server on loopback serving the captured bytes.

interface Captured {
  /** The full sync's response bodies, one per request. */
  pages: Array<{ body: Buffer, contentType: string }>
  /** The incremental sync's empty page. */
  empty: { body: Buffer, contentType: string }
}

async function startFloorServer (captured: Captured): Promise<{ server: Server, base: string }> {
  const bodies = new Map<string, { body: Buffer, contentType: string }>()
  captured.pages.forEach((p, i) => bodies.set(`/page/${i}`, p))
  bodies.set('/empty', captured.empty)
  const server = createServer((req, res) => {
    const page = bodies.get(req.url ?? '')
    if (page === undefined) {
      res.writeHead(404).end()
      return
    }
    res.writeHead(200, { 'content-type': page.contentType, 'content-length': page.body.byteLength }).end(page.body)
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const addr = server.address()
  if (addr === null || typeof addr === 'string') throw new Error('no address')
  return { server, base: `http://127.0.0.1:${addr.port}` }
}

interface ToVerify { input: Buffer, signature: Buffer }

async function getAll (url: string): Promise<number> {
  const res = await fetch(url)
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`)
  return (await res.arrayBuffer()).byteLength
}

async function floorFull (base: string, captured: Captured, releases: ToVerify[], publicKey: KeyObject): Promise<{ total: number, get: number, verify: number }> {
  const t0 = performance.now()
  let bytes = 0
  for (let i = 0; i < captured.pages.length; i++) bytes += await getAll(`${base}/page/${i}`)
  const t1 = performance.now()
  for (const r of releases) {
    if (!cryptoVerify(null, r.input, publicKey, r.signature)) throw new Error('floor: a signature does not verify')
  }
  const t2 = performance.now()
  const expected = captured.pages.reduce((n, p) => n + p.body.byteLength, 0)
  if (bytes !== expected) throw new Error(`floor read ${bytes} bytes, expected ${expected}`)
  return { total: t2 - t0, get: t1 - t0, verify: t2 - t1 }
}

async function floorIdle (base: string, captured: Captured): Promise<number> {
  const t0 = performance.now()
  const bytes = await getAll(`${base}/empty`)
  const t = performance.now() - t0
  if (bytes !== captured.empty.body.byteLength) throw new Error('floor: empty page size differs')
  return t
}

// ---------------------------------------------------------------------------------------------

interface Dataset {
  releases: number
  retractions: number
  cells: number
  confidential: number
  payloadBytes: number
  responseBytes: number
  emptyBytes: number
  requests: number
  perIndicator: Map<string, { releases: number, cells: number, bytes: number }>
}

function describe (captured: Captured): { dataset: Dataset, toVerify: ToVerify[], objects: FlattenedJws[] } {
  const toVerify: ToVerify[] = []
  const objects: FlattenedJws[] = []
  const perIndicator = new Map<string, { releases: number, cells: number, bytes: number }>()
  let releases = 0
  let retractions = 0
  let cells = 0
  let confidential = 0
  let payloadBytes = 0
  for (const page of captured.pages) {
    const body = JSON.parse(page.body.toString('utf8')) as { feed: FlattenedJws, objects: FlattenedJws[] }
    for (const o of body.objects) {
      objects.push(o)
      const bytes = Buffer.from(o.payload, 'base64url')
      const payload = JSON.parse(bytes.toString('utf8')) as Release | Retraction
      payloadBytes += bytes.byteLength
      if (payload.type === 'retraction') {
        retractions++
        continue
      }
      releases++
      cells += payload.cells.length
      confidential += payload.cells.filter(c => c.conf_status === 'C').length
      const s = perIndicator.get(payload.dataset.indicator) ?? { releases: 0, cells: 0, bytes: 0 }
      s.releases++
      s.cells += payload.cells.length
      s.bytes += bytes.byteLength
      perIndicator.set(payload.dataset.indicator, s)
      toVerify.push({ input: signingInput(o.protected, o.payload), signature: Buffer.from(o.signature, 'base64url') })
    }
  }
  return {
    dataset: { releases, retractions, cells, confidential, payloadBytes, responseBytes: captured.pages.reduce((n, p) => n + p.body.byteLength, 0), emptyBytes: captured.empty.body.byteLength, requests: captured.pages.length, perIndicator },
    toVerify,
    objects,
  }
}

function checkFull (r: SyncReport, releases: number): void {
  if (!r.ok || r.fromSeq !== 0 || r.toSeq !== r.headSeq || r.applied !== releases) {
    throw new Error(`full sync not as expected: ${JSON.stringify(r)}`)
  }
}

function checkIdle (r: SyncReport): void {
  if (!r.ok || r.applied !== 0 || r.fromSeq !== r.toSeq) throw new Error(`incremental sync not as expected: ${JSON.stringify(r)}`)
}

async function timedSync (deps: SyncDeps): Promise<{ ms: number, report: SyncReport, window: [number, number] }> {
  const from = micros()
  const t0 = performance.now()
  const report = await syncPeer(deps, PUBLISHER)
  const t = performance.now() - t0
  return { ms: t, report, window: [from, micros()] }
}

/** Median time of `fn` over PART_REPS calls after one warm-up call. */
async function part (fn: () => unknown): Promise<number> {
  await fn()
  const times: number[] = []
  for (let i = 0; i < PART_REPS; i++) {
    const t0 = performance.now()
    await fn()
    times.push(performance.now() - t0)
  }
  return median(times)
}

async function main (): Promise<string> {
  if (!(VOLUME in VOLUMES)) throw new Error(`BENCH_VOLUME must be demo or large, not ${VOLUME}`)
  for (const [name, v] of [['BENCH_RUNS', RUNS], ['BENCH_IDLE_RUNS', IDLE_RUNS]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`${name} must be an integer >= 1`)
  }
  const engine = POSTGRES_URL === undefined ? 'PGlite (each node\'s embedded database in its home folder)' : `PostgreSQL (${new URL(POSTGRES_URL).host})`
  const dir = mkdtempSync(join(os.tmpdir(), 'dcimx-bench-sync-'))
  const drops: Array<() => Promise<void>> = []
  const nodes: BenchNode[] = []
  let floorServer: Server | undefined
  // Ctrl-C: close the nodes and drop the databases before leaving.
  const interrupted = (): void => { cleanup().finally(() => process.exit(130)).catch(() => {}) }
  process.once('SIGINT', interrupted)
  try {
    log(`engine: ${engine}; volume ${VOLUME}`)
    const agreementFile = writeAgreement(dir)
    const tSetup = performance.now()
    const srb = await startBenchNode(dir, PUBLISHER, agreementFile, drops)
    nodes.push(srb)
    const hrv = await startBenchNode(dir, RECIPIENT, agreementFile, drops)
    nodes.push(hrv)
    await addPeer(srb.db, clock, PUBLISHER, { id: RECIPIENT, url: hrv.running.address, thumbprint: hrv.kid })
    await addPeer(hrv.db, clock, RECIPIENT, { id: PUBLISHER, url: srb.running.address, thumbprint: srb.kid })
    log(`nodes started and peered in ${ms(performance.now() - tSetup)} ms`)
    const records = await importRecords(srb, dir)
    log(`SRB imported ${records.victims} victims and ${records.offenders} offenders`)
    const tPublish = performance.now()
    const published = await publish({ db: srb.db, clock, node: PUBLISHER, signingKey: srb.running.node.signingKey, agreements: srb.agreements })
    const publishMs = performance.now() - tPublish
    if (published.refused.length > 0) throw new Error(`publish refused ${published.refused.length} tables`)
    log(`SRB published ${published.issued.length} objects to HRV in ${ms(publishMs)} ms`)

    const deps: SyncDeps = { db: hrv.db, clock, node: RECIPIENT, signingKey: hrv.running.node.signingKey, agreements: hrv.agreements }
    const windows: Array<[number, number]> = []

    // Cold: the first sync in the process, into a fresh recipient.
    const cold = await timedSync(deps)
    checkFull(cold.report, published.issued.length)
    log(`cold full sync: ${ms(cold.ms)} ms (${cold.report.requests} requests)`)

    // Capture the bytes the node receives (full, then idle), outside the measurement.
    const recorder = new Recorder()
    await resetRecipient(hrv.db)
    const capture = await syncPeer({ ...deps, fetch: recorder.fetch() }, PUBLISHER)
    checkFull(capture, published.issued.length)
    const fullPages = recorder.pages
    recorder.reset()
    const captureIdle = await syncPeer({ ...deps, fetch: recorder.fetch() }, PUBLISHER)
    checkIdle(captureIdle)
    const captured: Captured = { pages: fullPages, empty: recorder.pages[0]! }
    recorder.reset()
    const { dataset, toVerify, objects } = describe(captured)
    log(`dataset: ${dataset.releases} releases, ${dataset.cells} cells, ${dataset.responseBytes} response bytes in ${dataset.requests} request(s); empty page ${dataset.emptyBytes} bytes`)
    const publicKey = createPublicKey(srb.running.node.signingKey.privateKey)
    const floor = await startFloorServer(captured)
    floorServer = floor.server
    for (let i = 0; i < 3; i++) {
      await floorFull(floor.base, captured, toVerify, publicKey)
      await floorIdle(floor.base, captured)
    }

    // Full sync: rounds alternating the order.
    const nodeFull: number[] = []
    const floorRuns: Array<{ total: number, get: number, verify: number }> = []
    for (let r = 0; r < RUNS; r++) {
      await resetRecipient(hrv.db)
      const order = r % 2 === 0 ? ['node', 'floor'] : ['floor', 'node']
      for (const who of order) {
        if (who === 'node') {
          const run = await timedSync(deps)
          checkFull(run.report, dataset.releases)
          nodeFull.push(run.ms)
          windows.push(run.window)
        } else {
          floorRuns.push(await floorFull(floor.base, captured, toVerify, publicKey))
        }
      }
      log(`  round ${r + 1}: node ${ms(nodeFull.at(-1)!)} ms, floor ${ms(floorRuns.at(-1)!.total)} ms (GET ${ms(floorRuns.at(-1)!.get)}, verify ${ms(floorRuns.at(-1)!.verify)}), load ${os.loadavg()[0]!.toFixed(2)}`)
    }

    // Incremental with nothing new: the recipient is at the head.
    const nodeIdle: number[] = []
    const floorIdleRuns: number[] = []
    const idleRequests: number[] = []
    for (let r = 0; r < IDLE_RUNS; r++) {
      const order = r % 2 === 0 ? ['node', 'floor'] : ['floor', 'node']
      for (const who of order) {
        if (who === 'node') {
          const run = await timedSync(deps)
          checkIdle(run.report)
          nodeIdle.push(run.ms)
          idleRequests.push(run.report.requests)
        } else {
          floorIdleRuns.push(await floorIdle(floor.base, captured))
        }
      }
    }
    log(`incremental: node median ${ms(median(nodeIdle))} ms (${range(nodeIdle)}), floor median ${ms(median(floorIdleRuns))} ms, requests ${[...new Set(idleRequests)].join(', ')}`)

    // Breakdown: instrumented runs.
    const breakdown: Array<{ total: number, seg: Segments, statements: Map<string, StatementStats>, apply: Map<string, StatementStats> }> = []
    const idleBreakdown: Array<{ total: number, seg: Segments, statements: Map<string, StatementStats> }> = []
    if (BREAKDOWN_RUNS > 0) {
      const instrumented: SyncDeps = { ...deps, db: hrv.db.withPlugin(recorder.plugin()), fetch: recorder.fetch() }
      for (let r = 0; r < BREAKDOWN_RUNS; r++) {
        await resetRecipient(hrv.db)
        recorder.reset()
        const t0 = performance.now()
        const report = await syncPeer(instrumented, PUBLISHER)
        const t1 = performance.now()
        checkFull(report, dataset.releases)
        const seg = recorder.segments(t0, t1)
        breakdown.push({ total: t1 - t0, seg, statements: recorder.statements, apply: recorder.applyStatements })
        log(`  instrumented full sync: ${ms(t1 - t0)} ms: set-up ${ms(seg.setup)}, HTTP ${ms(seg.http)}, parse + verify ${ms(seg.verify)}, apply ${ms(seg.apply)}`)
      }
      for (let r = 0; r < 5; r++) {
        recorder.reset()
        const t0 = performance.now()
        const report = await syncPeer(instrumented, PUBLISHER)
        const t1 = performance.now()
        checkIdle(report)
        idleBreakdown.push({ total: t1 - t0, seg: recorder.segments(t0, t1), statements: recorder.statements })
      }
    }

    // Standalone parts, on the captured bytes.
    const parts: Array<[string, number]> = []
    if (BREAKDOWN_RUNS > 0) {
      const peer = (await findPeer(hrv.db, PUBLISHER))!
      const now = epochSeconds(clock)
      const texts = captured.pages.map(p => p.body.toString('utf8'))
      parts.push(['JSON.parse of the response body', await part(() => texts.map(t => JSON.parse(t) as unknown))])
      const bodies = texts.map(t => JSON.parse(t) as { feed: FlattenedJws, objects: FlattenedJws[] })
      parts.push(['verifySigned of the feed page and of every object', await part(() => {
        for (const b of bodies) {
          verifySigned(b.feed, peer.keys, { now, expectedType: 'feed' })
          for (const o of b.objects) verifySigned(o, peer.keys, { now, ignoreExpiry: true })
        }
      })])
      const verified = objects.map(o => verifySigned(o, peer.keys, { now, ignoreExpiry: true }).payload as Release | Retraction)
      parts.push(['checkPlace + checkAgreement + checkCells of every object', await part(() => {
        let prev: string | null = null
        for (const p of verified) {
          const at = { peer: PUBLISHER, self: RECIPIENT, seq: p.feed_seq, prev }
          checkPlace(p, at)
          const held = checkAgreement(p, hrv.agreements, at)
          if (p.type === 'release') checkCells(p, held)
          prev = createHash('sha256').update(Buffer.from(objects[p.feed_seq - 1]!.payload, 'base64url')).digest('base64url')
        }
      })])
      parts.push(['raw Ed25519 verify of every release (the floor\'s part)', await part(() => {
        for (const r of toVerify) cryptoVerify(null, r.input, publicKey, r.signature)
      })])
      parts.push(['cells digests in apply (canonicalJson + SHA-256 per release-year)', await part(() => {
        for (const p of verified) {
          if (p.type !== 'release') continue
          for (const year of p.dataset.years) {
            createHash('sha256').update(canonicalJson(p.cells.filter(c => c.key.TIME_PERIOD === String(year)))).digest('base64url')
          }
        }
      })])
      parts.push(['JSON.stringify of every signed object (for incoming.signed)', await part(() => objects.map(o => JSON.stringify(o)))])
      const held = [...new Set(srb.agreements.map(a => a.hash))]
      const feedDeps = { db: srb.db, clock, node: PUBLISHER, signingKey: srb.running.node.signingKey }
      parts.push(['publisher: feedPage after 0 (read, JSON.parse of the stored objects, sign the page)', await part(() => feedPage(feedDeps, RECIPIENT, 0, held))])
      const page = await feedPage(feedDeps, RECIPIENT, 0, held)
      parts.push(['publisher: JSON.stringify of the page body', await part(() => JSON.stringify(page.body))])
      parts.push(['publisher: feedPage at the head (the empty page)', await part(() => feedPage(feedDeps, RECIPIENT, dataset.releases + dataset.retractions, held))])
      parts.push(['publisher: verifyPeerToken (signature, peer lookup, jti stored)', await part(async () => {
        const token = await signPeerToken(hrv.running.node.signingKey, { issuer: RECIPIENT, audience: PUBLISHER, now, agreements: held })
        await verifyPeerToken(srb.db, token, { self: PUBLISHER, now })
      }) - await part(() => signPeerToken(hrv.running.node.signingKey, { issuer: RECIPIENT, audience: PUBLISHER, now, agreements: held }))])
      parts.push(['recipient: one empty transaction (begin, select 1, commit)', await part(() => hrv.db.transaction().execute(async trx => await sql`select 1`.execute(trx)))])
    }

    if (JSON_OUT !== undefined) {
      const raw = { engine, volume: VOLUME, records, cold: cold.ms, nodeFull, floorRuns, nodeIdle, floorIdleRuns, idleRequests, windows }
      writeFileSync(JSON_OUT, JSON.stringify({
        ...raw,
        dataset: { ...dataset, perIndicator: Object.fromEntries(dataset.perIndicator) },
        breakdown: breakdown.map(b => ({ ...b, statements: Object.fromEntries(b.statements), apply: Object.fromEntries(b.apply) })),
        idleBreakdown: idleBreakdown.map(b => ({ ...b, statements: Object.fromEntries(b.statements) })),
        parts,
      }, null, 2))
    }

    return report({ engine, records, publishMs, dataset, cold: cold.ms, coldRequests: cold.report.requests, nodeFull, floorRuns, nodeIdle, floorIdleRuns, idleRequests, breakdown, idleBreakdown, parts })
  } finally {
    process.off('SIGINT', interrupted)
    await cleanup()
  }

  async function cleanup (): Promise<void> {
    floorServer?.close()
    for (const n of nodes.splice(0).reverse()) await n.running.close()
    for (const drop of drops.splice(0)) await drop()
    rmSync(dir, { recursive: true, force: true })
  }
}

interface Report {
  engine: string
  records: { victims: number, offenders: number }
  publishMs: number
  dataset: Dataset
  cold: number
  coldRequests: number
  nodeFull: number[]
  floorRuns: Array<{ total: number, get: number, verify: number }>
  nodeIdle: number[]
  floorIdleRuns: number[]
  idleRequests: number[]
  breakdown: Array<{ total: number, seg: Segments, statements: Map<string, StatementStats>, apply: Map<string, StatementStats> }>
  idleBreakdown: Array<{ total: number, seg: Segments, statements: Map<string, StatementStats> }>
  parts: Array<[string, number]>
}

function mergeStats (maps: Array<Map<string, StatementStats>>): Array<[string, StatementStats]> {
  const keys = new Set(maps.flatMap(m => [...m.keys()]))
  return [...keys].map(k => {
    const n = median(maps.map(m => m.get(k)?.n ?? 0))
    const t = median(maps.map(m => m.get(k)?.ms ?? 0))
    return [k, { n, ms: t }] as [string, StatementStats]
  }).sort((a, b) => b[1].ms - a[1].ms)
}

/** The report as markdown, printed once everything is closed and dropped. */
function report (r: Report): string {
  const lines: string[] = []
  const out = (line = ''): void => { lines.push(line) }
  const cpus = os.cpus()
  const d = r.dataset
  const nodeFull = median(r.nodeFull)
  const floorFull = median(r.floorRuns.map(f => f.total))
  const floorGet = median(r.floorRuns.map(f => f.get))
  const floorVerify = median(r.floorRuns.map(f => f.verify))
  const nodeIdle = median(r.nodeIdle)
  const floorIdle = median(r.floorIdleRuns)
  out(`### ${r.engine}, ${VOLUME} volume`)
  out()
  out(`Machine: ${cpus.length} CPUs (${cpus[0]?.model ?? '?'}), Node ${process.version}, load average at the end ${os.loadavg().map(l => l.toFixed(2)).join(' ')}.`)
  out(`Records: SRB ${int(r.records.victims)} victims, ${int(r.records.offenders)} offenders (${YEARS[0]}-${YEARS.at(-1)}); publish took ${ms(r.publishMs)} ms (set-up).`)
  out(`Feed: ${d.releases} releases${d.retractions === 0 ? '' : ` and ${d.retractions} retractions`}, ${int(d.cells)} cells (${int(d.confidential)} confidential), ${int(d.payloadBytes)} payload bytes; response ${int(d.responseBytes)} bytes in ${d.requests} request(s); the empty page is ${int(d.emptyBytes)} bytes.`)
  out()
  out('| what | median | range | runs | node / floor |')
  out('| :-- | --: | --: | --: | --: |')
  out(`| full sync, node: syncPeer from 0 into an empty recipient (${r.coldRequests} request${r.coldRequests === 1 ? '' : 's'}) | **${ms(nodeFull)} ms** | ${range(r.nodeFull)} | ${r.nodeFull.length} | **${x(nodeFull, floorFull)}** |`)
  out(`| full sync, floor: GET of the same ${int(d.responseBytes)} bytes + ${d.releases} Ed25519 verifies | **${ms(floorFull)} ms** | ${range(r.floorRuns.map(f => f.total))} | ${r.floorRuns.length} | 1x |`)
  out(`| &nbsp;&nbsp;of which the GET | ${ms(floorGet)} ms | ${range(r.floorRuns.map(f => f.get))} | | |`)
  out(`| &nbsp;&nbsp;of which the verifies | ${ms(floorVerify)} ms | ${range(r.floorRuns.map(f => f.verify))} | | |`)
  out(`| full sync, node, cold (first in the process) | ${ms(r.cold)} ms | | 1 | ${x(r.cold, floorFull)} |`)
  out(`| incremental, node: syncPeer with nothing new (requests: ${[...new Set(r.idleRequests)].join(', ')}) | **${ms(nodeIdle)} ms** | ${range(r.nodeIdle)} | ${r.nodeIdle.length} | **${x(nodeIdle, floorIdle)}** |`)
  out(`| incremental, floor: GET of the ${int(d.emptyBytes)}-byte empty page | **${ms(floorIdle)} ms** | ${range(r.floorIdleRuns)} | ${r.floorIdleRuns.length} | 1x |`)
  out()
  if (r.breakdown.length > 0) {
    const total = median(r.breakdown.map(b => b.total))
    const seg = (k: keyof Segments): number => median(r.breakdown.map(b => b.seg[k]))
    out(`Where the full sync's time goes (${r.breakdown.length} instrumented runs, medians; instrumented total ${ms(total)} ms):`)
    out()
    out('| part | ms | share |')
    out('| :-- | --: | --: |')
    out(`| set-up: peer, sync_state, peer token | ${ms(seg('setup'))} | ${pct(seg('setup'), total)} |`)
    out(`| HTTP: request to last byte (the publisher serves in this process) | ${ms(seg('http'))} | ${pct(seg('http'), total)} |`)
    out(`| parse + verify: JSON.parse, feed page and ${d.releases} objects verified and checked | ${ms(seg('verify'))} | ${pct(seg('verify'), total)} |`)
    out(`| apply: ${d.releases} transactions, then the sync_state update | ${ms(seg('apply'))} | ${pct(seg('apply'), total)} |`)
    const apply = mergeStats(r.breakdown.map(b => b.apply))
    const inStatements = apply.reduce((n, [, s]) => n + s.ms, 0)
    for (const [k, s] of apply) out(`| &nbsp;&nbsp;${k} (${int(s.n)} statements) | ${ms(s.ms)} | ${pct(s.ms, total)} |`)
    out(`| &nbsp;&nbsp;between statements: begin/commit, cells digests, row building | ${ms(seg('apply') - inStatements)} | ${pct(seg('apply') - inStatements, total)} |`)
    out()
    const all = mergeStats(r.breakdown.map(b => b.statements))
    out(`Statements on the recipient per full sync: ${int(all.reduce((n, [, s]) => n + s.n, 0))}, plus ${d.releases} transactions.`)
    out()
    const idle = r.idleBreakdown
    const idleTotal = median(idle.map(b => b.total))
    const iseg = (k: keyof Segments): number => median(idle.map(b => b.seg[k]))
    const idleStatements = mergeStats(idle.map(b => b.statements))
    out(`Incremental sync (${idle.length} instrumented runs, medians; total ${ms(idleTotal)} ms): set-up ${ms(iseg('setup'))} ms, HTTP ${ms(iseg('http'))} ms, parse + verify ${ms(iseg('verify'))} ms, finish ${ms(iseg('apply'))} ms; ${int(idleStatements.reduce((n, [, s]) => n + s.n, 0))} statements on the recipient (${idleStatements.map(([k, s]) => `${k} ${s.n}`).join(', ')}).`)
    out()
    out(`Parts timed on their own on the captured bytes (median of ${PART_REPS}):`)
    out()
    out('| part | ms |')
    out('| :-- | --: |')
    for (const [name, t] of r.parts) out(`| ${name} | ${ms(t)} |`)
    out()
  }
  out('Per indicator:')
  out()
  out('| indicator | releases | cells | payload bytes |')
  out('| :-- | --: | --: | --: |')
  for (const [id, s] of [...d.perIndicator].sort(([a], [b]) => INDICATOR_IDS.indexOf(a as never) - INDICATOR_IDS.indexOf(b as never))) {
    out(`| ${id} | ${s.releases} | ${int(s.cells)} | ${int(s.bytes)} |`)
  }
  out()
  return lines.join('\n')
}

// Not a tap test: only when started by hand.
const underTap = process.env.TAP_CHILD_ID !== undefined || process.env.TAP === '1'
if (!underTap) {
  try {
    process.stdout.write(await main())
  } catch (err) {
    process.exitCode = 1
    throw err
  }
}
