/**
 * The smallest suppression pattern that passes the engine's own acceptance criterion, for problems
 * small enough to solve exactly: a cut loop around a 0-1 program (HiGHS MIP).
 *
 * Acceptance criterion (the one protect() stops on, see src/stats/disclosure/protect.ts):
 * - every primary cell (1 <= value < T) and every sticky cell is suppressed;
 * - every suppressed cell and every derived target (an atom with 1 <= value < T that no published
 *   cell equals with coefficient 1) passes the LP audit: AttackerLp.interval in mode 'check'
 *   (plain interval and every singleton contributor outside it; width >= T and upper >= T),
 *   with the problem's `hiddenNonZero` (every hidden cell >= 1).
 * Exact derivability (the Gaussian elimination's test) gives an interval of width 0, so it is
 * covered by the audit; the elimination's "risky pairs" are a heuristic of the search, not part
 * of what the engine accepts.
 *
 * Loop: minimise the number of suppressed published cells (binary s_c; s_c = 1 for primary and
 * sticky cells, s_c = 0 for cells the earlier releases fix and for published zeros when hidden
 * cells are known non-zero, s_c = s_d for two cells with the same vector, as a hidden cell next to
 * a published twin is exactly known); audit the MIP's pattern with the engine's AttackerLp; for every
 * target that fails, add the cut "if the target is suppressed, at least one more published cell of
 * the failing bound's certificate is suppressed": sum over R of s_r >= s_t (>= 1 for a primary,
 * sticky or derived target), where R are the published cells not suppressed in the candidate
 * whose rows carry a non-zero dual in the failing LP (upper bound's certificate when the upper
 * bound fails, both bounds' otherwise). The cut is valid: a pattern that publishes every row of R
 * keeps the same dual certificate (a hidden cell's row "x >= 1" used by it stays implied when the
 * cell is published, as its value is >= 1), so the bound fails for it too. The loop stops when
 * the MIP's pattern passes: it is then a minimum among all patterns that pass.
 */
import type { Highs, Model } from 'highs'
import { AttackerLp, loadSolver } from '../../src/stats/disclosure/audit.js'
import { derivableFrom, weighted, type Vector } from '../../src/stats/disclosure/gauss.js'
import { prepareProblem, type PreparedProblem, type ProtectionProblem } from '../../src/stats/disclosure/problem.js'
import { isPrimaryValue } from '../../src/stats/disclosure/protect.js'

export interface MinimalResult {
  /** optimal: `size` is the minimum; timeout: the cap was hit, `lowerBound` holds; infeasible: no pattern passes. */
  status: 'optimal' | 'timeout' | 'infeasible'
  /** The minimum number of suppressed published cells (when optimal). */
  size?: number
  suppressed?: string[]
  /** The largest MIP optimum met: a lower bound of the minimum (every cut is valid). */
  lowerBound: number
  /** MIP solves (= audits of a candidate pattern). */
  iterations: number
  cuts: number
  ms: number
}

interface Target {
  atoms: number[]
  coefs: number[]
  /** Published cell index, or -1 for a derived group. */
  cell: number
}

let mipSolver: Promise<Highs> | undefined

/** A HiGHS instance of its own, so that the MIPs do not show in the engine's LP counters. */
async function loadMipSolver (): Promise<Highs> {
  mipSolver ??= import('highs').then(async m => await (m.default as unknown as () => Promise<Highs>)())
  return await mipSolver
}

/** The cells that must be suppressed, those that cannot be, and the derived targets, as protect() has them. */
export function criterion (prep: PreparedProblem): { forced: Set<number>, banned: Set<number>, derived: Target[] } {
  const T = prep.threshold
  const forced = new Set<number>()
  prep.cells.forEach((c, i) => { if (isPrimaryValue(c.value, T) || c.sticky) forced.add(i) })
  const known: Vector[] = prep.priors.filter(p => p.consistent).flatMap(p => p.value === 0 ? p.atoms.map(a => [a]) : [weighted(p.atoms, p.coefs)])
  const fixed = derivableFrom(prep.atoms.length, known, prep.cells.map(c => weighted(c.atoms, c.coefs)))
  const banned = new Set<number>()
  prep.cells.forEach((c, i) => {
    if (forced.has(i)) return
    // Suppressing a cell the earlier releases fix hides nothing; a hidden zero contradicts "hidden >= 1".
    if (fixed[i] === true || (prep.hiddenNonZero && c.value === 0)) banned.add(i)
  })
  const singleAtomCell = new Set(prep.cells.filter(c => c.atoms.length === 1 && c.coefs[0] === 1).map(c => c.atoms[0]!))
  const derived: Target[] = []
  prep.atoms.forEach((a, i) => { if (isPrimaryValue(a.value, T) && !singleAtomCell.has(i)) derived.push({ atoms: [i], coefs: [1], cell: -1 }) })
  return { forced, banned, derived }
}

/**
 * Audits a pattern with the engine's criterion; returns, per failing target, the cut's cells
 * (published cells of the failing certificate) and the target's cell (-1 when forced or derived).
 */
