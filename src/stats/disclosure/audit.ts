/**
 * The LP audit: for a suppressed cell, the interval of values an attacker can derive from
 * everything published, computed with HiGHS (the `highs` package, WebAssembly).
 *
 * Attacker model. Variables are the atoms of the problem (groups of inner cells no published cell
 * separates; see problem.ts), each >= 0. The attacker holds, as equations: every published cell
 * that is not suppressed, and every earlier release whose value still equals today's sum; when
 * the problem says zeros are always published (`hiddenNonZero`), also that every suppressed
 * cell is at least 1. A cell's row weighs each atom by its coefficient (1 except in
 * multi-count margins). Two
 * intervals are computed per cell:
 * - `lower`/`upper`: that LP alone (a peer with no other knowledge);
 * - `singletonLower`/`singletonUpper`: the narrowest bounds that one contributor can derive who
 *   also knows that their own inner cell (outside the audited cell, of value 1, so they may be the
 *   only person there) is non-empty: the same LP with that cell >= 1, worst case over all such
 *   cells. This is the singleton attack (two 1-cells in a row: each person derives the other).
 * A cell is protected when, for the singleton interval, upper - lower >= T and upper >= T.
 */
import type { Highs, Model } from 'highs'
import { prepareProblem, type PreparedProblem, type ProtectionProblem } from './problem.js'

/** Interval bounds of one cell; `upper` is null when the attacker has no upper bound. */
export interface AuditInterval {
  key: string
  lower: number
  upper: number | null
  /**
   * Bounds of the most damaging single contributor (the one leaving the least room, i.e. the
   * smallest min(width, upper)) who knows their own singleton cell outside this one is
   * non-empty; equal to lower/upper when no contributor narrows the interval.
   */
  singletonLower: number
  singletonUpper: number | null
}

/** Slack for comparing LP results (HiGHS works in floating point with ~1e-7 tolerances). */
const EPS = 1e-6

/** Feasible points kept by {@link AttackerLp} to prove intervals wide without solving. */
const POOL_SIZE = 200

let solver: Promise<Highs> | undefined

/**
 * Per published cell i: the other cells j whose row is at most i's atom by atom (j's atoms are
 * among i's, none weighing more), so that j >= 1 implies i >= 1 since atoms are >= 0. Of two
 * cells with the same row, only the later lists the earlier.
 */
function cellsWithin (prep: PreparedProblem): number[][] {
  const containing: number[][] = prep.atoms.map(() => [])
  prep.cells.forEach((c, i) => { for (const a of c.atoms) containing[a]!.push(i) })
  return prep.cells.map((c, i) => {
    const weight = new Map(c.atoms.map((a, k) => [a, c.coefs[k]!]))
    const seen = new Set<number>([i])
    const within: number[] = []
    for (const a of c.atoms) {
      for (const j of containing[a]!) {
        if (seen.has(j)) continue
        seen.add(j)
        const d = prep.cells[j]!
        if (!d.atoms.every((b, k) => (weight.get(b) ?? 0) >= d.coefs[k]!)) continue
        const same = d.atoms.length === c.atoms.length && d.atoms.every((b, k) => weight.get(b) === d.coefs[k])
        if (!same || j < i) within.push(j)
      }
    }
    return within
  })
}

/** Loads the HiGHS WebAssembly module once per process and reuses it. */
export async function loadSolver (): Promise<Highs> {
  // The package's ESM entry default-exports the loader, but its CommonJS-style typings make
  // TypeScript (NodeNext) type that default as the whole module: hence the cast.
  solver ??= import('highs').then(async m => await (m.default as unknown as () => Promise<Highs>)())
  return await solver
}

/** Rounds an LP bound to 6 decimals (so that 2.9999999 reads 3) without producing -0. */
function round (v: number): number {
  return Math.round(v * 1e6) / 1e6 + 0
}

/**
 * True when an interval protects a cell at threshold T: unbounded above, or width >= T and
 * upper >= T (both up to a 1e-6 tolerance on LP round-off).
 */
export function isProtected (lower: number, upper: number | null, threshold: number): boolean {
  if (upper === null) return true
  return upper - lower >= threshold - EPS && upper >= threshold - EPS
}

/** One LP optimum: its value (null when unbounded) and where it is attained. */
interface Optimum {
  value: number | null
  /** Published cells (indices) whose equations carry a non-zero dual at the optimum. */
  support: number[]
  /** Atom values at the optimum (empty when unbounded). */
  point: Float64Array
  /** Reduced cost of each atom at the optimum (empty when unbounded). */
  reduced: Float64Array
}

