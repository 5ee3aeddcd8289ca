/**
 * The independent auditor (test/helpers/independent-auditor.ts) on small cases computed by hand.
 * Every interval below is derived in the comment beside it.
 */
import t from 'tap'
import { auditReceived, type AuditOptions, type AuditReport, type ReceivedTable } from '../../helpers/independent-auditor.js'
import { countsIn } from '../../helpers/received-tables.js'

const YEAR = 2024

/**
 * A received table: `cells` maps the codes of the `by` dimensions (in `by` order, joined with |;
 * '' for a table without `by`) to a value, or null when hidden. Cells not listed are absent (0).
 */
function table (recipient: string, indicator: string, by: string[], cells: Record<string, number | null>,
  extra: { round?: number, groups?: ReceivedTable['groups'] } = {}): ReceivedTable {
  return {
    recipient,
    round: extra.round ?? 0,
    indicator,
    year: YEAR,
    by,
    ...(extra.groups !== undefined ? { groups: extra.groups } : {}),
    cells: Object.entries(cells).map(([k, value]) => {
      const codes = k === '' ? [] : k.split('|')
      const key = Object.fromEntries(by.map((d, i) => [d, codes[i]!]))
      return value === null ? { key } : { key, value }
    }),
  }
}

/** The intervals as [indicator, round, key, lower, upper] rows. */
const rows = (r: AuditReport): Array<[string, number, string, number, number | null]> =>
  r.intervals.map(i => [i.indicator, i.round, i.key, i.lower, i.upper])
const failing = (r: AuditReport): string[] => r.failures.map(i => `${i.indicator}@${i.round}:${i.key}`)

t.test('tau-ARGUS example on V4 (IDENT_AGENCY x VICT_STATUS), hidden cells >= 1', async t => {
  // Rows (X11, X12) = 7, (X21, X22) = 3, (3, 3) = 6; columns 9 and 7; grand total 16. The other
  // seven agencies are absent: published zeros. With X21 = s: X11 = 6 - s, X22 = 3 - s,
  // X12 = 1 + s. Without ">= 1" s is in [0, 3] (tau-ARGUS: X11 [3,6], X12 [1,4], X21 and X22 [0,3]);
  // with every hidden cell >= 1: s >= 1 and 3 - s >= 1, so s is in [1, 2]:
  // X11 [4,5], X12 [2,3], X21 [1,2], X22 [1,2].
  const v4 = table('A', 'V4', ['IDENT_AGENCY', 'VICT_STATUS'], {
    'POL|IDENT': null,
    'POL|PRES': null,
    'POL|_T': 7,
    'SOC|IDENT': null,
    'SOC|PRES': null,
    'SOC|_T': 3,
    'NGO|IDENT': 3,
    'NGO|PRES': 3,
    'NGO|_T': 6,
    '_T|IDENT': 9,
    '_T|PRES': 7,
    '_T|_T': 16,
  })
  const r = await auditReceived([v4], { threshold: 3 })
  t.same(rows(r), [
    ['V4', 0, 'POL|IDENT', 4, 5],
    ['V4', 0, 'POL|PRES', 2, 3],
    ['V4', 0, 'SOC|IDENT', 1, 2],
    ['V4', 0, 'SOC|PRES', 1, 2],
  ])
  t.equal(r.failures.length, 4, 'every width is 1 < 3')
  t.equal(r.variables, 6, 'the seven absent agencies are zeros: only the six profiles of POL, SOC, NGO remain')
  t.same(r.intervals.map(i => [i.population, i.year]), Array(4).fill(['victims', YEAR]))
})

