/**
 * An independent auditor of published statistical tables, computed as an attacker would.
 *
 * It takes everything that every recipient ever received from one publishing node, pools it, and
 * asks for every hidden (suppressed) cell: what are the smallest and the largest values this cell
 * can take, given all of it? It shares no code with the disclosure-control engine in `src/`: it
 * reads only `protocol/codelists.json` and `protocol/indicators.json` and solves linear programs
 * with HiGHS (the `highs` package).
 *
 * ## The model
 *
 * **Populations.** V1..V5 count the same persons (population `victims`), C3 and C4 the persons
 * convicted in the year (`convicted`); C1 (`suspected`) and C2 (`prosecuted`) stand alone. Tables of
 * one population and year are linked; different population-years are separate problems.
 *
 * **Profiles.** A dimension id names one attribute of a person in every indicator of the
 * population. Conceptually the unknowns are the counts `n[p] >= 0` of persons of each *profile*
 * `p`: a code for every dimension that some table of the population-year breaks down by
 * (dimensions that are `_T` everywhere are not split). A cell of a person-counting indicator is the
 * sum of `n[p]` over the profiles whose codes fall in the cell (a code, a group's members, or
 * anything for `_T`); cells of different indicators with the same person set (V1's total and V2's
 * total, say) are one row.
 *
 * **Table structure is data independent.** A table (indicator, year, `by`, groups) has every
 * combination, for every subset of `by`, of the codes (or group names) of those dimensions, with `_T`
 * elsewhere. A cell of that structure that was not received is a published 0; a received cell
 * without a value is hidden, and a hidden cell is at least 1 (zeros are always published).
 *
 * **Cliques instead of full profiles.** The full profile space multiplies independent blocks
 * (V1's four dimensions times V3's citizenship/country pairs times V4's agencies...), so the
 * program is written on a junction tree instead: the graph joining dimensions that some table
 * breaks down by together is triangulated (greedy minimum fill-in), and the unknowns are the counts
 * per tuple of codes of each maximal clique, with the counts of neighbouring cliques equal on their
 * separator (and every clique's total equal). Every table's `by` lies in a clique, and a cell's row
 * is written on the first clique holding its non-`_T` dimensions. For a linear program this is
 * exact, not a relaxation: non-negative clique counts that agree on the separators of a junction
 * tree are the margins of some non-negative profile table (`n = prod n_C / prod n_S`), so every
 * cell takes exactly the values it takes in the full-profile program.
 *
 * **Pruning.** Every tuple inside a published zero of a person-counting table is 0 and gets no
 * variable: tuples are enumerated one dimension at a time, and a partial tuple is dropped as soon
 * as the cell of some table holding it (with the dimensions not yet assigned at `_T`) is a zero.
 * The codes tried for a dimension are those whose one-dimensional margin is not zero in some state
 * that breaks down by it (a code dead wherever the dimension is seen can be relabelled to a live code
 * in a state that does not see it, without changing any published cell). Codes that every table of
 * the chain puts in the same cell (members of one group in every grouping received, never shown
 * alone) are one unknown. This keeps AREA x AREA (V3) tractable: only the citizenship/country pairs
 * (or group pairs) with a nonzero cell remain.
 *
 * **Multi-count (V5).** A person counts once per type of assistance received. Instead of one
 * variable per profile and set of ASSIST flags (2^12 of them), the model keeps, per projection `q`
 * of the profile on the dimensions that V5 tables break down by (SEX, AGE_GROUP) and per ASSIST code
 * `a`, the number `y[q][a]` of persons of `q` who received `a`, with `0 <= y[q][a] <= N[q]`, the
 * persons of `q` (a sum of clique counts: all V5 dimensions but ASSIST are kept in one clique). A
 * V5 cell with ASSIST = `a` is the sum of `y[q][a]` over its `q`; with ASSIST = `_T` (or in a V5
 * table that does not break down by ASSIST) it is the sum over every code `a` of the full ASSIST
 * codelist: the person-weighted count "number of flags set", with 0/1 coefficients on `y`. This
 * is the projection of the per-flag-set model, not a relaxation of it: any `y` with
 * `0 <= y[q][a] <= N[q]` is realised by handing assistance `a` to `y[q][a]` of the `N[q]` persons,
 * independently per code. V5 zeros prune `y` (a zero with ASSIST = `a` kills `y[q][a]`, a zero with
 * ASSIST = `_T` kills every `y[q][.]`), never `n`: a person may have no assistance at all. V5 cells
 * are never merged with cells of another indicator. ASSIST cannot be grouped (the protocol forbids
 * it); a grouped ASSIST is rejected.
 *
 * **Groups.** A grouped dimension's cell `g` counts the persons whose code is among `g`'s members
 * (`rest`: the codes of the codelist no other group of that dimension in that table names). Tables
 * may group one dimension differently, overlapping and not nested: each cell is its own row over
 * the detailed profiles. A code in no group of a table (possible only without `rest`) is counted only
 * in that table's `_T` cells.
 *
 * **Revisions (rounds).** Tables of one round describe one state of the records. Going through the
 * rounds of a population-year in order:
 * - with an entry in `options.changes` for round `r`, round `r` is a new state linked to the state
 *   before it: `n_r[p] = n_{r-1}[p] + add[p] - wd[p]`, `add, wd >= 0`, `wd[p] <= n_{r-1}[p]`,
 *   `sum(add) = added`, `sum(wd) = withdrawn` (written per clique tuple, with `add` and `wd`
 *   consistent on the separators too; the cliques cover the tables of every linked round). For
 *   V5 the flag counts follow: `y_r = y_{r-1} + u - v` with `0 <= u[q][a] <= add[q]`,
 *   `0 <= v[q][a] <= min(wd[q], y_{r-1}[q][a])` and
 *   `y_{r-1}[q][a] - v[q][a] <= N_{r-1}[q] - wd[q]` (records change only by being added or
 *   withdrawn);
 * - without an entry, round `r` is the same state as the one before when no value published in
 *   both differs (a cell of the same person set, in any person-counting indicator or in the same
 *   V5, a missing cell of the structure counting as 0, a hidden cell as no value) and the tables
 *   of both rounds together still fit one state (the merged linear program is feasible: values can
 *   move without any single cell differing); a round with no table at all changes nothing;
 * - without an entry and with a differing value, round `r` starts an independent state, a problem
 *   of its own (the attacker knows nothing about what changed, so nothing links the two).
 * A round with an entry but no table is a state without cells (it only links its neighbours).
 *
 * **What is reported.** For every distinct hidden cell (population, year, round, indicator, key:
 * the same cell hidden from several recipients is one), the minimum and maximum of its value over
 * the linear program. Counts are integers, so the bounds are rounded inward (`ceil(min - 1e-6)`,
 * `floor(max + 1e-6)`): an attacker may do the same. `upper` is null when the maximum is unbounded.
 * A cell is a failure when `upper !== null` and `upper - lower < T` or `upper < T` (with a 1e-6
 * tolerance). A cell hidden in one table but published (or absent, 0) in another one of the same
 * state is known exactly (or contradicts "hidden >= 1"). Received tables that contradict each other
 * or this model (an infeasible program) make `auditReceived` throw.
 *
 * **What the attacker is not credited with** (so the intervals may be wider than a cleverer
 * attacker's): integrality beyond the final rounding; any link between CITIZENSHIP (AREA) and
 * CITIZEN_GRP, or between indicators of different populations.
 */
