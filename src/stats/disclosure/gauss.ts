/**
 * Secondary suppression by exact Gaussian elimination (after GaussSuppression, Langsrud 2024).
 *
 * Cells are 0/1 vectors over the atoms (see problem.ts): a published cell is the indicator of the
 * atoms it sums. A cell is derivable from a set of published cells exactly when its vector lies in
 * their linear span. The elimination is fraction-free (every basis vector is divided by the gcd of
 * its entries), so derivability is decided exactly, never up to a tolerance: in integers held in
 * doubles while every entry and product stays within 2^52 (checked at each step), otherwise in
 * BigInt from the start, with the same steps and hence the same result.
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

/**
 * The operations of an echelon basis over dense vectors of type V: each row is zero at the pivots
 * of all earlier rows, so reducing a vector by the rows in insertion order leaves it zero at every
 * pivot, and the residual is zero exactly when the vector lies in the span. Two exact
 * implementations: integers held in doubles (fast, no allocation per entry) while every entry
 * stays within 2^52, and BigInt otherwise.
 */
interface EchelonBasis<V> {
  readonly size: number
  /** The pivot of row k. */
  pivot: (k: number) => number
  dense: (vector: Vector) => V
  copy: (v: V) => V
  isZeroAt: (v: V, i: number) => boolean
  /** Reduces `v` in place against the rows from index `from` on; returns false when it became zero. */
  reduce: (v: V, from?: number) => boolean
  /** Adds a reduced, non-zero vector as a new row. */
  push: (v: V) => void
  /** Drops the rows from index `size` on. */
  truncate: (size: number) => void
}

function checkIndex (i: number, dimension: number): void {
  if (!Number.isInteger(i) || i < 0 || i >= dimension) throw new Error(`gauss: index ${i} outside 0..${dimension - 1}`)
}

/** The first entry equal to 1 or -1, else the first non-zero one, else -1 (both bases pick alike). */
function pickPivot (length: number, at: (i: number) => number): number {
  let pivot = -1
  for (let i = 0; i < length; i++) {
    const x = at(i)
    if (x === 0) continue
    if (pivot < 0) pivot = i
    if (x === 1 || x === -1) return i
  }
  return pivot
}

interface BigRow {
  pivot: number
  /** Entry at the pivot (non-zero). */
  head: bigint
  /** Support of the row and the entries there. */
  idx: number[]
  val: bigint[]
}

/** Fraction-free elimination over BigInt: exact whatever the entries grow to. */
class BigBasis implements EchelonBasis<bigint[]> {
  private readonly rows: BigRow[] = []
  private readonly isPivot: Uint8Array

  constructor (readonly dimension: number) {
    this.isPivot = new Uint8Array(dimension)
  }

  get size (): number { return this.rows.length }
  pivot (k: number): number { return this.rows[k]!.pivot }
  copy (v: bigint[]): bigint[] { return [...v] }
  isZeroAt (v: bigint[], i: number): boolean { return v[i] === 0n }

  dense (vector: Vector): bigint[] {
    const v = new Array<bigint>(this.dimension).fill(0n)
    const isSet = Array.isArray(vector)
    const idx: readonly number[] = isSet ? vector as IndexSet : (vector as WeightedSet).idx
    idx.forEach((i, k) => {
      checkIndex(i, this.dimension)
      v[i] = isSet ? 1n : BigInt((vector as WeightedSet).coef[k]!)
    })
    return v
  }

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

  push (v: bigint[]): void {
    const pivot = pickPivot(v.length, i => v[i] === 0n ? 0 : v[i] === 1n ? 1 : v[i] === -1n ? -1 : 2)
    if (pivot < 0 || this.isPivot[pivot] === 1) throw new Error('gauss: pushed a vector that is not reduced')
    const idx: number[] = []
    const val: bigint[] = []
    for (let i = 0; i < v.length; i++) if (v[i] !== 0n) { idx.push(i); val.push(v[i]!) }
    this.isPivot[pivot] = 1
    this.rows.push({ pivot, head: v[pivot]!, idx, val })
  }