t.test('linked indicators: V2 and V1 by AGE_GROUP to two recipients pin V2 UNK at 1', async t => {
  // A: V2 Y_GE18 = 20, Y_LT18, UNK and total hidden. B: V1 Y_LT18 = 5, total 26, the others hidden.
  // Both count the same victims: Y_LT18 = 5, Y_GE18 = 20, total 26, so UNK = 1.
  const a = table('A', 'V2', ['AGE_GROUP'], { Y_GE18: 20, Y_LT18: null, UNK: null, _T: null })
  const b = table('B', 'V1', ['AGE_GROUP'], { Y_LT18: 5, _T: 26, Y_GE18: null, UNK: null })
  const r = await auditReceived([a, b], { threshold: 3 })
  t.same(rows(r), [
    ['V1', 0, '_T|_T|UNK|_T', 1, 1],
    ['V1', 0, '_T|_T|Y_GE18|_T', 20, 20],
    ['V2', 0, '_T|_T|UNK', 1, 1],
    ['V2', 0, '_T|_T|Y_LT18', 5, 5],
    ['V2', 0, '_T|_T|_T', 26, 26],
  ])
  t.ok(failing(r).includes('V2@0:_T|_T|UNK'), 'V2 UNK is a failure')
  t.equal(r.failures.length, 5)

  // A alone: UNK in [1, inf) (nothing bounds the total), Y_LT18 too; the total is >= 22.
  const alone = await auditReceived([a], { threshold: 3 })
  t.same(rows(alone), [
    ['V2', 0, '_T|_T|UNK', 1, null],
    ['V2', 0, '_T|_T|Y_LT18', 1, null],
    ['V2', 0, '_T|_T|_T', 22, null],
  ])
  t.same(alone.failures, [])
})

t.test('V1 hides the VICT_STATUS split that V4 publishes', async t => {
  const v1 = table('A', 'V1', ['VICT_STATUS'], { IDENT: null, PRES: null, _T: 10 })
  const v4 = table('B', 'V4', ['VICT_STATUS'], { IDENT: 7, PRES: 3, _T: 10 })
  const r = await auditReceived([v1, v4], { threshold: 3 })
  t.same(rows(r), [
    ['V1', 0, 'IDENT|_T|_T|_T', 7, 7],
    ['V1', 0, 'PRES|_T|_T|_T', 3, 3],
  ])
  t.same(failing(r), ['V1@0:IDENT|_T|_T|_T', 'V1@0:PRES|_T|_T|_T'])
  // V1 alone: IDENT + PRES = 10, each >= 1: [1, 9], no failure.
  t.same(rows(await auditReceived([v1], { threshold: 3 })), [
    ['V1', 0, 'IDENT|_T|_T|_T', 1, 9],
    ['V1', 0, 'PRES|_T|_T|_T', 1, 9],
  ])
})

t.test('absent cells are zeros: a hidden cell inside a small published margin', async t => {
  // V1 by SEX: F and M hidden, total 3, O and U absent (0): F + M = 3, each >= 1: [1, 2].
  const r = await auditReceived([table('A', 'V1', ['SEX'], { F: null, M: null, _T: 3 })], { threshold: 3 })
  t.same(rows(r), [
    ['V1', 0, '_T|F|_T|_T', 1, 2],
    ['V1', 0, '_T|M|_T|_T', 1, 2],
  ])
  t.equal(r.failures.length, 2)
  // U hidden too and a total of 12: F + M + U = 12, each in [1, 10], no failure.
  const wide = await auditReceived([table('A', 'V1', ['SEX'], { F: null, M: null, U: null, _T: 12 })], { threshold: 3 })
  t.same(rows(wide).map(x => x.slice(3)), [[1, 10], [1, 10], [1, 10]])
  t.same(wide.failures, [])
})

