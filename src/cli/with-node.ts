/** Runs a command against a node home: opens it, and closes its database whatever happens. */
import { openNode, type OpenNode } from '../node/home.js'
import type { CliIo } from './io.js'

export async function withNode<T> (home: string, io: CliIo, run: (node: OpenNode) => Promise<T>): Promise<T> {
  const node = await openNode({ home, env: io.env, clock: io.clock })
  try {
    return await run(node)
  } finally {
    await node.db.close()
  }
}
