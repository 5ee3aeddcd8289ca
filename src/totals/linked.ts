/**
 * Exact intervals of suppressed cells: the lowest and highest value a suppressed cell can take
 * given every table a node holds from one publisher for one population-year (V1-V5 count the
 * same victims, C3 and C4 the same convicted persons, C1 and C2 stand alone: see
 * src/stats/populations.ts). A pure function of those tables and their grants' groups, so the
 * node answering a query and anyone checking a provenance bundle offline get the same bounds.
 *
 * The model is the publisher's own (docs/disclosure.md; protocol/README.md, `release` and
 * "Disclosure control: what a recipient can and cannot infer"):
 * - **Structure.** A table breaks down by the dimensions some of its cells carry a code in (its
 *   grant's `by`: a dimension of `by` shows a code in some cell of any table with records). For
 *   every subset of those dimensions, every combination of their codes (or of the grant's group
 *   names, for a dimension granted in groups) with `_T` elsewhere is a cell of the table, and a
 *   cell the table does not list is a published 0.
 * - **Suppressed cells are at least 1** (zeros are never suppressed). A cell without a value
 *   that is not suppressed (OBS_STATUS M, no data) is only known to be >= 0.
 * - **Linked indicators.** A dimension id is the same attribute of a person in every indicator
 *   of the population; V5 counts a person once per type of assistance (a V5 cell with ASSIST
 *   `_T` counts (person, type) pairs).
 * A cell's interval is the minimum and maximum of its value over every non-negative real
 * assignment of counts to persons' profiles that gives every cell held, rounded inward to
 * integers (counts are integers): `ceil(min - 1e-6)`, `floor(max + 1e-6)`. `upper` is null when
 * nothing bounds the cell from above.
 *
 * ## Formulation
 *
 * The profiles (a code for every attribute any table breaks down by) are never enumerated: their
 * number is the product of the codelists. Instead:
 *
 * 1. **Code classes.** For each attribute, the codes are split by how the tables show them: a
 *    code's signature is, for every table breaking down by the attribute, the cell code it falls
 *    in there (the code itself, the name of the group holding it, or none when it is in no group
 *    of that table and counts only in `_T`). Codes with one signature are one class: no cell
 *    tells them apart, so merging them changes no bound. A code is dropped when some table that
 *    counts persons (not V5) publishes 0 in the one-dimensional margin holding it: nobody has it.
 *    An AREA dimension broken down in detail keeps only the few codes its tables list.
 * 2. **Cliques.** Attributes broken down together in some table are joined in a graph; the graph
 *    is made chordal (vertices eliminated by least fill-in, ties by name) and its maximal cliques
 *    are joined in a tree by maximum-weight spanning tree on their intersections (a junction
 *    tree; cliques of different components are joined on the empty set). Every table's
 *    attributes lie in a clique: the first that holds them is its home.
 * 3. **Unknowns.** One count per clique tuple (a class per attribute of the clique), >= 0,
 *    listing only tuples inside no published zero of any person-counting table (checked over
 *    every subset of the table's attributes the clique holds, as the tuple is built attribute by
 *    attribute). Neighbouring cliques have equal counts on every tuple of their intersection (on
 *    the empty intersection: equal totals). For linear programming this loses nothing: counts of
 *    the cliques of a junction tree that agree on the intersections are the margins of some
 *    non-negative table of full profiles (n = prod n_C / prod n_S).
 * 4. **Rows.** Each cell a person-counting table lists is a row on its home clique: the sum of
 *    the tuples in it equals the value, or is >= 1 when suppressed. Its zeros are the tuples
 *    left out.
 * 5. **V5.** With Q the other attributes V5 breaks down by (a subset of its home clique), y[q][a]
 *    is the number of persons of projection q who received assistance a, 0 <= y[q][a] <= N[q],
 *    N[q] the sum of the home clique's tuples projecting on q. A V5 cell is the sum of the y in
 *    it (ASSIST `_T`: every type). A person may receive any set of types, so any such y is
 *    realised by handing type a to y[q][a] of the N[q] persons. When V5 does not break down by
 *    ASSIST one unknown per q stands for the sum over the types (0 <= z[q] <= 12 N[q]). V5 zeros
 *    drop y, never persons (a person may have had no assistance).
 *
 * Before solving, what rows settle alone is taken out (a published cell of one unknown fixes
 * it, and so on: {@link reduce}); the rest is solved with HiGHS, a minimum and a maximum per
 * wanted cell (warm-started simplex), except a minimum that a feasible point already met shows
 * at the least the cell's own row allows (1 for a suppressed cell). When it would have more than {@link MAX_UNKNOWNS} unknowns, or when the tables held fit no
 * counts at all (they contradict the rules above), no exact interval is given: the caller falls
 * back to a looser bound and says so. A dimension shown in groups whose members this node does
 * not know (no agreement held with the release's hash) is taken as an attribute of its own
 * table only: the bounds stay valid but may be wider than exact, and the result says so.
 */
