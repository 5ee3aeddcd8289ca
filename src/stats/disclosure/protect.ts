/**
 * Cell suppression for frequency tables: primary suppression by threshold, secondary suppression
 * by exact Gaussian elimination (after GaussSuppression, Langsrud 2024), and an LP audit (HiGHS)
 * that adds suppression until every hidden cell is protected. Attacker model: see audit.ts.
 *
 * Algorithm of {@link protect}:
 * 1. Validate and canonicalise (problem.ts): arrays sorted by key, inner cells merged into atoms.
 *    Earlier releases whose value equals today's sum are known equations; the others are listed
 *    in `revised` and not used (their values describe data that no longer exists).
 * 2. Targets: published cells with 1 <= value < T (primary), alreadySuppressed cells (sticky),
 *    derived groups: atoms with 1 <= value < T that no published cell equals (non-nested
 *    groupings separate them, e.g. 15-17 from 0-14 and 0-17), and the problem's protected
 *    groups with 1 <= value < T (the persons added to or withdrawn from a cell by a revision).
 * 3. Elimination (gauss.ts): the other published cells are offered for publication one by one,
 *    zeros first (a published zero reveals each of its atoms, since counts are >= 0), then larger
 *    counts, then key; each is suppressed when publishing it would make a target derivable. In
 *    the first elimination, pairs of small disjoint targets under one published cell whose sum
 *    would fail the audit anyway are protected as extra vectors (GaussSuppression's singleton
 *    "sum2" idea), at most a few per target.
 * 4. Audit every suppressed cell and derived group not yet passed: width >= T and upper >= T,
 *    plainly and against every single contributor who knows their own singleton cell (the plain
 *    maximum first: below T, the cell fails without more solves). A failing one gets one more
 *    suppression: of the published cells in the dual certificate of the failing bound, one
 *    already chosen in this round for another failing cell if there is one (it is audited again
 *    next round anyway), else the one least wanted for publication. A cell whose certificate of
 *    an earlier round holds a cell chosen in this round waits for the next round without being
 *    audited (its failing bound is likely broken; the next round tells); so does a cell whose
 *    search for a failing singleton contributor meets a failing group of contributors whose
 *    certificate holds such a cell (the search stops there). A round that chooses no cell
 *    defers nothing, so the loop ends only after every target was decided. If the certificate uses
 *    only cells that cannot be suppressed (earlier releases, or cells they fix), no suppression
 *    can help: it is unsafe. A round ends once it has chosen {@link ROUND_FIXES} suppressions;
 *    the targets it did not reach are audited in the next round.
 * 5. Everything suppressed plus the new suppressions become targets; repeat 3 (every
 *    {@link ELIMINATION_EVERY} rounds; in the rounds between, the audit alone decides, a target
 *    derivable from what is published failing it with width 0) and 4 until a round chooses no
 *    suppression, which it does only after auditing every target. Suppression only grows, so a
 *    passed cell stays passed and the loop ends.
 *
 * Guarantees when `ok` is true: every primary and sticky cell is suppressed; no target can be
 * computed exactly from what is published and released earlier; every target's LP interval has
 * width and upper bound >= T, also for a contributor who knows a singleton is non-empty; the
 * result is a pure function of the problem's content (any order of its arrays gives a
 * byte-identical JSON). When `ok` is false, `unsafe` says which targets cannot be protected and
 * why (only earlier releases can cause that); the pattern is a best effort, not safe to release.
 */
import { AttackerLp, type CellInterval, isProtected, loadSolver } from './audit.js'
import { derivableFrom, gaussSuppress, type IndexSet, type Vector, weighted } from './gauss.js'
import { compareKeys, prepareProblem, type PreparedProblem, type ProtectionProblem } from './problem.js'

/** The attacker's LP interval for one suppressed cell (`upper` null: unbounded). */
export interface CellAudit {
  key: string
  lower: number
  upper: number | null
}

/** A group of inner cells below T that is not published but that the groupings separate. */
export interface DerivedAudit {
  /** Inner keys of the group, sorted. */
  members: string[]
  lower: number
  upper: number | null
}

/** A protected group (see ProtectionProblem.groups) that holds 1 to T - 1, with its interval. */
export interface GroupAudit {
  key: string
  lower: number
  upper: number | null
}