import { readFileSync } from 'node:fs'
import type { Highs } from 'highs'

export interface ReceivedTable {
  recipient: string
  /** Publish round (0, 1, 2, ...): releases of one round describe the same state of the records. */
  round: number
  indicator: string
  year: number
  /** The dimensions this table breaks down by (the grant). Every other dimension is `_T` in every cell. */
  by: string[]
  /** Dimensions granted only in groups: group name -> list of codelist codes, or 'rest' (every code of the dimension's codelist not named by another group of it). */
  groups?: Record<string, Record<string, string[] | 'rest'>>
  /** Cells as received: key maps each dimension of the indicator to a code, a group name, or `_T` (no TIME_PERIOD). value undefined = hidden (suppressed). */
  cells: Array<{ key: Record<string, string>, value?: number }>
}

export interface AuditOptions {
  threshold: number
  /** Per population-year and round > 0: how many records were added and withdrawn since the previous round (the attacker may know these). Default: the attacker knows nothing and the data are taken as unchanged when no published value differs. */
  changes?: Array<{ population: string, year: number, round: number, added: number, withdrawn: number }>
  /** Also bound the persons added to and withdrawn from every cell of a linked state (see AuditReport.changes). */
  changeIntervals?: boolean
}

export interface HiddenInterval {
  population: string
  year: number
  round: number
  indicator: string
  /** Codes joined with | in the indicator's dimension order. */
  key: string
  lower: number
  upper: number | null
}

/** The persons added to or withdrawn from one cell between a linked state and the one before. */
export interface ChangeInterval extends HiddenInterval {
  /** `round` is the revision's: the first round of the state linked to the one before. */
  direction: 'added' | 'withdrawn'
  /** The first table of the state that lists the cell (one cell may be in several tables, of later rounds too): `key` is in its terms. */
  table: { recipient: string, round: number }
}

export interface AuditReport {
  intervals: HiddenInterval[]
  /**
   * With `options.changes` and `changeIntervals`: for every cell of a table in a state linked to
   * the one before, the interval of the persons added to it and withdrawn from it (in V5, of the
   * (person, type of assistance) pairs: the flags `u` and `v` above). The rule protects a change
   * of 1 to T - 1 persons in a cell like a hidden cell (width and upper bound >= T). Without the
   * truth an auditor cannot tell a 0 from a small change, nor a small change from a large one; an
   * interval within [1, T - 1] is certainly a small change disclosed: those are `changeFailures`.
   * Tests that know the truth check the others.
   */
  changes: ChangeInterval[]
  changeFailures: ChangeInterval[]
  /** Intervals with upper !== null && (upper - lower < T || upper < T). */
  failures: HiddenInterval[]
  /** Columns of all the linear programs solved. */
  variables: number
}

const TOTAL = '_T'
const EPS = 1e-6

// ---------------------------------------------------------------------------------------------
// Protocol

interface IndicatorDef {
  id: string
  population: string
  dims: Array<{ id: string, codes: readonly string[] }>
  multiCount: boolean
}

interface Protocol {
  indicators: Map<string, IndicatorDef>
  /** Dimension id -> codes of its codelist. */
  codes: Map<string, readonly string[]>
}

let protocolCache: Protocol | undefined

function readJson (name: string): unknown {
  return JSON.parse(readFileSync(new URL(`../../protocol/${name}`, import.meta.url), 'utf8'))
}

const POPULATION_BY_INDICATOR: Record<string, string> = { C1: 'suspected', C2: 'prosecuted', C3: 'convicted', C4: 'convicted' }

function protocol (): Protocol {
  if (protocolCache !== undefined) return protocolCache
  const cl = readJson('codelists.json') as { codelists: Array<{ id: string, codes: Array<{ code: string }> }>, area: { codes: Array<{ code: string }> } }
  const ind = readJson('indicators.json') as { indicators: Array<{ id: string, source: string, dimensions: Array<{ id: string, codelist: string }>, multiCount?: boolean }> }
  const lists = new Map<string, string[]>(cl.codelists.map(c => [c.id, c.codes.map(x => x.code)]))
  lists.set('AREA', cl.area.codes.map(x => x.code))
  const indicators = new Map<string, IndicatorDef>()
  const codes = new Map<string, readonly string[]>()
  for (const i of ind.indicators) {
    const population = i.source === 'victims' ? 'victims' : POPULATION_BY_INDICATOR[i.id]
    if (population === undefined) throw new Error(`independent auditor: no population known for indicator ${i.id}`)
    const dims = i.dimensions.map(d => {
      const list = lists.get(d.codelist)
      if (list === undefined) throw new Error(`independent auditor: unknown codelist ${d.codelist}`)
      const seen = codes.get(d.id)
      if (seen !== undefined && seen !== list) throw new Error(`independent auditor: dimension ${d.id} has two codelists`)
      codes.set(d.id, list)
      return { id: d.id, codes: list }
    })
    indicators.set(i.id, { id: i.id, population, dims, multiCount: i.multiCount === true })
  }
  protocolCache = { indicators, codes }
  return protocolCache
}

