/**
 * The demo federation: the seven Western Balkan nodes and a liaison node on one machine, each
 * with its own home, keys and embedded database, listening on loopback ports the OS chooses.
 * Homes are kept in one folder and reused on the next run.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { epochSeconds, type Clock } from '../clock.js'
import { CONFIG_FILE } from '../config.js'
import { isAppError } from '../errors.js'
import { fetchPeerDescriptor } from '../exchange/peer-descriptor.js'
import { createLogger } from '../logger.js'
import { initHome } from '../node/home.js'
import { startNode, type RunningNode } from '../node/start-node.js'
import { WESTERN_BALKANS } from '../protocol/codelists.js'

export const DEMO_NODES: readonly string[] = [...WESTERN_BALKANS, 'EUROPOL']

export interface DemoOptions {
  /** Folder holding one home per node (created if missing, reused if present). */
  dir: string
  nodes?: readonly string[]
  clock: Clock
  /** Progress lines for the person watching. */
  progress: (line: string) => void
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
      const node = await startNode({ home, env: {}, clock: options.clock, port: 0, logger: () => createLogger({ level: 'silent' }) })
      running.push(node)
      options.progress(`started ${id} at ${node.address}`)
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
    return { nodes: running, checks, close }
  } catch (err) {
    await close()
    throw err
  }
}
