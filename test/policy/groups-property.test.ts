// Groupings of codes in grants (src/policy/groups.ts), through the cut and the protection of
// src/stats/protect-grants.ts: a hand-checked case with groupings that do not nest, then a
// property over random tables and random groupings: (a) each peer receives only its grant, in
// its group names, with true values; (b) an LP audit of the union of everything every peer
// receives, each cell taken as the set of records it counts, finds no suppressed cell an
// attacker can narrow below the threshold, and no set of records is both published and hidden.
import fc from 'fast-check'
import t from 'tap'
import type { ActiveGrant } from '../../src/policy/grants.js'
import type { GroupsSpec } from '../../src/policy/groups.js'
import { inCodelist } from '../../src/protocol/codelists.js'
import { auditSuppression, isProtected } from '../../src/stats/disclosure/index.js'
import { protectGrants, type PeerTable } from '../../src/stats/protect-grants.js'
import { testDb } from '../helpers/db.js'
import { setVictims } from '../helpers/records.js'

const DIMS = ['EXPLOIT', 'SEX', 'AGE_GROUP'] as const
const EXPLOIT = ['SEX', 'LAB', 'DOM', 'BEG', 'ORG']
const grant = (recipient: string, by: string[], threshold: number, groups?: GroupsSpec): ActiveGrant =>
  ({ recipient, agreement: `srb-${recipient.toLowerCase()}`, version: 1, hash: recipient.padEnd(43, 'h'), indicator: 'V2', by, years: [2023], threshold, ...(groups === undefined ? {} : { groups }) })

/** The inner keys (EXPLOIT|SEX|AGE_GROUP) a received cell counts, from its grant's groups. */
function membersOf (inner: Map<string, number>, g: ActiveGrant, key: Record<string, string>): string[] {
  return [...inner.keys()].filter(k => k.split('|').every((code, i) => {
    const got = key[DIMS[i]!]!
    if (got === '_T') return true
    const groups = g.groups?.[DIMS[i]!]
    if (groups === undefined) return got === code
    const members = groups[got]!
    return members === 'rest' ? !Object.values(groups).some(m => m !== 'rest' && m.includes(code)) : members.includes(code)
  }))
}

interface Checked { ok: boolean, why?: string, audited: number }

/** Checks (a) and (b) over what protectGrants produced for `grants`. */
async function check (inner: Map<string, number>, grants: ActiveGrant[], tables: PeerTable[]): Promise<Checked> {
  const T = Math.max(...grants.map(g => g.threshold))
  const status = new Map<string, { s: string, members: string[] }>()
  for (const table of tables) {
    const g = grants.find(x => x.recipient === table.recipient)!
    for (const c of table.cells) {
      for (const d of DIMS) {
        const code = c.key[d]!
        if (code === '_T') continue
        if (!g.by.includes(d)) return { ok: false, why: `${table.recipient} got ${d} ${code}, not granted`, audited: 0 }
        const groups = g.groups?.[d]
        if (groups !== undefined ? !Object.hasOwn(groups, code) : !inCodelist(d, code)) return { ok: false, why: `${table.recipient} got ${d} ${code}, not a code of its grant`, audited: 0 }
      }
      const members = membersOf(inner, g, c.key)
      const truth = members.reduce((sum, k) => sum + inner.get(k)!, 0)
      if (c.conf_status === 'F' && c.value !== truth) return { ok: false, why: `${table.recipient} ${JSON.stringify(c.key)}: ${c.value} is not ${truth}`, audited: 0 }
      if (c.conf_status === 'F' && truth > 0 && truth < T) return { ok: false, why: `small count ${truth} sent`, audited: 0 }
      if (members.length === 0) continue
      const id = [...members].sort().join(',')
      const s = c.conf_status === 'C' ? 'C' : 'F'
      const before = status.get(id)
      if (before !== undefined && before.s !== s) return { ok: false, why: `the records ${id} are both published and hidden`, audited: 0 }
      status.set(id, { s, members })
    }
  }
  const published = [...status].map(([key, v]) => ({ key, members: v.members }))
  const suppressed = [...status].filter(([, v]) => v.s === 'C').map(([k]) => k)
  if (suppressed.length === 0) return { ok: true, audited: 0 }
  const audit = await auditSuppression({ inner: [...inner].map(([key, value]) => ({ key, value })), published, threshold: T }, suppressed)
  const narrow = audit.filter(a => !isProtected(a.lower, a.upper, T))
  return narrow.length === 0 ? { ok: true, audited: audit.length } : { ok: false, why: `narrow: ${narrow.map(a => `${a.key} [${a.lower}, ${a.upper}]`).join('; ')}`, audited: audit.length }
}

async function load (db: Awaited<ReturnType<typeof testDb>>, inner: Map<string, number>): Promise<void> {
  await setVictims(db.db, 2023, [...inner].map(([key, n]) => {
    const [exploit, sex, age] = key.split('|') as [string, string, string]
    return { exploit_primary: exploit, sex, age_group: age, n }
  }))
}

