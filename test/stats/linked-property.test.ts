// Property: random victims, random agreements (several recipients, linked indicators, groups
// that need not nest, different thresholds) and random sequences of publishing rounds in which
// records are added and withdrawn and grants are added. After every round, everything every
// recipient has received so far is pooled and handed to the independent auditor
// (test/helpers/independent-auditor.ts, no code shared with src/stats): it must find no hidden
// cell narrower than T; when a revision goes out, the auditor is told how many records were
// added and withdrawn (the strongest attacker of issue 11). Also: each recipient receives exactly
// its grant, figures change only with a revision that went out, and one status per cell for
// everyone.
import fc from 'fast-check'
import t from 'tap'
import type { ActiveGrant } from '../../src/policy/grants.js'
import type { GroupsSpec } from '../../src/policy/groups.js'
import { protectGrants } from '../../src/stats/protect-grants.js'
import { testDb } from '../helpers/db.js'
import { auditReceived, type ReceivedTable } from '../helpers/independent-auditor.js'
import { countsIn, receivedTables } from '../helpers/received-tables.js'
import { recordRound } from '../helpers/release.js'
import { setVictims, type VictimAttrs } from '../helpers/records.js'

const ATTRS = {
  status: ['IDENT', 'PRES'],
  sex: ['F', 'M'],
  age_group: ['Y_LT18', 'Y_GE18', 'UNK'],
  citizen_grp: ['NAT', 'WB_OTH'],
  exploit_primary: ['SEX', 'LAB', 'BEG'],
  identified_by: ['POL', 'NGO'],
} as const
const ASSIST = [['SHELTER'], ['SHELTER', 'LEGAL'], ['UNK']]
/** Dimensions each indicator may be broken down by in these runs. */
const DIMS: Record<string, string[]> = {
  V1: ['VICT_STATUS', 'SEX', 'AGE_GROUP', 'CITIZEN_GRP'],
  V2: ['EXPLOIT', 'SEX', 'AGE_GROUP'],
  V4: ['IDENT_AGENCY', 'VICT_STATUS'],
  V5: ['ASSIST', 'SEX'],
}
const EXPLOIT_GROUPS: GroupsSpec[] = [
  { EXPLOIT: { SEXUAL: ['SEX'], OTHER: 'rest' } },
  { EXPLOIT: { SEXBEG: ['SEX', 'BEG'], OTHER: 'rest' } },
]

type Person = Partial<VictimAttrs> & { n: number }
const personArb: fc.Arbitrary<Person> = fc.record({
  status: fc.constantFrom(...ATTRS.status),
  sex: fc.constantFrom(...ATTRS.sex),
  age_group: fc.constantFrom(...ATTRS.age_group),
  citizen_grp: fc.constantFrom(...ATTRS.citizen_grp),
  exploit_primary: fc.constantFrom(...ATTRS.exploit_primary),
  identified_by: fc.constantFrom(...ATTRS.identified_by),
  assistance: fc.constantFrom(...ASSIST),
  n: fc.integer({ min: 1, max: 6 }),
})
const grantArb = fc.record({
  recipient: fc.constantFrom('HRV', 'BIH', 'EUROPOL'),
  indicator: fc.constantFrom('V1', 'V2', 'V4', 'V5'),
  dims: fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 2 }),
  threshold: fc.constantFrom(2, 3, 5),
  grouping: fc.integer({ min: 0, max: 2 }),
})
type RawGrant = typeof grantArb extends fc.Arbitrary<infer G> ? G : never
/** A round: records added (new persons) and withdrawn (some of the earlier ones), and grants added. */
const roundArb = fc.record({ add: fc.array(personArb, { maxLength: 3 }), withdraw: fc.integer({ min: 0, max: 3 }), grants: fc.array(grantArb, { maxLength: 2 }) })

/** Each indicator's dimensions in key order (V5's as protocol/indicators.json has them), and the attribute behind each. */
const KEY_DIMS: Record<string, string[]> = { V1: DIMS['V1']!, V2: DIMS['V2']!, V4: DIMS['V4']!, V5: ['ASSIST', 'SEX', 'AGE_GROUP'] }
const ATTR_OF: Record<string, keyof typeof ATTRS> = { VICT_STATUS: 'status', SEX: 'sex', AGE_GROUP: 'age_group', CITIZEN_GRP: 'citizen_grp', EXPLOIT: 'exploit_primary', IDENT_AGENCY: 'identified_by' }