// ---------------------------------------------------------------------------------------------
// Received tables, prepared

interface Table {
  src: ReceivedTable
  def: IndicatorDef
  /** Per position of the indicator's dimensions: whether it is in `by`. */
  inBy: boolean[]
  /** Position of the multi-count dimension (ASSIST), or -1. */
  flagPos: number
  /** Per position in by: codelist code -> the cell code that counts it (itself or its group's name); a code of no group is counted only in `_T`. */
  cellOf: Array<Map<string, string> | undefined>
  /** Per position in by: cell code -> its member codes, sorted and joined with ',' (canonical form). */
  membersOf: Array<Map<string, string> | undefined>
  /** Per position in by: canonical members -> cell code. */
  cellOfMembers: Array<Map<string, string> | undefined>
  /** Received cells: key (cell codes joined with |) -> value, or null when hidden. Absent from the structure's cells: 0. */
  status: Map<string, number | null>
  /** Indicator, by and groups: tables of one signature have the same structure. */
  signature: string
  /** Per position: index of the dimension in the chain's profile dimensions (-1: not in by, or the flag); set per chain. */
  posToD: number[]
}

function fail (message: string): never {
  throw new Error(`independent auditor: ${message}`)
}

/** The received tables contradict each other, or the model (no state of the records fits them all). */
class Contradiction extends Error {}

function contradiction (message: string): never {
  throw new Contradiction(`independent auditor: ${message}`)
}

function prepare (src: ReceivedTable): Table {
  const def = protocol().indicators.get(src.indicator) ?? fail(`unknown indicator ${src.indicator}`)
  const where = `${src.recipient} round ${src.round} ${src.indicator} ${src.year}`
  const ids = def.dims.map(d => d.id)
  for (const d of src.by) if (!ids.includes(d)) fail(`${where}: ${src.indicator} has no dimension ${d}`)
  for (const d of Object.keys(src.groups ?? {})) if (!src.by.includes(d)) fail(`${where}: ${d} is grouped but not in by`)
  const flagPos = def.multiCount ? 0 : -1
  const inBy = ids.map(id => src.by.includes(id))
  const cellOf: Table['cellOf'] = []
  const membersOf: Table['membersOf'] = []
  const cellOfMembers: Table['cellOfMembers'] = []
  const sig: string[] = []
  def.dims.forEach((dim, pos) => {
    if (!inBy[pos]) { cellOf.push(undefined); membersOf.push(undefined); cellOfMembers.push(undefined); return }
    const groups = src.groups?.[dim.id]
    const cells = new Map<string, string>()
    const members = new Map<string, string>()
    if (groups === undefined) {
      for (const c of dim.codes) { cells.set(c, c); members.set(c, c) }
      sig.push(`${dim.id}:*`)
    } else {
      if (pos === flagPos) fail(`${where}: ${dim.id} counts a person once per code and cannot be grouped`)
      const named = new Set<string>()
      for (const m of Object.values(groups)) {
        if (m === 'rest') continue
        for (const c of m) {
          if (!dim.codes.includes(c)) fail(`${where}: ${c} is not a code of ${dim.id}`)
          if (named.has(c)) fail(`${where}: ${c} is in two groups of ${dim.id}`)
          named.add(c)
        }
      }
      for (const [name, m] of Object.entries(groups)) {
        const list = m === 'rest' ? dim.codes.filter(c => !named.has(c)) : [...m]
        for (const c of list) cells.set(c, name)
        members.set(name, [...list].sort().join(','))
      }
      sig.push(`${dim.id}:${[...members.values()].sort().join(';')}`)
    }
    cellOf.push(cells)
    membersOf.push(members)
    cellOfMembers.push(new Map([...members].map(([cell, m]) => [m, cell])))
  })
  const status = new Map<string, number | null>()
  for (const cell of src.cells) {
    for (const d of Object.keys(cell.key)) if (!ids.includes(d)) fail(`${where}: a cell names dimension ${d}, which ${src.indicator} does not have`)
    const codes = def.dims.map((dim, pos) => {
      const code = cell.key[dim.id] ?? TOTAL
      if (code !== TOTAL && (!inBy[pos] || !membersOf[pos]!.has(code))) fail(`${where}: "${code}" is not a cell code of ${dim.id} in this table`)
      return code
    })
    const key = codes.join('|')
    const value = cell.value ?? null
    if (value !== null && (!Number.isInteger(value) || value < 0)) fail(`${where}: cell ${key} has value ${value}, not a count`)
    if (status.has(key) && status.get(key) !== value) fail(`${where}: cell ${key} received twice with different values`)
    status.set(key, value)
  }
  return { src, def, inBy, flagPos, cellOf, membersOf, cellOfMembers, status, signature: `${def.id}|${sig.join('|')}`, posToD: [] }
}

/** The canonical person set of a cell of `t` (cell codes per position): equal for cells counting the same persons. */
function canonical (t: Table, codes: readonly string[]): string {
  const parts: string[] = []
  codes.forEach((code, pos) => { if (code !== TOTAL) parts.push(`${t.def.dims[pos]!.id}=${t.membersOf[pos]!.get(code)!}`) })
  return `${t.def.multiCount ? `M:${t.def.id}` : 'P'}|${parts.sort().join(';')}`
}

/** The value of a cell of `t`'s structure: a number (0 when not received), or null when hidden. */
function valueOf (t: Table, key: string): number | null {
  const v = t.status.get(key)
  return v === undefined ? 0 : v
}

/**
 * The key in `b` of the cell `key` of `a`, or undefined when `b`'s structure has no cell of the same
 * persons (cells of a multi-count indicator compare only with cells of the same indicator).
 */
function translate (a: Table, b: Table, key: string): string | undefined {
  if ((a.def.multiCount || b.def.multiCount) && a.def.id !== b.def.id) return undefined
  const members = new Map<string, string>()
  key.split('|').forEach((code, pos) => { if (code !== TOTAL) members.set(a.def.dims[pos]!.id, a.membersOf[pos]!.get(code)!) })
  const out: string[] = []
  for (let pos = 0; pos < b.def.dims.length; pos++) {
    const m = members.get(b.def.dims[pos]!.id)
    if (m === undefined) { out.push(TOTAL); continue }
    members.delete(b.def.dims[pos]!.id)
    const cell = b.inBy[pos] ? b.cellOfMembers[pos]!.get(m) : undefined
    if (cell === undefined) return undefined
    out.push(cell)
  }
  return members.size === 0 ? out.join('|') : undefined
}

