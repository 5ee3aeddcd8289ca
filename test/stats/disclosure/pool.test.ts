// protectMany: problems protected in worker threads give exactly what this thread gives.
import t from 'tap'
import { protectMany } from '../../../src/stats/disclosure/pool.js'
import { protect } from '../../../src/stats/disclosure/protect.js'
import { crossTableProblem } from '../../../src/stats/disclosure/tables.js'
import type { ProtectionProblem } from '../../../src/stats/disclosure/problem.js'
import type { ProtectionResult } from '../../../src/stats/disclosure/protect.js'
import { shuffled } from './helpers.js'

/** A three-way table of small counts (many primary cells, secondary suppression needed). */
function problem (seed: number, threshold: number): ProtectionProblem {
  const dims = [['a', 'b', 'c', 'd'], ['x', 'y', 'z'], ['p', 'q']].map(d => d.map(v => `${v}${seed}`))
  const values = shuffled(Array.from({ length: 24 }, (_, i) => (i * 7 + seed) % 9), seed)
  return crossTableProblem(dims, values, { threshold })
}

const problems = [problem(1, 3), problem(2, 5), problem(3, 3), problem(4, 2), problem(5, 5)]

t.test('workers give byte-identical results, in the order of the problems', async t => {
  const here = await Promise.all(problems.map(async p => await protect(p)))
  t.ok(here.some(r => r.secondary > 0), 'the problems need secondary suppression')
  // minCells 30: the three-way tables (60 published cells) go to workers, mixed with none here;
  // minCells 61: none does (runs here); both orders of handing out.
  const inWorkers = await protectMany(problems, { workers: 2, minCells: 30 })
  t.equal(JSON.stringify(inWorkers), JSON.stringify(here))
  const mixed = await protectMany([...problems, { inner: [{ key: 'k', value: 1 }], published: [{ key: 'k', members: ['k'] }] }], { workers: 3, minCells: 30 })
  t.equal(JSON.stringify(mixed.slice(0, 5)), JSON.stringify(here))
  t.same(mixed[5]!.suppressed, ['k'], 'a small problem beside them is protected in this thread')
  t.equal(JSON.stringify(await protectMany(problems, { workers: 2, minCells: 61 })), JSON.stringify(here))
  t.equal(JSON.stringify(await protectMany(problems, { workers: 0, minCells: 0 })), JSON.stringify(here))
})

t.test('without the final intervals: the same pattern and outcome, empty interval lists, here and in workers', async t => {
  const here = await Promise.all(problems.map(async p => await protect(p)))
  const pattern = (r: ProtectionResult): unknown => ({ ...r, audit: [], derived: [], groups: [] })
  for (const workers of [0, 2]) {
    const bare = await protectMany(problems, { workers, minCells: 30, protect: { intervals: false } })
    t.equal(JSON.stringify(bare), JSON.stringify(here.map(pattern)), `workers: ${workers}`)
  }
  t.ok(here.every(r => r.audit.length === r.suppressed.length), 'by default every suppressed cell has its interval')
})

t.test('an invalid problem in a worker rejects with the engine\'s message, and no worker is left behind', async t => {
  const bad: ProtectionProblem = { ...problems[0]!, threshold: 0 }
  const message = await protect(bad).then(() => 'no error', (e: Error) => e.message)
  t.not(message, 'no error')
  await t.rejects(protectMany([problems[1]!, bad], { workers: 2, minCells: 30 }), { message })
})
