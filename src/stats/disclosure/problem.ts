/**
 * The disclosure-control problem: the finest (inner) cells, the published cells built from them,
 * and what earlier releases already fixed. Plain data, validated and normalised here so that the
 * rest of the engine works on one canonical, sorted form (the source of its determinism).
 */

/** A finest cell: one full combination of an indicator's dimensions, with its count. */
export interface InnerCell {
  key: string
  /** Non-negative integer count. */
  value: number
}

/** A cell sent (now or in any version, to any peer): the sum of the listed inner cells. */
export interface PublishedCell {
  key: string
  /** Keys of the inner cells it sums; an inner cell published as itself lists only itself. */
  members: string[]
  /**
   * How many times each member counts, in the order of `members` (positive integers; default
   * 1 each): a multi-count margin (V5's total over types of assistance counts a person once per
   * type) is a weighted sum of the persons' inner cells.
   */
  weights?: number[]
}

/** A cell released earlier whose value peers already hold. */
export interface PriorCell {
  key: string
  members: string[]
  /** As {@link PublishedCell.weights}. */
  weights?: number[]
  /** The value that was released (it may differ from today's sum if records changed). */
  value: number
}

/**
 * A group of inner cells that is never published but must be protected like a hidden cell when
 * it holds 1 to T - 1 persons: the persons added to (or withdrawn from) a cell between two
 * released versions, say. It only adds targets; an attacker holds no equation for it.
 */
export interface ProtectedGroup {
  key: string
  members: string[]
  /** As {@link PublishedCell.weights}. */
  weights?: number[]
}

/** Everything {@link protect} needs; see the module docs of protect.ts for the guarantees. */
export interface ProtectionProblem {
  inner: InnerCell[]
  /** The union over all peers and all versions: one status per key for everyone. */
  published: PublishedCell[]
  /** Minimum safe count T (integer >= 1). Default {@link DEFAULT_THRESHOLD}. */
  threshold?: number
  /** Published keys suppressed in earlier releases: they stay suppressed. */
  alreadySuppressed?: string[]
  /** Cells released earlier: they constrain an attacker and cannot be withdrawn. */
  alreadyPublished?: PriorCell[]
  /**
   * The attacker knows that a suppressed cell is not zero: true when zeros are always published
   * (a table's structure lists every code, and a cell left out is a published 0), so that only
   * cells with records can be hidden. The audit then bounds every suppressed cell below by 1.
   */
  hiddenNonZero?: boolean
  /** Unpublished groups to protect when 1 <= value < T (see {@link ProtectedGroup}). */
  groups?: ProtectedGroup[]
}

/** Threshold used when a problem gives none. */
export const DEFAULT_THRESHOLD = 3