import type { Highs } from 'highs'
import type { Agreement } from '../policy/agreement.js'
import { codesOf, type GroupsSpec } from '../policy/groups.js'
import { grantedDimensions } from '../policy/grants.js'
import { AREA_CODES, isCodeOf } from '../protocol/area.js'
import { TOTAL_CODE } from '../protocol/codelists.js'
import { dimensionCodelist, findIndicator } from '../protocol/indicators.js'
import { loadSolver } from '../stats/disclosure/audit.js'
import { MULTI_ATTRIBUTE } from '../stats/populations.js'

/** Most unknowns one population-year's program may have before a looser bound is used. */
export const MAX_UNKNOWNS = 20_000

/** Tolerance of the inward rounding of LP bounds. */
const EPS = 1e-6

/** One cell of a held table: its code in every dimension of the indicator (no TIME_PERIOD). */
export interface HeldCell {
  dims: Record<string, string>
  /** Absent when suppressed (or, with `noData`, not available). */
  value?: number
  /** A cell without a value that is not suppressed (OBS_STATUS M): it may be 0. */
  noData?: true
}

/** One table of the population-year as held, with the groups its grant gives. */
export interface HeldTable {
  indicator: string
  /** Dimensions the grant gives only in groups: group name -> member codes, or `rest`. */
  groups?: GroupsSpec
  cells: readonly HeldCell[]
}

export interface Interval {
  lower: number
  upper: number | null
}

export interface LinkedIntervals {
  /** One per cell asked for, in order; null when no exact program could be solved (see `note`). */
  intervals: Interval[] | null
  /** Why the intervals are not the exact ones; absent when they are. */
  note?: string
}

/**
 * The groups a recipient reads in `agreement` for `indicator` and `year`: per dimension of a
 * grant covering them that names groups (a later grant of the same indicator and year overrides
 * an earlier one, as the receiving checks read it). Undefined when none.
 */
export function grantGroups (agreement: Agreement, indicator: string, year: number): GroupsSpec | undefined {
  const grouped = [...grantedDimensions(agreement, indicator, year) ?? []].filter((e): e is [string, GroupsSpec[string]] => e[1] !== undefined)
  return grouped.length === 0 ? undefined : Object.fromEntries(grouped)
}

/** The program cannot give exact intervals: the caller uses a looser bound. */
class NoExactProgram extends Error {}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

/** How a table shows one attribute. */
interface View {
  attr: string
  /** The cell code a person with `code` falls in, or null when only in `_T`. */
  cellOf: (code: string) => string | null
  /** Codes the table names (detailed codes listed, group members). */
  named: readonly string[]
  /** The attribute is this table's own (groups not known). */
  own: boolean
}

interface Prepared {
  indicator: string
  dims: readonly string[]
  /** Counts (person, type) pairs (V5). */
  multi: boolean
  /** Dimensions broken down, in the indicator's order. */
  by: readonly string[]
  /** By dimension broken down (ASSIST of V5 included). */
  views: Map<string, View>
  /** Attribute -> dimension, for the attributes of persons it breaks down by (not V5's ASSIST). */
  attrDim: Map<string, string>
  cells: Map<string, HeldCell>
}

function keyOf (dims: readonly string[], codes: ReadonlyMap<string, string> | Record<string, string>): string {
  const get = codes instanceof Map ? (d: string) => codes.get(d) : (d: string) => (codes as Record<string, string>)[d]
  return dims.map(d => get(d) ?? TOTAL_CODE).join('|')
}