/** How much {@link AttackerLp.interval} computes. */
export type IntervalMode =
  /** Only the plain interval. */
  | 'plain'
  /** The plain interval, and whether every singleton contributor fails to narrow it below T. */
  | 'check'
  /** The plain interval and the exact interval of the most damaging singleton contributor. */
  | 'exact'

/** Result of {@link AttackerLp.interval}. */
export interface CellInterval extends Omit<AuditInterval, 'key'> {
  /** Plain and (unless mode 'plain') singleton intervals pass {@link isProtected}. */
  safe: boolean
  /**
   * False when `lower` is only the lowest value met at a feasible point, not the minimum (mode
   * 'check', when that already shows the plain interval wide enough).
   */
  exact: boolean
  /** When not safe: published cells in the certificate of the failing upper bound. */
  upperSupport: number[]
  /** When not safe: published cells in the certificate of the failing lower bound. */
  lowerSupport: number[]
  /**
   * True when a `defer` test stopped the search at a failing group of contributors (see
   * {@link AttackerLp.interval}): `safe` is then false without a verdict on the cell, and the
   * bounds and supports are the group's.
   */
  deferred: boolean
}

/**
 * The attacker's LP for one problem, as one HiGHS model over the atoms whose rows are the
 * equations currently known (published cells not suppressed, consistent earlier releases). The
 * model is rebuilt after suppression changes. Dispose after use.
 */
export class AttackerLp {
  /** Number of LP solves so far. */
  solves = 0
  private model: Model | undefined
  /** LP row -> published cell index, or -1 for an earlier release. */
  private rowCell: number[] = []
  private readonly suppressed = new Set<number>()
  private cost: Float64Array | undefined
  /**
   * Per atom: the largest value it could take (null: unbounded) and a point attaining it, on the
   * model it was first computed on. Kept across suppressions: they only drop equations, so the
   * point stays feasible and an unbounded atom stays unbounded (the maximum on a later model can
   * only be larger, which the group tests of {@link interval} take care of).
   */
  private readonly reach = new Map<number, Optimum>()
  /** How many models were built so far: suppression changes the model. */
  private models = 0
  /**
   * Feasible points (atom values) met so far, newest last, the truth first. Suppression only
   * drops equations, so a point stays feasible for the rest of the run.
   */
  private readonly pool: Float64Array[]
  private readonly n: number
  /** Lower bound of each atom in the current model: 1 for a hidden cell of that atom alone. */
  private lower = new Float64Array(0)
  /** See {@link cellsWithin}. */
  private readonly within: number[][]
  /** The last {@link maximum}, which {@link interval} reuses for the same arrays on the same model. */
  private lastMaximum: { atoms: readonly number[], coefs: readonly number[] | undefined, model: number, optimum: Optimum } | undefined

  /** `poolSize`: how many feasible points to keep, the truth included (default {@link POOL_SIZE}; tests use small ones). */
  constructor (private readonly highs: Highs, private readonly prep: PreparedProblem, private readonly poolSize = POOL_SIZE) {
    this.n = prep.atoms.length
    this.pool = [Float64Array.from(prep.atoms, a => a.value)]
    this.within = prep.hiddenNonZero ? cellsWithin(prep) : prep.cells.map(() => [])
  }

  /** Drops the equation of published cell `cell` (idempotent). */
  suppress (cell: number): void {
    if (this.suppressed.has(cell)) return
    this.suppressed.add(cell)
    this.model?.dispose()
    this.model = undefined
  }

