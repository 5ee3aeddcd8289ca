/**
 * Linked tables, non-nested groupings, revisions, unsafe problems, validation, and the building
 * blocks (exact elimination, table builder).
 */
import t from 'tap'
import { auditSuppression, isProtected } from '../../../src/stats/disclosure/audit.js'
import { derivableFrom, gaussSuppress, type Vector } from '../../../src/stats/disclosure/gauss.js'
import { prepareProblem, type PriorCell, type ProtectionProblem } from '../../../src/stats/disclosure/problem.js'
import { protect } from '../../../src/stats/disclosure/protect.js'
import { crossTableProblem, twoWayTableProblem } from '../../../src/stats/disclosure/tables.js'
import { innerCells, publishedCells, rowProblem } from './helpers.js'

/** What a release of `problem` with pattern `suppressed` put out: every other cell with its value. */
function released (problem: ProtectionProblem, suppressed: string[]): PriorCell[] {
  const value = new Map(problem.inner.map(c => [c.key, c.value]))
  return problem.published
    .filter(c => !suppressed.includes(c.key))
    .map(c => ({ key: c.key, members: c.members, value: c.members.reduce((s, m) => s + value.get(m)!, 0) }))
}

t.test('linked tables sharing margins, sent to different peers, are protected together', async t => {
  // Inner cells sex x age x region; table 1 = sex x age, table 2 = age x region, table 3 =
  // sex x region: every pair shares one-way margins and the grand total.
  const dims = [['F', 'M'], ['a0', 'a1', 'a2'], ['N', 'S']]
  const values = [5, 1, 7, 0, 4, 6, 2, 9, 3, 8, 6, 1]
  const cube = crossTableProblem(dims, values)
  const linked: ProtectionProblem = {
    inner: cube.inner,
    // Only the two-way and one-way margins (no inner cells): three linked 2-D tables.
    published: cube.published.filter(c => c.key.split('|').filter(x => x === '*').length >= 1),
  }
  const r = await protect(linked)
  t.ok(r.ok)
  const audit = await auditSuppression(linked, r.suppressed)
  t.same(audit.map(a => [a.key, a.lower, a.upper]), r.audit.map(a => [a.key, a.lower, a.upper]), 'protect reports the audit intervals')
  t.ok(audit.every(a => isProtected(a.lower, a.upper, 3) && isProtected(a.singletonLower, a.singletonUpper, 3)))
  // Inner cells are not published here, but the margins separate them: the small ones are
  // derived groups, and they are protected too.
  t.same(r.derived.map(d => d.members), [['F|a0|S'], ['M|a0|N'], ['M|a2|S']], 'the inner cells of 1 and 2')
  t.ok(r.derived.every(d => isProtected(d.lower, d.upper, 3)))
})

t.test('non-nested groupings: 0-14/15+ for one peer and 0-17/18+ for another reveal 15-17', async t => {
  const ages = Array.from({ length: 25 }, (_, i) => i)
  const key = (i: number): string => `age${String(i).padStart(2, '0')}`
  const value = (i: number): number => (i === 16 ? 2 : i === 15 || i === 17 ? 0 : 3)
  const keys = (f: (i: number) => boolean): string[] => ages.filter(f).map(key)
  const problem: ProtectionProblem = {
    inner: ages.map(i => ({ key: key(i), value: value(i) })),
    published: publishedCells({
      'A:0-14': keys(i => i <= 14),
      'A:15+': keys(i => i >= 15),
      'B:0-17': keys(i => i <= 17),
      'B:18+': keys(i => i >= 18),
      total: keys(() => true),
    }),
  }
  // Nothing is below 3 among the published cells...
  t.same(problem.published.map(c => c.members.reduce((s, m) => s + value(Number(m.slice(3))), 0)), [45, 23, 47, 21, 68])
  // ...but B:0-17 - A:0-14 is the 15-17 group, which holds 2.
  const prep = prepareProblem(problem)
  const group = prep.atoms.findIndex(a => a.inner.map(i => prep.innerKeys[i]).join() === 'age15,age16,age17')
  t.ok(group >= 0, 'the 15-17 group is an atom of the groupings')
  t.same(derivableFrom(prep.atoms.length, prep.cells.map(c => c.atoms), [[group]]), [true], 'published in full, it is derivable')

  // Each peer's table protected on its own needs no suppression at all: only the union shows it.
  for (const peer of ['A:', 'B:']) {
    const own = await protect({ ...problem, published: problem.published.filter(c => c.key.startsWith(peer) || c.key === 'total') })
    t.same(own.suppressed, [], `${peer} alone looks safe`)
  }

  const r = await protect(problem)
  t.ok(r.ok)
  t.same(r.derived, [{ members: ['age15', 'age16', 'age17'], lower: 0, upper: 47 }])
  t.same(r.suppressed, ['A:0-14', 'A:15+'], 'the groupings of the smaller counts are withheld')
  const published = prep.cells.filter(c => !r.suppressed.includes(c.key)).map(c => c.atoms)
  t.same(derivableFrom(prep.atoms.length, published, [[group]]), [false], 'what is published no longer derives it')
})