/** Whether some cell published by `a` has another value in `b` (not received there: 0). */
function disagree (a: Table, b: Table): boolean {
  for (const [key, value] of a.status) {
    if (value === null) continue
    const other = translate(a, b, key)
    if (other === undefined) continue
    const v = valueOf(b, other)
    if (v !== null && v !== value) return true
  }
  return false
}

function differs (before: Table[], now: Table[]): boolean {
  return now.some(a => before.some(b => disagree(a, b) || disagree(b, a)))
}

// ---------------------------------------------------------------------------------------------
// States and chains

interface State {
  rounds: number[]
  tables: Table[]
  /** Records added and withdrawn since the state before (in the same chain); undefined for the first. */
  link?: { added: number, withdrawn: number }
}

/** States linked by known changes: one linear program. */
interface Chain {
  population: string
  year: number
  states: State[]
}

function buildChains (highs: Highs, tables: Table[], options: AuditOptions): Chain[] {
  const byPopYear = new Map<string, Table[]>()
  for (const t of tables) {
    const k = `${t.def.population}\u0000${t.src.year}`
    const list = byPopYear.get(k)
    if (list === undefined) byPopYear.set(k, [t])
    else list.push(t)
  }
  const changes = new Map<string, { added: number, withdrawn: number }>()
  for (const c of options.changes ?? []) {
    const k = `${c.population}\u0000${c.year}\u0000${c.round}`
    if (changes.has(k)) fail(`two changes entries for ${c.population} ${c.year} round ${c.round}`)
    if (!(c.added >= 0 && c.withdrawn >= 0)) fail(`changes for ${c.population} ${c.year} round ${c.round} are negative`)
    changes.set(k, { added: c.added, withdrawn: c.withdrawn })
  }
  const chains: Chain[] = []
  for (const list of byPopYear.values()) {
    const population = list[0]!.def.population
    const year = list[0]!.src.year
    const first = Math.min(...list.map(t => t.src.round))
    const rounds = new Set(list.map(t => t.src.round))
    for (const c of options.changes ?? []) if (c.population === population && c.year === year && c.round > first) rounds.add(c.round)
    let chain: Chain | undefined
    let state: State | undefined
    for (const r of [...rounds].sort((x, y) => x - y)) {
      const now = list.filter(t => t.src.round === r)
      const change = changes.get(`${population}\u0000${year}\u0000${r}`)
      if (chain === undefined || state === undefined) {
        state = { rounds: [r], tables: now }
        chain = { population, year, states: [state] }
        chains.push(chain)
      } else if (change !== undefined) {
        state = { rounds: [r], tables: now, link: change }
        chain.states.push(state)
      } else if (!differs(state.tables, now) && feasible(highs, { population, year, states: [{ rounds: [], tables: [...state.tables, ...now] }] })) {
        state.rounds.push(r)
        state.tables.push(...now)
      } else {
        state = { rounds: [r], tables: now }
        chain = { population, year, states: [state] }
        chains.push(chain)
      }
    }
  }
  return chains
}

// ---------------------------------------------------------------------------------------------
// The linear program of one chain

interface CellRow {
  cols: Set<number>
  /** In a state linked to the one before: the persons added to this cell and withdrawn from it (V5: the flags, u and v). */
  added: Set<number>
  withdrawn: Set<number>
  published: Set<number>
  hidden: boolean
  what: string
  /** The first table cell that named this row, and the first round of its state: what a change interval reports. */
  first: { table: { recipient: string, round: number }, round: number, indicator: string, key: string }
}

interface Lp {
  numCols: number
  rowLower: number[]
  rowUpper: number[]
  rowCols: number[][]
  rowVals: number[][]
  /** Hidden cells of the chain, each with the row of its value. */
  hidden: Array<{ interval: Omit<HiddenInterval, 'lower' | 'upper'>, row: CellRow }>
  /** Every cell row of a linked state: its added and withdrawn persons (V5: flags). */
  changed: CellRow[]
}

/** Tuples of codes over some dimensions, with the states in which each is not inside a published zero. */
type Tuples = Array<{ codes: string[], alive: number[] }>

/** Per position of `t`: the index in `dims` (chain dimension indices) of its dimension, or -1. */
function localIndex (t: Table, dims: readonly number[]): number[] {
  return t.posToD.map(j => j < 0 ? -1 : dims.indexOf(j))
}

/**
 * The key of the cell of `t` holding a tuple: position `pos` takes the cell code of
 * `codes[local[pos]]` when `0 <= local[pos] < assigned`, the flag position the cell code of
 * `flag` when given, everything else `_T`.
 */
function keyOf (t: Table, local: readonly number[], codes: readonly string[], assigned: number, flag?: string): string {
  const parts: string[] = []
  for (let pos = 0; pos < local.length; pos++) {
    let code = TOTAL
    if (pos === t.flagPos) {
      if (flag !== undefined && t.inBy[pos]) code = t.cellOf[pos]!.get(flag) ?? TOTAL
    } else {
      const i = local[pos]!
      if (i >= 0 && i < assigned) code = t.cellOf[pos]!.get(codes[i]!) ?? TOTAL
    }
    parts.push(code)
  }
  return parts.join('|')
}

/** The tuples over `dims` (chain dimension indices) not inside a zero of a person-counting table, one dimension at a time. */
function enumerate (dims: readonly number[], states: readonly State[], universe: readonly string[][]): Tuples {
  let tuples: Tuples = [{ codes: [], alive: states.map((_, i) => i) }]
  const locals = new Map<Table, number[]>()
  for (const s of states) for (const t of s.tables) locals.set(t, localIndex(t, dims))
  for (let k = 0; k < dims.length; k++) {
    const checks = states.map(s => s.tables.filter(t => !t.def.multiCount && locals.get(t)!.includes(k)))
    const next: Tuples = []
    for (const tu of tuples) {
      for (const c of universe[dims[k]!]!) {
        const codes = [...tu.codes, c]
        const alive = tu.alive.filter(si => checks[si]!.every(t => valueOf(t, keyOf(t, locals.get(t)!, codes, k + 1)) !== 0))
        if (alive.length > 0) next.push({ codes, alive })
      }
    }
    tuples = next
  }
  return tuples
}