  private build (): Model {
    const { highs, prep, n } = this
    const starts = [0]
    const indices: number[] = []
    const bounds: number[] = []
    this.rowCell = []
    const values: number[] = []
    const uppers: number[] = []
    const addRow = (atoms: number[], coefs: number[], lower: number, upper: number, cell: number): void => {
      indices.push(...atoms)
      values.push(...coefs)
      starts.push(indices.length)
      bounds.push(lower)
      uppers.push(upper)
      this.rowCell.push(cell)
    }
    // A hidden cell's ">= 1" is left out when a cell within it is hidden too or published
    // non-zero: implied, it would only enlarge the basis (the feasible set is the same).
    const implied = (i: number): boolean => this.within[i]!.some(j => this.suppressed.has(j) || prep.cells[j]!.value >= 1)
    // A hidden cell of one atom (weight 1) is that atom's lower bound, not a row.
    const lower = new Float64Array(n)
    prep.cells.forEach((c, i) => {
      if (!this.suppressed.has(i)) addRow(c.atoms, c.coefs, c.value, c.value, i)
      // Zeros are always published: a hidden cell holds at least one record.
      else if (prep.hiddenNonZero && !implied(i)) {
        if (c.atoms.length === 1 && c.coefs[0] === 1) lower[c.atoms[0]!] = 1
        else addRow(c.atoms, c.coefs, 1, highs.infinity, i)
      }
    })
    this.lower = lower
    for (const p of prep.priors) if (p.consistent) addRow(p.atoms, p.coefs, p.value, p.value, -1)
    const model = highs.createModel({
      numCols: n,
      numRows: bounds.length,
      colCost: new Float64Array(n),
      colLower: lower,
      colUpper: new Float64Array(n).fill(highs.infinity),
      rowLower: bounds,
      rowUpper: uppers,
      matrix: { format: 'csr', numRows: bounds.length, numCols: n, starts, indices, values },
    })
    // Warm-started primal simplex: most solves only change the objective, so the previous
    // optimum stays feasible. Presolve would redo its work on every solve.
    model.options.set({ output_flag: false, presolve: 'off', solver: 'simplex', simplex_strategy: 4 })
    this.cost = undefined
    this.models++
    return model
  }

  private solve (cost: Float64Array, maximize: boolean): Optimum {
    const { highs } = this
    this.model ??= this.build()
    const model = this.model
    this.solves++
    if (this.cost !== cost) {
      model.changeColsCost({ kind: 'range', from: 0, to: this.n - 1 }, cost)
      this.cost = cost
    }
    model.changeObjectiveSense(maximize ? highs.constants.objectiveSense.maximize : highs.constants.objectiveSense.minimize)
    const codes = highs.constants.modelStatus
    let status = model.run().modelStatus
    if (status !== codes.optimal && status !== codes.unbounded) {
      // Retry from scratch once: the truth satisfies every equation and bound, so the LP is
      // feasible and a clean solve ends optimal or unbounded.
      model.clearSolver()
      status = model.run().modelStatus
    }
    if (status === codes.optimal) {
      const solution = model.getSolution()
      this.pool.push(solution.colValue)
      if (this.pool.length > this.poolSize) this.pool.splice(1, 1)
      const support = new Set<number>()
      solution.rowDual.forEach((d, r) => { if (Math.abs(d) > 1e-9 && this.rowCell[r]! >= 0) support.add(this.rowCell[r]!) })
      return { value: round(model.getObjectiveValue()), support: [...support].sort((a, b) => a - b), point: solution.colValue, reduced: solution.colDual }
    }
    // Feasible (see above) and unresolved between unbounded and infeasible: unbounded. A minimum
    // is never unbounded (every variable is >= 0 and the objective has non-negative weights).
    if (maximize && (status === codes.unbounded || status === codes.unboundedOrInfeasible)) {
      return { value: null, support: [], point: new Float64Array(0), reduced: new Float64Array(0) }
    }
    throw new Error(`disclosure audit: LP ended with status ${status}`)
  }

  /**
   * A feasible point where atom `s` is largest, possibly on an earlier model (see {@link reach}):
   * one solve the first time only.
   */
  private reachOf (s: number): Optimum {
    this.model ??= this.build()
    const known = this.reach.get(s)
    if (known !== undefined) return known
    const cost = new Float64Array(this.n)
    cost[s] = 1
    const optimum = this.solve(cost, true)
    this.reach.set(s, optimum)
    return optimum
  }

  /** Runs `run` with x_s >= 1 for every atom s of `atoms`, then restores x_s >= 0. */
  private withLowerBound<R> (atoms: readonly number[], run: () => R): R {
    this.model ??= this.build()
    const model = this.model
    for (const s of atoms) model.changeColBounds(s, 1, this.highs.infinity)
    try {
      return run()
    } finally {
      for (const s of atoms) model.changeColBounds(s, this.lower[s]!, this.highs.infinity)
    }
  }