/** A cell that cannot be protected. */
export interface UnsafeCell {
  /** Published key, or `{k1,k2,...}` (inner keys) for a derived group. */
  key: string
  reason: string
}

/** Options of {@link protect}. */
export interface ProtectOptions {
  /**
   * Report the attacker's intervals in `audit`, `derived` and `groups` (default true). When
   * false those lists are empty: publishing needs only the pattern and whether it is safe, and
   * the final intervals cost up to two LP solves per target.
   */
  intervals?: boolean
}

/** Result of {@link protect}. */
export interface ProtectionResult {
  /** Published keys to withhold, sorted. Mark all alike: which are primary must not leak. */
  suppressed: string[]
  /** Suppressed because 1 <= value < T (internal reporting only). */
  primary: number
  /** The other suppressed cells (internal reporting only). */
  secondary: number
  /** The attacker's LP interval for every suppressed cell, by key (empty without `intervals`). */
  audit: CellAudit[]
  /** Unpublished groups below T that the published groupings separate, with their intervals (empty without `intervals`). */
  derived: DerivedAudit[]
  /** Protected groups with 1 <= value < T, by key, with their intervals (empty without `intervals`). */
  groups: GroupAudit[]
  /** alreadyPublished keys whose released value differs from today's sum (not used as equations). */
  revised: string[]
  /** True when every suppressed cell and derived group is protected. */
  ok: boolean
  /** Why the problem cannot be made safe; empty when `ok`. Sorted by key. */
  unsafe: UnsafeCell[]
}

/** A cell or group that must stay hidden: its vector, and how to name it. */
interface Target {
  id: string
  atoms: number[]
  /** Coefficient of each atom (1 except in multi-count margins). */
  coefs: number[]
  /** Published cell index, or -1 for a derived group. */
  cell: number
}

/** True when a count fails the threshold rule: 1 <= value < T (zeros are not unsafe by themselves). */
export function isPrimaryValue (value: number, threshold: number): boolean {
  return value >= 1 && value < threshold
}

/**
 * Keys of the published cells that fail the threshold rule, sorted: the primary suppressions of
 * {@link protect}. For internal reporting and tests only; releases must not tell them apart.
 */
export function primaryKeys (problem: ProtectionProblem): string[] {
  const prep = prepareProblem(problem)
  return prep.cells.filter(c => isPrimaryValue(c.value, prep.threshold)).map(c => c.key)
}

function derivedKey (prep: PreparedProblem, atom: number): string {
  return `{${prep.atoms[atom]!.inner.map(i => prep.innerKeys[i]!).join(',')}}`
}

/** A published zero reveals each of its atoms (counts are >= 0), not only their sum. */
function revealed (value: number, atoms: number[], coefs: number[]): Vector[] {
  return value === 0 ? atoms.map(a => [a]) : [weighted(atoms, coefs)]
}

function interval (lower: number, upper: number | null): string {
  return `[${lower}, ${upper === null ? 'unbounded' : upper}]`
}

/**
 * At most this many suppressions are chosen per audit round (step 4 of the module
 * documentation); the round then ends and the next one audits with them. Fewer per round means
 * more rounds, each on a model that knows the suppressions chosen so far. With
 * {@link ELIMINATION_EVERY} at 4 too, the benchmark's large volume (docs/benchmarks.md) took 30%
 * fewer LP solves and 37% less time than with neither, for a pattern 0.4% larger.
 */
const ROUND_FIXES = 4

/**
 * The elimination (step 3) runs in the first round and then every this many rounds; in the
 * rounds between, the audit's own suppressions stand alone. An elimination costs about as much
 * as the audit of a round with {@link ROUND_FIXES} suppressions; running none after the first
 * made the pattern 1.3% larger (the audit finds one suppression per failing cell, where the
 * elimination finds at once every cell that a new suppression needs beside it).
 */
const ELIMINATION_EVERY = 4

/** At most this many risky pairs per target are protected as extra vectors (see {@link riskyPairs}). */
const PAIRS_PER_TARGET = 4