/**
 * A junction tree covering `edges` (sets of dimension indices 0..n-1): the maximal cliques of a
 * triangulation (greedy minimum fill-in) joined by a maximum-weight spanning tree, with the
 * separators. Without dimensions: one empty clique.
 */
function junctionTree (n: number, edges: readonly number[][]): { cliques: number[][], links: Array<[number, number, number[]]> } {
  const adj = Array.from({ length: n }, () => new Set<number>())
  for (const e of edges) for (const a of e) for (const b of e) if (a !== b) adj[a]!.add(b)
  const remaining = new Set(Array.from({ length: n }, (_, i) => i))
  const found: number[][] = []
  while (remaining.size > 0) {
    let best = -1
    let bestFill = Infinity
    let bestDegree = Infinity
    for (const v of remaining) {
      const nb = [...adj[v]!].filter(u => remaining.has(u))
      let fill = 0
      for (let i = 0; i < nb.length; i++) for (let j = i + 1; j < nb.length; j++) if (!adj[nb[i]!]!.has(nb[j]!)) fill++
      if (fill < bestFill || (fill === bestFill && nb.length < bestDegree)) { best = v; bestFill = fill; bestDegree = nb.length }
    }
    const nb = [...adj[best]!].filter(u => remaining.has(u))
    for (const a of nb) for (const b of nb) if (a !== b) adj[a]!.add(b)
    found.push([best, ...nb].sort((a, b) => a - b))
    remaining.delete(best)
  }
  const cliques = found.filter((c, i) => !found.some((d, j) => j !== i && c.every(x => d.includes(x)) && (d.length > c.length || j < i)))
  if (cliques.length === 0) cliques.push([])
  const pairs: Array<[number, number, number[]]> = []
  for (let i = 0; i < cliques.length; i++) for (let j = i + 1; j < cliques.length; j++) pairs.push([i, j, cliques[i]!.filter(x => cliques[j]!.includes(x))])
  pairs.sort((a, b) => b[2].length - a[2].length)
  const root = cliques.map((_, i) => i)
  const find = (i: number): number => root[i] === i ? i : (root[i] = find(root[i]!))
  const links = pairs.filter(([i, j]) => {
    const a = find(i)
    const b = find(j)
    if (a === b) return false
    root[a] = b
    return true
  })
  return { cliques, links }
}