/** A published zero: a cell of the structure not listed, or listed as 0. */
function isZero (p: Prepared, codes: ReadonlyMap<string, string>): boolean {
  const cell = p.cells.get(keyOf(p.dims, codes))
  return cell === undefined || cell.value === 0
}

function prepare (tables: readonly HeldTable[], i: number, notes: Set<string>): Prepared {
  const t = tables[i]!
  const indicator = findIndicator(t.indicator)
  if (indicator === undefined) throw new NoExactProgram(`unknown indicator ${t.indicator}`)
  const dims = indicator.dimensions.map(d => d.id)
  const cells = new Map<string, HeldCell>()
  const seen = new Map(dims.map(d => [d, new Set<string>()]))
  for (const c of t.cells) {
    cells.set(keyOf(dims, c.dims), c)
    for (const d of dims) {
      const code = c.dims[d] ?? TOTAL_CODE
      if (code !== TOTAL_CODE) seen.get(d)!.add(code)
    }
  }
  const by = dims.filter(d => seen.get(d)!.size > 0)
  const views = new Map<string, View>()
  const attrDim = new Map<string, string>()
  for (const d of by) {
    const codes = [...seen.get(d)!].sort(cmp)
    const groups = t.groups?.[d]
    let view: View
    if (groups !== undefined) {
      const member = new Map<string, string>()
      let rest: string | null = null
      for (const [name, members] of Object.entries(groups)) {
        if (members === 'rest') rest = name
        else for (const c of members) member.set(c, name)
      }
      const unknown = codes.find(c => !Object.hasOwn(groups, c))
      if (unknown !== undefined) throw new NoExactProgram(`${t.indicator} shows ${d} ${unknown}, which is no group of its grant`)
      view = { attr: d, cellOf: c => member.get(c) ?? rest, named: [...member.keys()].sort(cmp), own: false }
    } else if (codes.every(c => isCodeOf(dimensionCodelist(d)!, c))) {
      view = { attr: d, cellOf: c => c, named: codes, own: false }
    } else {
      // Groups of an agreement this node does not hold: their members are unknown, so the
      // dimension is this table's own attribute, linked to no other table.
      const linkedElsewhere = tables.some((o, j) => j !== i && o.cells.some(c => (c.dims[d] ?? TOTAL_CODE) !== TOTAL_CODE))
      if (linkedElsewhere) notes.add(`the groups of ${d} in ${t.indicator} are not known to this node (no agreement held with the release's hash), so ${t.indicator} is not linked to other indicators by ${d}`)
      view = { attr: `${d}@${t.indicator}`, cellOf: c => codes.includes(c) ? c : null, named: codes, own: true }
    }
    views.set(d, view)
    if (indicator.multiCount && d === MULTI_ATTRIBUTE) {
      if (view.own || groups !== undefined) throw new NoExactProgram(`${t.indicator} shows ${d} in groups`)
      continue
    }
    attrDim.set(view.attr, d)
  }
  return { indicator: t.indicator, dims, multi: indicator.multiCount, by, views, attrDim, cells }
}

/** An attribute's classes of codes: for each, the cell code it falls in per table (by index; undefined where the table does not break down by it). */
interface Attribute {
  id: string
  classes: Array<Array<string | null | undefined>>
}

function attributes (prepared: readonly Prepared[]): Attribute[] {
  const ids = [...new Set(prepared.flatMap(p => [...p.attrDim.keys()]))].sort(cmp)
  return ids.map(id => {
    const holders = prepared.map((p, i) => [p, i] as const).filter(([p]) => p.attrDim.has(id))
    const views = holders.map(([p]) => p.views.get(p.attrDim.get(id)!)!)
    const universe = new Set<string>(views.flatMap(v => v.named))
    if (!views[0]!.own) {
      const dim = holders[0]![0].attrDim.get(id)!
      for (const c of codesOf(dim) ?? AREA_CODES.map(a => a.code)) universe.add(c)
    }
    const classes = new Map<string, Array<string | null | undefined>>()
    for (const code of [...universe].sort(cmp)) {
      const cellsOf: Array<string | null | undefined> = prepared.map(() => undefined)
      let dead = false
      holders.forEach(([p, i], k) => {
        const cell = views[k]!.cellOf(code)
        cellsOf[i] = cell
        // Nobody has a code whose one-dimensional margin is a published 0 in a table of persons.
        if (cell !== null && !p.multi && isZero(p, new Map([[p.attrDim.get(id)!, cell]]))) dead = true
      })
      if (dead) continue
      const sig = JSON.stringify(cellsOf)
      if (!classes.has(sig)) classes.set(sig, cellsOf)
    }
    return { id, classes: [...classes].sort(([a], [b]) => cmp(a, b)).map(([, c]) => c) }
  })
}