/**
 * Pairs of disjoint protected vectors inside one published cell whose sum, if it became derivable,
 * would certainly fail the audit (GaussSuppression's singleton "sum2" idea): they are protected
 * as extra vectors in the elimination, which saves LP rounds. Singletons matter here because a
 * contributor who knows one part is non-empty narrows the other.
 *
 * Every pair of small targets shares the grand total, so their number grows with the square of
 * the targets (121,720 pairs for 505 targets in one large victims year, which made the
 * elimination the bulk of the time). A pair is likeliest to become derivable inside a small cell
 * (a row whose other parts are published), so at most {@link PAIRS_PER_TARGET} per target are
 * kept, those whose smallest common published cell has the fewest atoms first, then by key. Only a
 * search aid: the LP audit still checks every target, whatever pairs are kept.
 */
function riskyPairs (prep: PreparedProblem, targets: Target[], parents: ParentIndex): IndexSet[] {
  const T = prep.threshold
  const info = targets.filter(t => t.coefs.every(c => c === 1)).map(t => ({
    atoms: t.atoms,
    value: t.atoms.reduce((s, a) => s + prep.atoms[a]!.value, 0),
    // A contributor knows that their own part holds at least one person: at most 1.
    singles: t.atoms.some(a => prep.atoms[a]!.singletons > 0) ? 1 : 0,
  })).filter(t => t.value < T + t.singles)
  // Per target: the published cells containing all its atoms, fewest atoms first, and as a set.
  const size = (c: number): number => parents.atomSets[c]!.size
  const around = info.map(t => {
    const cells = parents.containing[t.atoms[0]!]!.filter(c => t.atoms.every(x => parents.atomSets[c]!.has(x)))
    return { smallestFirst: [...cells].sort((x, y) => size(x) - size(y)), cells: new Set(cells), atoms: new Set(t.atoms) }
  })
  // Every qualifying pair with the size of its smallest common published cell (a cell holds
  // both parts exactly when it holds each), then, by that size, distinct unions in key order
  // until enough are kept: only the sizes up to the cut need their keys.
  const candidates: Array<{ i: number, j: number, parent: number }> = []
  for (let i = 0; i < info.length; i++) {
    const a = info[i]!
    const near = around[i]!
    for (let j = i + 1; j < info.length; j++) {
      const b = info[j]!
      if (a.value + b.value - Math.max(a.singles, b.singles) >= T) continue
      if (b.atoms.some(x => near.atoms.has(x))) continue
      const common = near.smallestFirst.find(c => around[j]!.cells.has(c))
      if (common !== undefined) candidates.push({ i, j, parent: size(common) })
    }
  }
  candidates.sort((x, y) => x.parent - y.parent)
  const limit = PAIRS_PER_TARGET * targets.length
  const kept: IndexSet[] = []
  for (let from = 0; from < candidates.length && kept.length < limit;) {
    let to = from
    while (to < candidates.length && candidates[to]!.parent === candidates[from]!.parent) to++
    const unions = new Map<string, IndexSet>()
    for (const { i, j } of candidates.slice(from, to)) {
      const union = [...info[i]!.atoms, ...info[j]!.atoms].sort((x, y) => x - y)
      unions.set(union.join(','), union)
    }
    for (const [, union] of [...unions].sort(([ka], [kb]) => ka < kb ? -1 : ka > kb ? 1 : 0)) {
      if (kept.length === limit) break
      kept.push(union)
    }
    from = to
  }
  return kept
}

/** Which published cells contain which atoms. */
interface ParentIndex {
  /** Per atom: indices of the published cells containing it. */
  containing: number[][]
  /** Per published cell: its atoms. */
  atomSets: Array<Set<number>>
}

function parentIndex (prep: PreparedProblem): ParentIndex {
  const containing: number[][] = prep.atoms.map(() => [])
  prep.cells.forEach((c, i) => { for (const a of c.atoms) containing[a]!.push(i) })
  return { containing, atomSets: prep.cells.map(c => new Set(c.atoms)) }
}

/**
 * Protects a problem: returns the suppression pattern, the attacker's intervals and whether it is
 * safe. See the module documentation for the guarantees. Throws only for an invalid problem
 * (see prepareProblem).
 */