t.test('revisions: sticky suppressions stay, earlier values constrain, changed values are reported', async t => {
  // Release 1: (1, 5, 6, 7 | 19): A is primary, B goes with it.
  const v1 = rowProblem({ A: 1, B: 5, C: 6, D: 7 })
  const r1 = await protect(v1)
  t.same(r1.suppressed, ['A', 'B'])
  // Release 2: A rose to 3, no cell is primary; A and B stay suppressed all the same.
  const v2 = rowProblem({ A: 3, B: 5, C: 6, D: 7 })
  t.same((await protect(v2)).suppressed, [], 'without history nothing would be suppressed')
  const r2 = await protect({ ...v2, alreadySuppressed: r1.suppressed, alreadyPublished: released(v1, r1.suppressed) })
  t.same(r2.suppressed, ['A', 'B'])
  t.same([r2.primary, r2.secondary], [0, 2])
  t.same(r2.revised, ['total'], 'the total changed from 19 to 21: not used as an equation')
  t.ok(r2.ok)
  t.same(r2.audit, [{ key: 'A', lower: 0, upper: 8 }, { key: 'B', lower: 0, upper: 8 }])

  // Values released earlier cannot be withdrawn: (3, 4, 5 | 12) all published, then A drops to
  // 2. Fresh, B would go with A; but B = 4 is out already, so the total must go instead.
  const w1 = rowProblem({ A: 3, B: 4, C: 5 })
  const w2 = rowProblem({ A: 2, B: 4, C: 5 })
  t.same((await protect(w2)).suppressed, ['A', 'B'])
  const r3 = await protect({ ...w2, alreadyPublished: released(w1, []) })
  t.same(r3.suppressed, ['A', 'total'])
  t.same(r3.revised, ['A', 'total'])
  t.ok(r3.ok)
})

t.test('unsafe problems are reported with a reason', async t => {
  // A 2 published under an older, lower threshold.
  const u1 = await protect({ ...rowProblem({ A: 2, B: 7 }), alreadyPublished: [{ key: 'A', members: ['A'], value: 2 }] })
  t.equal(u1.ok, false)
  t.same(u1.unsafe, [{ key: 'A', reason: 'already published earlier with value 2, below the threshold 3' }])
  t.same(u1.suppressed, ['A'], 'still marked suppressed in this release')

  // An earlier margin A + B = 2 bounds both 1s to [0, 2] whatever is suppressed now.
  const u2 = await protect({ ...rowProblem({ A: 1, B: 1, C: 5 }), alreadyPublished: [{ key: 'AB', members: ['A', 'B'], value: 2 }] })
  t.equal(u2.ok, false)
  t.same(u2.unsafe.map(u => u.key), ['A', 'B'])
  t.match(u2.unsafe[0]!.reason, /^cells published earlier bound it to \[0, 2\] \(width and upper bound must be at least 3\)/)

  // A cell that must stay suppressed, but A and the total were published: B = 9 - 5.
  const u3 = await protect({
    ...rowProblem({ A: 5, B: 4 }),
    alreadyPublished: [{ key: 'A', members: ['A'], value: 5 }, { key: 'total', members: ['A', 'B'], value: 9 }],
    alreadySuppressed: ['B'],
  })
  t.same(u3.unsafe, [{ key: 'B', reason: 'its value can be derived exactly from cells published earlier' }])

  // Suppressed before, published with the same value in another release.
  const u4 = await protect({ ...rowProblem({ A: 5, B: 4 }), alreadyPublished: [{ key: 'B', members: ['B'], value: 4 }], alreadySuppressed: ['B'] })
  t.same(u4.unsafe, [{ key: 'B', reason: 'suppressed in an earlier release, but published with the same value in another' }])

  // A derived group pinned by earlier releases.
  const u5 = await protect({
    inner: innerCells({ x: 1, y: 4, z: 4 }),
    published: publishedCells({ xy: ['x', 'y'], yz: ['y', 'z'] }),
    alreadyPublished: [{ key: 'old-y', members: ['y'], value: 4 }, { key: 'old-xy', members: ['x', 'y'], value: 5 }],
  })
  t.same(u5.unsafe, [{ key: '{x}', reason: 'its value can be derived exactly from cells published earlier' }])
})