/** Maximal cliques of the graph of `edges` made chordal by least fill-in elimination. */
function cliquesOf (nodes: readonly string[], edges: ReadonlyArray<readonly string[]>): string[][] {
  if (nodes.length === 0) return [[]]
  const adj = new Map(nodes.map(n => [n, new Set<string>()]))
  for (const e of edges) for (const a of e) for (const b of e) if (a !== b) adj.get(a)!.add(b)
  const remaining = new Set(nodes)
  const found: string[][] = []
  while (remaining.size > 0) {
    let best: { v: string, fill: number, degree: number } | undefined
    for (const v of [...remaining].sort(cmp)) {
      const nb = [...adj.get(v)!].filter(n => remaining.has(n))
      let fill = 0
      for (let a = 0; a < nb.length; a++) for (let b = a + 1; b < nb.length; b++) if (!adj.get(nb[a]!)!.has(nb[b]!)) fill++
      if (best === undefined || fill < best.fill || (fill === best.fill && nb.length < best.degree)) best = { v, fill, degree: nb.length }
    }
    const v = best!.v
    const nb = [...adj.get(v)!].filter(n => remaining.has(n))
    for (const a of nb) for (const b of nb) if (a !== b) adj.get(a)!.add(b)
    found.push([v, ...nb].sort(cmp))
    remaining.delete(v)
  }
  const maximal: string[][] = []
  found.forEach((c, i) => {
    const inside = found.some((o, j) => j !== i && o.length >= c.length && c.every(x => o.includes(x)) && (o.length > c.length || j < i))
    if (!inside) maximal.push(c)
  })
  return maximal
}

/** The edges of a junction tree over `cliques`: maximum-weight spanning tree on intersections. */
function junctionTree (cliques: readonly string[][]): Array<[number, number]> {
  const pairs: Array<[number, number, number]> = []
  for (let i = 0; i < cliques.length; i++) {
    for (let j = i + 1; j < cliques.length; j++) pairs.push([i, j, cliques[i]!.filter(x => cliques[j]!.includes(x)).length])
  }
  pairs.sort((a, b) => b[2] - a[2] || a[0] - b[0] || a[1] - b[1])
  const parent = cliques.map((_, i) => i)
  const root = (i: number): number => parent[i] === i ? i : (parent[i] = root(parent[i]!))
  const tree: Array<[number, number]> = []
  for (const [i, j] of pairs) {
    const [a, b] = [root(i), root(j)]
    if (a === b) continue
    parent[a] = b
    tree.push([i, j])
  }
  return tree
}

/** Every subset of `items` (as index lists), the empty one first. */
function subsets (n: number): number[][] {
  const out: number[][] = [[]]
  for (let i = 0; i < n; i++) for (const s of [...out]) out.push([...s, i])
  return out
}

/** A linear program under construction: columns >= 0, rows with bounds. */
class Program {
  readonly starts = [0]
  readonly indices: number[] = []
  readonly values: number[] = []
  readonly lower: number[] = []
  readonly upper: number[] = []
  columns = 0

  row (cols: ReadonlyArray<readonly [number, number]>, lower: number, upper: number): void {
    const merged = new Map<number, number>()
    for (const [c, v] of cols) merged.set(c, (merged.get(c) ?? 0) + v)
    for (const [c, v] of [...merged].sort((a, b) => a[0] - b[0])) {
      if (v === 0) continue
      this.indices.push(c)
      this.values.push(v)
    }
    this.starts.push(this.indices.length)
    this.lower.push(lower)
    this.upper.push(upper)
  }
}

