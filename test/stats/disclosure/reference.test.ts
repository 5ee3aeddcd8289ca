/**
 * The seven public reference cases of shared/brief/disclosure-control.md, with exact outcomes.
 */
import t from 'tap'
import { auditSuppression, isProtected } from '../../../src/stats/disclosure/audit.js'
import { primaryKeys, protect } from '../../../src/stats/disclosure/protect.js'
import type { ProtectionProblem } from '../../../src/stats/disclosure/problem.js'
import { crossTableProblem, twoWayTableProblem } from '../../../src/stats/disclosure/tables.js'
import { innerCells, publishedCells, reordered, rowProblem } from './helpers.js'

const plain = (rows: Array<{ key: string, lower: number, upper: number | null }>): Array<[string, number, number | null]> =>
  rows.map(r => [r.key, r.lower, r.upper])

t.test('1. threshold boundary, T=3: only 1 and 2 are primary, and so is a margin equal to 2', async t => {
  const problem: ProtectionProblem = {
    inner: innerCells({ a: 0, b: 1, c: 2, d: 3 }),
    published: publishedCells({ a: ['a'], b: ['b'], c: ['c'], d: ['d'], m: ['a', 'c'], total: ['a', 'b', 'c', 'd'] }),
    threshold: 3,
  }
  t.same(primaryKeys(problem), ['b', 'c', 'm'], 'the 0 and the 3 are not primary; the margin 0+2 is')
  const r = await protect(problem)
  t.equal(r.primary, 3)
  // b + c is published as total - a - d: a contributor in b (a singleton) would pin c below 3,
  // so one more cell goes: d, the smallest published count in that relation.
  t.same(r.suppressed, ['b', 'c', 'd', 'm'])
  t.equal(r.secondary, 1)
  t.notOk(r.suppressed.includes('a'), 'the zero is published')
  t.ok(r.ok)
  t.same(plain(r.audit), [['b', 0, 6], ['c', 0, 6], ['d', 0, 6], ['m', 0, 6]])
  t.same(primaryKeys({ ...problem, threshold: 4 }), ['b', 'c', 'd', 'm'], 'with T=4 the 3 is primary too')
  t.same(primaryKeys({ ...problem, threshold: 1 }), [], 'with T=1 nothing is')
})

t.test('2. tau-ARGUS audit example: intervals of a 3x2 table with four suppressed cells', async t => {
  // Rows (X11, X12) = 7, (X21, X22) = 3, (3, 3) = 6; columns 9 and 7; grand total 16.
  const problem = twoWayTableProblem([[4, 3], [2, 1], [3, 3]])
  const cells = ['r0|c0', 'r0|c1', 'r1|c0', 'r1|c1']
  const audit = await auditSuppression(problem, cells)
  t.same(plain(audit), [['r0|c0', 3, 6], ['r0|c1', 1, 4], ['r1|c0', 0, 3], ['r1|c1', 0, 3]])
  // The same intervals whatever the values behind the margins.
  t.same(plain(await auditSuppression(twoWayTableProblem([[3, 4], [3, 0], [3, 3]]), cells)), plain(audit))
  // X22 = 1 is a singleton: its one contributor knows X22 >= 1, hence X21 <= 2 and X11 >= 4.
  t.same(audit.map(a => [a.key, a.singletonLower, a.singletonUpper]), [['r0|c0', 4, 6], ['r0|c1', 1, 3], ['r1|c0', 0, 2], ['r1|c1', 0, 3]])
  t.same(audit.map(a => isProtected(a.lower, a.upper, 3)), [true, true, true, true], 'at T=3 the plain intervals pass')
  t.same(audit.map(a => isProtected(a.lower, a.upper, 4)), [false, false, false, false], 'at T=4 none does')
})

