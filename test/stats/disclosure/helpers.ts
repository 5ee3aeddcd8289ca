/** Small builders shared by the disclosure-control tests. */
import type { InnerCell, ProtectionProblem, PublishedCell } from '../../../src/stats/disclosure/problem.js'

/** Inner cells from a `{ key: value }` record. */
export function innerCells (values: Record<string, number>): InnerCell[] {
  return Object.entries(values).map(([key, value]) => ({ key, value }))
}

/** Published cells from a `{ key: members }` record. */
export function publishedCells (groups: Record<string, string[]>): PublishedCell[] {
  return Object.entries(groups).map(([key, members]) => ({ key, members }))
}

/**
 * A one-row table: every inner cell published as itself, plus a total keyed `total`.
 */
export function rowProblem (values: Record<string, number>, threshold?: number): ProtectionProblem {
  const inner = innerCells(values)
  const keys = inner.map(c => c.key)
  return {
    inner,
    published: [...keys.map(k => ({ key: k, members: [k] })), { key: 'total', members: keys }],
    ...(threshold === undefined ? {} : { threshold }),
  }
}

/** Deterministic Fisher-Yates shuffle driven by a seed (a tiny LCG). */
export function shuffled<T> (items: readonly T[], seed: number): T[] {
  const out = [...items]
  let s = seed >>> 0
  for (let i = out.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0
    const j = s % (i + 1)
    const tmp = out[i]!
    out[i] = out[j]!
    out[j] = tmp
  }
  return out
}

/** The same problem with every array (and every member list) in another order. */
export function reordered (problem: ProtectionProblem, seed: number): ProtectionProblem {
  return {
    ...problem,
    inner: shuffled(problem.inner, seed),
    published: shuffled(problem.published, seed + 1).map((c, i) => ({ ...c, members: shuffled(c.members, seed + i + 2) })),
    ...(problem.alreadySuppressed === undefined ? {} : { alreadySuppressed: shuffled(problem.alreadySuppressed, seed + 3) }),
    ...(problem.alreadyPublished === undefined
      ? {}
      : { alreadyPublished: shuffled(problem.alreadyPublished, seed + 4).map((c, i) => ({ ...c, members: shuffled(c.members, seed + i + 5) })) }),
  }
}