/** A program with the columns its rows fix taken out: what is left for the solver. */
interface Reduced {
  program: Program
  colLower: Float64Array
  colUpper: Float64Array
  /** Old column -> new column, or -1 when fixed (at `fixed`). */
  map: Int32Array
  fixed: Float64Array
}

/**
 * Takes out of `p` what its rows settle without a solver, repeatedly: a row left with one
 * column is a bound on it (a published cell of a single unknown fixes it), a row of positive
 * coefficients whose upper bound is its least possible sum fixes all its columns at their least.
 * Fixed columns are replaced by their values. Throws when a row cannot hold. Exact: the rows
 * taken out hold for every point of the program left.
 */
function reduce (p: Program): Reduced {
  const n = p.columns
  const rows = p.lower.length
  const colLower = new Float64Array(n)
  const colUpper = new Float64Array(n).fill(Number.POSITIVE_INFINITY)
  const isFixed = new Uint8Array(n)
  const fixed = new Float64Array(n)
  const dropped = new Uint8Array(rows)
  const rowsOf: number[][] = Array.from({ length: n }, () => [])
  for (let r = 0; r < rows; r++) for (let k = p.starts[r]!; k < p.starts[r + 1]!; k++) rowsOf[p.indices[k]!]!.push(r)
  const infeasible = (): never => { throw new NoExactProgram('the tables held fit no counts: they contradict the publication rules') }
  const queue: number[] = Array.from({ length: rows }, (_, r) => r)
  let head = 0
  const queued = new Uint8Array(rows).fill(1)
  const fix = (c: number, v: number): void => {
    if (v < colLower[c]! - EPS || v > colUpper[c]! + EPS) infeasible()
    isFixed[c] = 1
    fixed[c] = v
    for (const r of rowsOf[c]!) if (dropped[r] === 0 && queued[r] === 0) { queued[r] = 1; queue.push(r) }
  }
  while (head < queue.length) {
    const r = queue[head++]!
    queued[r] = 0
    if (dropped[r] === 1) continue
    let shift = 0
    const free: number[] = []
    const coef: number[] = []
    for (let k = p.starts[r]!; k < p.starts[r + 1]!; k++) {
      const c = p.indices[k]!
      if (isFixed[c] === 1) shift += p.values[k]! * fixed[c]!
      else { free.push(c); coef.push(p.values[k]!) }
    }
    const lo = p.lower[r]! - shift
    const up = p.upper[r]! - shift
    if (free.length === 0) {
      if (lo > EPS || up < -EPS) infeasible()
      dropped[r] = 1
    } else if (free.length === 1) {
      const [c, a] = [free[0]!, coef[0]!]
      const [from, to] = a > 0 ? [lo / a, up / a] : [up / a, lo / a]
      colLower[c] = Math.max(colLower[c]!, from)
      colUpper[c] = Math.min(colUpper[c]!, to)
      dropped[r] = 1
      if (colLower[c]! > colUpper[c]! + EPS) infeasible()
      if (colUpper[c]! - colLower[c]! <= EPS) fix(c, colLower[c]!)
    } else if (coef.every(a => a > 0)) {
      const least = free.reduce((sum, c, k) => sum + coef[k]! * colLower[c]!, 0)
      if (up < least - EPS) infeasible()
      if (up <= least + EPS) {
        dropped[r] = 1
        free.forEach(c => fix(c, colLower[c]!))
      }
    }
  }
  const map = new Int32Array(n).fill(-1)
  const out = new Program()
  const lower: number[] = []
  const upper: number[] = []
  for (let c = 0; c < n; c++) {
    if (isFixed[c] === 1) continue
    map[c] = out.columns++
    lower.push(colLower[c]!)
    upper.push(colUpper[c]!)
  }
  for (let r = 0; r < rows; r++) {
    if (dropped[r] === 1) continue
    let shift = 0
    const cols: Array<readonly [number, number]> = []
    for (let k = p.starts[r]!; k < p.starts[r + 1]!; k++) {
      const c = p.indices[k]!
      if (isFixed[c] === 1) shift += p.values[k]! * fixed[c]!
      else cols.push([map[c]!, p.values[k]!])
    }
    out.row(cols, p.lower[r]! - shift, p.upper[r]! - shift)
  }
  return { program: out, colLower: Float64Array.from(lower), colUpper: Float64Array.from(upper), map, fixed }
}

