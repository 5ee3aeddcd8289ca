/**
 * Secondary suppression by exact Gaussian elimination (after GaussSuppression, Langsrud 2024).
 *
 * Cells are 0/1 vectors over the atoms (see problem.ts): a published cell is the indicator of the
 * atoms it sums. A cell is derivable from a set of published cells exactly when its vector lies in
 * their linear span. The elimination is fraction-free over BigInt (every basis vector is divided
 * by the gcd of its entries), so derivability is decided exactly, never up to a tolerance.
 */

/** A 0/1 vector given as the ascending indices of its ones. */
export type IndexSet = readonly number[]

/** An integer vector given by the ascending indices of its non-zero entries and their values. */
export interface WeightedSet {
  idx: readonly number[]
  coef: readonly number[]
}

/** A vector of the elimination: a 0/1 vector, or a weighted one (multi-count margins). */
export type Vector = IndexSet | WeightedSet

/** `idx` with `coef`, or the plain 0/1 vector when every coefficient is 1. */
export function weighted (idx: readonly number[], coef: readonly number[]): Vector {
  return coef.every(c => c === 1) ? idx : { idx, coef }
}

/** Input of {@link gaussSuppress}. */
export interface GaussInput {
  /** Length of every vector (the number of atoms). */
  dimension: number
  /** Vectors the attacker holds whatever is decided now (cells released earlier). */
  known: readonly Vector[]
  /**
   * Cells that may be published or suppressed, most wanted for publication first. A candidate is
   * one or more vectors that become known together (a published zero reveals each of its atoms
   * separately, since counts are non-negative).
   */
  candidates: ReadonlyArray<readonly Vector[]>
  /** Vectors that must not become derivable (primary, sticky, earlier secondary, ...). */
  protect: readonly Vector[]
}

/** Output of {@link gaussSuppress}. */
export interface GaussOutput {
  /** Per candidate: true when publishing it would make a protected vector derivable. */
  suppressed: boolean[]
  /** Per protected vector: true when it is derivable from `known` alone (nothing can protect it). */
  derivable: boolean[]
}

function gcd (a: bigint, b: bigint): bigint {
  if (a < 0n) a = -a
  if (b < 0n) b = -b
  while (b !== 0n) [a, b] = [b, a % b]
  return a
}

/** Divides a vector by the gcd of its entries; returns false when it is zero. */
function normalize (v: bigint[]): boolean {
  let g = 0n
  for (const x of v) {
    if (x !== 0n) {
      g = gcd(g, x)
      if (g === 1n) return true
    }
  }
  if (g === 0n) return false
  for (let i = 0; i < v.length; i++) v[i] = v[i]! / g
  return true
}

interface BasisRow {
  pivot: number
  /** Entry at the pivot (non-zero). */
  head: bigint
  /** Support of the row and the entries there. */
  idx: number[]
  val: bigint[]
}

/**
 * An echelon basis: each row is zero at the pivots of all earlier rows, so reducing a vector by
 * the rows in insertion order leaves it zero at every pivot. The residual is zero exactly when
 * the vector lies in the span.
 */
class Basis {
  readonly rows: BasisRow[] = []
  private readonly isPivot: Uint8Array

  constructor (readonly dimension: number) {
    this.isPivot = new Uint8Array(dimension)
  }

  /** Reduces `v` in place against the rows from index `from` on; returns false when it became zero. */
  reduce (v: bigint[], from = 0): boolean {
    let touched = false
    for (let k = from; k < this.rows.length; k++) {
      const row = this.rows[k]!
      const c = v[row.pivot]!
      if (c === 0n) continue
      touched = true
      const { head, idx, val } = row
      if (head === 1n || head === -1n) {
        // v - (c / head) row, with 1 / head === head
        const f = c * head
        for (let j = 0; j < idx.length; j++) v[idx[j]!] = v[idx[j]!]! - f * val[j]!
      } else {
        for (let i = 0; i < v.length; i++) if (v[i] !== 0n) v[i] = head * v[i]!
        for (let j = 0; j < idx.length; j++) v[idx[j]!] = v[idx[j]!]! - c * val[j]!
      }
    }
    return touched ? normalize(v) : v.some(x => x !== 0n)
  }