t.test('problems are validated with clear messages', async t => {
  const ok = rowProblem({ A: 1, B: 2 })
  const bad = (p: Partial<ProtectionProblem>): ProtectionProblem => ({ ...ok, ...p })
  t.throws(() => prepareProblem(bad({ inner: [{ key: 'A', value: 1 }, { key: 'A', value: 2 }] })), /duplicate inner key "A"/)
  t.throws(() => prepareProblem(bad({ inner: [{ key: 'A', value: -1 }, { key: 'B', value: 2 }] })), /inner cell "A" has value -1; counts must be non-negative integers/)
  t.throws(() => prepareProblem(bad({ inner: [{ key: 'A', value: 1.5 }, { key: 'B', value: 2 }] })), /value 1.5/)
  t.throws(() => prepareProblem(bad({ inner: [{ key: '', value: 1 }] })), /inner cell key must be a non-empty string/)
  t.throws(() => prepareProblem(bad({ published: [{ key: 'x', members: ['A', 'Q'] }] })), /published cell "x" has unknown member "Q"/)
  t.throws(() => prepareProblem(bad({ published: [{ key: 'x', members: ['A', 'A'] }] })), /published cell "x" lists member "A" twice/)
  t.throws(() => prepareProblem(bad({ published: [{ key: 'x', members: [] }] })), /published cell "x" has no members/)
  t.throws(() => prepareProblem(bad({ published: [{ key: 'x', members: ['A'] }, { key: 'x', members: ['B'] }] })), /duplicate published key "x"/)
  t.throws(() => prepareProblem(bad({ threshold: 0 })), /threshold must be an integer >= 1, got 0/)
  t.throws(() => prepareProblem(bad({ threshold: 2.5 })), /threshold must be an integer >= 1/)
  t.throws(() => prepareProblem(bad({ alreadySuppressed: ['nope'] })), /alreadySuppressed names "nope", which is not a published key/)
  t.throws(() => prepareProblem(bad({ alreadyPublished: [{ key: 'p', members: ['Z'], value: 1 }] })), /alreadyPublished cell "p" has unknown member "Z"/)
  t.throws(() => prepareProblem(bad({ alreadyPublished: [{ key: 'p', members: ['A'], value: -2 }] })), /alreadyPublished cell "p" has value -2/)
  t.throws(() => prepareProblem(bad({ alreadyPublished: [{ key: 'p', members: ['A'], value: 1 }, { key: 'p', members: ['B'], value: 2 }] })), /duplicate alreadyPublished key "p"/)
  await t.rejects(protect(bad({ inner: [{ key: 'A', value: -1 }] })), /counts must be non-negative integers/)
  await t.rejects(auditSuppression(ok, ['Q']), /"Q" is not a published key/)
  t.throws(() => crossTableProblem([['a', 'b']], [1]), /expected 2 values, got 1/)
  t.throws(() => crossTableProblem([['a', '*']], [1, 2]), /invalid code "\*"/)
  t.throws(() => twoWayTableProblem([[1, 2], [3]]), /rows have different lengths/)
})