/**
 * The exact intervals of the cells `wanted` (each a cell of table `table`, suppressed there) over
 * the population-year held in `tables` (one publisher, one year, indicators of one population,
 * at most one table per indicator).
 */
export async function linkedIntervals (tables: readonly HeldTable[], wanted: ReadonlyArray<{ table: number, dims: Record<string, string> }>): Promise<LinkedIntervals> {
  const notes = new Set<string>()
  let built: Built
  try {
    built = build(tables, notes)
  } catch (err) {
    if (err instanceof NoExactProgram) return { intervals: null, note: err.message }
    throw err
  }
  const note = notes.size === 0 ? {} : { note: [...notes].join('; ') }
  const targets = wanted.map((w): Target => {
    const p = built.prepared[w.table]!
    const key = keyOf(p.dims, w.dims)
    const cell = p.cells.get(key)
    // What the cell's row already says: its value when published, >= 1 when suppressed, >= 0 else.
    const known = cell === undefined ? 0 : cell.value
    const floor = cell === undefined ? 0 : cell.value ?? (cell.noData === true ? 0 : 1)
    return { cols: built.cellColumns(w.table, key), floor, ...(known === undefined ? {} : { known }) }
  })
  if (built.program.columns === 0) return { intervals: null, note: 'the tables held fit no counts: they contradict the publication rules' }
  const highs = await loadSolver()
  try {
    return { intervals: solve(highs, built.program, targets), ...note }
  } catch (err) {
    if (err instanceof NoExactProgram) return { intervals: null, note: err.message }
    throw err
  }
}

interface Built {
  prepared: Prepared[]
  program: Program
  /** The columns (with coefficients) a cell of table `t` sums, by its key. */
  cellColumns: (t: number, key: string) => Array<readonly [number, number]>
}

