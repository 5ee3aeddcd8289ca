/** `dcimx publish`: sign and queue the releases every peer's agreements grant now. */
import { publish } from '../../exchange/publish.js'
import { nodeName } from '../../policy/explain.js'
import { loadAgreements } from '../../policy/load.js'
import { revisionLines } from '../held-line.js'
import { yearClosesOn } from '../../config.js'
import { line, type CliIo } from '../io.js'
import { withNode } from '../with-node.js'
import { policyFiles } from './policy.js'

export async function publishCommand (args: { home: string, json?: boolean }, io: CliIo): Promise<number> {
  return await withNode(args.home, io, async node => {
    if (node.config.node.kind === 'liaison') {
      line(io.stdout, `${node.config.node.id} is a liaison node: it publishes nothing of its own.`)
      return 0
    }
    const agreements = loadAgreements(policyFiles([], node.config.home, io))
    const report = await publish({ db: node.db.db, clock: io.clock, node: node.config.node.id, signingKey: node.signingKey, agreements, yearClosesOn: yearClosesOn(node.config) })
    if (args.json === true) {
      line(io.stdout, JSON.stringify(report, null, 2))
    } else {
      for (const i of report.issued) {
        line(io.stdout, `${nodeName(i.recipient)} #${i.seq}: ${i.type} ${i.indicator} ${i.year}${i.reason === undefined ? '' : ` (${i.reason.replace('_', ' ')})`}${i.supersedes === null ? '' : ', replacing an earlier release'}`)
      }
      for (const r of report.refused) line(io.stdout, `${r.indicator} ${r.year}: not sent to anyone, it cannot be protected (${r.unsafe.join('; ')})`)
      for (const text of revisionLines(report, true)) line(io.stdout, text)
      line(io.stdout, `${report.issued.length} signed object(s) issued, ${report.unchanged} table(s) unchanged, ${report.refused.length} refused${report.held.length === 0 ? '' : `, ${report.held.length} revision(s) held back`}`)
    }
    return report.refused.length === 0 ? 0 : 1
  })
}
