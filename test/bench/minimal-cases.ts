/**
 * Small synthetic protection problems for the minimal-pattern comparison of protect-all.ts, listed
 * the way cutGrants lists a population-year: only inner cells with records exist, a published cell
 * without records is not listed (it is a published zero), and hidden cells are known to be >= 1.
 *
 * - cross tables with all their margins (crossTableProblem), 2 and 3 dimensions;
 * - linked tables: persons with three attributes A, B, C, published as an A x B table and a B x C
 *   table with all margins (two indicators of one population sharing B): the atoms are the
 *   (a, b, c) profiles, and those below T that no published cell equals are derived targets.
 */
import type { ProtectionProblem, PublishedCell } from '../../src/stats/disclosure/problem.js'
import { crossTableProblem } from '../../src/stats/disclosure/tables.js'

export interface MinimalCase {
  name: string
  /** Which family of problems it belongs to (the report sums per group). */
  group: string
  problem: ProtectionProblem
  /** Time cap of the minimum for this case (default: the bench's). */
  capMs?: number
}

export const SYNTHETIC = 'synthetic cross and linked tables'

/** Deterministic PRNG (mulberry32). */
function rng (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6D2B79F5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** A sparse count: 0 (a quarter), 1-2 (a quarter), else 3-12. */
function count (r: () => number): number {
  const u = r()
  if (u < 0.25) return 0
  if (u < 0.5) return 1 + Math.floor(r() * 2)
  return 3 + Math.floor(r() * 10)
}

/** Drops the inner cells without records and the published cells left without members; hidden cells are >= 1. */
export function listed (problem: ProtectionProblem): ProtectionProblem {
  const present = new Set(problem.inner.filter(c => c.value > 0).map(c => c.key))
  const published: PublishedCell[] = []
  for (const c of problem.published) {
    const keep = c.members.map((m, k) => [m, c.weights?.[k] ?? 1] as const).filter(([m]) => present.has(m))
    if (keep.length === 0) continue
    published.push({ key: c.key, members: keep.map(([m]) => m), ...(c.weights === undefined ? {} : { weights: keep.map(([, w]) => w) }) })
  }
  return { ...problem, inner: problem.inner.filter(c => present.has(c.key)), published, hiddenNonZero: true }
}

const codes = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i + 1}`)

/** Two tables of one population over attributes A, B, C: A x B and B x C, each with all margins. */
function linkedProblem (sizes: [number, number, number], values: number[], threshold: number): ProtectionProblem {
  const [A, B, C] = [codes('a', sizes[0]), codes('b', sizes[1]), codes('c', sizes[2])]
  const inner = A.flatMap(a => B.flatMap(b => C.map(c => `${a}|${b}|${c}`))).map((key, i) => ({ key, value: values[i]! }))
  const published: PublishedCell[] = []
  const table = (name: string, pick: (k: string[]) => [string, string], first: string[], second: string[]): void => {
    for (const x of [...first, '_T']) {
      for (const y of [...second, '_T']) {
        const members = inner.filter(c => {
          const [u, v] = pick(c.key.split('|'))
          return (x === '_T' || u === x) && (y === '_T' || v === y)
        }).map(c => c.key)
        published.push({ key: `${name}:${x}|${y}`, members })
      }
    }
  }
  table('X', k => [k[0]!, k[1]!], A, B)
  table('Y', k => [k[1]!, k[2]!], B, C)
  return { inner, published, threshold }
}

/** The synthetic cases, the same on every run. */
export function syntheticCases (): MinimalCase[] {
  const out: MinimalCase[] = []
  const shapes: number[][] = [[3, 3], [3, 4], [4, 4], [4, 5], [2, 3, 3], [2, 2, 4], [3, 3, 3]]
  let seed = 1
  for (const T of [3, 5]) {
    for (const shape of shapes) {
      const r = rng(seed++)
      const dims = shape.map((n, d) => codes(String.fromCharCode(97 + d), n))
      const values = Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => count(r))
      out.push({ name: `cross ${shape.join('x')} T=${T} #${seed - 1}`, group: SYNTHETIC, problem: listed(crossTableProblem(dims, values, { threshold: T })) })
    }
    for (const sizes of [[2, 2, 2], [2, 3, 2], [3, 2, 3], [3, 3, 3]] as Array<[number, number, number]>) {
      const r = rng(seed++)
      const values = Array.from({ length: sizes[0] * sizes[1] * sizes[2] }, () => count(r))
      out.push({ name: `linked AxB+BxC ${sizes.join('x')} T=${T} #${seed - 1}`, group: SYNTHETIC, problem: listed(linkedProblem(sizes, values, T)) })
    }
  }
  return out
}