t.test('3. two suppressions in every row and column can still pin a cell: the LP audit tells', async t => {
  // Two 2x2 blocks joined by one more cell (row 0, column 2): every row and column of the 4x4
  // table holds at least two suppressions, yet the joining cell is a bridge, fixed exactly.
  const problem = twoWayTableProblem([[2, 3, 4, 5], [3, 4, 5, 6], [4, 5, 6, 7], [5, 6, 7, 8]])
  const pattern = ['r0|c0', 'r0|c1', 'r1|c0', 'r1|c1', 'r2|c2', 'r2|c3', 'r3|c2', 'r3|c3', 'r0|c2']
  for (let i = 0; i < 4; i++) {
    t.ok(pattern.filter(k => k.startsWith(`r${i}|`)).length >= 2, `row ${i} has two suppressions`)
    t.ok(pattern.filter(k => k.endsWith(`|c${i}`)).length >= 2, `column ${i} has two suppressions`)
  }
  const audit = await auditSuppression(problem, pattern)
  const bridge = audit.find(a => a.key === 'r0|c2')!
  t.same([bridge.lower, bridge.upper], [4, 4], 'the bridge cell is disclosed exactly')
  t.same(audit.filter(a => !isProtected(a.lower, a.upper, 3)).map(a => a.key), ['r0|c2'], 'and the audit fails it, only it')

  // Zeros can pin a block that linear algebra leaves free: with x >= 0 the 2x2 cycle cannot move.
  const zeros = twoWayTableProblem([[0, 2, 5], [0, 7, 5], [4, 4, 4]])
  const block = await auditSuppression(zeros, ['r0|c0', 'r0|c1', 'r1|c0', 'r1|c1'])
  t.same(plain(block), [['r0|c0', 0, 0], ['r0|c1', 2, 2], ['r1|c0', 0, 0], ['r1|c1', 7, 7]])

  // protect() never returns such a pattern.
  const r = await protect(problem)
  t.ok(r.ok)
  t.ok(r.audit.every(a => isProtected(a.lower, a.upper, 3)))
})

t.test('4. singleton row (1, 1, 8 | 10): a third suppression is needed, then each 1 lies in [0, 9]', async t => {
  const problem = rowProblem({ A: 1, B: 1, C: 8 })
  const two = await auditSuppression(problem, ['A', 'B'])
  t.same(plain(two), [['A', 0, 2], ['B', 0, 2]], 'both 1s alone: A + B = 10 - 8 = 2 is published')
  t.notOk(two.some(a => isProtected(a.lower, a.upper, 3)))

  const r = await protect(problem)
  t.same(r.suppressed, ['A', 'B', 'C'])
  t.same([r.primary, r.secondary], [2, 1])
  t.same(plain(r.audit), [['A', 0, 10], ['B', 0, 10], ['C', 0, 10]])
  const audit = await auditSuppression(problem, r.suppressed)
  t.same(audit.filter(a => a.key !== 'C').map(a => [a.key, a.singletonLower, a.singletonUpper]), [['A', 0, 9], ['B', 0, 9]],
    'the person in one 1-cell knows it is >= 1: the other lies in [0, 9]')

  // At T=2 the plain LP alone would accept A + B = 2 published; the singleton attack does not.
  const low = await protect({ ...problem, threshold: 2 })
  t.same(low.suppressed, ['A', 'B', 'C'])
})

t.test('5. zeros: two suppressed cells under a published total of 0 fail the audit', async t => {
  const problem: ProtectionProblem = {
    inner: innerCells({ a: 0, b: 0, c: 5 }),
    published: publishedCells({ a: ['a'], b: ['b'], c: ['c'], ab: ['a', 'b'], total: ['a', 'b', 'c'] }),
  }
  const audit = await auditSuppression(problem, ['a', 'b'])
  t.same(plain(audit), [['a', 0, 0], ['b', 0, 0]], 'with x >= 0, ab = 0 pins both')
  t.notOk(audit.some(a => isProtected(a.lower, a.upper, 3)))

  // If a and b must stay suppressed (an earlier release), protect hides the zero total too, and
  // the total (c is published: a + b = total - c).
  const r = await protect({ ...problem, alreadySuppressed: ['a', 'b'] })
  t.same(r.suppressed, ['a', 'ab', 'b', 'total'])
  t.ok(r.ok)
  t.same(plain(r.audit), [['a', 0, null], ['ab', 0, null], ['b', 0, null], ['total', 5, null]])

  // Zeros alone are not unsafe: nothing is suppressed.
  t.same((await protect(problem)).suppressed, [])
})