function buildLp (chain: Chain, INF: number): Lp {
  const { states } = chain
  const all = states.flatMap(s => s.tables)
  const multi = all.filter(t => t.def.multiCount)
  // Flag dimension (ASSIST) and its codes, when some table of the chain counts persons several times.
  const flagDim = multi.length > 0 ? multi[0]!.def.dims[0]! : undefined
  if (multi.some(t => t.def.dims[0]!.id !== flagDim!.id)) fail('two multi-count dimensions in one population')
  const flags = flagDim?.codes ?? []

  // Profile dimensions: everything some table breaks down by, except the flag.
  const dimIds = [...new Set(all.flatMap(t => t.src.by.filter(d => d !== flagDim?.id)))]
  const codesOf = (d: string): readonly string[] => protocol().codes.get(d)!
  const setPosToD = (order: string[]): void => { for (const t of all) t.posToD = t.def.dims.map((d, pos) => t.inBy[pos] && pos !== t.flagPos ? order.indexOf(d.id) : -1) }

  // Codes tried per dimension: alive (its margin is not 0 in any person-counting table of the
  // state that breaks down by it) in some state that breaks down by the dimension.
  // Codes that every table puts in the same cell (a group's members, in every grouping received)
  // are one unknown, carried by the first of them: with AREA grouped as "rest" that is hundreds
  // of codes in one.
  setPosToD(dimIds)
  const classes = (j: number, d: string): string[] => {
    const using = all.map(t => t.posToD.indexOf(j)).map((pos, i) => [all[i]!, pos] as const).filter(([, pos]) => pos >= 0)
    const seen = new Set<string>()
    return codesOf(d).filter(c => {
      const sig = using.map(([t, pos]) => t.cellOf[pos]!.get(c) ?? '').join('\u0000')
      if (seen.has(sig)) return false
      seen.add(sig)
      return true
    })
  }
  const alive = new Map<string, string[]>()
  for (const [j, d] of dimIds.entries()) {
    const codes = classes(j, d).filter(c => states.some(s => s.tables.some(t => t.posToD.includes(j)) &&
      s.tables.every(t => t.def.multiCount || !t.posToD.includes(j) || valueOf(t, keyOfSingle(t, j, c)) !== 0)))
    alive.set(d, codes.length > 0 ? codes : [codesOf(d)[0]!])
  }
  const uses = (d: string): number => all.filter(t => !t.def.multiCount && t.src.by.includes(d)).length
  const order = [...dimIds].sort((a, b) => uses(b) - uses(a) || alive.get(a)!.length - alive.get(b)!.length || cmp(a, b))
  setPosToD(order)
  const universe = order.map(d => alive.get(d)!)

  // Cliques of dimensions: every table's `by` (and all V5 dimensions but ASSIST, together) lies
  // inside one; the unknowns are counts per tuple of codes of each clique, equal on separators.
  const dimsOf = (t: Table): number[] => t.posToD.filter(j => j >= 0).sort((a, b) => a - b)
  const Q = [...new Set(multi.flatMap(dimsOf))].sort((a, b) => a - b)
  const jt = junctionTree(order.length, [...all.filter(t => !t.def.multiCount).map(dimsOf), Q])
  const cliques = jt.cliques.map(dims => ({ dims, tuples: enumerate(dims, states, universe) }))
  const homeCache = new Map<string, number>()
  const home = (dims: readonly number[]): number => {
    const k = dims.join(',')
    let h = homeCache.get(k)
    if (h === undefined) {
      h = cliques.findIndex(c => dims.every(j => c.dims.includes(j)))
      if (h < 0) fail('a table lies in no clique')
      homeCache.set(k, h)
    }
    return h
  }

  let numCols = 0
  const nCol = states.map(() => cliques.map(c => new Int32Array(c.tuples.length).fill(-1)))
  states.forEach((_, si) => cliques.forEach((c, ci) => c.tuples.forEach((z, zi) => { if (z.alive.includes(si)) nCol[si]![ci]![zi] = numCols++ })))

  // Projections on the V5 dimensions (in clique cq) and flag counts y[q][a].
  const cq = home(Q)
  const qIdx = Q.map(j => cliques[cq]!.dims.indexOf(j))
  const qIndex = new Map<string, number>()
  const qCodes: string[][] = []
  const qMembers: number[][] = []
  cliques[cq]!.tuples.forEach((z, zi) => {
    const codes = qIdx.map(i => z.codes[i]!)
    const k = codes.join('|')
    let q = qIndex.get(k)
    if (q === undefined) { q = qCodes.length; qIndex.set(k, q); qCodes.push(codes); qMembers.push([]) }
    qMembers[q]!.push(zi)
  })
  const persons = (q: number, cols: Int32Array[]): number[] => qMembers[q]!.map(zi => cols[cq]![zi]!).filter(c => c >= 0)
  // A state without V5 tables needs flag counts only to carry them across known changes.
  const linked = states.some(s => s.link !== undefined)
  const yCol = states.map(() => qCodes.map(() => new Int32Array(flags.length).fill(-1)))
  if (flagDim !== undefined) {
    states.forEach((s, si) => {
      const tables = s.tables.filter(t => t.def.multiCount)
      if (tables.length === 0 && !linked) return
      qCodes.forEach((codes, q) => {
        if (persons(q, nCol[si]!).length === 0) return
        flags.forEach((a, fi) => {
          if (tables.every(t => valueOf(t, keyOf(t, localIndex(t, Q), codes, Q.length, a)) !== 0)) yCol[si]![q]![fi] = numCols++
        })
      })
    })
  }

  const rowLower: number[] = []
  const rowUpper: number[] = []
  const rowCols: number[][] = []
  const rowVals: number[][] = []
  const addRow = (cols: number[], vals: number[], lo: number, hi: number): void => {
    if (cols.length === 0) {
      if (lo > EPS || hi < -EPS) contradiction(`${chain.population} ${chain.year}: a constraint with no unknown cannot hold`)
      return
    }
    rowCols.push(cols); rowVals.push(vals); rowLower.push(lo); rowUpper.push(hi)
  }
  const sumIs = (cols: number[], lo: number, hi: number): void => addRow(cols, cols.map(() => 1), lo, hi)
  /** y <= sum(cols), as y - sum(cols) <= 0. */
  const atMost = (y: number[], cols: number[]): void => addRow([...y, ...cols], [...y.map(() => 1), ...cols.map(() => -1)], -INF, 0)
  /** Counts per clique tuple (`cols[ci][zi]`, -1: none) agree on every separator. */
  const consistent = (cols: Int32Array[]): void => {
    for (const [a, b, sep] of jt.links) {
      const rows = new Map<string, { cols: number[], vals: number[] }>()
      for (const [ci, sign] of [[a, 1], [b, -1]] as const) {
        const idx = sep.map(j => cliques[ci]!.dims.indexOf(j))
        cliques[ci]!.tuples.forEach((z, zi) => {
          const col = cols[ci]![zi]!
          if (col < 0) return
          const k = idx.map(i => z.codes[i]!).join('|')
          let row = rows.get(k)
          if (row === undefined) { row = { cols: [], vals: [] }; rows.set(k, row) }
          row.cols.push(col)
          row.vals.push(sign)
        })
      }
      for (const row of rows.values()) addRow(row.cols, row.vals, 0, 0)
    }
  }
  states.forEach((_, si) => consistent(nCol[si]!))

  // Revisions: n_s = n_{s-1} + add - wd per clique tuple, add and wd consistent too.
  const addCols: Array<Int32Array[] | undefined> = states.map(() => undefined)
  const wdCols: Array<Int32Array[] | undefined> = states.map(() => undefined)
  // V5: the persons given flag a (u) and taken from it (v) per projection q, by state: uCols[si][q][fi].
  const uCols: Array<Int32Array[] | undefined> = states.map(() => undefined)
  const vCols: Array<Int32Array[] | undefined> = states.map(() => undefined)
  states.forEach((s, si) => {
    if (s.link === undefined) return
    const prev = si - 1
    const addCol = cliques.map(c => new Int32Array(c.tuples.length).fill(-1))
    const wdCol = cliques.map(c => new Int32Array(c.tuples.length).fill(-1))
    addCols[si] = addCol
    wdCols[si] = wdCol
    cliques.forEach((c, ci) => c.tuples.forEach((_, zi) => {
      const now = nCol[si]![ci]![zi]!
      const before = nCol[prev]![ci]![zi]!
      const cols: number[] = []
      const vals: number[] = []
      if (now >= 0) { addCol[ci]![zi] = numCols; cols.push(now, numCols++); vals.push(1, -1) }
      if (before >= 0) {
        wdCol[ci]![zi] = numCols; cols.push(before, numCols++); vals.push(-1, 1)
        atMost([wdCol[ci]![zi]!], [before])
      }
      addRow(cols, vals, 0, 0)
    }))
    consistent(addCol)
    consistent(wdCol)
    sumIs([...addCol[0]!].filter(c => c >= 0), s.link.added, s.link.added)
    sumIs([...wdCol[0]!].filter(c => c >= 0), s.link.withdrawn, s.link.withdrawn)
    if (flagDim === undefined) return
    const uCol = qCodes.map(() => new Int32Array(flags.length).fill(-1))
    const vCol = qCodes.map(() => new Int32Array(flags.length).fill(-1))
    uCols[si] = uCol
    vCols[si] = vCol
    qCodes.forEach((_, q) => {
      const add = persons(q, addCol)
      const wd = persons(q, wdCol)
      const kept = persons(q, nCol[prev]!)
      flags.forEach((_a, fi) => {
        const yNow = yCol[si]![q]![fi]!
        const yBefore = yCol[prev]![q]![fi]!
        const cols: number[] = []
        const vals: number[] = []
        if (yNow >= 0) {
          const u = numCols++
          uCol[q]![fi] = u
          cols.push(yNow, u); vals.push(1, -1)
          atMost([u], add)
        }
        if (yBefore >= 0) {
          const v = numCols++
          vCol[q]![fi] = v
          cols.push(yBefore, v); vals.push(-1, 1)
          atMost([v], wd)
          atMost([v], [yBefore])
          // Persons kept with the flag cannot outnumber the persons kept.
          addRow([yBefore, v, ...kept, ...wd], [1, -1, ...kept.map(() => -1), ...wd.map(() => 1)], -INF, 0)
        }
        addRow(cols, vals, 0, 0)
      })
    })
  })

  // y[q][a] <= N[q].
  states.forEach((_, si) => qCodes.forEach((_c, q) => {
    const n = persons(q, nCol[si]!)
    yCol[si]![q]!.forEach(y => { if (y >= 0) atMost([y], n) })
  }))

  // Cell rows: one per state and person set; its columns come from the clique holding its dimensions.
  const hidden: Lp['hidden'] = []
  const changed: CellRow[] = []
  states.forEach((s, si) => {
    const rows = new Map<string, CellRow>()
    const rowOf = (t: Table, key: string): CellRow => {
      const c = canonical(t, key.split('|'))
      let row = rows.get(c)
      if (row === undefined) {
        row = { cols: new Set(), added: new Set(), withdrawn: new Set(), published: new Set(), hidden: false, what: `${chain.population} ${chain.year} round ${s.rounds.join('/')} ${t.def.id} ${key}`, first: { table: { recipient: t.src.recipient, round: t.src.round }, round: s.rounds[0]!, indicator: t.def.id, key } }
        rows.set(c, row)
      }
      return row
    }
    const bySignature = new Map<string, Table[]>()
    for (const t of s.tables) {
      const list = bySignature.get(t.signature)
      if (list === undefined) bySignature.set(t.signature, [t])
      else list.push(t)
    }
    for (const group of bySignature.values()) {
      const t = group[0]!
      const byPos = t.inBy.flatMap((b, pos) => b ? [pos] : [])
      const seen = new Map<string, CellRow>()
      /** The row of the cell a finest key counts in under `mask`, if any. */
      const cellRow = (finest: string, mask: number): CellRow | undefined => {
        const codes = finest.split('|')
        // A code in no group of this table is counted only where its dimension is _T (another mask).
        if (byPos.some((pos, b) => (mask & (1 << b)) !== 0 && codes[pos] === TOTAL)) return undefined
        byPos.forEach((pos, b) => { if ((mask & (1 << b)) === 0) codes[pos] = TOTAL })
        const key = codes.join('|')
        let row = seen.get(key)
        if (row === undefined) { row = rowOf(t, key); seen.set(key, row) }
        return row
      }
      const add = (col: number, finest: string, mask: number): void => { cellRow(finest, mask)?.cols.add(col) }
      const addCol = addCols[si]
      const wdCol = wdCols[si]
      for (let mask = 0; mask < 1 << byPos.length; mask++) {
        if (t.def.multiCount) {
          const local = localIndex(t, Q)
          qCodes.forEach((codes, q) => flags.forEach((a, fi) => {
            const y = yCol[si]![q]![fi]!
            const key = keyOf(t, local, codes, Q.length, a)
            if (y >= 0) add(y, key, mask)
            // The flags given and taken by the revision count in the same cells.
            const u = uCols[si]?.[q]![fi] ?? -1
            const v = vCols[si]?.[q]![fi] ?? -1
            if (u < 0 && v < 0) return
            const row = cellRow(key, mask)
            if (u >= 0) row?.added.add(u)
            if (v >= 0) row?.withdrawn.add(v)
          }))
        } else {
          const ci = home(byPos.filter((_, b) => (mask & (1 << b)) !== 0).map(pos => t.posToD[pos]!).sort((a, b) => a - b))
          const c = cliques[ci]!
          const local = localIndex(t, c.dims)
          c.tuples.forEach((z, zi) => {
            const n = nCol[si]![ci]![zi]!
            if (n >= 0) add(n, keyOf(t, local, z.codes, c.dims.length), mask)
            if (addCol === undefined || wdCol === undefined) return
            const a = addCol[ci]![zi]!
            const w = wdCol[ci]![zi]!
            if (a < 0 && w < 0) return
            const row = cellRow(keyOf(t, local, z.codes, c.dims.length), mask)
            if (a >= 0) row?.added.add(a)
            if (w >= 0) row?.withdrawn.add(w)
          })
        }
      }
      // What each table of the group says of these cells: not received means 0.
      for (const [key, row] of seen) for (const g of group) if (!g.status.has(key)) row.published.add(0)
    }
    const reported = new Set<string>()
    for (const t of s.tables) {
      for (const [key, value] of t.status) {
        const row = rowOf(t, key)
        if (value === null) {
          row.hidden = true
          const id = `${t.src.round}\u0000${t.def.id}\u0000${key}\u0000${canonical(t, key.split('|'))}`
          if (reported.has(id)) continue
          reported.add(id)
          hidden.push({ interval: { population: chain.population, year: chain.year, round: t.src.round, indicator: t.def.id, key }, row })
        } else row.published.add(value)
      }
    }
    if (s.link !== undefined) changed.push(...[...rows.values()].filter(r => r.added.size > 0 || r.withdrawn.size > 0))
    for (const row of rows.values()) {
      if (row.published.size > 1) contradiction(`${row.what}: published with different values (${[...row.published].join(', ')})`)
      const cols = [...row.cols]
      if (row.published.size === 1) {
        const v = [...row.published][0]!
        if (row.hidden && v === 0) contradiction(`${row.what}: hidden in one table and 0 in another, but zeros are never hidden`)
        if (cols.length === 0 && v !== 0) contradiction(`${row.what}: published as ${v}, but every person it could count is inside a published zero`)
        sumIs(cols, v, v)
      } else if (row.hidden) {
        if (cols.length === 0) contradiction(`${row.what}: hidden, but every person it could count is inside a published zero`)
        sumIs(cols, 1, INF)
      }
    }
  })
  return { numCols, rowLower, rowUpper, rowCols, rowVals, hidden, changed }
}