/**
 * Records of `people` in the cell `key` (codes joined with |) of a received table: persons, or in
 * V5 (person, type of assistance) pairs, a person counting once per type the cell holds.
 */
function recordsIn (people: Person[], tb: ReceivedTable, key: string): number {
  const codes = key.split('|')
  return people.reduce((n, p) => {
    let times = 1
    const all = KEY_DIMS[tb.indicator]!.every((d, k) => {
      if (d !== 'ASSIST') return countsIn(tb, d, p[ATTR_OF[d]!]!, codes[k]!)
      times = p.assistance!.filter(a => countsIn(tb, d, a, codes[k]!)).length
      return true
    })
    return n + (all ? times * p.n : 0)
  }, 0)
}

function toGrant (g: RawGrant): ActiveGrant {
  const dims = DIMS[g.indicator]!
  const by = [...new Set(g.dims.map(i => dims[i % dims.length]!))].sort()
  const groups = g.indicator === 'V2' && by.includes('EXPLOIT') && g.grouping < 2 ? EXPLOIT_GROUPS[g.grouping] : undefined
  return { recipient: g.recipient, agreement: `srb-${g.recipient.toLowerCase()}`, version: 1, hash: g.recipient.padEnd(43, 'h'), indicator: g.indicator, by, years: [2023], threshold: g.threshold, ...(groups === undefined ? {} : { groups }) }
}