t.test('a revision: round 0 publishes F = 5, round 1 hides it after one withdrawal', async t => {
  const round0 = table('A', 'V1', ['SEX'], { F: 5, M: 7, _T: 12 })
  const round1 = table('A', 'V1', ['SEX'], { F: null, M: null, _T: null }, { round: 1 })
  // Known changes: withdrawn 1, added 0: F1 = 5 - wF, M1 = 7 - wM, wF + wM = 1, so F1 in [4, 5],
  // M1 in [6, 7], and the total 11 exactly.
  const r = await auditReceived([round0, round1], { threshold: 3, changes: [{ population: 'victims', year: YEAR, round: 1, added: 0, withdrawn: 1 }] })
  t.same(rows(r), [
    ['V1', 1, '_T|F|_T|_T', 4, 5],
    ['V1', 1, '_T|M|_T|_T', 6, 7],
    ['V1', 1, '_T|_T|_T|_T', 11, 11],
  ])
  t.equal(r.failures.length, 3)
  // Added 2, withdrawn 1: F1 = 5 + aF - wF in [4, 7], M1 in [6, 9], total 13.
  const more = await auditReceived([round0, round1], { threshold: 3, changes: [{ population: 'victims', year: YEAR, round: 1, added: 2, withdrawn: 1 }] })
  t.same(rows(more).map(x => x.slice(3)), [[4, 7], [6, 9], [13, 13]])
  // No changes given and no published value differs: the same state, so round 1 is known exactly.
  const same = await auditReceived([round0, round1], { threshold: 3 })
  t.same(rows(same).map(x => x.slice(3)), [[5, 5], [7, 7], [12, 12]])
  // No changes given and the total differs (13): an independent state, F + M = 13, each >= 1.
  const moved = table('A', 'V1', ['SEX'], { F: null, M: null, _T: 13 }, { round: 1 })
  const indep = await auditReceived([round0, moved], { threshold: 3 })
  t.same(rows(indep), [
    ['V1', 1, '_T|F|_T|_T', 1, 12],
    ['V1', 1, '_T|M|_T|_T', 1, 12],
  ])
  t.same(indep.failures, [])
})

t.test('a revision: the persons added to and withdrawn from each cell, and the changes that are certainly small', async t => {
  const round0 = table('A', 'V1', ['SEX'], { F: 5, M: 7, _T: 12 })
  const round1 = table('A', 'V1', ['SEX'], { F: null, M: null, _T: null }, { round: 1 })
  const change = (added: number, withdrawn: number): AuditOptions => ({ threshold: 3, changeIntervals: true, changes: [{ population: 'victims', year: YEAR, round: 1, added, withdrawn }] })
  const changeRows = (r: AuditReport): Array<[string, string, number, number | null]> => r.changes.map(c => [c.key, c.direction, c.lower, c.upper])
  // One withdrawn, none added: each sex lost 0 or 1; the total lost exactly 1 (known, and below T).
  const one = await auditReceived([round0, round1], change(0, 1))
  t.same(changeRows(one), [
    ['_T|F|_T|_T', 'added', 0, 0], ['_T|F|_T|_T', 'withdrawn', 0, 1],
    ['_T|M|_T|_T', 'added', 0, 0], ['_T|M|_T|_T', 'withdrawn', 0, 1],
    ['_T|_T|_T|_T', 'added', 0, 0], ['_T|_T|_T|_T', 'withdrawn', 1, 1],
  ])
  t.same(one.changeFailures.map(c => `${c.key} ${c.direction}`), ['_T|_T|_T|_T withdrawn'])
  // F published again as 4 after one withdrawal, none added: F lost exactly that person.
  const f4 = table('A', 'V1', ['SEX'], { F: 4, M: null, _T: null }, { round: 1 })
  const pinned = await auditReceived([round0, f4], change(0, 1))
  t.same(pinned.changeFailures.map(c => [c.key, c.direction, c.lower, c.upper]), [
    ['_T|F|_T|_T', 'withdrawn', 1, 1],
    ['_T|_T|_T|_T', 'withdrawn', 1, 1],
  ])
  t.same(pinned.changes.find(c => c.key === '_T|M|_T|_T' && c.direction === 'withdrawn')?.upper, 0, 'so M lost nobody')
  // Ten added and ten withdrawn of 12, everything hidden in round 1: F lost at least 3 (M had
  // only 7) and at most its 5, M at least 5; nothing is certainly between 1 and T - 1 = 2.
  const many = await auditReceived([round0, round1], change(10, 10))
  t.same(many.changeFailures, [])
  t.same(changeRows(many).filter(([k]) => k !== '_T|_T|_T|_T'), [
    ['_T|F|_T|_T', 'added', 0, 10], ['_T|F|_T|_T', 'withdrawn', 3, 5],
    ['_T|M|_T|_T', 'added', 0, 10], ['_T|M|_T|_T', 'withdrawn', 5, 7],
  ])
  // Without changeIntervals nothing is computed.
  t.same((await auditReceived([round0, round1], { ...change(0, 1), changeIntervals: false })).changes, [])
})

