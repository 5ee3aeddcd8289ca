/**
 * The demo federation: the seven Western Balkan nodes and a liaison node on one machine, each
 * with its own home, keys and embedded database, listening on loopback ports the OS chooses.
 * Homes are kept in one folder and reused on the next run.
 */
import { copyFileSync, createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { finished } from 'node:stream/promises'
import { join } from 'node:path'
import { epochSeconds, systemClock, type Clock } from '../clock.js'
import { addUser, generatePassword, listUsers, removeUser } from '../users/users.js'
import { CONFIG_FILE, yearClosesOn } from '../config.js'
import { AppError, isAppError } from '../errors.js'
import { addPeer, findPeer, removePeer } from '../exchange/peers.js'
import { publish } from '../exchange/publish.js'
import { syncAll, type SyncReport } from '../exchange/sync.js'
import { loadAgreement, nodeAgreements, POLICIES_DIR } from '../policy/load.js'
import { fetchPeerDescriptor } from '../exchange/peer-descriptor.js'
import { createLogger } from '../logger.js'
import { initHome } from '../node/home.js'
import { pgliteTemplate } from '../db/create-db.js'
import { migrateToLatest } from '../db/migrate.js'
import { startNode, type RunningNode } from '../node/start-node.js'
import { WESTERN_BALKANS } from '../protocol/codelists.js'
import { EMPTY_CROSSWALK } from '../ingest/crosswalk.js'
import { importFile } from '../ingest/import-file.js'
import { nodeRecordKeyer } from '../ingest/record-key.js'
import { packageRoot } from '../package-root.js'
import { writeSyntheticCsv } from '../ingest/synthetic.js'

export const DEMO_NODES: readonly string[] = [...WESTERN_BALKANS, 'EUROPOL']

export interface DemoOptions {
  /** Folder holding one home per node (created if missing, reused if present). */
  dir: string
  nodes?: readonly string[]
  clock: Clock
  /** Progress lines for the person watching. */
  progress: (line: string) => void
}

/**
 * Victims and offenders registered per year in each demo country: the order of magnitude of
 * what the region's national rapporteurs publish (tens to about a hundred victims a year).
 */
export const DEMO_VOLUMES: Readonly<Record<string, { victims: number, offenders: number }>> = {
  ALB: { victims: 95, offenders: 60 },
  BIH: { victims: 60, offenders: 45 },
  HRV: { victims: 35, offenders: 25 },
  XKX: { victims: 45, offenders: 40 },
  MNE: { victims: 15, offenders: 10 },
  MKD: { victims: 30, offenders: 25 },
  SRB: { victims: 85, offenders: 55 },
}

/** Years of synthetic records each demo country imports. */
export const DEMO_YEARS = Array.from({ length: 10 }, (_, i) => 2015 + i)

export interface HeldTotals {
  node: string
  victims: number
  offenders: number
  /** V1 total of the last demo year. */
  victimsLastYear: number
}

export interface DescriptorCheck {
  node: string
  url: string
  ok: boolean
  /** The signing key's thumbprint when ok, the error code otherwise. */
  detail: string
}

export interface DemoFederation {
  nodes: RunningNode[]
  checks: DescriptorCheck[]
  held: HeldTotals[]
  /** What each country published (signed objects issued, tables unchanged). */
  published: Array<{ node: string, issued: number, unchanged: number, refused: number }>
  /** Every pull of the first round. */
  syncs: SyncReport[]
  /** Seconds each phase took: start, peers, publish, sync. */
  timings: Record<string, number>
  close(): Promise<void>
}

/** The sample agreements (docs/agreements), shipped with the package (sources and image alike). */
export const SAMPLE_AGREEMENTS_DIR = join(packageRoot(import.meta.url) ?? fileURLToPath(new URL('../..', import.meta.url)), 'docs', 'agreements')

/** Copies into a node's policies folder every sample agreement it is a party to, among `ids`. */
function installAgreements (home: string, node: string, ids: readonly string[]): number {
  if (!existsSync(SAMPLE_AGREEMENTS_DIR)) throw new AppError('FILE_UNREADABLE', `${SAMPLE_AGREEMENTS_DIR}: the sample agreements are missing (run the demo from a checkout of the repository)`)
  let n = 0
  for (const name of readdirSync(SAMPLE_AGREEMENTS_DIR).filter(f => f.endsWith('.yaml')).sort()) {
    const a = loadAgreement(join(SAMPLE_AGREEMENTS_DIR, name)).agreement
    if ((a.provider !== node && a.recipient !== node) || !ids.includes(a.provider) || !ids.includes(a.recipient)) continue
    copyFileSync(join(SAMPLE_AGREEMENTS_DIR, name), join(home, POLICIES_DIR, name))
    n++
  }
  return n
}

/**
 * Sets every pair of nodes that hold an agreement up as each other's peers, pinning each
 * key: the demo plays both operators, so it reads the thumbprint from the node itself where a
 * real operator would confirm it out of band. A peer already set up under another address
 * (the ports change from run to run) is set up again.
 */
async function setUpPeers (running: RunningNode[], clock: Clock): Promise<number> {
  const byId = new Map(running.map(r => [r.node.config.node.id, r]))
  let pairs = 0
  for (const r of running) {
    const self = r.node.config.node.id
    const partners = new Set<string>()
    for (const l of nodeAgreements(r.node.config.home)) {
      const other = l.agreement.provider === self ? l.agreement.recipient : l.agreement.provider
      if (byId.has(other)) partners.add(other)
    }
    for (const other of [...partners].sort()) {
      const peer = byId.get(other)!
      const existing = await findPeer(r.node.db.db, other)
      if (existing?.url === peer.address && existing.keys.has(peer.node.signingKey.kid)) continue
      if (existing !== undefined) await removePeer(r.node.db.db, clock, other)
      await addPeer(r.node.db.db, clock, self, { id: other, url: peer.address, thumbprint: peer.node.signingKey.kid })
      pairs++
    }
  }
  return pairs
}

/**
 * Creates (or reuses) and starts every node, then fetches each node's signed descriptor over
 * HTTP and verifies it against the JWKS the node serves, as a peer does when it is set up.
 * Nodes log nothing: the demo prints its own summary.
 */
export async function startDemoFederation (options: DemoOptions): Promise<DemoFederation> {
  const ids = options.nodes ?? DEMO_NODES
  const running: RunningNode[] = []
  const close = async (): Promise<void> => { await Promise.all(running.map(n => n.close())) }
  try {
    let template: Blob | undefined
    for (const id of ids) {
      const home = join(options.dir, id.toLowerCase())
      if (!existsSync(join(home, CONFIG_FILE))) {
        const started = options.clock.now()
        // Every new home starts from one migrated empty database instead of initialising its own.
        template ??= await pgliteTemplate(migrateToLatest)
        await initHome({ home, country: id, port: 0, clock: options.clock, template })
        options.progress(`created node ${id} in ${home} (${((options.clock.now() - started) / 1000).toFixed(1)} s)`)
      }
      installAgreements(home, id, ids)
      // Embedded databases always: the demo must not touch a PostgreSQL it was not given.
      const node = await startNode({ home, env: {}, clock: options.clock, port: 0, schedule: false, logger: () => createLogger({ level: 'silent' }) })
      running.push(node)
      options.progress(`started ${id} at ${node.address}`)
      if (node.node.config.node.kind === 'country') {
        const r = await importDemoRecords(node, DEMO_NODES.indexOf(id) + 1, options.clock)
        if (r !== '') options.progress(`${id} imported ${r}`)
      }
    }
    const timings: Record<string, number> = {}
    let mark = options.clock.now()
    const lap = (name: string): void => {
      const now = options.clock.now()
      timings[name] = (now - mark) / 1000
      mark = now
    }
    const now = epochSeconds(options.clock)
    const checks: DescriptorCheck[] = []
    for (const n of running) {
      const node = n.node.config.node.id
      try {
        const peer = await fetchPeerDescriptor(n.address, { now })
        checks.push({ node, url: n.address, ok: peer.descriptor.issuer === node, detail: peer.descriptor.keys.map(k => k.kid).join(', ') })
      } catch (err) {
        checks.push({ node, url: n.address, ok: false, detail: isAppError(err) ? `${err.code}: ${err.message}` : String(err) })
      }
    }
    const held: HeldTotals[] = []
    for (const n of running.filter(r => r.node.config.node.kind === 'country')) {
      const db = n.node.db.db
      const [v, o, last] = await Promise.all([
        db.selectFrom('victim').select(eb => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
        db.selectFrom('offender').select(eb => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
        db.selectFrom('indicator_cell').select('value').where('indicator', '=', 'V1').where('year', '=', DEMO_YEARS.at(-1)!).where('cell_key', '=', '_T|_T|_T|_T').executeTakeFirst(),
      ])
      held.push({ node: n.node.config.node.id, victims: Number(v.n), offenders: Number(o.n), victimsLastYear: last?.value ?? 0 })
    }
    lap('check')
    const pairs = await setUpPeers(running, options.clock)
    options.progress(`peers set up: ${pairs} new pinned key(s)`)
    lap('peers')
    const published: DemoFederation['published'] = []
    for (const n of running.filter(r => r.node.config.node.kind === 'country')) {
      const { config, db, signingKey } = n.node
      const report = await publish({ db: db.db, clock: options.clock, node: config.node.id, signingKey, agreements: nodeAgreements(config.home), yearClosesOn: yearClosesOn(config) })
      published.push({ node: config.node.id, issued: report.issued.length, unchanged: report.unchanged, refused: report.refused.length })
      options.progress(`${config.node.id} published ${report.issued.length} signed object(s)${report.unchanged > 0 ? `, ${report.unchanged} table(s) unchanged` : ''}${report.refused.length > 0 ? `, ${report.refused.length} refused` : ''}`)
    }
    lap('publish')
    const syncs: SyncReport[] = []
    for (const n of running) {
      const { config, db, signingKey } = n.node
      const reports = await syncAll({ db: db.db, clock: options.clock, node: config.node.id, signingKey, agreements: nodeAgreements(config.home) })
      syncs.push(...reports)
    }
    options.progress(`pulled: ${syncs.filter(s => s.ok).length} of ${syncs.length} pulls ok, ${syncs.reduce((a, s) => a + s.applied, 0)} release(s) applied`)
    lap('sync')
    return { nodes: running, checks, held, published, syncs, timings, close }
  } catch (err) {
    await close()
    throw err
  }
}

/**
 * Gives a demo country node seeded synthetic victims and offenders for DEMO_YEARS, written to
 * HOME/exports/ and imported as an operator would. Files already there are re-imported,
 * which changes nothing. Returns a summary ('' when nothing changed).
 */
async function importDemoRecords (running: RunningNode, seed: number, clock: Clock): Promise<string> {
  const { config, db } = running.node
  const dir = join(config.home, 'exports')
  mkdirSync(dir, { recursive: true })
  const deps = { db: db.db, clock, reporter: config.node.id, keyer: await nodeRecordKeyer(db.db, config.home), crosswalk: EMPTY_CROSSWALK }
  const done: string[] = []
  for (const kind of ['victims', 'offenders'] as const) {
    const path = join(dir, `${kind}.csv`)
    if (!existsSync(path)) {
      const out = createWriteStream(path)
      const volume = DEMO_VOLUMES[config.node.id]
      await writeSyntheticCsv(kind, { country: config.node.id, years: DEMO_YEARS, seed, victimsPerYear: volume?.victims, offendersPerYear: volume?.offenders }, out)
      out.end()
      await finished(out)
    }
    const r = await importFile(deps, { kind, path })
    if (r.status === 'rejected') throw new Error(`demo export ${path} was rejected: ${r.issues[0]?.message ?? ''}`)
    if (r.status === 'applied') done.push(`${r.inserted + r.updated} ${kind}`)
  }
  return done.join(' and ')
}

/** The demo's liaison officer: user name, password and where it is kept, and a fresh token. */
export interface DemoLogin {
  user: string
  password: string
  file: string
  token: string
}

export const DEMO_USER = 'liaison'

/**
 * Makes sure the liaison node has a user with the liaison role (its password kept, owner-only,
 * in the node's home so the next run can log in again), and logs in over HTTP as a liaison
 * officer would.
 */
export async function demoLogin (liaison: RunningNode): Promise<DemoLogin> {
  const { config, db } = liaison.node
  const file = join(config.home, 'demo-liaison.password')
  if (!existsSync(file) || (await listUsers(db.db)).every(u => u.name !== DEMO_USER)) {
    const password = generatePassword()
    if ((await listUsers(db.db)).some(u => u.name === DEMO_USER)) await removeUser(db.db, systemClock, DEMO_USER)
    await addUser(db.db, systemClock, { name: DEMO_USER, role: 'liaison', password })
    writeFileSync(file, password + '\n', { mode: 0o600 })
  }
  const password = readFileSync(file, 'utf8').trim()
  const res = await fetch(`${liaison.address}/v1/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: DEMO_USER, password }) })
  const body = await res.json() as { token?: string, message?: string }
  if (!res.ok || body.token === undefined) throw new AppError('USAGE', `the demo could not log in at ${liaison.address}: ${body.message ?? res.status}`)
  return { user: DEMO_USER, password, file, token: body.token }
}
