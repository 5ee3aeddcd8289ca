/** Runs a command against a node home: opens it, and closes its database whatever happens. */
import { realpathSync } from 'node:fs'
import { AppError } from '../errors.js'
import { openNode, type OpenNode } from '../node/home.js'
import { pathFor, type CliIo } from './io.js'

/**
 * Runs `run` on the node home `home`. Inside `dcimx serve` (a command routed through its admin
 * channel) that is the serving node's open home, which stays open; otherwise the home is opened,
 * locked while it runs, and closed whatever happens.
 */
export async function withNode<T> (home: string, io: CliIo, run: (node: OpenNode) => Promise<T>): Promise<T> {
  if (io.attached !== undefined) {
    if (!sameFolder(pathFor(io, home), io.attached.config.home)) {
      throw new AppError('USAGE', `${pathFor(io, home)} is not the home this node serves (${io.attached.config.home})`)
    }
    return await run(io.attached)
  }
  const node = await openNode({ home: pathFor(io, home), env: io.env, clock: io.clock })
  try {
    return await run(node)
  } finally {
    await node.db.close()
  }
}

function sameFolder (a: string, b: string): boolean {
  try {
    return realpathSync(a) === realpathSync(b)
  } catch {
    return false
  }
}