t.test('a safe 2x2: all four inner cells hidden, margins of 20', async t => {
  // a + b = 20, c + d = 20, a + c = 20: a = d = s, b = c = 20 - s, s in [1, 19].
  const v4 = table('A', 'V4', ['IDENT_AGENCY', 'VICT_STATUS'], {
    'POL|IDENT': null,
    'POL|PRES': null,
    'SOC|IDENT': null,
    'SOC|PRES': null,
    'POL|_T': 20,
    'SOC|_T': 20,
    '_T|IDENT': 20,
    '_T|PRES': 20,
    '_T|_T': 40,
  })
  const r = await auditReceived([v4], { threshold: 3 })
  t.same(rows(r).map(x => x.slice(3)), [[1, 19], [1, 19], [1, 19], [1, 19]])
  t.same(r.failures, [])
})

t.test('V5: the ASSIST total counts each person once per type of assistance', async t => {
  // 4 victims (V1 total); V5 by ASSIST: SHELTER and HEALTH hidden, the other ten types absent (0),
  // 7 assistances in all. Each type reaches at most the 4 persons: SHELTER + HEALTH = 7 with both
  // <= 4 gives [3, 4] each.
  const persons = table('B', 'V1', [], { '': 4 })
  const v5 = table('A', 'V5', ['ASSIST'], { SHELTER: null, HEALTH: null, _T: 7 })
  const r = await auditReceived([persons, v5], { threshold: 3 })
  t.same(rows(r), [
    ['V5', 0, 'HEALTH|_T|_T', 3, 4],
    ['V5', 0, 'SHELTER|_T|_T', 3, 4],
  ])
  t.equal(r.failures.length, 2)
  // Without the persons' count: SHELTER + HEALTH = 7, each >= 1: [1, 6].
  t.same(rows(await auditReceived([v5], { threshold: 3 })).map(x => x.slice(3)), [[1, 6], [1, 6]])

  // The total hidden: SHELTER 4, HEALTH 2, PSY hidden in [1, 4] (4 persons), total 6 + PSY in [7, 10].
  const v5b = table('A', 'V5', ['ASSIST'], { SHELTER: 4, HEALTH: 2, PSY: null, _T: null })
  const rb = await auditReceived([persons, v5b], { threshold: 3 })
  t.same(rows(rb), [
    ['V5', 0, 'PSY|_T|_T', 1, 4],
    ['V5', 0, '_T|_T|_T', 7, 10],
  ])
  t.same(rb.failures, [])
})

t.test('V5 by ASSIST x SEX: the flag counts are bounded by the persons of each sex', async t => {
  // V1: F = 1, M = 9. V5: SHELTER 5 (F and M hidden), HEALTH 3 (all M: HEALTH F absent),
  // by sex hidden, 8 in all. SHELTER F <= 1 person and >= 1: 1; SHELTER M = 4; total F = 1;
  // total M = 4 + 3 = 7.
  const v5 = table('A', 'V5', ['ASSIST', 'SEX'], {
    'SHELTER|F': null,
    'SHELTER|M': null,
    'SHELTER|_T': 5,
    'HEALTH|M': 3,
    'HEALTH|_T': 3,
    '_T|F': null,
    '_T|M': null,
    '_T|_T': 8,
  })
  const r = await auditReceived([table('B', 'V1', ['SEX'], { F: 1, M: 9, _T: 10 }), v5], { threshold: 3 })
  t.same(rows(r), [
    ['V5', 0, 'SHELTER|F|_T', 1, 1],
    ['V5', 0, 'SHELTER|M|_T', 4, 4],
    ['V5', 0, '_T|F|_T', 1, 1],
    ['V5', 0, '_T|M|_T', 7, 7],
  ])
  // With 3 women: SHELTER F = s in [1, 3], SHELTER M = 5 - s in [2, 4], total F = s, total M = 8 - s.
  const r3 = await auditReceived([table('B', 'V1', ['SEX'], { F: 3, M: 7, _T: 10 }), v5], { threshold: 3 })
  t.same(rows(r3).map(x => x.slice(2)), [
    ['SHELTER|F|_T', 1, 3],
    ['SHELTER|M|_T', 2, 4],
    ['_T|F|_T', 1, 3],
    ['_T|M|_T', 5, 7],
  ])
})

