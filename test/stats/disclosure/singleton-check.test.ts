/**
 * The singleton-contributor check of AttackerLp.interval in mode 'check' (group tests: x_s >= 1
 * for several contributors at once, split in halves when the group's interval is too narrow)
 * decides exactly as the exact mode (one LP per contributor, the worst kept), and when it fails,
 * the interval it reports is a contributor's own exact interval. Random 3-D tables with many
 * cells of value 1 (so many contributors) and random suppression sets, seeded.
 */
import fc from 'fast-check'
import t from 'tap'
import { AttackerLp, isProtected, loadSolver } from '../../../src/stats/disclosure/audit.js'
import { prepareProblem } from '../../../src/stats/disclosure/problem.js'
import { crossTableProblem } from '../../../src/stats/disclosure/tables.js'

const cases = fc.record({
  shape: fc.tuple(fc.integer({ min: 2, max: 4 }), fc.integer({ min: 2, max: 3 }), fc.integer({ min: 2, max: 3 })),
  values: fc.array(fc.oneof(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 9 })), { minLength: 36, maxLength: 36 }),
  threshold: fc.constantFrom(3, 5),
  // Which published cells (besides the primary ones) are suppressed, by position.
  hide: fc.array(fc.boolean(), { minLength: 80, maxLength: 80 }),
})

t.test("mode 'check' decides as mode 'exact', with group tests of contributors", async t => {
  const highs = await loadSolver()
  // Counts group tests (several contributors at once) that ran, to be sure they were exercised.
  const proto = AttackerLp.prototype as unknown as { withLowerBound: (atoms: number[], run: () => unknown) => unknown }
  const plainWithLowerBound = proto.withLowerBound
  let groups = 0
  proto.withLowerBound = function (this: unknown, atoms: number[], run: () => unknown) {
    if (atoms.length > 1) groups++
    return plainWithLowerBound.call(this, atoms, run)
  }
  t.teardown(() => { proto.withLowerBound = plainWithLowerBound })

  let safeCount = 0
  let unsafeCount = 0
  let inexact = 0
  await fc.assert(fc.asyncProperty(cases, async ({ shape, values, threshold, hide }) => {
    const dims = shape.map((n, d) => Array.from({ length: n }, (_, i) => `d${d}v${i}`))
    const size = shape.reduce((a, b) => a * b, 1)
    const prep = prepareProblem(crossTableProblem(dims, values.slice(0, size), { threshold }))
    // A pool of 3 points (the truth and 2 more) in one case of three: points come and go during a
    // check, which must still use only points it holds.
    const lp = new AttackerLp(highs, prep, values[0]! % 3 === 0 ? 3 : undefined)
    try {
      const hidden = prep.cells.flatMap((c, i) => (c.value >= 1 && c.value < threshold) || hide[i % hide.length] === true ? [i] : [])
      for (const i of hidden) lp.suppress(i)
      for (const i of hidden) {
        const { atoms, coefs, key } = prep.cells[i]!
        const check = lp.interval(atoms, 'check', coefs)
        const exact = lp.interval(atoms, 'exact', coefs)
        if (check.upper !== exact.upper) throw new Error(`${key}: plain maximum differs`)
        // A lower bound read off a feasible point is never below the minimum, and says so.
        if (check.exact ? check.lower !== exact.lower : check.lower < exact.lower - 1e-9) throw new Error(`${key}: plain minimum ${check.lower} (exact: ${String(check.exact)}), LP ${exact.lower}`)
        if (!check.exact) inexact++
        const exactSafe = isProtected(exact.lower, exact.upper, threshold) && isProtected(exact.singletonLower, exact.singletonUpper, threshold)
        if (check.safe !== exactSafe) throw new Error(`${key}: check says ${String(check.safe)}, exact ${JSON.stringify(exact)}`)
        if (check.safe) {
          safeCount++
          continue
        }
        unsafeCount++
        if (isProtected(check.singletonLower, check.singletonUpper, threshold) && isProtected(check.lower, check.upper, threshold)) {
          throw new Error(`${key}: unsafe, but the interval reported is protected: ${JSON.stringify(check)}`)
        }
        // A failing contributor's interval is never narrower than the worst one's.
        if (check.singletonUpper !== null && exact.singletonUpper !== null &&
          Math.min(check.singletonUpper - check.singletonLower, check.singletonUpper) < Math.min(exact.singletonUpper - exact.singletonLower, exact.singletonUpper) - 1e-6) {
          throw new Error(`${key}: check reports ${JSON.stringify(check)}, narrower than the worst contributor's ${JSON.stringify(exact)}`)
        }
      }
    } finally {
      lp.dispose()
    }
  }), { seed: 20261204, numRuns: 60 })
  t.ok(safeCount > 50 && unsafeCount > 50, `both outcomes met: ${safeCount} safe, ${unsafeCount} unsafe`)
  t.ok(groups > 50, `group tests ran: ${groups}`)
  t.ok(inexact > 50, `minima read off a feasible point: ${inexact}`)
})