  truncate (size: number): void {
    for (const row of this.rows.splice(size)) this.isPivot[row.pivot] = 0
  }
}

/** Thrown by {@link NumberBasis} when an entry would leave the range where doubles are exact. */
class Overflow extends Error {}

/** Entries stay within this bound, so products and differences of two of them are exact in doubles. */
const EXACT = 2 ** 52

function exact (x: number): number {
  if (x > EXACT || x < -EXACT) throw new Overflow('gauss: entry beyond 2^52')
  return x
}

interface NumberRow {
  pivot: number
  head: number
  idx: Int32Array
  val: Float64Array
}

/**
 * Fraction-free elimination over integers held in doubles: the same steps as {@link BigBasis},
 * hence the same rows and results, as long as every entry and every product stays within 2^52
 * (checked at each step; {@link Overflow} otherwise). Counts' 0/1 and small weighted vectors stay
 * far below that, and this avoids an allocation per entry.
 */
class NumberBasis implements EchelonBasis<Float64Array> {
  private readonly rows: NumberRow[] = []
  private readonly isPivot: Uint8Array

  constructor (readonly dimension: number) {
    this.isPivot = new Uint8Array(dimension)
  }

  get size (): number { return this.rows.length }
  pivot (k: number): number { return this.rows[k]!.pivot }
  copy (v: Float64Array): Float64Array { return v.slice() }
  isZeroAt (v: Float64Array, i: number): boolean { return v[i] === 0 }

  dense (vector: Vector): Float64Array {
    const v = new Float64Array(this.dimension)
    const isSet = Array.isArray(vector)
    const idx: readonly number[] = isSet ? vector as IndexSet : (vector as WeightedSet).idx
    idx.forEach((i, k) => {
      checkIndex(i, this.dimension)
      v[i] = isSet ? 1 : exact((vector as WeightedSet).coef[k]!)
    })
    return v
  }

  reduce (v: Float64Array, from = 0): boolean {
    let touched = false
    const rows = this.rows
    for (let k = from; k < rows.length; k++) {
      const row = rows[k]!
      const c = v[row.pivot]!
      if (c === 0) continue
      touched = true
      const { head, idx, val } = row
      if (head === 1 || head === -1) {
        const f = c * head
        for (let j = 0; j < idx.length; j++) {
          const i = idx[j]!
          v[i] = exact(v[i]! - exact(f * val[j]!))
        }
      } else {
        for (let i = 0; i < v.length; i++) if (v[i] !== 0) v[i] = exact(head * v[i]!)
        for (let j = 0; j < idx.length; j++) {
          const i = idx[j]!
          v[i] = exact(v[i]! - exact(c * val[j]!))
        }
      }
    }
    if (!touched) {
      for (let i = 0; i < v.length; i++) if (v[i] !== 0) return true
      return false
    }
    // Divide by the gcd of the entries (Euclid is exact on integers below 2^53).
    let g = 0
    for (let i = 0; i < v.length && g !== 1; i++) {
      let b = v[i]!
      if (b === 0) continue
      let a = g
      if (b < 0) b = -b
      while (b !== 0) { const r = a % b; a = b; b = r }
      g = a
    }
    if (g === 0) return false
    if (g !== 1) for (let i = 0; i < v.length; i++) if (v[i] !== 0) v[i] = v[i]! / g
    return true
  }

  push (v: Float64Array): void {
    const pivot = pickPivot(v.length, i => v[i]!)
    if (pivot < 0 || this.isPivot[pivot] === 1) throw new Error('gauss: pushed a vector that is not reduced')
    let nnz = 0
    for (let i = 0; i < v.length; i++) if (v[i] !== 0) nnz++
    const idx = new Int32Array(nnz)
    const val = new Float64Array(nnz)
    for (let i = 0, j = 0; i < v.length; i++) if (v[i] !== 0) { idx[j] = i; val[j++] = v[i]! }
    this.isPivot[pivot] = 1
    this.rows.push({ pivot, head: v[pivot]!, idx, val })
  }