t.test('6. status consistency: a key in several peers\' tables has one status; the union passes the audit', async t => {
  // Inner cells: sex x age x region. Peer A receives sex x age, peer B sex x region; both
  // receive the sex totals and the grand total (same keys, same members).
  const sexes = ['F', 'M']
  const ages = ['0-17', '18+']
  const regions = ['N', 'S', 'W']
  const values: Record<string, number> = {}
  let k = 0
  const pattern = [4, 0, 7, 1, 6, 3, 5, 2, 9, 8, 0, 6]
  for (const s of sexes) for (const a of ages) for (const r of regions) values[`${s}.${a}.${r}`] = pattern[k++]!
  const keys = Object.keys(values)
  const sum = (f: (key: string) => boolean): string[] => keys.filter(f)
  const peerA: Record<string, string[]> = { '*.*.*': keys }
  const peerB: Record<string, string[]> = { '*.*.*': keys }
  for (const s of sexes) {
    peerA[`${s}.*.*`] = sum(x => x.startsWith(`${s}.`))
    peerB[`${s}.*.*`] = sum(x => x.startsWith(`${s}.`))
    for (const a of ages) peerA[`${s}.${a}.*`] = sum(x => x.startsWith(`${s}.${a}.`))
    for (const r of regions) peerB[`${s}.*.${r}`] = sum(x => x.startsWith(`${s}.`) && x.endsWith(`.${r}`))
  }
  for (const a of ages) peerA[`*.${a}.*`] = sum(x => x.split('.')[1] === a)
  for (const r of regions) peerB[`*.*.${r}`] = sum(x => x.endsWith(`.${r}`))
  const union = { ...peerA, ...peerB }
  t.same(Object.keys(peerA).filter(key => key in peerB).sort(), ['*.*.*', 'F.*.*', 'M.*.*'], 'three keys are shared')
  const problem: ProtectionProblem = { inner: innerCells(values), published: publishedCells(union) }
  const r = await protect(problem)
  t.ok(r.ok)
  t.ok(r.suppressed.length > 0)
  const status = (peer: Record<string, string[]>): Record<string, boolean> => Object.fromEntries(Object.keys(peer).map(key => [key, r.suppressed.includes(key)]))
  const a = status(peerA)
  const b = status(peerB)
  for (const key of Object.keys(a)) if (key in b) t.equal(a[key], b[key], `${key} has one status for both peers`)
  // Independent audit of everything any peer receives.
  const audit = await auditSuppression(problem, r.suppressed)
  t.ok(audit.every(x => isProtected(x.lower, x.upper, 3) && isProtected(x.singletonLower, x.singletonUpper, 3)))
  t.same(plain(audit), plain(r.audit))
})

t.test('7. determinism: the same input in any order gives byte-identical output', async t => {
  const dims = [['F', 'M'], ['a', 'b', 'c'], ['x', 'y', 'z', 'w']]
  const values = [3, 0, 1, 7, 2, 9, 4, 0, 1, 1, 5, 6, 0, 2, 8, 3, 1, 4, 6, 2, 0, 3, 1, 12]
  const problem: ProtectionProblem = {
    ...crossTableProblem(dims, values),
    alreadySuppressed: ['F|a|*'],
    alreadyPublished: [{ key: 'M|*|*', members: crossTableProblem(dims, values).published.find(c => c.key === 'M|*|*')!.members, value: 46 }],
  }
  const first = JSON.stringify(await protect(problem))
  for (const seed of [1, 2, 3]) {
    t.equal(JSON.stringify(await protect(reordered(problem, seed))), first, `shuffle ${seed}`)
  }
  t.ok(JSON.parse(first).suppressed.includes('F|a|*'))
})