t.test('V5 across a known revision: flags follow the persons kept, withdrawn and added', async t => {
  // Round 0: 2 victims, both with SHELTER only (the other types absent: 0). Round 1: one withdrawn,
  // one added, V5 hidden. HEALTH can only be the newcomer's (>= 1 as hidden): [1, 1]. SHELTER is the
  // kept person's plus perhaps the newcomer's: [1, 2]; the total SHELTER + HEALTH: [2, 3].
  const round0 = [table('B', 'V1', [], { '': 2 }), table('A', 'V5', ['ASSIST'], { SHELTER: 2, _T: 2 })]
  const round1 = table('A', 'V5', ['ASSIST'], { SHELTER: null, HEALTH: null, _T: null }, { round: 1 })
  const r = await auditReceived([...round0, round1], { threshold: 3, changes: [{ population: 'victims', year: YEAR, round: 1, added: 1, withdrawn: 1 }] })
  t.same(rows(r), [
    ['V5', 1, 'HEALTH|_T|_T', 1, 1],
    ['V5', 1, 'SHELTER|_T|_T', 1, 2],
    ['V5', 1, '_T|_T|_T', 2, 3],
  ])
  // Withdrawn 1, added 0: the one person left has SHELTER, so SHELTER = total = 1.
  const r0 = await auditReceived([...round0, table('A', 'V5', ['ASSIST'], { SHELTER: null, _T: null }, { round: 1 })],
    { threshold: 3, changes: [{ population: 'victims', year: YEAR, round: 1, added: 0, withdrawn: 1 }] })
  t.same(rows(r0).map(x => x.slice(2)), [['SHELTER|_T|_T', 1, 1], ['_T|_T|_T', 1, 1]])
  // The changes of the (person, type) pairs: the person withdrawn had SHELTER and nothing else
  // (exactly 1 pair withdrawn, from SHELTER); the newcomer has HEALTH (exactly 1 added there)
  // and perhaps SHELTER. Four changes certainly below T: both withdrawals, HEALTH's addition, and
  // the total added [1, 2].
  const changed = await auditReceived([...round0, round1], { threshold: 3, changeIntervals: true, changes: [{ population: 'victims', year: YEAR, round: 1, added: 1, withdrawn: 1 }] })
  t.same(changed.changes.filter(c => c.indicator === 'V5').map(c => [c.key, c.direction, c.lower, c.upper]), [
    ['HEALTH|_T|_T', 'added', 1, 1], ['HEALTH|_T|_T', 'withdrawn', 0, 0],
    ['SHELTER|_T|_T', 'added', 0, 1], ['SHELTER|_T|_T', 'withdrawn', 1, 1],
    ['_T|_T|_T', 'added', 1, 2], ['_T|_T|_T', 'withdrawn', 1, 1],
  ])
  t.same(changed.changeFailures.filter(c => c.indicator === 'V5').map(c => `${c.key} ${c.direction}`),
    ['HEALTH|_T|_T added', 'SHELTER|_T|_T withdrawn', '_T|_T|_T added', '_T|_T|_T withdrawn'])
})

