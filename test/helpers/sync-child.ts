// A puller in its own process, for the kill test: `node --import tsx sync-child.ts HOME PEER N NOW_MS`
// pulls from PEER and kills itself with SIGKILL at the Nth insert into received_cell, that is,
// inside the transaction applying an object.
import type { KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from 'kysely'
import { fixedClock } from '../../src/clock.js'
import { syncPeer } from '../../src/exchange/sync.js'
import { openNode } from '../../src/node/home.js'
import { nodeAgreements } from '../../src/policy/load.js'

const [home, peer, killAt, nowMs] = process.argv.slice(2) as [string, string, string, string]
const clock = fixedClock(Number(nowMs))
let inserts = 0
const killer: KyselyPlugin = {
  transformQuery (args: PluginTransformQueryArgs): RootOperationNode {
    const node = args.node
    if (node.kind === 'InsertQueryNode' && node.into?.table.identifier.name === 'received_cell' && ++inserts >= Number(killAt)) {
      process.stdout.write('killing\n')
      process.kill(process.pid, 'SIGKILL')
    }
    return node
  },
  async transformResult (args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result
  },
}

const node = await openNode({ home, env: process.env, clock })
const report = await syncPeer({ db: node.db.db.withPlugin(killer), clock, node: node.config.node.id, signingKey: node.signingKey, agreements: nodeAgreements(home), pageSize: 1 }, peer)
process.stdout.write(JSON.stringify(report) + '\n')
await node.db.close()