  /**
   * True when feasible points already met prove that the sum of `atoms` is protected: some have
   * a value >= T and values spread by >= T, for the plain LP and (using only points where the
   * contributor's atom is >= 1, or mixtures with the point where it is largest) for every
   * singleton contributor outside the cell. False means "not proven": call {@link interval}.
   * Sound by convexity: every mixture of feasible points is feasible.
   */
  certify (atoms: readonly number[], coefs?: readonly number[]): boolean {
    const T = this.prep.threshold
    const { pool } = this
    const values = pool.map(p => atoms.reduce((sum, a, k) => sum + (coefs?.[k] ?? 1) * p[a]!, 0))
    if (!isProtected(Math.min(...values), Math.max(...values), T)) return false
    const inCell = new Set(atoms)
    return this.prep.atoms.every((atom, s) => {
      if (atom.singletons === 0 || inCell.has(s)) return true
      let high = 0
      pool.forEach((p, k) => { if (p[s]! > pool[high]![s]!) high = k })
      const hs = pool[high]![s]!
      let lo = Infinity
      let up = -Infinity
      pool.forEach((p, k) => {
        const ps = p[s]!
        let v: number
        if (ps >= 1 - EPS) v = values[k]!
        else if (hs > 1) v = ((hs - 1) * values[k]! + (1 - ps) * values[high]!) / (hs - ps)
        else return
        if (v < lo) lo = v
        if (v > up) up = v
      })
      return isProtected(lo, up, T)
    })
  }