/** Deterministic string order (UTF-16 code units, independent of locale). */
export function compareKeys (a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/**
 * A group of inner cells that every published cell (and every consistent earlier cell) either
 * contains whole or not at all. Any sum an attacker can derive is a union of atoms, so the engine
 * works on atoms: fewer variables, same answers.
 */
export interface Atom {
  /** Inner-cell indices (into {@link PreparedProblem.innerKeys}), ascending. */
  inner: number[]
  value: number
  /** Inner cells of value 1 in the atom: each has one contributor who knows the cell is non-empty. */
  singletons: number
}

/** A published cell in canonical form. */
export interface PreparedCell {
  key: string
  /** Member inner keys, sorted. */
  members: string[]
  /** Atom indices, ascending; the cell is exactly their union. */
  atoms: number[]
  /** How many times each atom counts in the cell, in the order of `atoms` (1 unless weighted). */
  coefs: number[]
  value: number
  /** Suppressed in an earlier release (sticky). */
  sticky: boolean
  /** Released earlier with this same grouping and the same value it has today: its value is out. */
  alreadyOut: boolean
}

/** An earlier release in canonical form. */
export interface PreparedPrior {
  key: string
  members: string[]
  value: number
  /** Today's sum of the members. */
  currentValue: number
  /** `value === currentValue`: used as an equation an attacker holds. Otherwise see protect.ts. */
  consistent: boolean
  /** Atom indices when consistent (empty otherwise). */
  atoms: number[]
  /** As {@link PreparedCell.coefs}. */
  coefs: number[]
}

/** A protected group in canonical form. */
export interface PreparedGroup {
  key: string
  members: string[]
  atoms: number[]
  coefs: number[]
  value: number
}

/** The validated, sorted, atom-compressed problem the engine computes on. */
export interface PreparedProblem {
  threshold: number
  innerKeys: string[]
  innerValues: number[]
  atoms: Atom[]
  /** Published cells sorted by key. */
  cells: PreparedCell[]
  /** Earlier releases sorted by key. */
  priors: PreparedPrior[]
  /** Protected groups sorted by key. */
  groups: PreparedGroup[]
  /** See {@link ProtectionProblem.hiddenNonZero}. */
  hiddenNonZero: boolean
}

function fail (message: string): never {
  throw new Error(`disclosure problem: ${message}`)
}

function isCount (v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0
}

/** Member indices (ascending) with their weights, in the same order. */
interface Members { idx: number[], w: number[] }

function checkMembers (what: string, members: unknown, weights: unknown, innerIndex: Map<string, number>): Members {
  if (!Array.isArray(members) || members.length === 0) fail(`${what} has no members`)
  if (weights !== undefined && (!Array.isArray(weights) || weights.length !== members.length)) fail(`${what} must have one weight per member`)
  const seen = new Map<number, number>()
  members.forEach((m: unknown, k) => {
    const i = typeof m === 'string' ? innerIndex.get(m) : undefined
    if (i === undefined) fail(`${what} has unknown member ${JSON.stringify(m)}`)
    if (seen.has(i)) fail(`${what} lists member ${JSON.stringify(m)} twice`)
    const w: unknown = weights === undefined ? 1 : (weights as unknown[])[k]
    if (typeof w !== 'number' || !Number.isSafeInteger(w) || w < 1) fail(`${what} has weight ${String(w)} for ${JSON.stringify(m)}; weights must be integers >= 1`)
    seen.set(i, w)
  })
  const idx = [...seen.keys()].sort((a, b) => a - b)
  return { idx, w: idx.map(i => seen.get(i)!) }
}

/**
 * Validates a problem and returns it in canonical form: every array sorted by key, inner cells
 * grouped into atoms. The result depends only on the content of the problem, never on the order
 * of its arrays.
 *
 * Throws an Error naming the offending key when: a key is not a non-empty string or repeats
 * (within inner, published or alreadyPublished), a value is not a non-negative safe integer, a
 * cell has no members, an unknown member or the same member twice, the threshold is not an
 * integer >= 1, or alreadySuppressed names a key that is not published.
 */
export function prepareProblem (problem: ProtectionProblem): PreparedProblem {
  const threshold = problem.threshold ?? DEFAULT_THRESHOLD
  if (!Number.isSafeInteger(threshold) || threshold < 1) fail(`threshold must be an integer >= 1, got ${String(threshold)}`)
  if (!Array.isArray(problem.inner)) fail('inner must be an array')
  if (!Array.isArray(problem.published)) fail('published must be an array')

  const inner = [...problem.inner].sort((a, b) => compareKeys(a.key, b.key))
  const innerIndex = new Map<string, number>()
  inner.forEach((c, i) => {
    if (typeof c.key !== 'string' || c.key === '') fail(`inner cell key must be a non-empty string, got ${JSON.stringify(c.key)}`)
    if (innerIndex.has(c.key)) fail(`duplicate inner key ${JSON.stringify(c.key)}`)
    if (!isCount(c.value)) fail(`inner cell ${JSON.stringify(c.key)} has value ${String(c.value)}; counts must be non-negative integers`)
    innerIndex.set(c.key, i)
  })
  const innerKeys = inner.map(c => c.key)
  const innerValues = inner.map(c => c.value)
  const sum = (ms: Members): number => ms.idx.reduce((s, i, k) => s + ms.w[k]! * innerValues[i]!, 0)

  const published = [...problem.published].sort((a, b) => compareKeys(a.key, b.key))
  const publishedKeys = new Set<string>()
  const publishedMembers = published.map(c => {
    if (typeof c.key !== 'string' || c.key === '') fail(`published cell key must be a non-empty string, got ${JSON.stringify(c.key)}`)
    if (publishedKeys.has(c.key)) fail(`duplicate published key ${JSON.stringify(c.key)}`)
    publishedKeys.add(c.key)
    return checkMembers(`published cell ${JSON.stringify(c.key)}`, c.members, c.weights, innerIndex)
  })

  const sticky = new Set<string>()
  for (const k of problem.alreadySuppressed ?? []) {
    if (!publishedKeys.has(k)) fail(`alreadySuppressed names ${JSON.stringify(k)}, which is not a published key`)
    sticky.add(k)
  }

  const priorsIn = [...(problem.alreadyPublished ?? [])].sort((a, b) => compareKeys(a.key, b.key))
  const priorKeys = new Set<string>()
  const priorMembers = priorsIn.map(p => {
    if (typeof p.key !== 'string' || p.key === '') fail(`alreadyPublished key must be a non-empty string, got ${JSON.stringify(p.key)}`)
    if (priorKeys.has(p.key)) fail(`duplicate alreadyPublished key ${JSON.stringify(p.key)}`)
    priorKeys.add(p.key)
    if (!isCount(p.value)) fail(`alreadyPublished cell ${JSON.stringify(p.key)} has value ${String(p.value)}; counts must be non-negative integers`)
    return checkMembers(`alreadyPublished cell ${JSON.stringify(p.key)}`, p.members, p.weights, innerIndex)
  })
  const priorConsistent = priorsIn.map((p, i) => sum(priorMembers[i]!) === p.value)

  const groupsIn = [...(problem.groups ?? [])].sort((a, b) => compareKeys(a.key, b.key))
  const groupKeys = new Set<string>()
  const groupMembers = groupsIn.map(g => {
    if (typeof g.key !== 'string' || g.key === '') fail(`group key must be a non-empty string, got ${JSON.stringify(g.key)}`)
    if (groupKeys.has(g.key)) fail(`duplicate group key ${JSON.stringify(g.key)}`)
    groupKeys.add(g.key)
    return checkMembers(`group ${JSON.stringify(g.key)}`, g.members, g.weights, innerIndex)
  })

  // Atoms: inner cells with the same signature (the relations containing them, with the
  // weight they have there) are merged.
  const signature: string[][] = innerKeys.map(() => [])
  const sign = (ms: Members, r: number): void => { ms.idx.forEach((i, k) => signature[i]!.push(ms.w[k] === 1 ? String(r) : `${r}*${ms.w[k]!}`)) }
  publishedMembers.forEach((ms, r) => { sign(ms, r) })
  priorMembers.forEach((ms, r) => { if (priorConsistent[r]) sign(ms, published.length + r) })
  // A group is a target, not an equation: it separates atoms only where it has members that
  // some relation holds. A member in no relation is in no atom and unknown to everyone; the
  // group's value still counts it, and its interval is taken over the rest (narrower).
  const related = signature.map(sig => sig.length > 0)
  const groupRelated: Members[] = groupMembers.map(ms => {
    const keep = ms.idx.map(i => related[i]!)
    return { idx: ms.idx.filter((_, k) => keep[k]), w: ms.w.filter((_, k) => keep[k]) }
  })
  groupRelated.forEach((ms, r) => { sign(ms, published.length + priorsIn.length + r) })
  const atomOf = new Map<string, number>()
  const innerAtom: number[] = new Array<number>(innerKeys.length).fill(-1)
  const atoms: Atom[] = []
  signature.forEach((sig, i) => {
    if (sig.length === 0) return // in no relation: nothing can be said about it
    const s = sig.join(',')
    let a = atomOf.get(s)
    if (a === undefined) {
      a = atoms.length
      atomOf.set(s, a)
      atoms.push({ inner: [], value: 0, singletons: 0 })
    }
    const atom = atoms[a]!
    atom.inner.push(i)
    atom.value += innerValues[i]!
    if (innerValues[i] === 1) atom.singletons++
    innerAtom[i] = a
  })
  // Every inner cell of an atom has the same weight in a row (it is part of the signature).
  const atomsOf = (ms: Members): { atoms: number[], coefs: number[] } => {
    const coef = new Map<number, number>()
    ms.idx.forEach((i, k) => coef.set(innerAtom[i]!, ms.w[k]!))
    const atoms = [...coef.keys()].sort((a, b) => a - b)
    return { atoms, coefs: atoms.map(a => coef.get(a)!) }
  }
  const memberKeys = (ms: Members): string[] => ms.idx.map(i => innerKeys[i]!)

  const priors: PreparedPrior[] = priorsIn.map((p, r) => ({
    key: p.key,
    members: memberKeys(priorMembers[r]!),
    value: p.value,
    currentValue: sum(priorMembers[r]!),
    consistent: priorConsistent[r]!,
    ...(priorConsistent[r]! ? atomsOf(priorMembers[r]!) : { atoms: [], coefs: [] }),
  }))
  const priorByKey = new Map(priors.map(p => [p.key, p]))

  const cells: PreparedCell[] = published.map((c, r) => {
    const ms = publishedMembers[r]!
    const members = memberKeys(ms)
    const prior = priorByKey.get(c.key)
    const value = sum(ms)
    return {
      key: c.key,
      members,
      ...atomsOf(ms),
      value,
      sticky: sticky.has(c.key),
      alreadyOut: prior !== undefined && prior.consistent && prior.value === value && prior.members.join('\u0000') === members.join('\u0000'),
    }
  })

  const groups: PreparedGroup[] = groupsIn.map((g, r) => ({ key: g.key, members: memberKeys(groupMembers[r]!), ...atomsOf(groupRelated[r]!), value: sum(groupMembers[r]!) }))

  return { threshold, innerKeys, innerValues, atoms, cells, priors, groups, hiddenNonZero: problem.hiddenNonZero === true }
}
