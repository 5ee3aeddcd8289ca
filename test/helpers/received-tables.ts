// What each peer received from protectGrants, in the form the independent auditor reads.
import type { ActiveGrant } from '../../src/policy/grants.js'
import type { PeerTable } from '../../src/stats/protect-grants.js'
import type { ReceivedTable } from './independent-auditor.js'

/**
 * Whether a person with `code` on dimension `d` counts in a cell showing `cell` there, in table
 * `tb` (its groups, `rest` being every code no other group names): the truth side of tests.
 */
export function countsIn (tb: ReceivedTable, d: string, code: string, cell: string): boolean {
  if (cell === '_T') return true
  const g = tb.groups?.[d]
  if (g === undefined) return code === cell
  const m = g[cell]!
  return m === 'rest' ? !Object.values(g).some(x => x !== 'rest' && x.includes(code)) : m.includes(code)
}

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