  /**
   * The interval of the sum of `atoms` (a cell or group). Singleton contributors: for each atom s
   * outside the cell holding an inner cell of value 1, an attacker who knows x_s >= 1. Most need
   * no solve of their own: none when the plain optima already have x_s >= 1; none when x_s is
   * unbounded and the cell is bounded (a recession direction then raises x_s without changing
   * the cell); in mode 'check', none when mixing the plain optima with a feasible point where
   * x_s >= 1 (the point where x_s was first found largest, or any point of the pool, the truth
   * among them) already proves both bounds wide enough. In mode 'check', the contributors left
   * are tested in groups (x_s >= 1 for all of a group at once; see below), which decides exactly
   * as one LP per contributor does with far fewer solves: when the cell is safe, its singleton
   * bounds are then not necessarily the worst contributor's; when it is not, they are a failing
   * contributor's own exact interval. Also in mode 'check', the pool's lowest point stands in
   * for the plain minimum when it already leaves the plain interval wide enough (`exact` is
   * then false and `lower` only an upper bound of the minimum); the minimum is solved for when
   * a group test needs it. The plain maximum is reused from {@link maximum} when it was just
   * computed for these arrays.
   *
   * `defer` (mode 'check'): called with the published cells in the certificate of a group test
   * that fails (a group of two or more contributors: not yet a verdict); when it returns true the
   * search stops there and the result is `deferred`. The caller then has a likely certificate for
   * one solve or two instead of the whole search down to one contributor, and must audit the cell
   * again later.
   */
  interval (atoms: readonly number[], mode: IntervalMode, coefs?: readonly number[], defer?: (rows: number[]) => boolean): CellInterval {
    const T = this.prep.threshold
    const inCell = new Uint8Array(this.n)
    const cost = new Float64Array(this.n)
    atoms.forEach((a, k) => { inCell[a] = 1; cost[a] = coefs?.[k] ?? 1 })
    const last = this.lastMaximum
    const max = last !== undefined && last.atoms === atoms && last.coefs === coefs && last.model === this.models ? last.optimum : this.solve(cost, true)
    const M0 = max.value
    const valueAt = (p: Float64Array): number => atoms.reduce((sum, a, k) => sum + (coefs?.[k] ?? 1) * p[a]!, 0)
    // In mode 'check', a feasible point met before stands in for the minimum when its value is
    // already low enough for the plain interval to pass: the minimum can only be lower. It is
    // solved for only when a contributor's test needs it (see `exactMin`).
    let low: { point: Float64Array, value: number } | undefined
    if (mode === 'check' && M0 !== null) {
      for (const p of this.pool) {
        const v = valueAt(p)
        if (low === undefined || v < low.value) low = { point: p, value: v }
      }
      if (low !== undefined && !isProtected(low.value, M0, T)) low = undefined
    }
    let min = low === undefined ? this.solve(cost, false) : { value: low.value, support: [], point: low.point, reduced: new Float64Array(0) }
    let minExact = low === undefined
    const exactMin = (): Optimum => {
      if (!minExact) { min = this.solve(cost, false); minExact = true }
      return min
    }
    const m0 = min.value ?? 0
    const out: CellInterval = {
      lower: m0,
      upper: M0,
      singletonLower: m0,
      singletonUpper: M0,
      safe: isProtected(m0, M0, T),
      exact: minExact,
      upperSupport: max.support,
      lowerSupport: min.support,
      deferred: false,
    }
    if (mode === 'plain' || (mode === 'check' && !out.safe)) return out

    const truth = atoms.reduce((sum, a, k) => sum + (coefs?.[k] ?? 1) * this.prep.atoms[a]!.value, 0)
    // Worst attacker so far, by how little room it leaves (min of width and upper bound).
    const room = (lo: number, up: number | null): number => up === null ? Infinity : Math.min(up - lo, up)
    let worst = room(m0, M0)
    /** The exact interval for contributor s (one or two solves); records it when it leaves the least room so far. */
    const examine = (s: number, minOk: boolean, maxOk: boolean): void => {
      const [lo, up] = this.withLowerBound([s], () => [
        minOk ? min : this.solve(cost, false),
        maxOk ? max : this.solve(cost, true),
      ] as const)
      const r = room(lo.value ?? 0, up.value)
      if (r < worst) {
        worst = r
        out.singletonLower = lo.value ?? 0
        out.singletonUpper = up.value
        out.lowerSupport = lo.support
        out.upperSupport = up.support
        out.safe = out.safe && isProtected(out.singletonLower, out.singletonUpper, T)
      }
    }
    // Mode 'check': contributors no cheap argument settles, each with whether the plain minimum
    // and maximum already have x_s >= 1.
    const pending: Array<{ s: number, minOk: boolean, maxOk: boolean }> = []
    // The feasible points met so far and the cell's value at each, copied when first needed (the
    // pool changes with every solve, e.g. reachOf below).
    let met: { points: Float64Array[], values: number[] } | undefined
    this.prep.atoms.forEach((atom, s) => {
      if (atom.singletons === 0 || inCell[s] === 1 || (mode === 'check' && !out.safe)) return
      const minOk = min.point[s]! >= 1 - EPS
      const maxOk = M0 === null || max.point[s]! >= 1 - EPS
      if (minOk && maxOk) return
      if (M0 === null) {
        // Unbounded above for every attacker: only the lower bound can narrow (mode 'exact').
        if (mode === 'check') return
      } else if (this.reachOf(s).value === null) return
      if (mode === 'check') {
        // Points with x_s >= 1: the truth, and mixtures of an optimum with the point where x_s is
        // largest (the first one found, possibly on an earlier model) or, when those do not
        // suffice, with any feasible point met so far that has x_s >= 1 (the truth among them).
        const proven = (z: Optimum, withPool: boolean): boolean => {
          // The cell's value at a point of x_s >= 1 mixed with x (where x_s = a < 1) so that x_s = 1.
          const mixes = (x: Float64Array, fx: number, pick: (u: number, v: number) => number): number => {
            const a = x[s]!
            const zs = z.value!
            let best = pick(truth, ((zs - 1) * fx + (1 - a) * valueAt(z.point)) / (zs - a))
            if (!withPool) return best
            met ??= { points: [...this.pool], values: this.pool.map(valueAt) }
            const { points, values } = met
            for (let k = 0; k < points.length; k++) {
              const ps = points[k]![s]!
              if (ps >= 1 - EPS) best = pick(best, ((ps - 1) * fx + (1 - a) * values[k]!) / (ps - a))
            }
            return best
          }
          const lowMax = maxOk ? M0 : mixes(max.point, M0, Math.max)
          const highMin = minOk ? m0 : mixes(min.point, m0, Math.min)
          return isProtected(highMin, lowMax, T)
        }
        const z = this.reachOf(s)
        if (!proven(z, false) && !proven(z, true)) pending.push({ s, minOk, maxOk })
        return
      }
      examine(s, minOk, maxOk)
    })
    // Group test: the LP with x_s >= 1 for every contributor of a group at once is feasible (the
    // truth has every singleton atom >= 1) and narrower than each contributor's own LP: its
    // minimum is at least, and its maximum at most, each contributor's. So when its interval is
    // protected, every contributor of the group is. `lo` and `up` are bounds already proven for
    // every contributor of the group (each one's minimum is at most `lo`, its maximum at least
    // `up`); the maximum is tried first, as one solve often suffices. Otherwise the group is split,
    // each part starting from its parent's bounds (a part's are at least as wide), down to single
    // contributors solved exactly: first the contributors whose bound x_s >= 1 has a non-zero
    // reduced cost at a failing optimum (the bounds of the others can be dropped without changing
    // that optimum, so these few fail together as the whole group does), then the others; in
    // halves when all of them or none are binding. The search stops at the first contributor
    // found to fail.
    const stop = (lower: Optimum | undefined, upper: Optimum, lo: number, up: number | null, deferred: boolean): void => {
      out.singletonLower = lo
      out.singletonUpper = up
      out.lowerSupport = lower?.support ?? []
      out.upperSupport = upper.support
      out.safe = false
      out.deferred = deferred
    }
    const test = (group: typeof pending, lo: number, up: number | null): void => {
      if (!out.safe) return
      const high = group.filter(g => !g.maxOk).map(g => g.s)
      // Contributors whose own maximum is the plain one need no solve for it.
      const upper = high.length === 0 ? max : this.withLowerBound(high, () => this.solve(cost, true))
      up = upper.value
      if (isProtected(lo, up, T)) return
      const upperOnly = up !== null && up < T - EPS
      // Failing below T on the maximum alone: the minimum is not needed for the certificate.
      if (group.length > 1 && upperOnly && defer?.(upper.support) === true) return stop(undefined, upper, lo, up, true)
      // Whether a contributor's own minimum is the plain one is read off the plain minimum itself,
      // not off a point standing in for it.
      const plainMin = exactMin()
      const minHolds = (s: number): boolean => plainMin.point[s]! >= 1 - EPS
      const lowered = group.filter(g => !minHolds(g.s)).map(g => g.s)
      const lower = lowered.length === 0 ? plainMin : this.withLowerBound(lowered, () => this.solve(cost, false))
      lo = lower.value ?? 0
      if (isProtected(lo, up, T)) return
      // One contributor's own LP: its exact interval, and it fails.
      if (group.length === 1) return stop(lower, upper, lo, up, false)
      if (!upperOnly && defer?.([...upper.support, ...lower.support]) === true) return stop(lower, upper, lo, up, true)
      const binds = (o: Optimum, s: number): boolean => Math.abs(o.reduced[s] ?? 0) > 1e-9
      const binding = group.filter(g => (!g.maxOk && binds(upper, g.s)) || (!upperOnly && !minHolds(g.s) && binds(lower, g.s)))
      const half = Math.ceil(group.length / 2)
      const parts = binding.length > 0 && binding.length < group.length
        ? [binding, group.filter(g => !binding.includes(g))]
        : [group.slice(0, half), group.slice(half)]
      for (const part of parts) test(part, lo, up)
    }
    // The truth has x_s >= 1 for every contributor: its value bounds every contributor's minimum
    // from above and maximum from below, the bounds a test starts from.
    if (pending.length > 0) test(pending, truth, truth)
    return out
  }

