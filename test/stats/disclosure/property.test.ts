/**
 * Property: for random small 2-D and 3-D tables with all margins, protect() returns a pattern
 * that an independent LP audit (CPLEX LP text over the inner cells, solved by HiGHS' one-shot
 * API, not the engine's model) finds safe; every primary cell is suppressed; and the output does
 * not depend on input order.
 */
import fc from 'fast-check'
import type { Highs } from 'highs'
import t from 'tap'
import { loadSolver } from '../../../src/stats/disclosure/audit.js'
import type { ProtectionProblem } from '../../../src/stats/disclosure/problem.js'
import { protect } from '../../../src/stats/disclosure/protect.js'
import { crossTableProblem } from '../../../src/stats/disclosure/tables.js'
import { reordered } from './helpers.js'

/** min and max of the sum of `target` (inner keys) given the published, non-suppressed cells. */
function lpInterval (highs: Highs, problem: ProtectionProblem, suppressed: Set<string>, target: string[], atLeastOne?: string): [number, number | null] {
  const index = new Map(problem.inner.map((c, i) => [c.key, i]))
  const value = new Map(problem.inner.map(c => [c.key, c.value]))
  const v = (key: string): string => `x${index.get(key)!}`
  const rows = problem.published
    .filter(c => !suppressed.has(c.key))
    .map((c, i) => ` r${i}: ${c.members.map(v).join(' + ')} = ${c.members.reduce((s, m) => s + value.get(m)!, 0)}`)
  const text = (sense: string): string => [
    sense,
    ` obj: ${target.map(v).join(' + ')}`,
    'Subject To',
    ' keep: x0 >= 0',
    ...rows,
    'Bounds',
    ...(atLeastOne === undefined ? [] : [` ${v(atLeastOne)} >= 1`]),
    'End',
  ].join('\n')
  const solve = (sense: string): number | null => {
    const r = highs.solve(text(sense), { output_flag: false })
    if (r.Status === 'Optimal') return r.ObjectiveValue
    if (r.Status === 'Unbounded' && sense === 'Maximize') return null
    throw new Error(`independent LP: ${r.Status}`)
  }
  const lower = solve('Minimize')
  if (lower === null) throw new Error('independent LP: unbounded minimum')
  return [lower, solve('Maximize')]
}

const safe = ([lower, upper]: [number, number | null], T: number): boolean =>
  upper === null || (upper - lower >= T - 1e-6 && upper >= T - 1e-6)

const shapes = fc.oneof(
  fc.tuple(fc.integer({ min: 2, max: 4 }), fc.integer({ min: 2, max: 4 })),
  fc.tuple(fc.integer({ min: 2, max: 3 }), fc.integer({ min: 2, max: 3 }), fc.integer({ min: 2, max: 3 }))
)
// Counts 0..12, with small ones (and so primaries and singletons) over-represented.
const count = fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 12 }))
const tables = shapes.chain(shape => {
  const size = shape.reduce((a, b) => a * b, 1)
  return fc.record({
    shape: fc.constant(shape),
    values: fc.array(count, { minLength: size, maxLength: size }),
    threshold: fc.constantFrom(2, 3, 5),
    seed: fc.integer({ min: 1, max: 1_000_000 }),
  })
})

t.test('protect() is safe by an independent audit, complete and deterministic', async t => {
  const highs = await loadSolver()
  let suppressedTotal = 0
  await fc.assert(fc.asyncProperty(tables, async ({ shape, values, threshold, seed }) => {
    const dims = shape.map((n, d) => Array.from({ length: n }, (_, i) => `d${d}v${i}`))
    const problem = crossTableProblem(dims, values, { threshold })
    const r = await protect(problem)
    if (!r.ok) throw new Error(`not ok: ${JSON.stringify(r.unsafe)}`)
    const suppressed = new Set(r.suppressed)
    suppressedTotal += suppressed.size
    const value = new Map(problem.inner.map(c => [c.key, c.value]))
    const cellValue = (members: string[]): number => members.reduce((s, m) => s + value.get(m)!, 0)

    for (const c of problem.published) {
      const v = cellValue(c.members)
      if (v >= 1 && v < threshold && !suppressed.has(c.key)) throw new Error(`primary ${c.key} = ${v} published`)
    }
    const singletons = problem.inner.filter(c => c.value === 1).map(c => c.key)
    for (const c of problem.published.filter(x => suppressed.has(x.key))) {
      const interval = lpInterval(highs, problem, suppressed, c.members)
      if (!safe(interval, threshold)) throw new Error(`${c.key} narrowed to ${JSON.stringify(interval)}`)
      const reported = r.audit.find(a => a.key === c.key)!
      if (Math.abs(reported.lower - interval[0]) > 1e-6 || (reported.upper === null) !== (interval[1] === null) ||
        (interval[1] !== null && Math.abs(reported.upper! - interval[1]) > 1e-6)) {
        throw new Error(`${c.key}: reported ${JSON.stringify(reported)}, independent ${JSON.stringify(interval)}`)
      }
      for (const s of singletons) {
        if (c.members.includes(s)) continue
        const attacked = lpInterval(highs, problem, suppressed, c.members, s)
        if (!safe(attacked, threshold)) throw new Error(`${c.key} narrowed to ${JSON.stringify(attacked)} by the contributor in ${s}`)
      }
    }
    const again = await protect(reordered(problem, seed))
    if (JSON.stringify(again) !== JSON.stringify(r)) throw new Error('output depends on input order')
  }), { numRuns: Number(process.env.DISCLOSURE_PROPERTY_RUNS ?? 150) })
  t.ok(suppressedTotal > 0, 'the generated tables did need suppression')
})
