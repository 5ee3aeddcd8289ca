/**
 * Building protection problems from cross tables with all their margins: handy for tests,
 * benchmarks and callers whose output is a plain hypercube.
 */
import type { InnerCell, ProtectionProblem, PublishedCell } from './problem.js'

/** Code that stands for "all categories" of a dimension in a key. */
export const TOTAL = '*'

/** Options for {@link crossTableProblem}. */
export interface CrossTableOptions {
  threshold?: number
  /** Separator between dimension codes in a key. Default `|`. */
  separator?: string
}

/**
 * A cross table of `dims` (the codes of each dimension) as a protection problem. Inner cells are
 * every full combination of codes, with `values` in row-major order (last dimension fastest).
 * Published cells are every combination where each dimension is a code or {@link TOTAL} (all
 * 2^d groupings: inner cells, every margin, the grand total), keyed by the codes joined with the
 * separator. Throws when `values` has the wrong length or a code is `*` or contains the separator.
 */
export function crossTableProblem (dims: ReadonlyArray<readonly string[]>, values: readonly number[], options: CrossTableOptions = {}): ProtectionProblem {
  const sep = options.separator ?? '|'
  for (const codes of dims) {
    for (const c of codes) if (c === TOTAL || c.includes(sep)) throw new Error(`crossTableProblem: invalid code ${JSON.stringify(c)}`)
  }
  const size = dims.reduce((n, codes) => n * codes.length, 1)
  if (values.length !== size) throw new Error(`crossTableProblem: expected ${size} values, got ${values.length}`)

  const combos = (lists: ReadonlyArray<readonly string[]>): string[][] =>
    lists.reduce<string[][]>((acc, codes) => acc.flatMap(prefix => codes.map(c => [...prefix, c])), [[]])
  const innerCodes = combos(dims)
  const inner: InnerCell[] = innerCodes.map((codes, i) => ({ key: codes.join(sep), value: values[i]! }))
  const published: PublishedCell[] = combos(dims.map(codes => [...codes, TOTAL])).map(pattern => ({
    key: pattern.join(sep),
    members: innerCodes.filter(codes => codes.every((c, d) => pattern[d] === TOTAL || pattern[d] === c)).map(codes => codes.join(sep)),
  }))
  return { inner, published, ...(options.threshold === undefined ? {} : { threshold: options.threshold }) }
}

/**
 * A rows x columns table with row totals, column totals and the grand total. Inner keys are
 * `r<i>|c<j>` (0-based), row totals `r<i>|*`, column totals `*|c<j>`, the grand total `*|*`.
 */
export function twoWayTableProblem (rows: ReadonlyArray<readonly number[]>, options: CrossTableOptions = {}): ProtectionProblem {
  const width = rows[0]?.length ?? 0
  if (rows.some(r => r.length !== width)) throw new Error('twoWayTableProblem: rows have different lengths')
  const dims = [rows.map((_, i) => `r${i}`), Array.from({ length: width }, (_, j) => `c${j}`)]
  return crossTableProblem(dims, rows.flat(), options)
}