t.test('groupings that do not nest, for two peers, and detail for a third', async t => {
  const db = await testDb(t)
  // HRV: sexual / labour (LAB, DOM) / other; BIH: sexual or begging / other; EUROPOL: detail.
  const inner = new Map([['SEX|F|Y_GE18', 12], ['SEX|M|Y_GE18', 2], ['LAB|M|Y_GE18', 9], ['DOM|F|Y_GE18', 4], ['BEG|F|Y_LT18', 1], ['ORG|M|Y_GE18', 6]])
  await load(db, inner)
  const grants = [
    grant('HRV', ['EXPLOIT'], 3, { EXPLOIT: { SEXUAL: ['SEX'], LABOUR: ['LAB', 'DOM'], OTHER: 'rest' } }),
    grant('BIH', ['EXPLOIT', 'SEX'], 3, { EXPLOIT: { SEXBEG: ['SEX', 'BEG'], REST: 'rest' } }),
    grant('EUROPOL', ['EXPLOIT'], 3),
  ]
  const { tables, summary } = await protectGrants(db.db, grants)
  t.same(summary.map(s => s.ok), [true])
  const got = (r: string): string[] => tables.find(x => x.recipient === r)!.cells.map(c => `${c.key.EXPLOIT}/${c.key.SEX}=${c.value ?? 'C'}`).sort()
  // BEG 1 is below T; EUROPOL's detail and BIH's SEXBEG (SEX + BEG) together would give it
  // away from SEX, so SEX is hidden for everyone, with HRV's SEXUAL, the same records.
  t.same(got('EUROPOL'), ['BEG/_T=C', 'DOM/_T=C', 'LAB/_T=C', 'ORG/_T=6', 'SEX/_T=C', '_T/_T=34'])
  t.same(got('HRV'), ['LABOUR/_T=13', 'OTHER/_T=C', 'SEXUAL/_T=C', '_T/_T=34'], 'HRV: its own group names, LABOUR = LAB 9 + DOM 4')
  t.same(got('BIH'), ['REST/F=C', 'REST/M=C', 'REST/_T=19', 'SEXBEG/F=C', 'SEXBEG/M=C', 'SEXBEG/_T=15', '_T/F=17', '_T/M=17', '_T/_T=34'])
  t.same(tables.find(x => x.recipient === 'HRV')!.ledgerKeys, ['SEX|_T|_T', '_T|_T|_T', '{ADOPT+BEG+CRIM+MAR+MIX+ORG+OTH+SURR+UNK}|_T|_T', '{DOM+LAB}|_T|_T'],
    'ledger keys are canonical: by members, not names (SEXUAL is the cell SEX; rest is written out)')
  const r = await check(inner, grants, tables)
  t.ok(r.ok, r.why ?? `audited ${r.audited}`)
  t.ok(r.audited > 0, 'something was hidden and audited')
})

const groupingArb = fc.oneof(
  fc.constant(undefined),
  // Each code in group 0, 1 or 2, or left to the rest group.
  fc.array(fc.integer({ min: 0, max: 3 }), { minLength: EXPLOIT.length, maxLength: EXPLOIT.length }).map(assign => {
    const groups: Record<string, string[] | 'rest'> = {}
    EXPLOIT.forEach((code, i) => { if (assign[i]! < 3) ((groups[`G${assign[i]!}`] ??= []) as string[]).push(code) })
    groups.OTHER = 'rest'
    return { EXPLOIT: groups } as GroupsSpec
  })
)

t.test('random tables and random groupings: grants respected, union protected', async t => {
  const db = await testDb(t)
  let audited = 0
  let grouped = 0
  const cellsArb = fc.array(fc.tuple(fc.constantFrom(...EXPLOIT), fc.constantFrom('F', 'M'), fc.constantFrom('Y_LT18', 'Y_GE18'), fc.integer({ min: 1, max: 9 })), { minLength: 1, maxLength: 12 })
  const grantsArb = fc.array(fc.record({ recipient: fc.constantFrom('HRV', 'BIH', 'MNE', 'EUROPOL'), sex: fc.boolean(), threshold: fc.constantFrom(2, 3, 5), groups: groupingArb }), { minLength: 1, maxLength: 4 })
  await fc.assert(fc.asyncProperty(cellsArb, grantsArb, async (cells, raw) => {
    const inner = new Map<string, number>()
    for (const [e, s, a, v] of cells) inner.set([e, s, a].join('|'), v)
    await load(db, inner)
    const grants = [...new Map(raw.map(g => [g.recipient, g])).values()].map(g => grant(g.recipient, g.sex ? ['EXPLOIT', 'SEX'] : ['EXPLOIT'], g.threshold, g.groups))
    grouped += grants.filter(g => g.groups !== undefined).length
    const { tables, summary } = await protectGrants(db.db, grants)
    if (!summary[0]!.ok) return tables.length === 0 // refused for everyone: nothing is sent
    const r = await check(inner, grants, tables)
    audited += r.audited
    if (!r.ok) throw new Error(r.why)
    return true
  }), { numRuns: 60, seed: 8080 })
  t.ok(grouped > 30, `grants with groupings: ${grouped}`)
  t.ok(audited > 20, `suppressed cells audited across runs: ${audited}`)
})