t.test('the cross-table builder publishes every grouping', async t => {
  const p = twoWayTableProblem([[1, 2, 3], [4, 5, 6]], { threshold: 5 })
  t.equal(p.threshold, 5)
  t.same(p.inner.map(c => c.key), ['r0|c0', 'r0|c1', 'r0|c2', 'r1|c0', 'r1|c1', 'r1|c2'])
  t.equal(p.published.length, 3 * 4)
  t.same(p.published.find(c => c.key === '*|c1')!.members, ['r0|c1', 'r1|c1'])
  t.same(p.published.find(c => c.key === 'r1|*')!.members, ['r1|c0', 'r1|c1', 'r1|c2'])
  t.equal(p.published.find(c => c.key === '*|*')!.members.length, 6)
  const prep = prepareProblem(crossTableProblem([['a', 'b'], ['x', 'y', 'z'], ['1', '2', '3', '4']], Array.from({ length: 24 }, (_, i) => i)))
  t.equal(prep.cells.length, 3 * 4 * 5)
  t.equal(prep.atoms.length, 24, 'with inner cells published, each is its own atom')
})

t.test('exact elimination', async t => {
  // Row (a, b, c | total): with total and c known, a + b is derivable, a is not.
  const known = [[0, 1, 2], [2]]
  t.same(derivableFrom(3, known, [[0], [1], [0, 1], [2]]), [false, false, true, true])
  // Candidates in order; protecting a: total and c go out, then b would reveal a: suppressed.
  const g = gaussSuppress({ dimension: 3, known: [], candidates: [[[0, 1, 2]], [[2]], [[1]]], protect: [[0]] })
  t.same(g, { suppressed: [false, false, true], derivable: [false] })
  // A zero candidate reveals each of its atoms.
  const z = gaussSuppress({ dimension: 3, known: [[0, 1, 2]], candidates: [[[1], [2]]], protect: [[0]] })
  t.same(z, { suppressed: [true], derivable: [false] })
  t.same(gaussSuppress({ dimension: 2, known: [[0]], candidates: [], protect: [[0], [1]] }).derivable, [true, false])
  // 3-D sums need pivots other than +-1: the 2x2x2 cube with all 2-D margins published leaves
  // exactly one degree of freedom, so no inner cell is derivable, and the cube's alternating sum
  // direction is the only one left.
  const cube = prepareProblem(crossTableProblem([['a', 'b'], ['x', 'y'], ['1', '2']], [1, 2, 3, 4, 5, 6, 7, 8]))
  const margins = cube.cells.filter(c => c.key.includes('*')).map(c => c.atoms)
  t.same(derivableFrom(8, margins, cube.cells.filter(c => !c.key.includes('*')).map(c => c.atoms)), Array(8).fill(false))
  t.same(derivableFrom(8, [...margins, [0]], [[1], [7]]), [true, true], 'one inner cell more fixes them all')
  // Overlapping groupings whose elimination meets a pivot of -3 (fraction-free step, gcd kept).
  const overlapping = [[1, 2, 3, 4], [0, 2, 4], [0, 1, 4], [0, 3]]
  t.same(derivableFrom(5, overlapping, [[0, 2], [2], [4]]), [false, false, false])
  t.same(derivableFrom(5, [...overlapping, [0, 2]], [[2], [4], [0, 1]]), [true, true, true], 'full rank: everything')
  t.throws(() => derivableFrom(2, [[2]], []), /index 2 outside 0..1/)
})

