// Property: over random tables and random agreements, (a) nothing outside a grant is ever
// produced, and (b) an LP audit of the union of everything every peer receives finds no
// suppressed cell an attacker can narrow below the threshold.
import fc from 'fast-check'
import t from 'tap'
import type { ActiveGrant } from '../../src/policy/grants.js'
import { auditSuppression, isProtected } from '../../src/stats/disclosure/index.js'
import { protectGrants } from '../../src/stats/protect-grants.js'
import { testDb } from '../helpers/db.js'
import { setVictims } from '../helpers/records.js'

const DIMS = ['VICT_STATUS', 'SEX', 'AGE_GROUP', 'CITIZEN_GRP'] as const
const CODES: Record<string, string[]> = { VICT_STATUS: ['IDENT', 'PRES'], SEX: ['F', 'M', 'U'], AGE_GROUP: ['Y_LT18', 'Y_GE18'], CITIZEN_GRP: ['NAT', 'WB_OTH', 'NEU_FOR'] }

const cellsArb = fc.array(fc.tuple(fc.constantFrom(...CODES.VICT_STATUS!), fc.constantFrom(...CODES.SEX!), fc.constantFrom(...CODES.AGE_GROUP!), fc.constantFrom(...CODES.CITIZEN_GRP!), fc.integer({ min: 1, max: 9 })), { minLength: 1, maxLength: 14 })
const grantArb = fc.record({
  recipient: fc.constantFrom('HRV', 'BIH', 'EUROPOL'),
  by: fc.subarray([...DIMS], { maxLength: 2 }),
  threshold: fc.constantFrom(2, 3, 5),
})

t.test('random tables and agreements: grants respected, union protected', async t => {
  const db = await testDb(t)
  let checkedSuppressed = 0
  await fc.assert(fc.asyncProperty(cellsArb, fc.array(grantArb, { minLength: 1, maxLength: 3 }), async (cells, rawGrants) => {
    const inner = new Map<string, number>()
    for (const [a, b, c, d, v] of cells) inner.set([a, b, c, d].join('|'), v)
    await setVictims(db.db, 2023, [...inner].map(([key, n]) => {
      const [status, sex, age, grp] = key.split('|') as [string, string, string, string]
      return { status, sex, age_group: age, citizen_grp: grp, n }
    }))
    // One grant per recipient, as agreements allow.
    const byRecipient = new Map(rawGrants.map(g => [g.recipient, g]))
    const grants: ActiveGrant[] = [...byRecipient.values()].map(g => ({ recipient: g.recipient, agreement: `srb-${g.recipient.toLowerCase()}`, version: 1, hash: 'h'.repeat(43), indicator: 'V1', by: g.by, years: [2023], threshold: g.threshold }))
    const { tables, summary } = await protectGrants(db.db, grants)
    if (!summary[0]!.ok) return true // refused for everyone: nothing is sent
    const T = Math.max(...grants.map(g => g.threshold))
    const status = new Map<string, string>()
    const published: Array<{ key: string, members: string[] }> = []
    for (const table of tables) {
      const grant = grants.find(g => g.recipient === table.recipient)!
      for (const c of table.cells) {
        // (a) only granted dimensions vary; everything else is a total.
        for (const d of DIMS) if (!grant.by.includes(d) && c.key[d] !== '_T') return false
        if (c.key.TIME_PERIOD !== '2023' || Object.keys(c.key).length !== 5) return false
        const key = DIMS.map(d => c.key[d]).join('|')
        const s = c.conf_status === 'C' ? 'C' : `F${c.value!}`
        if (status.has(key) && status.get(key) !== s) return false // one status for every peer
        if (!status.has(key)) {
          status.set(key, s)
          const codes = key.split('|')
          const members = [...inner.keys()].filter(k => k.split('|').every((code, i) => codes[i] === '_T' || codes[i] === code))
          const truth = members.reduce((sum, k) => sum + inner.get(k)!, 0)
          if (c.conf_status === 'F' && c.value !== truth) return false
          if (c.conf_status === 'F' && truth > 0 && truth < T) return false
          if (members.length > 0) published.push({ key, members })
        }
      }
    }
    // (b) audit the union of all outputs.
    const suppressed = [...status].filter(([k, s]) => s === 'C' && published.some(p => p.key === k)).map(([k]) => k)
    if (suppressed.length === 0) return true
    const audit = await auditSuppression({ inner: [...inner].map(([key, value]) => ({ key, value })), published, threshold: T }, suppressed)
    checkedSuppressed += audit.length
    return audit.every(a => isProtected(a.lower, a.upper, T))
  }), { numRuns: 40, seed: 4242 })
  t.ok(checkedSuppressed > 20, `suppressed cells audited across runs: ${checkedSuppressed}`)
})