t.test('groups: two recipients group CITIZEN_GRP differently, a third gets the codes', async t => {
  // A: NATIONAL = {NAT}, FOREIGN = rest, both hidden, total 20. B: WB = {NAT, WB_OTH} 6,
  // OTHER = rest 14. C: NAT hidden, WB_OTH 5, EU_FOR and NEU_FOR hidden, STLS and UNK absent.
  // NAT = 6 - 5 = 1; FOREIGN = 19; EU_FOR + NEU_FOR = 14, each in [1, 13]; C's total 20.
  const a = table('A', 'V1', ['CITIZEN_GRP'], { NATIONAL: null, FOREIGN: null, _T: 20 }, { groups: { CITIZEN_GRP: { NATIONAL: ['NAT'], FOREIGN: 'rest' } } })
  const b = table('B', 'V1', ['CITIZEN_GRP'], { WB: 6, OTHER: 14, _T: 20 }, { groups: { CITIZEN_GRP: { WB: ['NAT', 'WB_OTH'], OTHER: 'rest' } } })
  const c = table('C', 'V1', ['CITIZEN_GRP'], { NAT: null, WB_OTH: 5, EU_FOR: null, NEU_FOR: null, _T: null })
  const r = await auditReceived([a, b, c], { threshold: 3 })
  t.same(rows(r).map(x => x.slice(2)), [
    ['_T|_T|_T|EU_FOR', 1, 13],
    ['_T|_T|_T|FOREIGN', 19, 19],
    ['_T|_T|_T|NAT', 1, 1],
    ['_T|_T|_T|NATIONAL', 1, 1],
    ['_T|_T|_T|NEU_FOR', 1, 13],
    ['_T|_T|_T|_T', 20, 20],
  ])
  t.same(failing(r), ['V1@0:_T|_T|_T|FOREIGN', 'V1@0:_T|_T|_T|NAT', 'V1@0:_T|_T|_T|NATIONAL', 'V1@0:_T|_T|_T|_T'])
})

t.test('V3, AREA x AREA: only the nonzero pairs become variables', async t => {
  // ALB->ALB 5, ALB->SRB hidden, ALB total 7: ALB->SRB = 2. Exploitation in SRB: 4 = 2 + SRB->SRB,
  // so SRB->SRB = 2 and SRB's total (SRB->ALB absent) = 2; the grand total is 7 + 2 = 9.
  const v3 = table('A', 'V3', ['CITIZENSHIP', 'COUNTRY_OF_EXPLOITATION'], {
    'ALB|ALB': 5,
    'ALB|SRB': null,
    'ALB|_T': 7,
    'SRB|SRB': null,
    'SRB|_T': null,
    '_T|ALB': 5,
    '_T|SRB': 4,
    '_T|_T': 9,
  })
  const r = await auditReceived([v3], { threshold: 3 })
  t.same(rows(r).map(x => x.slice(2)), [['ALB|SRB', 2, 2], ['SRB|SRB', 2, 2], ['SRB|_T', 2, 2]])
  t.equal(r.variables, 3)
})

t.test('V3 grouped on both AREA dimensions: codes no table tells apart are one unknown', async t => {
  // CITIZENSHIP: WB = {ALB, SRB}, OTHER = rest; COUNTRY_OF_EXPLOITATION: HOME = {ALB}, ABROAD = rest.
  // WB|HOME = a, WB|ABROAD = 10 - a, OTHER|ABROAD = 4, ABROAD: 10 - a + 4 = 12, so a = 2;
  // OTHER|HOME = 3 - 2 = 1, OTHER's total 5.
  const v3 = table('A', 'V3', ['CITIZENSHIP', 'COUNTRY_OF_EXPLOITATION'], {
    'WB|HOME': null,
    'WB|ABROAD': null,
    'WB|_T': 10,
    'OTHER|HOME': null,
    'OTHER|ABROAD': 4,
    'OTHER|_T': null,
    '_T|HOME': 3,
    '_T|ABROAD': 12,
    '_T|_T': 15,
  }, { groups: { CITIZENSHIP: { WB: ['ALB', 'SRB'], OTHER: 'rest' }, COUNTRY_OF_EXPLOITATION: { HOME: ['ALB'], ABROAD: 'rest' } } })
  const r = await auditReceived([v3], { threshold: 3 })
  t.same(rows(r).map(x => x.slice(2)), [['OTHER|HOME', 1, 1], ['OTHER|_T', 5, 5], ['WB|ABROAD', 8, 8], ['WB|HOME', 2, 2]])
  t.equal(r.variables, 4, 'two classes of citizenship times two of country, not 255 x 255')
})

