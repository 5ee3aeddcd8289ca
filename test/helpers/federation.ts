// Several real nodes on loopback ports the OS chooses, each with its own home and database,
// sharing one adjustable clock. Peers are set up the way an operator does: from the signed
// descriptor, pinning the thumbprint.
import { copyFileSync, createWriteStream } from 'node:fs'
import { join } from 'node:path'
import { finished } from 'node:stream/promises'
import type { Test } from 'tap'
import type { Clock } from '../../src/clock.js'
import { addPeer } from '../../src/exchange/peers.js'
import { syncPeer, type SyncDeps, type SyncReport } from '../../src/exchange/sync.js'
import { publish, type PublishReport } from '../../src/exchange/publish.js'
import { EMPTY_CROSSWALK } from '../../src/ingest/crosswalk.js'
import { importFile } from '../../src/ingest/import-file.js'
import { recordKeyer } from '../../src/ingest/record-key.js'
import { writeSyntheticCsv } from '../../src/ingest/synthetic.js'
import { createLogger } from '../../src/logger.js'
import { startNode, type RunningNode } from '../../src/node/start-node.js'
import { nodeAgreements, POLICIES_DIR } from '../../src/policy/load.js'
import { makeHome, tempDir, TEST_NOW } from './node.js'

export const FIXTURES = join(import.meta.dirname, '..', 'fixtures')
export const SAMPLE_AGREEMENTS = join(import.meta.dirname, '..', '..', 'docs', 'agreements')

export interface TestClock extends Clock {
  set(ms: number): void
  advance(ms: number): void
}

export function testClock (start = TEST_NOW): TestClock {
  let now = start
  return { now: () => now, set: ms => { now = ms }, advance: ms => { now += ms } }
}

export interface TestNode {
  id: string
  home: string
  kid: string
  running: RunningNode
  url: string
  /** Dependencies of the domain functions, as the node's own CLI would build them. */
  syncDeps(overrides?: Partial<SyncDeps>): SyncDeps
  sync(peer: string, overrides?: Partial<SyncDeps>): Promise<SyncReport>
  publish(): Promise<PublishReport>
  importVictims(file: string): Promise<void>
  /** Imports seeded synthetic victims of `years` (80 a year); returns the CSV written. */
  importSyntheticVictims(years: number[], seed: number): Promise<string>
}

/** Starts a node for `id` with the given agreement files in its policies folder. */
export async function startTestNode (t: Test, id: string, clock: Clock, agreements: string[] = []): Promise<TestNode> {
  const made = await makeHome(t, id)
  for (const file of agreements) copyFileSync(file, join(made.home, POLICIES_DIR, file.split('/').at(-1)!))
  const running = await startNode({ home: made.home, env: {}, clock, port: 0, schedule: false, logger: () => createLogger({ level: 'silent' }) })
  t.teardown(() => running.close())
  const node = running.node
  const importVictims = async (file: string): Promise<void> => {
    const keyer = recordKeyer(Buffer.alloc(32, 7))
    await importFile({ db: node.db.db, clock, reporter: id, keyer, crosswalk: EMPTY_CROSSWALK }, { kind: 'victims', path: file })
  }
  const syncDeps = (overrides: Partial<SyncDeps> = {}): SyncDeps => ({
    db: node.db.db, clock, node: id, signingKey: node.signingKey, agreements: nodeAgreements(made.home), ...overrides,
  })
  return {
    id,
    home: made.home,
    kid: made.kid,
    running,
    url: running.address,
    syncDeps,
    sync: async (peer, overrides) => await syncPeer(syncDeps(overrides), peer),
    publish: async () => await publish({ db: node.db.db, clock, node: id, signingKey: node.signingKey, agreements: nodeAgreements(made.home) }),
    importVictims,
    importSyntheticVictims: async (years, seed) => {
      const file = join(tempDir(t), 'victims.csv')
      const out = createWriteStream(file)
      await writeSyntheticCsv('victims', { country: id, years, seed }, out)
      out.end()
      await finished(out)
      await importVictims(file)
      return file
    },
  }
}

/** `a` sets `b` up as a peer, pinning b's key. */
export async function connect (a: TestNode, b: TestNode, clock: Clock): Promise<void> {
  await addPeer(a.running.node.db.db, clock, a.id, { id: b.id, url: b.url, thumbprint: b.kid })
}

/** Publisher and recipient, each set up as the other's peer, both holding `agreements`. */
export async function startPair (t: Test, publisher: string, recipient: string, agreements: string[], clock: Clock): Promise<[TestNode, TestNode]> {
  const p = await startTestNode(t, publisher, clock, agreements)
  const r = await startTestNode(t, recipient, clock, agreements)
  await connect(p, r, clock)
  await connect(r, p, clock)
  return [p, r]
}

/**
 * Serbia publishing the fixture's victims to Europol under the sample srb-europol agreement,
 * Europol holding what it pulled: the starting point of the regional-totals tests.
 */
export async function serbiaToEuropol (t: Test, clock: Clock): Promise<{ srb: TestNode, eu: TestNode }> {
  const agreement = join(SAMPLE_AGREEMENTS, 'srb-europol.yaml')
  const srb = await startTestNode(t, 'SRB', clock, [agreement])
  const eu = await startTestNode(t, 'EUROPOL', clock, [agreement])
  await connect(eu, srb, clock)
  await connect(srb, eu, clock)
  await srb.importVictims(join(FIXTURES, 'victims-small.csv'))
  await srb.publish()
  const pulled = await eu.sync('SRB')
  if (!pulled.ok) throw new Error(`Europol could not pull from Serbia: ${JSON.stringify(pulled.rejected)}`)
  return { srb, eu }
}