t.test('elimination in doubles equals the BigInt one, and falls back to BigInt past 2^52', async t => {
  // Random weighted and 0/1 vectors (seeded): both arithmetics give the same suppressions and
  // derivabilities, since both are exact while entries stay within 2^52.
  let seed = 2026
  const rand = (n: number): number => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed % n }
  const vector = (dimension: number): Vector => {
    const idx = [...new Set(Array.from({ length: 1 + rand(dimension) }, () => rand(dimension)))].sort((a, b) => a - b)
    return rand(3) === 0 ? { idx, coef: idx.map(() => 1 + rand(4)) } : idx
  }
  for (let run = 0; run < 40; run++) {
    const dimension = 3 + rand(10)
    const input = {
      dimension,
      known: Array.from({ length: rand(3) }, () => vector(dimension)),
      candidates: Array.from({ length: 2 + rand(12) }, () => Array.from({ length: 1 + rand(2) }, () => vector(dimension))),
      protect: Array.from({ length: 1 + rand(4) }, () => vector(dimension)),
    }
    t.same(gaussSuppress(input), gaussSuppress(input, { bigint: true }), `run ${run}`)
  }
  // Weights of 2^30 and 2^30 + 1: eliminating one against the other multiplies entries to about
  // 2^60, beyond what doubles hold exactly. The answer must still be exact: (1, 1) is not in the
  // span of (2^30, 2^30 + 1), and the two together span everything.
  const big = 2 ** 30
  const heavy: Vector = { idx: [0, 1], coef: [big, big + 1] }
  const other: Vector = { idx: [0, 1], coef: [big + 1, big] }
  t.same(derivableFrom(2, [heavy], [[0, 1], [0]]), [false, false])
  t.same(derivableFrom(2, [heavy, other], [[0, 1], [0]]), [true, true])
  const input = { dimension: 3, known: [heavy], candidates: [[other], [[2]]], protect: [[0]] }
  t.same(gaussSuppress(input), { suppressed: [true, false], derivable: [false] })
  t.same(gaussSuppress(input), gaussSuppress(input, { bigint: true }))
  const arithmetic = { bigint: false }
  gaussSuppress(input, arithmetic)
  t.equal(arithmetic.bigint, true, 'the caller learns that later eliminations can start in BigInt')
  const small = { bigint: false }
  gaussSuppress({ dimension: 3, known: [], candidates: [[[0, 1, 2]], [[2]], [[1]]], protect: [[0]] }, small)
  t.equal(small.bigint, false, '0/1 vectors of a cross table stay in doubles')
})

t.test('protected groups: an unpublished group of 1 to T - 1 is a target, pinned only by earlier releases it is unsafe', async t => {
  // Row 1: a + b = 12 and row 2: c + d = 12, with a = 1 (primary). The group {a, c} (the persons
  // added to a margin by a revision, say) holds 1 + 1 = 2 < T = 3.
  const base: ProtectionProblem = {
    inner: [{ key: 'a', value: 1 }, { key: 'b', value: 11 }, { key: 'c', value: 1 }, { key: 'd', value: 11 }],
    published: [
      { key: 'a', members: ['a'] }, { key: 'b', members: ['b'] }, { key: 'c', members: ['c'] }, { key: 'd', members: ['d'] },
      { key: 'ab', members: ['a', 'b'] }, { key: 'cd', members: ['c', 'd'] },
    ],
    threshold: 3,
    hiddenNonZero: true,
  }
  const plain = await protect(base)
  t.same(plain.groups, [], 'no groups, none audited')
  const withGroup = await protect({ ...base, groups: [{ key: 'a+c', members: ['a', 'c'] }, { key: 'big', members: ['b', 'd'] }] })
  t.ok(withGroup.ok)
  t.same(withGroup.groups.map(g => g.key), ['a+c'], 'only the group below T is a target')
  const g = withGroup.groups[0]!
  t.ok(isProtected(g.lower, g.upper, 3), `its interval is protected: [${g.lower}, ${String(g.upper)}]`)
  t.same(prepareProblem({ ...base, groups: [{ key: 'a+c', members: ['a', 'c'] }] }).groups.map(x => [x.key, x.value, x.atoms.length]), [['a+c', 2, 2]])

  // Released earlier: a + c = 2 itself. Nothing published now can widen it: unsafe, named by
  // the group's key (and a and c, hidden and so at least 1, are then pinned to 1 each).
  const pinned = await protect({ ...base, groups: [{ key: 'a+c', members: ['a', 'c'] }], alreadyPublished: [{ key: 'before', members: ['a', 'c'], value: 2 }] })
  t.equal(pinned.ok, false)
  t.same(pinned.unsafe.map(u => u.key), ['a', 'a+c', 'c'])
  t.throws(() => prepareProblem({ ...base, groups: [{ key: 'x', members: ['zz'] }] }), /group "x" has unknown member "zz"/)
})
