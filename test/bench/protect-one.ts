/**
 * Times protect() on one protection problem written by `BENCH_DUMP=DIR npm run bench:protect`
 * (e.g. DIR/victims-2015.json at BENCH_VOLUME=large), in this thread: the engine alone, for
 * profiling (--cpu-prof) and for comparing two commits side by side on the same problem.
 *
 *   node --import tsx test/bench/protect-one.ts DIR/victims-2015.json
 *
 * Prints the problem's size, the time, the pattern's size, whether it is safe, and a digest of
 * the whole result (equal digests: byte-identical results).
 */
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { prepareProblem, type ProtectionProblem } from '../../src/stats/disclosure/problem.js'
import { protect } from '../../src/stats/disclosure/protect.js'

const file = process.argv[2]
if (file === undefined) {
  process.stderr.write('usage: node --import tsx test/bench/protect-one.ts PROBLEM.json\n')
  process.exit(2)
}
const problem = JSON.parse(readFileSync(file, 'utf8')) as ProtectionProblem
const prep = prepareProblem(problem)
const t0 = performance.now()
const result = await protect(problem)
const seconds = (performance.now() - t0) / 1000
const digest = createHash('sha256').update(JSON.stringify(result)).digest('hex').slice(0, 16)
process.stdout.write(`${file}: ${prep.cells.length} cells, ${prep.atoms.length} atoms, T = ${prep.threshold}; ` +
  `${seconds.toFixed(1)} s; ${result.suppressed.length} suppressed; ${result.ok ? 'safe' : 'NOT safe'}; result ${digest}\n`)