function build (tables: readonly HeldTable[], notes: Set<string>): Built {
  const prepared = tables.map((_, i) => prepare(tables, i, notes))
  const attrs = attributes(prepared)
  const attrIndex = new Map(attrs.map((a, i) => [a.id, i]))
  const edges = prepared.map(p => [...p.attrDim.keys()].sort(cmp))
  const cliques = cliquesOf(attrs.map(a => a.id), edges)
  const home = edges.map(e => cliques.findIndex(c => e.every(a => c.includes(a))))
  const persons = prepared.map((p, i) => [p, i] as const).filter(([p]) => !p.multi)
  const program = new Program()

  // Unknowns: the tuples of each clique inside no published zero of a table of persons.
  const tuples: number[][][] = []
  const offset: number[] = []
  for (const clique of cliques) {
    let list: number[][] = persons.some(([p]) => isZero(p, new Map())) ? [] : [[]]
    clique.forEach((attr, k) => {
      const a = attrs[attrIndex.get(attr)!]!
      const holders = persons.filter(([p]) => p.attrDim.has(attr)).map(([p, i]) => ({ p, i, others: clique.slice(0, k).filter(o => p.attrDim.has(o)) }))
      const next: number[][] = []
      for (const tuple of list) {
        for (let cls = 0; cls < a.classes.length; cls++) {
          const blocked = holders.some(({ p, i, others }) => {
            const mine = a.classes[cls]![i]
            if (mine === null || mine === undefined) return false
            return subsets(others.length).some(s => {
              const codes = new Map([[p.attrDim.get(attr)!, mine]])
              for (const o of s) {
                const other = others[o]!
                const code = attrs[attrIndex.get(other)!]!.classes[tuple[clique.indexOf(other)]!]![i]
                if (code === null || code === undefined) return false
                codes.set(p.attrDim.get(other)!, code)
              }
              return isZero(p, codes)
            })
          })
          if (!blocked) next.push([...tuple, cls])
        }
      }
      if (next.length > MAX_UNKNOWNS) throw new NoExactProgram(`the linear program would have more than ${MAX_UNKNOWNS} unknowns`)
      list = next
    })
    offset.push(program.columns)
    program.columns += list.length
    tuples.push(list)
  }
  if (program.columns > MAX_UNKNOWNS) throw new NoExactProgram(`the linear program would have more than ${MAX_UNKNOWNS} unknowns`)

  const projection = (c: number, attrsOf: readonly string[], tuple: readonly number[]): string => attrsOf.map(a => tuple[cliques[c]!.indexOf(a)]).join(',')
  const byProjection = (c: number, attrsOf: readonly string[]): Map<string, number[]> => {
    const out = new Map<string, number[]>()
    tuples[c]!.forEach((tuple, k) => {
      const key = projection(c, attrsOf, tuple)
      const list = out.get(key) ?? []
      list.push(offset[c]! + k)
      out.set(key, list)
    })
    return out
  }

  // Neighbouring cliques agree on their intersection.
  for (const [i, j] of junctionTree(cliques)) {
    const sep = cliques[i]!.filter(a => cliques[j]!.includes(a))
    const left = byProjection(i, sep)
    const right = byProjection(j, sep)
    for (const key of [...new Set([...left.keys(), ...right.keys()])].sort(cmp)) {
      program.row([...(left.get(key) ?? []).map(c => [c, 1] as const), ...(right.get(key) ?? []).map(c => [c, -1] as const)], 0, 0)
    }
  }

  // The columns in each cell of each table, by the cell's key.
  const columnsOf: Array<Map<string, Array<readonly [number, number]>>> = prepared.map(() => new Map())
  const add = (t: number, codes: ReadonlyMap<string, string>, col: number, coef: number): void => {
    const key = keyOf(prepared[t]!.dims, codes)
    const list = columnsOf[t]!.get(key) ?? []
    list.push([col, coef])
    columnsOf[t]!.set(key, list)
  }
  for (const [p, t] of persons) {
    const own = edges[t]!
    tuples[home[t]!]!.forEach((tuple, k) => {
      const codes = own.map(a => attrs[attrIndex.get(a)!]!.classes[tuple[cliques[home[t]!]!.indexOf(a)]!]![t])
      for (const s of subsets(own.length)) {
        if (s.some(x => codes[x] === null)) continue
        add(t, new Map(s.map(x => [p.attrDim.get(own[x]!)!, codes[x]!])), offset[home[t]!]! + k, 1)
      }
    })
  }

  // V5: persons of each projection who received each type of assistance.
  const infinity = Number.POSITIVE_INFINITY
  for (const [p, t] of prepared.map((q, i) => [q, i] as const).filter(([q]) => q.multi)) {
    const q = edges[t]!
    const h = home[t]!
    const groups = byProjection(h, q)
    const types = p.by.includes(MULTI_ATTRIBUTE) ? (codesOf(MULTI_ATTRIBUTE) ?? []).map(code => ({ code, times: 1 })) : [{ code: null, times: (codesOf(MULTI_ATTRIBUTE) ?? []).length }]
    const dimsQ = q.map(a => p.attrDim.get(a)!)
    for (const [key, members] of [...groups].sort(([a], [b]) => cmp(a, b))) {
      const classes = key === '' ? [] : key.split(',').map(Number)
      const codes = q.map((a, x) => attrs[attrIndex.get(a)!]!.classes[classes[x]!]![t])
      for (const type of types) {
        // Every cell of the V5 structure holding this (projection, type): none may be a zero.
        const cellsOf: Array<Map<string, string>> = []
        for (const s of subsets(q.length)) {
          if (s.some(x => codes[x] === null)) continue
          const base = new Map(s.map(x => [dimsQ[x]!, codes[x]!]))
          cellsOf.push(base)
          if (type.code !== null) cellsOf.push(new Map([...base, [MULTI_ATTRIBUTE, type.code]]))
        }
        if (cellsOf.some(c => isZero(p, c))) continue
        const col = program.columns++
        if (program.columns > MAX_UNKNOWNS) throw new NoExactProgram(`the linear program would have more than ${MAX_UNKNOWNS} unknowns`)
        program.row([[col, 1], ...members.map(c => [c, -type.times] as const)], -infinity, 0)
        for (const c of cellsOf) add(t, c, col, 1)
      }
    }
  }

  // Every cell held: its value, or at least 1 when suppressed. Zeros are the columns left out.
  prepared.forEach((p, t) => {
    for (const key of [...p.cells.keys()].sort(cmp)) {
      const cell = p.cells.get(key)!
      if (cell.value === undefined && cell.noData === true) continue
      const cols = columnsOf[t]!.get(key) ?? []
      if (cell.value === undefined) program.row(cols, 1, infinity)
      else program.row(cols, cell.value, cell.value)
    }
  })
  return { prepared, program, cellColumns: (t, key) => columnsOf[t]!.get(key) ?? [] }
}