/** The key of the cell of `t` with only the chain dimension `j` at code `c` (everything else `_T`). */
function keyOfSingle (t: Table, j: number, c: string): string {
  return t.def.dims.map((_, pos) => t.posToD[pos] === j ? (t.cellOf[pos]!.get(c) ?? TOTAL) : TOTAL).join('|')
}

// ---------------------------------------------------------------------------------------------
// Solving

let highsPromise: Promise<Highs> | undefined

async function loadHighs (): Promise<Highs> {
  highsPromise ??= import('highs').then(async m => await (m.default as unknown as () => Promise<Highs>)())
  return await highsPromise
}

/** The chain's linear program loaded into HiGHS (zero objective), after a first solve: undefined when infeasible. */
function loadModel (highs: Highs, lp: Lp): ReturnType<Highs['createModel']> | undefined {
  const starts = [0]
  const indices: number[] = []
  const values: number[] = []
  lp.rowCols.forEach((cols, r) => {
    const vals = lp.rowVals[r]!
    for (let i = 0; i < cols.length; i++) { indices.push(cols[i]!); values.push(vals[i]!) }
    starts.push(indices.length)
  })
  const numRows = lp.rowCols.length
  const model = highs.createModel({
    numCols: lp.numCols,
    numRows,
    colCost: new Float64Array(lp.numCols),
    colLower: new Float64Array(lp.numCols),
    colUpper: new Float64Array(lp.numCols).fill(highs.infinity),
    rowLower: lp.rowLower,
    rowUpper: lp.rowUpper,
    matrix: { format: 'csr', numRows, numCols: lp.numCols, starts, indices, values },
  })
  model.options.set({ simplex_strategy: 4, presolve: 'off', output_flag: false })
  if (model.run().modelStatus === highs.constants.modelStatus.optimal) return model
  model.dispose()
  return undefined
}