t.test('populations: C3 and C4 are linked, C1 is not', async t => {
  const c3 = table('A', 'C3', ['SEX'], { F: null, M: null, _T: 10 })
  const c4 = table('B', 'C4', ['SEX'], { F: 3, M: 7, _T: 10 })
  const c1 = table('A', 'C1', ['SEX'], { F: null, M: null, _T: 10 })
  const r = await auditReceived([c3, c4, c1], { threshold: 3 })
  t.same(r.intervals.map(i => [i.population, i.indicator, i.key, i.lower, i.upper]), [
    ['convicted', 'C3', 'F|_T|_T|_T|_T', 3, 3],
    ['convicted', 'C3', 'M|_T|_T|_T|_T', 7, 7],
    ['suspected', 'C1', 'F|_T|_T|_T', 1, 9],
    ['suspected', 'C1', 'M|_T|_T|_T', 1, 9],
  ])
})

t.test('contradicting tables are rejected', async t => {
  await t.rejects(auditReceived([table('A', 'V1', [], { '': 5 }), table('B', 'V2', [], { '': 6 })], { threshold: 3 }), /different values/)
  await t.rejects(auditReceived([table('A', 'V1', ['SEX'], { F: null, _T: 0 })], { threshold: 3 }), /independent auditor/)
  await t.rejects(auditReceived([table('A', 'V9', [], { '': 1 })], { threshold: 3 }), /unknown indicator/)
})