/** A cell whose interval is wanted: the columns it sums, the least value its own row allows, its value when published. */
interface Target {
  cols: ReadonlyArray<readonly [number, number]>
  floor: number
  known?: number
}

/** Feasible points kept to settle minima without solving. */
const POOL_SIZE = 32

function solve (highs: Highs, full: Program, targets: readonly Target[]): Interval[] {
  const { program, colLower, colUpper, map, fixed } = reduce(full)
  // Each target on the columns left, plus what the fixed ones add.
  const reduced = targets.map(t => {
    let constant = 0
    const cols: Array<readonly [number, number]> = []
    for (const [c, v] of t.cols) {
      if (map[c] === -1) constant += v * fixed[c]!
      else cols.push([map[c]!, v])
    }
    return { ...t, cols, constant }
  })
  const n = program.columns
  const round = (min: number, max: number | null): Interval => ({ lower: Math.max(0, Math.ceil(min - EPS)), upper: max === null ? null : Math.floor(max + EPS) })
  if (n === 0) return reduced.map(t => t.known !== undefined ? { lower: t.known, upper: t.known } : round(t.constant, t.constant))
  const inf = highs.infinity
  const model = highs.createModel({
    numCols: n,
    numRows: program.lower.length,
    colCost: new Float64Array(n),
    colLower,
    colUpper: colUpper.map(v => v === Number.POSITIVE_INFINITY ? inf : v),
    rowLower: program.lower.map(v => v === Number.NEGATIVE_INFINITY ? -inf : v),
    rowUpper: program.upper.map(v => v === Number.POSITIVE_INFINITY ? inf : v),
    matrix: { format: 'csr', numRows: program.lower.length, numCols: n, starts: program.starts, indices: program.indices, values: program.values },
  })
  // Warm-started primal simplex: successive solves only change the objective.
  model.options.set({ output_flag: false, presolve: 'off', solver: 'simplex', simplex_strategy: 4 })
  const codes = highs.constants.modelStatus
  // Optimal points met so far (each feasible), newest last.
  const pool: Float64Array[] = []
  const run = (cost: Float64Array, maximize: boolean): number | null => {
    model.changeColsCost({ kind: 'range', from: 0, to: n - 1 }, cost)
    model.changeObjectiveSense(maximize ? highs.constants.objectiveSense.maximize : highs.constants.objectiveSense.minimize)
    let status = model.run().modelStatus
    if (status !== codes.optimal && status !== codes.unbounded && status !== codes.infeasible) {
      model.clearSolver()
      status = model.run().modelStatus
    }
    if (status === codes.optimal) {
      pool.push(model.getSolution().colValue)
      if (pool.length > POOL_SIZE) pool.shift()
      return model.getObjectiveValue()
    }
    if (status === codes.infeasible) throw new NoExactProgram('the tables held fit no counts: they contradict the publication rules')
    // Feasible (checked first): a maximum that is not optimal is unbounded.
    if (maximize && (status === codes.unbounded || status === codes.unboundedOrInfeasible)) return null
    throw new Error(`regional totals: LP ended with status ${status}`)
  }
  try {
    run(new Float64Array(n), false)
    return reduced.map(t => {
      if (t.known !== undefined) return { lower: t.known, upper: t.known }
      if (t.cols.length === 0) return round(t.constant, t.constant)
      const cost = new Float64Array(n)
      for (const [c, v] of t.cols) cost[c] = cost[c]! + v
      // A feasible point where the cell is at the least its own row allows settles the minimum.
      const atFloor = pool.some(p => t.constant + t.cols.reduce((sum, [c, v]) => sum + v * p[c]!, 0) <= t.floor + EPS)
      const min = atFloor ? t.floor : t.constant + run(cost, false)!
      const max = run(cost, true)
      return round(min, max === null ? null : t.constant + max)
    })
  } finally {
    model.dispose()
  }
}
