/**
 * Timing of protect() on a V1-like table: 4 dimensions (2 x 4 x 3 x 6 = 144 inner cells), all
 * 2^4 groupings published (420 cells), small random counts, T=3. Not a test (tap only runs
 * *.test.ts): `npm run bench:disclosure`.
 */
import { auditSuppression, isProtected } from '../../src/stats/disclosure/audit.js'
import { protect } from '../../src/stats/disclosure/protect.js'
import { crossTableProblem } from '../../src/stats/disclosure/tables.js'

const dims = [['F', 'M'], ['0-11', '12-17', '18-29', '30+'], ['sexual', 'labour', 'other'], ['ALB', 'BIH', 'MNE', 'MKD', 'SRB', 'XKX']]

function lcg (seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0
    return s / 2 ** 32
  }
}

const distributions: Record<string, (r: () => number) => number> = {
  'sparse (mean ~2.7, a third zeros)': r => Math.floor(r() * r() * 12),
  'small (uniform 0..8)': r => Math.floor(r() * 9),
  'moderate (uniform 0..20)': r => Math.floor(r() * 21),
}

// tap runs every file of a directory it is given; this one only when started by hand.
const underTap = process.env.TAP_CHILD_ID !== undefined || process.env.TAP === '1'
if (!underTap) await main()

async function main (): Promise<void> {
  await protect(crossTableProblem([['a', 'b']], [1, 5])) // load the solver once
  for (const [name, draw] of Object.entries(distributions)) {
    for (const seed of [1, 2, 3]) {
      const r = lcg(seed)
      const values = Array.from({ length: 144 }, () => draw(r))
      const problem = crossTableProblem(dims, values, { threshold: 3 })
      const t0 = performance.now()
      const result = await protect(problem)
      const ms = performance.now() - t0
      const audit = await auditSuppression(problem, result.suppressed)
      const safe = audit.every(a => isProtected(a.lower, a.upper, 3) && isProtected(a.singletonLower, a.singletonUpper, 3))
      console.log(`${name}, seed ${seed}: ${ms.toFixed(0)} ms, ${result.suppressed.length}/420 suppressed (${result.primary} primary), ok=${result.ok}, independent audit ${safe ? 'passes' : 'FAILS'}`)
    }
  }
}