t.test('soundness on random microdata: every true value lies in its interval', async t => {
  // Persons with random attributes (a few codes per dimension) and random ASSIST flags; random
  // tables of V1..V5 (random by, CITIZEN_GRP sometimes grouped) publish every nonzero cell and hide
  // about 40% of them; a second round withdraws and adds a few persons, with the changes known.
  const DIMS: Record<string, string[]> = {
    V1: ['VICT_STATUS', 'SEX', 'AGE_GROUP', 'CITIZEN_GRP'],
    V2: ['EXPLOIT', 'SEX', 'AGE_GROUP'],
    V3: ['CITIZENSHIP', 'COUNTRY_OF_EXPLOITATION'],
    V4: ['IDENT_AGENCY', 'VICT_STATUS'],
    V5: ['ASSIST', 'SEX', 'AGE_GROUP'],
  }
  const DOMAIN: Record<string, string[]> = {
    VICT_STATUS: ['IDENT', 'PRES'],
    SEX: ['F', 'M'],
    AGE_GROUP: ['Y_LT18', 'Y_GE18', 'UNK'],
    CITIZEN_GRP: ['NAT', 'WB_OTH', 'EU_FOR'],
    EXPLOIT: ['SEX', 'LAB', 'OTH'],
    IDENT_AGENCY: ['POL', 'NGO', 'SOC'],
    CITIZENSHIP: ['ALB', 'SRB', 'DEU'],
    COUNTRY_OF_EXPLOITATION: ['ALB', 'SRB', 'ITA'],
  }
  const ASSIST = ['SHELTER', 'HEALTH', 'PSY', 'LEGAL']
  type Person = Record<string, string[]>
  let seed = 12345
  const random = (): number => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648 }
  const pick = <X>(xs: X[]): X => xs[Math.floor(random() * xs.length)]!
  const person = (): Person => ({ ...Object.fromEntries(Object.entries(DOMAIN).map(([d, codes]) => [d, [pick(codes)]])), ASSIST: ASSIST.filter(() => random() < 0.4) })
  // A person-weighted count: V5 counts a person once per flag in the cell.
  const count = (persons: Person[], tb: ReceivedTable, key: Record<string, string>): number =>
    persons.reduce((n, p) => n + (DIMS[tb.indicator]!.filter(d => d !== 'ASSIST').every(d => countsIn(tb, d, p[d]![0]!, key[d]!))
      ? (tb.indicator === 'V5' ? p['ASSIST']!.filter(a => countsIn(tb, 'ASSIST', a, key['ASSIST']!)).length : 1)
      : 0), 0)
  const cellsOf = (tb: ReceivedTable): Array<Record<string, string>> => {
    let keys: Array<Record<string, string>> = [Object.fromEntries(DIMS[tb.indicator]!.map(d => [d, '_T']))]
    for (const d of tb.by) {
      const codes = tb.groups?.[d] !== undefined ? Object.keys(tb.groups[d]) : d === 'ASSIST' ? ASSIST : DOMAIN[d]!
      keys = keys.flatMap(k => [k, ...codes.map(c => ({ ...k, [d]: c }))])
    }
    return keys
  }
  let checked = 0
  let changesChecked = 0
  for (let run = 0; run < 40; run++) {
    const round0 = Array.from({ length: 3 + Math.floor(random() * 30) }, person)
    const kept = round0.filter(() => random() > 0.1)
    const round1 = [...kept, ...Array.from({ length: Math.floor(random() * 3) }, person)]
    const rounds = random() < 0.4 ? [round0, round1] : [round0]
    const tables: Array<{ tb: ReceivedTable, persons: Person[] }> = []
    rounds.forEach((persons, round) => {
      for (let i = 1 + Math.floor(random() * 4); i > 0; i--) {
        const indicator = pick(Object.keys(DIMS))
        const by = DIMS[indicator]!.filter(() => random() < 0.6)
        const groups: ReceivedTable['groups'] = by.includes('CITIZEN_GRP') && random() < 0.5
          ? { CITIZEN_GRP: random() < 0.5 ? { N: ['NAT'], R: 'rest' } : { WB: ['NAT', 'WB_OTH'], R: 'rest' } }
          : undefined
        const tb: ReceivedTable = { recipient: `R${i}`, round, indicator, year: YEAR, by, ...(groups !== undefined ? { groups } : {}), cells: [] }
        tb.cells = cellsOf(tb).flatMap(key => {
          const v = count(persons, tb, key)
          return v === 0 ? [] : [random() < 0.4 ? { key } : { key, value: v }]
        })
        tables.push({ tb, persons })
      }
    })
    const changes = rounds.length === 2 ? [{ population: 'victims', year: YEAR, round: 1, added: round1.length - kept.length, withdrawn: round0.length - kept.length }] : []
    const r = await auditReceived(tables.map(x => x.tb), { threshold: 3, changes, changeIntervals: true })
    // Every cell's persons added and withdrawn lie in their intervals too.
    const moved = { added: round1.slice(kept.length), withdrawn: round0.filter(p => !kept.includes(p)) }
    for (const c of r.changes) {
      const tb = tables.find(x => x.tb.round === c.table.round && x.tb.recipient === c.table.recipient && x.tb.indicator === c.indicator)!.tb
      const truth = count(moved[c.direction], tb, Object.fromEntries(DIMS[c.indicator]!.map((d, k) => [d, c.key.split('|')[k]!])))
      if (truth < c.lower || (c.upper !== null && truth > c.upper)) t.fail(`run ${run}: ${c.indicator}@${c.round} ${c.key} ${c.direction} ${truth}, outside [${c.lower}, ${c.upper}]`)
      changesChecked++
    }
    for (const i of r.intervals) {
      const { tb, persons } = tables.find(x => x.tb.round === i.round && x.tb.indicator === i.indicator &&
        x.tb.cells.some(c => c.value === undefined && DIMS[i.indicator]!.map(d => c.key[d]).join('|') === i.key))!
      const truth = count(persons, tb, Object.fromEntries(DIMS[i.indicator]!.map((d, k) => [d, i.key.split('|')[k]!])))
      if (truth < i.lower || (i.upper !== null && truth > i.upper)) t.fail(`run ${run}: ${i.indicator}@${i.round} ${i.key} is ${truth}, outside [${i.lower}, ${i.upper}]`)
      checked++
    }
    t.same(r.failures, r.intervals.filter(i => i.upper !== null && (i.upper - i.lower < 3 || i.upper < 3)))
  }
  t.ok(checked > 200, `${checked} hidden cells checked`)
  t.ok(changesChecked > 200, `${changesChecked} changes of cells checked`)
})
