/**
 * The demo federation: the seven Western Balkan nodes and a liaison node on one machine, each
 * with its own home, keys and embedded database, listening on loopback ports the OS chooses.
 * Homes are kept in one folder and reused on the next run.
 */
import { createWriteStream, existsSync, mkdirSync } from 'node:fs'
import { finished } from 'node:stream/promises'
import { join } from 'node:path'
import { epochSeconds, type Clock } from '../clock.js'
import { CONFIG_FILE } from '../config.js'
import { isAppError } from '../errors.js'
import { fetchPeerDescriptor } from '../exchange/peer-descriptor.js'
import { createLogger } from '../logger.js'
import { initHome } from '../node/home.js'
import { startNode, type RunningNode } from '../node/start-node.js'
import { WESTERN_BALKANS } from '../protocol/codelists.js'
import { EMPTY_CROSSWALK } from '../ingest/crosswalk.js'
import { importFile } from '../ingest/import-file.js'
import { loadRecordSecret, recordKeyer } from '../ingest/record-key.js'
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
  close(): Promise<void>
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
    for (const id of ids) {
      const home = join(options.dir, id.toLowerCase())
      if (!existsSync(join(home, CONFIG_FILE))) {
        const started = options.clock.now()
        await initHome({ home, country: id, port: 0, clock: options.clock })
        options.progress(`created node ${id} in ${home} (${((options.clock.now() - started) / 1000).toFixed(1)} s)`)
      }
      // Embedded databases always: the demo must not touch a PostgreSQL it was not given.
      const node = await startNode({ home, env: {}, clock: options.clock, port: 0, schedule: false, logger: () => createLogger({ level: 'silent' }) })
      running.push(node)
      options.progress(`started ${id} at ${node.address}`)
      if (node.node.config.node.kind === 'country') {
        const r = await importDemoRecords(node, DEMO_NODES.indexOf(id) + 1, options.clock)
        if (r !== '') options.progress(`${id} imported ${r}`)
      }
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
    return { nodes: running, checks, held, close }
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
  const deps = { db: db.db, clock, reporter: config.node.id, keyer: recordKeyer(loadRecordSecret(config.home)), crosswalk: EMPTY_CROSSWALK }
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