export async function protect (problem: ProtectionProblem, options: ProtectOptions = {}): Promise<ProtectionResult> {
  const prep = prepareProblem(problem)
  const T = prep.threshold
  const { cells, atoms } = prep
  const dimension = atoms.length

  // What the attacker holds from earlier releases (values unchanged today).
  const known: Vector[] = prep.priors.filter(p => p.consistent).flatMap(p => revealed(p.value, p.atoms, p.coefs))
  // Cells whose value earlier releases already fix: suppressing them would hide nothing.
  const fixed = derivableFrom(dimension, known, cells.map(c => weighted(c.atoms, c.coefs)))

  const isPrimary = (v: number): boolean => isPrimaryValue(v, T)
  const singleAtomCell = new Set(cells.filter(c => c.atoms.length === 1 && c.coefs[0] === 1).map(c => c.atoms[0]!))
  const derivedAtoms: Target[] = atoms.flatMap((a, i) => isPrimary(a.value) && !singleAtomCell.has(i) ? [{ id: derivedKey(prep, i), atoms: [i], coefs: [1], cell: -1 }] : [])
  const groupTargets: Target[] = prep.groups.flatMap(g => isPrimary(g.value) && g.atoms.length > 0 ? [{ id: g.key, atoms: g.atoms, coefs: g.coefs, cell: -1 }] : [])
  const derived = [...derivedAtoms, ...groupTargets]
  const cellTarget = (i: number): Target => ({ id: cells[i]!.key, atoms: cells[i]!.atoms, coefs: cells[i]!.coefs, cell: i })

  // Candidates for publication, most wanted first: zeros (they pin their atoms, so publishing them
  // first keeps their information in the elimination), then larger counts, then key.
  const order = cells.map((_, i) => i).sort((a, b) => {
    const va = cells[a]!.value
    const vb = cells[b]!.value
    if ((va === 0) !== (vb === 0)) return va === 0 ? -1 : 1
    return vb - va || a - b
  })
  const parents = parentIndex(prep)
  const rank = new Array<number>(cells.length)
  order.forEach((c, r) => { rank[c] = r })

  const unsafe = new Map<string, string>()
  const protectedCells = new Set<number>()
  cells.forEach((c, i) => { if (isPrimary(c.value) || c.sticky) protectedCells.add(i) })
  const passed = new Set<string>()
  let suppressed = new Set<number>()
  // Last interval computed per target, and the round it was computed in.
  const intervals = new Map<string, { iv: CellInterval, version: number }>()
  let version = 0
  // Published cells in the certificate of each target's last failing bound.
  const certificates = new Map<string, number[]>()

  const lp = new AttackerLp(await loadSolver(), prep)
  const arithmetic = { bigint: false }
  try {
    for (;;) {
      const protectedList = [...protectedCells].sort((a, b) => a - b)
      if (version % ELIMINATION_EVERY === 0) {
        const guarded: Target[] = [...protectedList.map(cellTarget), ...derived]
        const candidates = order.filter(i => !protectedCells.has(i))
        const gauss = gaussSuppress({
          dimension,
          known,
          candidates: candidates.map(i => revealed(cells[i]!.value, cells[i]!.atoms, cells[i]!.coefs)),
          // Pairs in the first elimination only: later ones change few cells, and the pairs
          // cost most of an elimination's time.
          protect: [...guarded.map(t => weighted(t.atoms, t.coefs)), ...(version === 0 ? riskyPairs(prep, guarded, parents) : [])],
        }, arithmetic)
        suppressed = new Set([...protectedList, ...candidates.filter((_, k) => gauss.suppressed[k])])
        guarded.forEach((t, k) => {
          if (!gauss.derivable[k] || unsafe.has(t.id)) return
          const c = t.cell >= 0 ? cells[t.cell]! : undefined
          let reason = 'its value can be derived exactly from cells published earlier'
          if (c?.alreadyOut === true) {
            reason = isPrimary(c.value)
              ? `already published earlier with value ${c.value}, below the threshold ${T}`
              : 'suppressed in an earlier release, but published with the same value in another'
          }
          unsafe.set(t.id, reason)
        })
      } else {
        // The rounds between eliminations: the audit's suppressions alone (step 5 of the module
        // documentation).
        suppressed = new Set(protectedList)
      }
      for (const i of suppressed) lp.suppress(i)

      // Audit what is not yet known to pass; suppressing more only widens intervals, so a cell
      // that passed stays passed.
      version++
      const fixes = new Set<number>()
      const targets = [...[...suppressed].sort((a, b) => a - b).map(cellTarget), ...derived]
      for (const t of targets) {
        // Enough for this round: the targets left are audited in the next one, with these.
        if (fixes.size === ROUND_FIXES) break
        if (passed.has(t.id) || unsafe.has(t.id)) continue
        if (certificates.get(t.id)?.some(c => fixes.has(c)) === true) continue
        if (lp.certify(t.atoms, t.coefs)) {
          passed.add(t.id)
          continue
        }
        // Break the certificate of the failing bound: suppress one of the published cells it
        // uses. A cell already chosen this round for another failing cell is taken first (one
        // suppression often breaks several certificates; next round's audit tells), otherwise
        // the one least wanted for publication. If it uses none that can be suppressed, the
        // bound survives any further suppression (then the whole interval tells why).
        const suppressible = (c: number): boolean => !suppressed.has(c) && fixed[c] !== true
        const max = lp.maximum(t.atoms, t.coefs)
        let rows = max.support
        if (max.value === null || max.value >= T - 1e-6 || !max.support.some(suppressible)) {
          // A cell whose search meets a failing group of contributors with a cell chosen in this
          // round in its certificate stops there and waits for the next round, as above.
          const iv = lp.interval(t.atoms, 'check', t.coefs, rows => rows.some(c => fixes.has(c)))
          if (iv.deferred) {
            certificates.set(t.id, [...iv.upperSupport, ...iv.lowerSupport])
            continue
          }
          intervals.set(t.id, { iv, version })
          if (iv.safe) {
            passed.add(t.id)
            continue
          }
          const upperFails = iv.singletonUpper !== null && iv.singletonUpper < T - 1e-6
          rows = upperFails ? iv.upperSupport : [...iv.upperSupport, ...iv.lowerSupport]
          if (!rows.some(suppressible)) {
            const who = isProtected(iv.lower, iv.upper, T) ? 'a person counted in a singleton cell elsewhere can narrow it' : 'cells published earlier bound it'
            unsafe.set(t.id, `${who} to ${interval(iv.singletonLower, iv.singletonUpper)}` +
              ` (width and upper bound must be at least ${T}); no further suppression can widen that`)
            continue
          }
        }
        certificates.set(t.id, rows)
        let pick = -1
        let chosenAlready = false
        for (const c of rows) {
          if (!suppressible(c)) continue
          if (pick < 0 || rank[c]! > rank[pick]!) pick = c
          if (fixes.has(c)) chosenAlready = true
        }
        if (!chosenAlready) fixes.add(pick)
      }
      if (fixes.size === 0) break
      for (const c of [...suppressed, ...fixes]) protectedCells.add(c)
    }

    // Intervals computed before the last round's suppressions may have widened since.
    const final = (t: Target): { lower: number, upper: number | null } => {
      const known = intervals.get(t.id)
      const { lower, upper } = known !== undefined && known.version === version && known.iv.exact ? known.iv : lp.interval(t.atoms, 'plain', t.coefs)
      return { lower, upper }
    }
    const report = options.intervals !== false
    const suppressedList = [...suppressed].sort((a, b) => a - b)
    const audit = report ? suppressedList.map(i => ({ key: cells[i]!.key, ...final(cellTarget(i)) })) : []
    const derivedOut = report ? derivedAtoms.map(t => ({ members: atoms[t.atoms[0]!]!.inner.map(i => prep.innerKeys[i]!), ...final(t) })) : []
    const groupsOut = report ? groupTargets.map(t => ({ key: t.id, ...final(t) })) : []
    const primary = suppressedList.filter(i => isPrimary(cells[i]!.value)).length
    return {
      suppressed: suppressedList.map(i => cells[i]!.key),
      primary,
      secondary: suppressedList.length - primary,
      audit,
      derived: derivedOut,
      groups: groupsOut,
      revised: prep.priors.filter(p => !p.consistent).map(p => p.key),
      ok: unsafe.size === 0,
      unsafe: [...unsafe].map(([key, reason]) => ({ key, reason })).sort((a, b) => compareKeys(a.key, b.key)),
    }
  } finally {
    lp.dispose()
  }
}
