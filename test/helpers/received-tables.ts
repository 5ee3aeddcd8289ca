// What each peer received from protectGrants, in the form the independent auditor reads.
import type { ActiveGrant } from '../../src/policy/grants.js'
import type { PeerTable } from '../../src/stats/protect-grants.js'
import type { ReceivedTable } from './independent-auditor.js'

/** The tables as received in publishing round `round` (no TIME_PERIOD in keys, each with its grant). */
export function receivedTables (tables: PeerTable[], grants: ActiveGrant[], round = 0): ReceivedTable[] {
  return tables.map(table => {
    const g = grants.find(x => x.recipient === table.recipient && x.indicator === table.indicator)!
    return {
      recipient: table.recipient,
      round,
      indicator: table.indicator,
      year: table.year,
      by: g.by,
      ...(g.groups === undefined ? {} : { groups: g.groups }),
      cells: table.cells.map(c => {
        const { TIME_PERIOD: _, ...key } = c.key
        return c.value === undefined ? { key } : { key, value: c.value }
      }),
    }
  })
}