export async function auditPattern (prep: PreparedProblem, suppressed: ReadonlySet<number>, derived: readonly Target[], forced: ReadonlySet<number>): Promise<Array<{ rows: number[], cell: number }>> {
  const T = prep.threshold
  const lp = new AttackerLp(await loadSolver(), prep)
  try {
    for (const i of suppressed) lp.suppress(i)
    const targets: Target[] = [...[...suppressed].sort((a, b) => a - b).map(i => ({ atoms: prep.cells[i]!.atoms, coefs: prep.cells[i]!.coefs, cell: i })), ...derived]
    const failures: Array<{ rows: number[], cell: number }> = []
    for (const t of targets) {
      if (lp.certify(t.atoms, t.coefs)) continue
      const iv = lp.interval(t.atoms, 'check', t.coefs)
      if (iv.safe) continue
      const upperFails = iv.singletonUpper !== null && iv.singletonUpper < T - 1e-6
      const rows = [...new Set(upperFails ? iv.upperSupport : [...iv.upperSupport, ...iv.lowerSupport])].filter(c => !suppressed.has(c)).sort((a, b) => a - b)
      failures.push({ rows, cell: t.cell >= 0 && !forced.has(t.cell) ? t.cell : -1 })
    }
    return failures
  } finally {
    lp.dispose()
  }
}

/** The minimum pattern by the cut loop, giving up after `capMs` (checked between MIP solves and as HiGHS's time limit). */
export async function minimalPattern (problem: ProtectionProblem, capMs: number): Promise<MinimalResult> {
  const t0 = performance.now()
  const prep = prepareProblem(problem)
  const { forced, banned, derived } = criterion(prep)
  const n = prep.cells.length
  const highs = await loadMipSolver()
  const first = new Map<string, number>()
  const twins: Array<[number, number]> = []
  prep.cells.forEach((c, i) => {
    const v = c.atoms.map((a, k) => `${a}*${c.coefs[k]!}`).join(',')
    const j = first.get(v)
    if (j === undefined) first.set(v, i)
    else twins.push([j, i])
  })
  const cuts: Array<{ rows: number[], cell: number }> = []
  const seen = new Set<string>()
  let lowerBound = forced.size
  let iterations = 0
  const result = (status: MinimalResult['status'], extra: Partial<MinimalResult> = {}): MinimalResult =>
    ({ status, lowerBound, iterations, cuts: cuts.length, ms: performance.now() - t0, ...extra })
  for (;;) {
    const left = capMs - (performance.now() - t0)
    if (left <= 0) return result('timeout')
    // Rebuilt each round (the models are small): columns s_c, one row per cut.
    const starts = [0]
    const indices: number[] = []
    const values: number[] = []
    const rowLower: number[] = []
    const rowUpper: number[] = []
    // Cells with the same vector share their status in every acceptable pattern (a hidden one
    // next to a published twin has an interval of width 0): s_c = s_d.
    for (const [c, d] of twins) {
      indices.push(c, d)
      values.push(1, -1)
      starts.push(indices.length)
      rowLower.push(0)
      rowUpper.push(0)
    }
    for (const cut of cuts) {
      const row = new Map<number, number>(cut.rows.map(r => [r, 1]))
      if (cut.cell >= 0) row.set(cut.cell, (row.get(cut.cell) ?? 0) - 1)
      const cols = [...row.keys()].sort((a, b) => a - b)
      indices.push(...cols)
      values.push(...cols.map(c => row.get(c)!))
      starts.push(indices.length)
      rowLower.push(cut.cell >= 0 ? 0 : 1)
      rowUpper.push(highs.infinity)
    }
    const model: Model = highs.createModel({
      numCols: n,
      numRows: rowLower.length,
      colCost: new Float64Array(n).fill(1),
      colLower: Float64Array.from(prep.cells, (_, i) => forced.has(i) ? 1 : 0),
      colUpper: Float64Array.from(prep.cells, (_, i) => banned.has(i) ? 0 : 1),
      rowLower,
      rowUpper,
      matrix: { format: 'csr', numRows: rowLower.length, numCols: n, starts, indices, values },
      integrality: new Int32Array(n).fill(highs.constants.variableType.integer),
    })
    let pattern: Set<number>
    try {
      model.options.set({ output_flag: false, mip_rel_gap: 0, time_limit: Math.max(0.1, left / 1000) })
      const status = model.run().modelStatus
      const codes = highs.constants.modelStatus
      if (status === codes.infeasible) return result('infeasible')
      if (status !== codes.optimal) return result('timeout')
      iterations++
      const x = model.getSolution().colValue
      pattern = new Set<number>()
      x.forEach((v, i) => { if (v > 0.5) pattern.add(i) })
      lowerBound = Math.max(lowerBound, pattern.size)
    } finally {
      model.dispose()
    }
    const failures = await auditPattern(prep, pattern, derived, forced)
    if (failures.length === 0) {
      return result('optimal', { size: pattern.size, suppressed: [...pattern].sort((a, b) => a - b).map(i => prep.cells[i]!.key) })
    }
    let added = 0
    for (const f of failures) {
      const rows = f.rows.filter(r => !banned.has(r))
      const key = `${f.cell}:${rows.join(',')}`
      if (seen.has(key)) continue
      seen.add(key)
      cuts.push({ rows, cell: f.cell })
      added++
    }
    // Every failure repeats a cut the pattern satisfies: a certificate was misread (should not happen).
    if (added === 0) throw new Error('minimal pattern: the audit fails but yields no new cut')
  }
}