  /** Adds a reduced, non-zero vector as a new row. */
  push (v: bigint[]): void {
    let pivot = -1
    for (let i = 0; i < v.length; i++) {
      const x = v[i]!
      if (x === 0n) continue
      if (pivot < 0) pivot = i
      if (x === 1n || x === -1n) { pivot = i; break }
    }
    if (pivot < 0 || this.isPivot[pivot] === 1) throw new Error('gauss: pushed a vector that is not reduced')
    const idx: number[] = []
    const val: bigint[] = []
    for (let i = 0; i < v.length; i++) if (v[i] !== 0n) { idx.push(i); val.push(v[i]!) }
    this.isPivot[pivot] = 1
    this.rows.push({ pivot, head: v[pivot]!, idx, val })
  }

  /** Drops the rows from index `size` on. */
  truncate (size: number): void {
    for (const row of this.rows.splice(size)) this.isPivot[row.pivot] = 0
  }

  get size (): number { return this.rows.length }
}

function dense (dimension: number, vector: Vector): bigint[] {
  const v = new Array<bigint>(dimension).fill(0n)
  const isSet = Array.isArray(vector)
  const idx: readonly number[] = isSet ? vector as IndexSet : (vector as WeightedSet).idx
  idx.forEach((i, k) => {
    if (!Number.isInteger(i) || i < 0 || i >= dimension) throw new Error(`gauss: index ${i} outside 0..${dimension - 1}`)
    v[i] = isSet ? 1n : BigInt((vector as WeightedSet).coef[k]!)
  })
  return v
}

/**
 * Greedy secondary suppression. Candidates are taken in the given order; each is published unless
 * publishing it (together with everything published before it and everything known) would make
 * some protected vector derivable, in which case it is suppressed. Guarantees, exactly:
 * - no protected vector outside `derivable` lies in the span of `known` and the published
 *   candidates;
 * - every suppressed candidate is itself not derivable from them (it would otherwise add nothing).
 * Deterministic: the result depends only on the inputs as given (order included).
 */
export function gaussSuppress (input: GaussInput): GaussOutput {
  const { dimension } = input
  const basis = new Basis(dimension)
  for (const k of input.known) {
    const v = dense(dimension, k)
    if (basis.reduce(v)) basis.push(v)
  }
  const derivable: boolean[] = []
  // Residuals of the protected vectors against the current basis (kept up to date).
  const residual: Array<bigint[] | null> = input.protect.map(p => {
    const v = dense(dimension, p)
    const live = basis.reduce(v)
    derivable.push(!live)
    return live ? v : null
  })
  const live = residual.map((_, i) => i).filter(i => residual[i] !== null)

  const suppressed = input.candidates.map(vectors => {
    const start = basis.size
    // Tentatively extend the basis with the candidate's residuals.
    for (const set of vectors) {
      const v = dense(dimension, set)
      if (basis.reduce(v)) basis.push(v)
    }
    if (basis.size === start) return false // adds nothing the attacker does not have
    for (const p of live) {
      const q = residual[p]!
      let hit = false
      for (let k = start; k < basis.size && !hit; k++) hit = q[basis.rows[k]!.pivot] !== 0n
      if (!hit) continue // unchanged by the new rows, hence still non-zero
      const copy = [...q]
      if (!basis.reduce(copy, start)) {
        basis.truncate(start)
        return true
      }
    }
    // Publish: keep the rows, bring the residuals up to date.
    for (const p of live) basis.reduce(residual[p]!, start)
    return false
  })
  return { suppressed, derivable }
}

/**
 * Which of `targets` lie in the span of `known` (exact). Used to find cells whose value is
 * already fixed by earlier releases, so that suppressing them would hide nothing.
 */
export function derivableFrom (dimension: number, known: readonly Vector[], targets: readonly Vector[]): boolean[] {
  const basis = new Basis(dimension)
  for (const k of known) {
    const v = dense(dimension, k)
    if (basis.reduce(v)) basis.push(v)
  }
  return targets.map(t => !basis.reduce(dense(dimension, t)))
}