/** Whether some state of the records fits every table of `chain`. */
function feasible (highs: Highs, chain: Chain): boolean {
  try {
    const lp = buildLp(chain, highs.infinity)
    if (lp.numCols === 0) return true
    const model = loadModel(highs, lp)
    model?.dispose()
    return model !== undefined
  } catch (e) {
    if (e instanceof Contradiction) return false
    throw e
  }
}

function solveChain (highs: Highs, chain: Chain, lp: Lp, withChanges: boolean): { hidden: HiddenInterval[], changes: ChangeInterval[] } {
  const results = new Map<CellRow, { lower: number, upper: number | null }>()
  const changes: ChangeInterval[] = []
  const pending = lp.hidden.filter(h => h.row.published.size === 0)
  if (lp.numCols > 0) {
    const model = loadModel(highs, lp) ?? contradiction(`${chain.population} ${chain.year}: no state of the records fits every table received (the linear program is infeasible)`)
    try {
      const codes = highs.constants.modelStatus
      /** Integer bounds of the sum of `cols`, rounded inward. */
      const bounds = (cols: Iterable<number>, what: string): { lower: number, upper: number | null } => {
        const cost = new Float64Array(lp.numCols)
        for (const c of cols) cost[c] = 1
        model.changeColsCost({ kind: 'range', from: 0, to: lp.numCols - 1 }, cost)
        model.changeObjectiveSense(highs.constants.objectiveSense.minimize)
        let status = model.run().modelStatus
        if (status !== codes.optimal) fail(`${what}: minimum not found (HiGHS status ${status})`)
        const lower = Math.ceil(model.getObjectiveValue() - EPS)
        model.changeObjectiveSense(highs.constants.objectiveSense.maximize)
        status = model.run().modelStatus
        let upper: number | null
        if (status === codes.optimal) upper = Math.floor(model.getObjectiveValue() + EPS)
        else if (status === codes.unbounded || status === codes.unboundedOrInfeasible) upper = null
        else fail(`${what}: maximum not found (HiGHS status ${status})`)
        return { lower, upper }
      }
      for (const h of pending) if (!results.has(h.row)) results.set(h.row, bounds(h.row.cols, h.row.what))
      if (withChanges) {
        for (const row of lp.changed) {
          for (const direction of ['added', 'withdrawn'] as const) {
            const cols = row[direction]
            const b = cols.size === 0 ? { lower: 0, upper: 0 } : bounds(cols, `${row.what} (${direction})`)
            changes.push({ population: chain.population, year: chain.year, ...row.first, direction, ...b })
          }
        }
      }
    } finally {
      model.dispose()
    }
  }
  const hidden = lp.hidden.map(h => {
    const known = h.row.published.size === 1 ? [...h.row.published][0]! : undefined
    const r = known !== undefined ? { lower: known, upper: known } : results.get(h.row)!
    return { ...h.interval, lower: r.lower, upper: r.upper }
  })
  return { hidden, changes }
}

/**
 * Audits everything one publishing node sent to all its recipients, pooled: for every hidden cell,
 * the interval an attacker holding all of it can prove (see the module comment for the model).
 */
export async function auditReceived (tables: ReceivedTable[], options: AuditOptions): Promise<AuditReport> {
  const prepared = tables.map(prepare)
  const highs = await loadHighs()
  const chains = buildChains(highs, prepared, options)
  const intervals: HiddenInterval[] = []
  const changes: ChangeInterval[] = []
  let variables = 0
  for (const chain of chains) {
    const lp = buildLp(chain, highs.infinity)
    variables += lp.numCols
    const solved = solveChain(highs, chain, lp, options.changeIntervals === true)
    intervals.push(...solved.hidden)
    changes.push(...solved.changes)
  }
  const order = (a: HiddenInterval, b: HiddenInterval): number => cmp(a.population, b.population) || a.year - b.year || a.round - b.round || cmp(a.indicator, b.indicator) || cmp(a.key, b.key)
  intervals.sort(order)
  changes.sort((a, b) => order(a, b) || cmp(a.direction, b.direction))
  const T = options.threshold
  const failures = intervals.filter(i => i.upper !== null && (i.upper - i.lower < T - EPS || i.upper < T - EPS))
  const changeFailures = changes.filter(c => c.lower >= 1 && c.upper !== null && c.upper < T - EPS)
  return { intervals, failures, changes, changeFailures, variables }
}

function cmp (a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