  truncate (size: number): void {
    for (const row of this.rows.splice(size)) this.isPivot[row.pivot] = 0
  }
}

/**
 * Which arithmetic an elimination runs in. Pass the same object to a series of eliminations over
 * one problem: once entries have outgrown doubles, later ones start in BigInt directly.
 */
export interface Arithmetic {
  bigint: boolean
}

/** Runs `work` on the fast exact basis, and again on BigInt if an entry outgrows doubles. */
function exactly<R> (dimension: number, arithmetic: Arithmetic, work: <V>(basis: EchelonBasis<V>) => R): R {
  if (!arithmetic.bigint) {
    try {
      return work(new NumberBasis(dimension))
    } catch (e) {
      if (!(e instanceof Overflow)) throw e
      arithmetic.bigint = true
    }
  }
  return work(new BigBasis(dimension))
}

/**
 * Greedy secondary suppression. Candidates are taken in the given order; each is published unless
 * publishing it (together with everything published before it and everything known) would make
 * some protected vector derivable, in which case it is suppressed. Guarantees, exactly:
 * - no protected vector outside `derivable` lies in the span of `known` and the published
 *   candidates;
 * - every suppressed candidate is itself not derivable from them (it would otherwise add nothing).
 * Deterministic: the result depends only on the inputs as given (order included), whichever
 * arithmetic it runs in (`arithmetic` only saves the attempt in doubles; see {@link Arithmetic}).
 */
export function gaussSuppress (input: GaussInput, arithmetic: Arithmetic = { bigint: false }): GaussOutput {
  const work = <V>(basis: EchelonBasis<V>): GaussOutput => {
    for (const k of input.known) {
      const v = basis.dense(k)
      if (basis.reduce(v)) basis.push(v)
    }
    const derivable: boolean[] = []
    // Residuals of the protected vectors against the current basis (kept up to date).
    const residual: Array<V | null> = input.protect.map(p => {
      const v = basis.dense(p)
      const live = basis.reduce(v)
      derivable.push(!live)
      return live ? v : null
    })
    const live = residual.map((_, i) => i).filter(i => residual[i] !== null)

    const suppressed = input.candidates.map(vectors => {
      const start = basis.size
      // Tentatively extend the basis with the candidate's residuals.
      for (const set of vectors) {
        const v = basis.dense(set)
        if (basis.reduce(v)) basis.push(v)
      }
      if (basis.size === start) return false // adds nothing the attacker does not have
      // Residuals the new rows change, reduced on copies: kept if the candidate is published.
      const updated: Array<[number, V]> = []
      for (const p of live) {
        const q = residual[p]!
        let hit = false
        for (let k = start; k < basis.size && !hit; k++) hit = !basis.isZeroAt(q, basis.pivot(k))
        if (!hit) continue // unchanged by the new rows, hence still non-zero
        const r = basis.copy(q)
        if (!basis.reduce(r, start)) {
          basis.truncate(start)
          return true
        }
        updated.push([p, r])
      }
      // Publish: keep the rows and the updated residuals.
      for (const [p, r] of updated) residual[p] = r
      return false
    })
    return { suppressed, derivable }
  }
  return exactly(input.dimension, arithmetic, work)
}

/**
 * Which of `targets` lie in the span of `known` (exact). Used to find cells whose value is
 * already fixed by earlier releases, so that suppressing them would hide nothing.
 */
export function derivableFrom (dimension: number, known: readonly Vector[], targets: readonly Vector[], arithmetic: Arithmetic = { bigint: false }): boolean[] {
  return exactly(dimension, arithmetic, basis => {
    for (const k of known) {
      const v = basis.dense(k)
      if (basis.reduce(v)) basis.push(v)
    }
    return targets.map(t => !basis.reduce(basis.dense(t)))
  })
}