t.test('random records, agreements and revisions: the pooled releases hold against the independent auditor', async t => {
  const db = await testDb(t)
  // The ledger names the agreement version each cell was sent under.
  await db.db.insertInto('agreement_version').values(['HRV', 'BIH', 'EUROPOL'].map(r => ({ hash: r.padEnd(43, 'h'), agreement: `srb-${r.toLowerCase()}`, version: 1, provider: 'SRB', recipient: r, body: '{}', first_seen_at: new Date(0) }))).execute()
  let audited = 0
  let hidden = 0
  let held = 0
  let revised = 0
  let changesAudited = 0
  let smallChanges = 0
  let v5Changes = 0
  let v5Small = 0
  await fc.assert(fc.asyncProperty(fc.array(personArb, { minLength: 1, maxLength: 8 }), fc.array(grantArb, { minLength: 1, maxLength: 3 }), fc.array(roundArb, { maxLength: 2 }), async (people, first, rounds) => {
    await db.db.deleteFrom('released_population').execute()
    await db.db.deleteFrom('population_version').execute()
    await db.db.deleteFrom('sent_cell').execute()
    let persons = [...people]
    await setVictims(db.db, 2023, persons)
    // One grant per recipient and indicator, as agreements allow.
    const grantsByKey = new Map<string, ActiveGrant>()
    const addGrants = (raw: RawGrant[]): void => { for (const g of raw.map(toGrant)) if (!grantsByKey.has(`${g.recipient}|${g.indicator}`)) grantsByKey.set(`${g.recipient}|${g.indicator}`, g) }
    addGrants(first)
    const pooled: ReceivedTable[] = []
    const seen = new Map<string, string>()
    const changes: Array<{ population: string, year: number, round: number, added: number, withdrawn: number }> = []
    // The persons of the last version that went out, and per revision round the persons it added and withdrew.
    let released: Person[] | undefined
    const moved = new Map<number, { added: Person[], withdrawn: Person[] }>()
    for (let round = 0; round <= rounds.length; round++) {
      if (round > 0) {
        const r = rounds[round - 1]!
        persons = [...persons.slice(Math.min(r.withdraw, persons.length - 1)), ...r.add]
        await setVictims(db.db, 2023, persons)
        addGrants(r.grants)
      }
      const grants = [...grantsByKey.values()]
      const out = await protectGrants(db.db, grants)
      held += out.held.length
      revised += out.revisions.length
      // A held revision names why; one that goes out changes the figures, and the attacker knows by how much.
      for (const h of out.held) if (h.reason === '') throw new Error('a held revision without a reason')
      for (const r of out.revisions) changes.push({ population: r.population, year: r.year, round, added: r.added, withdrawn: r.withdrawn })
      if (!out.summary.every(s => s.ok)) {
        if (out.tables.length !== 0) throw new Error('a population-year that cannot be protected was sent')
        continue
      }
      // What publish does in its transaction: the snapshot of a first release, and the ledger.
      await recordRound(db.db, out, round, new Date(round))
      if (out.revisions.length > 0) moved.set(round, { added: persons.filter(p => !released!.includes(p)), withdrawn: released!.filter(p => !persons.includes(p)) })
      if (released === undefined || out.revisions.length > 0) released = persons
      for (const table of out.tables) {
        const g = grantsByKey.get(`${table.recipient}|${table.indicator}`)!
        for (const c of table.cells) {
          // Exactly the grant: every dimension outside `by` is a total.
          for (const [d, code] of Object.entries(c.key)) {
            if (d === 'TIME_PERIOD') continue
            if (!g.by.includes(d) && code !== '_T') throw new Error(`${table.recipient} ${table.indicator}: ${d} ${code} is not granted`)
          }
          // A released figure changes only with a revision that went out, and has one status
          // for everyone; a cell hidden once stays hidden.
          const id = `${table.indicator}|${JSON.stringify(Object.entries(c.key).sort())}|${JSON.stringify(g.groups ?? null)}`
          const status = c.value === undefined ? 'C' : String(c.value)
          const before = seen.get(id)
          if (before !== undefined && before !== status && out.revisions.length === 0) throw new Error(`${id} was ${before}, now ${status} without a revision`)
          if (before === 'C' && status !== 'C') throw new Error(`${id} was hidden, now ${status}`)
          seen.set(id, status)
        }
      }
      pooled.push(...receivedTables(out.tables, grants, round))
      const T = Math.max(...grants.map(g => g.threshold))
      const report = await auditReceived(pooled, { threshold: T, changes, changeIntervals: true })
      audited += report.intervals.length
      hidden += out.tables.reduce((n, x) => n + x.cells.filter(c => c.value === undefined).length, 0)
      if (report.failures.length > 0) throw new Error(`round ${round}: ${JSON.stringify(report.failures.slice(0, 3))}`)
      if (report.changeFailures.length > 0) throw new Error(`round ${round}: ${JSON.stringify(report.changeFailures.slice(0, 3))}`)
      // Every cell's change of 1 to T - 1 persons is protected like a hidden cell.
      for (const c of report.changes) {
        const tb = pooled.find(x => x.round === c.table.round && x.recipient === c.table.recipient && x.indicator === c.indicator)!
        const truth = recordsIn(moved.get(c.round)![c.direction], tb, c.key)
        if (truth < c.lower || (c.upper !== null && truth > c.upper)) throw new Error(`round ${round}: ${JSON.stringify(c)} holds ${truth}, outside its interval`)
        changesAudited++
        if (c.indicator === 'V5') v5Changes++
        if (truth === 0 || truth >= T) continue
        smallChanges++
        if (c.indicator === 'V5') v5Small++
        if (c.upper !== null && (c.upper - c.lower < T || c.upper < T)) throw new Error(`round ${round}: ${JSON.stringify(c)}: ${truth} ${c.direction}, not protected`)
      }
    }
    return true
  }), { numRuns: 25, seed: 20261203 })
  t.ok(audited > 50, `hidden cells audited across runs: ${audited}`)
  t.ok(hidden > 50, `hidden cells sent: ${hidden}`)
  t.ok(held > 3, `revisions held back: ${held}`)
  t.ok(revised > 3, `revisions that went out: ${revised}`)
  t.ok(smallChanges > 10, `changes of cells audited: ${changesAudited}, of which ${smallChanges} of 1 to T - 1 persons`)
  t.ok(v5Changes > 20 && v5Small > 0, `V5 changes audited (person, type pairs): ${v5Changes}, of which ${v5Small} of 1 to T - 1`)
})