  /**
   * The plain maximum of the sum of `atoms` (one solve; null: unbounded) and the published cells
   * in its certificate. Below T the cell fails whatever its lower bound; otherwise an
   * {@link interval} call that follows with the same arrays reuses it.
   */
  maximum (atoms: readonly number[], coefs?: readonly number[]): { value: number | null, support: number[] } {
    const cost = new Float64Array(this.n)
    atoms.forEach((a, k) => { cost[a] = coefs?.[k] ?? 1 })
    const optimum = this.solve(cost, true)
    this.lastMaximum = { atoms, coefs, model: this.models, optimum }
    return optimum
  }

  /** Releases the native model. */
  dispose (): void {
    this.model?.dispose()
    this.model = undefined
  }
}

/**
 * The attacker's intervals for the suppressed cells of a given pattern, sorted by key. Published
 * cells not in `suppressed` (and consistent earlier releases) are taken as known equations;
 * inner cells are >= 0. Throws when the problem is invalid or `suppressed` names an unknown key.
 */
export async function auditSuppression (problem: ProtectionProblem, suppressed: readonly string[]): Promise<AuditInterval[]> {
  const prep = prepareProblem(problem)
  const index = new Map(prep.cells.map((c, i) => [c.key, i]))
  const cells = [...new Set(suppressed)].map(k => {
    const i = index.get(k)
    if (i === undefined) throw new Error(`disclosure audit: ${JSON.stringify(k)} is not a published key`)
    return i
  }).sort((a, b) => a - b)
  const lp = new AttackerLp(await loadSolver(), prep)
  try {
    for (const i of cells) lp.suppress(i)
    return cells.map(i => {
      const { lower, upper, singletonLower, singletonUpper } = lp.interval(prep.cells[i]!.atoms, 'exact', prep.cells[i]!.coefs)
      return { key: prep.cells[i]!.key, lower, upper, singletonLower, singletonUpper }
    })
  } finally {
    lp.dispose()
  }
}
