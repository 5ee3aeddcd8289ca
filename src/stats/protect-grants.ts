/**
 * What each peer receives: the grants of the agreements in force, cut from the persons'
 * profiles of each population-year and protected together, one pattern over the union of
 * everything granted to every peer in every linked indicator (a cell has one status for all of
 * them, and the tables of one population count the same persons). Suppressed cells carry no
 * value and the same flags whatever the reason (CONF_STATUS C, OBS_STATUS Q).
 *
 * What a table lists does not depend on the data: its structure is every combination of the
 * codes of its grant (every codelist code, or every group), and a cell left out of a release
 * is a published 0. Zeros are never hidden, so the audit knows a hidden cell holds at least 1.
 *
 * A population-year is cut from the profiles of its last released version (`released_population`
 * for the first, `population_version` for revisions), whatever the records say now. A change to
 * the records of a released year is a candidate revision: it goes out as the next version when
 * it can be protected together with every version sent before (the persons added to and
 * withdrawn from each cell included), and is otherwise held back, reported with the reason. A
 * year whose records were all withdrawn is retracted.
 */
import { createHash } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { Database } from '../db/types.js'
import type { ActiveGrant } from '../policy/grants.js'
import { codeMatches, groupNamesByDimension } from '../policy/groups.js'
import { TOTAL_CODE } from '../protocol/codelists.js'
import { findIndicator, TIME_DIMENSION } from '../protocol/indicators.js'
import { canonicalJson } from '../protocol/canonical-json.js'
import { type ProtectionProblem, type ProtectionResult } from './disclosure/index.js'
import { compareKeys } from './disclosure/problem.js'
import { protectMany, type ProtectManyOptions } from './disclosure/pool.js'
import { ledgerVersions } from '../policy/ledger.js'
import { attributesOf, indicatorsOfPopulation, MULTI_ATTRIBUTE, populationOf, profileCodes, profileWeight, readProfiles, setCodes, type Population, type Profile } from './populations.js'

export interface OutgoingCell {
  key: Record<string, string>
  value?: number
  obs_status: 'A' | 'Q'
  conf_status: 'F' | 'C'
}

export interface PeerTable {
  recipient: string
  agreement: string
  hash: string
  indicator: string
  year: number
  by: string[]
  cells: OutgoingCell[]
  /** Each cell's key in the ledger, in the order of `cells`: group names as canonical codes. */
  ledgerKeys: string[]
  /** The version of the population-year the table is cut from (0: the first release). */
  version: number
}

export interface ProtectionSummary {
  indicator: string
  year: number
  /** The population the indicator counts: its tables are protected with the other indicators of it. */
  population: Population
  threshold: number
  published: number
  suppressed: number
  ok: boolean
  unsafe: string[]
}

/** Every subset of `dims`, the empty one first. */
function subsets (dims: string[]): string[][] {
  const out: string[][] = [[]]
  for (const d of dims) for (const s of [...out]) out.push([...s, d])
  return out
}

/** A revision held back: the records of a released population-year changed since its last release. */
export interface HeldRevision {
  population: Population
  year: number
  /** Persons in the records now and not in the last release, by profile (an edited record counts here and in `withdrawn`). */
  added: number
  /** Persons in the last release and not in the records now, by profile. */
  withdrawn: number
  /** When the version peers hold was released (the first release, or the last revision that went out). */
  releasedAt: Date
  /** Why the change cannot go out yet, in words. */
  reason: string
}

/** A revision that goes out with these tables: a new version of a released population-year. */
export interface RevisionOut {
  population: Population
  year: number
  /** 1 for the first revision of the year, then 2, ... */
  version: number
  added: number
  withdrawn: number
}

/** The profiles a version of a population-year is cut from, stored when it is released. */
export interface PopulationSnapshot {
  population: Population
  year: number
  /** 0 for the first release, 1, 2, ... for revisions that went out. */
  version: number
  /** Canonical JSON of [[profile key, persons], ...] sorted by key. */
  profiles: string
  digest: string
  /** Persons added and withdrawn since the version before (0 for the first release). */
  added: number
  withdrawn: number
}

/** One population-year cut for every grant of its indicators. */
export interface GrantCut {
  population: Population
  year: number
  /** The attributes of the profiles, in key order. */
  attributes: string[]
  /** The profiles the tables are cut from (the version sent now). */
  profiles: Profile[]
  /** That version: 0 for the first release, 1, 2, ... after revisions. */
  version: number
  grants: ActiveGrant[]
  /** The highest threshold any grant of this population-year demands: one pattern for all. */
  threshold: number
  /**
   * Every published key with records (all peers, all indicators of the population): the
   * indicator and its ledger key, `V1:IDENT|F|_T|_T`, with its true value. Keys of the structure
   * not listed are zeros. The persons each counts are in `problem`.
   */
  published: Map<string, { value: number }>
  /** The keys (with records) each grant receives. */
  keysByGrant: Map<ActiveGrant, string[]>
  /**
   * The protection problem for the engine, or undefined when there is nothing to protect. Cells
   * that count the same persons (V1's and V2's totals, say) are one cell of it, under the first
   * of their keys: they have one status, and are audited once. After a revision its inner cells
   * are the persons' profiles split by the versions they are in (see {@link lifetimes}).
   */
  problem: ProtectionProblem | undefined
  /** Every published key -> the key of the problem's cell with the same persons. */
  representative: Map<string, string>
  /** Set when the records changed since the last release and the change is not sent. */
  held: HeldRevision | undefined
  /** Set when these tables are a revision: a new version of a released population-year. */
  revision: RevisionOut | undefined
  /** The snapshot to store if something of it is released now (undefined: it is stored already). */
  snapshot: PopulationSnapshot | undefined
}

function snapshotOf (population: Population, year: number, counts: ReadonlyMap<string, number>, version = 0, added = 0, withdrawn = 0): PopulationSnapshot {
  const text = canonicalJson([...counts].sort(([a], [b]) => compareKeys(a, b)))
  return { population, year, version, profiles: text, digest: createHash('sha256').update(text).digest('base64url'), added, withdrawn }
}

/** A released version of a population-year: the persons per profile it was cut from. */
interface Version { counts: Map<string, number>, digest: string, releasedAt: Date }

/** The released versions of a population-year, oldest (the first release) first; empty when never released. */
async function releasedVersions (db: Kysely<Database>, population: Population, year: number): Promise<Version[]> {
  const first = await db.selectFrom('released_population').select(['profiles', 'digest', 'released_at'])
    .where('population', '=', population).where('year', '=', year).executeTakeFirst()
  if (first === undefined) return []
  const later = await db.selectFrom('population_version').select(['profiles', 'digest', 'released_at', 'version'])
    .where('population', '=', population).where('year', '=', year).orderBy('version').execute()
  return [first, ...later].map(r => ({ counts: new Map(JSON.parse(r.profiles) as Array<[string, number]>), digest: r.digest, releasedAt: new Date(r.released_at) }))
}

/** Persons added and withdrawn from one version to the next, by profile. */
function changeOf (before: ReadonlyMap<string, number>, after: ReadonlyMap<string, number>): { added: number, withdrawn: number } {
  let added = 0
  let withdrawn = 0
  for (const key of new Set([...before.keys(), ...after.keys()])) {
    const diff = (after.get(key) ?? 0) - (before.get(key) ?? 0)
    if (diff > 0) added += diff
    else withdrawn -= diff
  }
  return { added, withdrawn }
}

/**
 * The persons of a profile across versions 0..K, as groups present in one unbroken run of
 * versions [from, to] (the attacker knows that unchanged records are the same records): a rise
 * in a profile's count starts a group, a fall ends the newest ones. These are the inner cells of
 * the problem; with one version they are the profiles themselves, under their own keys.
 */
interface Lifetime { key: string, profile: string, from: number, to: number, count: number }

function lifetimes (states: ReadonlyArray<ReadonlyMap<string, number>>): Lifetime[] {
  const K = states.length - 1
  const profiles = [...new Set(states.flatMap(s => [...s.keys()]))].sort()
  const out: Lifetime[] = []
  for (const profile of profiles) {
    const runs = new Map<string, Lifetime>()
    const close = (from: number, to: number, count: number): void => {
      const key = K === 0 ? profile : `${profile}#${from}-${to}`
      const run = runs.get(key)
      if (run === undefined) runs.set(key, { key, profile, from, to, count })
      else run.count += count
    }
    const open: Array<{ from: number, count: number }> = []
    let before = 0
    states.forEach((state, v) => {
      const n = state.get(profile) ?? 0
      if (n > before) open.push({ from: v, count: n - before })
      for (let fall = before - n; fall > 0;) {
        const top = open.at(-1)!
        const k = Math.min(fall, top.count)
        close(top.from, v - 1, k)
        top.count -= k
        fall -= k
        if (top.count === 0) open.pop()
      }
      before = n
    })
    for (const o of open) close(o.from, K, o.count)
    out.push(...[...runs.values()].sort((a, b) => a.from - b.from || a.to - b.to))
  }
  return out
}

/** The profiles a cut is sent from, sorted by key. */
function profilesOf (counts: ReadonlyMap<string, number>): Profile[] {
  return [...counts].filter(([, n]) => n > 0).sort(([a], [b]) => compareKeys(a, b)).map(([key, count]) => ({ key, codes: profileCodes(key), count }))
}

/** A population-year's key in {@link CutOptions}: `victims|2023`. */
function sliceOf (population: Population, year: number): string {
  return `${population}|${year}`
}

/** Options of {@link cutGrants}. */
export interface CutOptions {
  /** Population-years (`victims|2023`) whose changed records are held back, with the reason: cut from their last release. */
  hold?: ReadonlyMap<string, string>
  /** Only these population-years (`victims|2023`). */
  only?: ReadonlySet<string>
}

/**
 * The cells of one grant's table (every grouping of its `by`, margins included) that have
 * records, each with the profiles it counts and their weights. For a dimension given in groups
 * a profile counts in the group holding its code, under the group's canonical code (the same
 * set of codes is one cell for all).
 */
function grantCells (g: ActiveGrant, attributes: readonly string[], profiles: readonly Profile[]): Map<string, Map<string, number>> {
  const dims = findIndicator(g.indicator)!.dimensions.map(d => d.id)
  const groups = groupNamesByDimension(g.indicator, g.groups)
  const groupOf = dims.map((_, i) => {
    const grouped = groups[i]
    if (grouped === undefined) return undefined
    const cache = new Map<string, string>()
    return (code: string): string => {
      let c = cache.get(code)
      if (c === undefined) {
        c = [...grouped.keys()].find(group => codeMatches(group, code))
        if (c === undefined) throw new Error(`${g.indicator}: code ${code} of ${dims[i]!} is in no group of agreement ${g.agreement}`)
        cache.set(code, c)
      }
      return c
    }
  })
  const cells = new Map<string, Map<string, number>>()
  const add = (key: string, profile: string, weight: number): void => {
    let members = cells.get(key)
    if (members === undefined) cells.set(key, members = new Map())
    members.set(profile, (members.get(profile) ?? 0) + weight)
  }
  for (const sub of subsets(g.by)) {
    for (const p of profiles) {
      // Each dimension's codes in this grouping, and how many times the profile counts.
      let combos: string[][] = [[]]
      let weight = 1
      for (let i = 0; i < dims.length; i++) {
        const d = dims[i]!
        const value = p.codes[attributes.indexOf(d)]!
        if (d === MULTI_ATTRIBUTE) {
          const codes = setCodes(value)
          if (sub.includes(d)) combos = combos.flatMap(c => codes.map(code => [...c, code]))
          else {
            weight *= codes.length
            combos = combos.map(c => [...c, TOTAL_CODE])
          }
        } else {
          const code = !sub.includes(d) ? TOTAL_CODE : groupOf[i] === undefined ? value : groupOf[i]!(value)
          combos = combos.map(c => [...c, code])
        }
      }
      if (weight === 0) continue
      for (const c of combos) add(`${g.indicator}:${c.join('|')}`, p.key, weight)
    }
  }
  return cells
}

/** The profiles a cell of `indicator` with `cellCodes` counts, and how many times each. */
function membersOf (indicator: string, attributes: readonly string[], profiles: readonly Profile[], cellCodes: readonly string[]): { members: string[], weights: number[] } {
  const members: string[] = []
  const weights: number[] = []
  for (const p of profiles) {
    const w = profileWeight(indicator, attributes, p.codes, cellCodes, codeMatches)
    if (w > 0) { members.push(p.key); weights.push(w) }
  }
  return { members, weights }
}

/**
 * Cuts the tables the grants allow, population-year by population-year: within a table a grant
 * gets every grouping of its dimensions (coarser breakdowns and margins included); cells with
 * no records are zeros and are not listed. A population-year with no records yields no cells.
 * The problem carries the ledger of every indicator of the population: what was sent before,
 * in every version.
 *
 * Versions: a population-year never released is cut from its records (version 0). One released
 * before is cut from its last released version while the records agree with it; when they
 * changed, the records are cut as the next version (a candidate revision: `revision` is set,
 * and protecting it tells whether it may go out), unless `options.hold` holds it back, when it
 * is cut from the last release again with `held` set.
 */
export async function cutGrants (db: Kysely<Database>, grants: ActiveGrant[], options: CutOptions = {}): Promise<GrantCut[]> {
  const cuts: GrantCut[] = []
  const slices = new Map<string, ActiveGrant[]>()
  for (const g of grants) {
    for (const y of g.years) {
      const k = sliceOf(populationOf(g.indicator), y)
      if (options.only !== undefined && !options.only.has(k)) continue
      slices.set(k, [...(slices.get(k) ?? []), g])
    }
  }
  for (const [slice, sliceGrants] of [...slices].sort(([a], [b]) => a.localeCompare(b))) {
    const [population, yearText] = slice.split('|') as [Population, string]
    const year = Number(yearText)
    const attributes = attributesOf(population)
    const current = new Map((await readProfiles(db, population, year)).map(p => [p.key, p.count]))
    const versions = await releasedVersions(db, population, year)
    // The versions the problem spans, oldest first: the tables are cut from the last.
    let states: Array<Map<string, number>> = [current]
    let snapshot: PopulationSnapshot | undefined
    let held: HeldRevision | undefined
    let revision: RevisionOut | undefined
    if (versions.length === 0) snapshot = snapshotOf(population, year, current)
    else if (current.size === 0) {
      // Every record withdrawn: nothing is left to show, and its releases are retracted (a
      // retraction carries no figure). Records imported again are cut from the releases again.
      states = []
    } else {
      states = versions.map(v => v.counts)
      const last = versions.at(-1)!
      if (snapshotOf(population, year, current).digest !== last.digest) {
        const change = changeOf(last.counts, current)
        const reason = options.hold?.get(slice)
        if (reason !== undefined) held = { population, year, ...change, releasedAt: last.releasedAt, reason }
        else {
          revision = { population, year, version: versions.length, ...change }
          snapshot = snapshotOf(population, year, current, versions.length, change.added, change.withdrawn)
          states.push(current)
        }
      }
    }
    const K = states.length - 1
    const profiles = profilesOf(states[K] ?? new Map<string, number>())
    // Every profile of any version: a cell's persons, whatever version they are in.
    const everyProfile = profilesOf(new Map(states.flatMap(st => [...st])))
    const cellsOf = new Map<string, Map<string, number>>()
    const published = new Map<string, { value: number }>()
    const keysByGrant = new Map<ActiveGrant, string[]>()
    const valueAt = (members: ReadonlyMap<string, number>, v: number): number => {
      let n = 0
      for (const [m, w] of members) n += w * (states[v]!.get(m) ?? 0)
      return n
    }
    for (const g of sliceGrants) {
      const cells = grantCells(g, attributes, everyProfile)
      const keys: string[] = []
      for (const [key, members] of cells) {
        if (!cellsOf.has(key)) cellsOf.set(key, members)
        const value = valueAt(members, K)
        if (value === 0) continue
        keys.push(key)
        if (!published.has(key)) published.set(key, { value })
      }
      keysByGrant.set(g, keys.sort())
    }
    const threshold = Math.max(...sliceGrants.map(g => g.threshold))
    let problem: ProtectionProblem | undefined
    const representative = new Map<string, string>()
    if (published.size > 0) {
      const runs = lifetimes(states)
      const runsOf = new Map<string, Lifetime[]>()
      const persons = new Map<string, number>()
      for (const r of runs) {
        runsOf.set(r.profile, [...(runsOf.get(r.profile) ?? []), r])
        persons.set(r.key, r.count)
      }
      // A cell's inner cells at version v: the runs of its profiles present in v.
      const at = (members: ReadonlyMap<string, number>, v: number, pick: (r: Lifetime) => boolean = r => r.from <= v && v <= r.to): { members: string[], weights: number[] } => {
        const list: Array<[string, number]> = []
        for (const [m, w] of members) for (const r of runsOf.get(m) ?? []) if (pick(r)) list.push([r.key, w])
        list.sort(([a], [b]) => compareKeys(a, b))
        return { members: list.map(([m]) => m), weights: list.map(([, w]) => w) }
      }
      const profilesIn = (key: string): Map<string, number> => {
        let members = cellsOf.get(key)
        if (members === undefined) {
          const [indicator, codes] = [key.slice(0, key.indexOf(':')), key.slice(key.indexOf(':') + 1).split('|')]
          const m = membersOf(indicator, attributes, everyProfile, codes)
          cellsOf.set(key, members = new Map(m.members.map((p, i) => [p, m.weights[i]!])))
        }
        return members
      }
      const versionKey = (key: string, v: number): string => v === K ? key : `${key} (as released in version ${v})`
      // Sticky: what was suppressed before stays suppressed, and what was sent before
      // constrains the attacker, whoever received it, in every indicator of the population,
      // granted today or not, in every version.
      const sticky: Array<{ key: string, members: string[], weights: number[] }> = []
      // Keys hidden in any version stay hidden in the next ones.
      const hiddenKeys = new Set<string>()
      const priors: NonNullable<ProtectionProblem['alreadyPublished']> = []
      const everKeys = new Set(published.keys())
      for (const indicator of indicatorsOfPopulation(population)) {
        for (const [v, ledger] of await ledgerVersions(db, indicator, year)) {
          if (v > K) continue
          for (const k of ledger.suppressed) {
            const key = `${indicator}:${k}`
            everKeys.add(key)
            hiddenKeys.add(key)
            const cell = at(profilesIn(key), v)
            if (cell.members.length > 0) sticky.push({ key: versionKey(key, v), ...cell })
          }
          for (const prior of ledger.published) {
            const key = `${indicator}:${prior.key}`
            everKeys.add(key)
            const cell = at(profilesIn(key), v)
            if (cell.members.length > 0) priors.push({ key: versionKey(key, v), ...cell, value: prior.value })
          }
        }
      }
      // One cell per set of persons counted (with their weights): same content, same status.
      // Today's keys come first, so that they represent the cells sent earlier with their content.
      const content = (members: string[], weights: number[]): string => members.map((m, i) => `${m}*${weights[i]!}`).join(',')
      const byContent = new Map<string, string>()
      const cells = new Map<string, { members: string[], weights: number[] }>()
      for (const key of [...published.keys()].sort()) {
        const cell = at(profilesIn(key), K)
        const c = content(cell.members, cell.weights)
        if (!byContent.has(c)) { byContent.set(c, key); cells.set(key, cell) }
        representative.set(key, byContent.get(c)!)
      }
      // Cells hidden earlier and not cut today (another version, or a grant that has ended)
      // stay hidden cells of the problem: an attacker knows they hold at least one.
      const alreadySuppressed = new Set<string>()
      for (const key of hiddenKeys) if (representative.has(key)) alreadySuppressed.add(representative.get(key)!)
      for (const cell of sticky.sort((a, b) => compareKeys(a.key, b.key))) {
        const c = content(cell.members, cell.weights)
        if (!byContent.has(c)) { byContent.set(c, cell.key); cells.set(cell.key, cell) }
        alreadySuppressed.add(byContent.get(c)!)
      }
      // What a revision changed, per cell: the persons added to it and withdrawn from it at each
      // version. A group of 1 to T - 1 persons is protected like a hidden cell (a cell that
      // moves by 1 tells the attributes of the person added or withdrawn). The attacker may know
      // how many persons were added and withdrawn in all: equations.
      const groups: NonNullable<ProtectionProblem['groups']> = []
      const seenGroups = new Set<string>()
      const keysEver = [...everKeys].sort()
      for (let t = 1; t <= K; t++) {
        const added = (r: Lifetime): boolean => r.from === t
        const withdrawn = (r: Lifetime): boolean => r.to === t - 1
        for (const [pick, what, prior] of [[added, 'added', '~added'], [withdrawn, 'withdrawn', '~withdrawn']] as const) {
          const all = runs.filter(pick)
          if (all.length > 0) priors.push({ key: `${prior} ${t}`, members: all.map(r => r.key), weights: all.map(() => 1), value: all.reduce((n, r) => n + r.count, 0) })
          for (const key of keysEver) {
            const group = at(profilesIn(key), t, pick)
            if (group.members.length === 0) continue
            const value = group.members.reduce((n, m, i) => n + group.weights[i]! * persons.get(m)!, 0)
            const id = content(group.members, group.weights)
            if (value >= threshold || seenGroups.has(id)) continue
            seenGroups.add(id)
            groups.push({ key: `${key} (${what} in revision ${t})`, ...group })
          }
        }
      }
      const seenPriors = new Set<string>()
      problem = {
        inner: runs.map(r => ({ key: r.key, value: r.count })),
        published: [...cells].map(([key, cell]) => ({ key, ...cell })),
        threshold,
        alreadySuppressed: [...alreadySuppressed],
        // An earlier release of the same persons with the same value is one equation.
        alreadyPublished: priors.filter(p => {
          const id = `${content(p.members, p.weights!)}=${p.value}`
          if (seenPriors.has(id)) return false
          seenPriors.add(id)
          return true
        }),
        hiddenNonZero: true,
        ...(groups.length > 0 ? { groups } : {}),
      }
    }
    cuts.push({ population, year, attributes, profiles, version: Math.max(K, 0), grants: sliceGrants, threshold, published, keysByGrant, problem, representative, held, revision, snapshot })
  }
  return cuts
}

/**
 * The tables each grant of `cut` receives, with the keys in `suppressed` hidden: the cells with
 * records, sorted by key; every other cell of the grant's structure is a published 0.
 */
export function tablesOf (cut: GrantCut, suppressed: ReadonlySet<string>): PeerTable[] {
  return cut.grants.map(g => {
    const dims = findIndicator(g.indicator)!.dimensions.map(d => d.id)
    const groups = groupNamesByDimension(g.indicator, g.groups)
    const keys = cut.keysByGrant.get(g) ?? []
    const prefix = `${g.indicator}:`
    const cells = keys.map(key => {
      const codes = key.slice(prefix.length).split('|')
      const k: Record<string, string> = { [TIME_DIMENSION]: String(cut.year) }
      // The peer receives a group's name, as its agreement writes it.
      dims.forEach((d, i) => { k[d] = groups[i]?.get(codes[i]!) ?? codes[i]! })
      return suppressed.has(key)
        ? { key: k, obs_status: 'Q' as const, conf_status: 'C' as const }
        : { key: k, value: cut.published.get(key)!.value, obs_status: 'A' as const, conf_status: 'F' as const }
    })
    return { recipient: g.recipient, agreement: g.agreement, hash: g.hash, indicator: g.indicator, year: cut.year, by: g.by, cells, ledgerKeys: keys.map(k => k.slice(prefix.length)), version: cut.version }
  })
}

/** What {@link protectGrants} gives. */
export interface ProtectedGrants {
  tables: PeerTable[]
  /** One entry per indicator-year cut. */
  summary: ProtectionSummary[]
  /** Released population-years whose records changed since and whose change cannot go out yet: cut from their last release. */
  held: HeldRevision[]
  /** Revisions of released population-years that go out with these tables. */
  revisions: RevisionOut[]
  /** Versions released for the first time if their tables are sent now: store them with {@link recordReleasedPopulation}. */
  snapshots: PopulationSnapshot[]
}

/** Why a candidate revision cannot go out, in words for an operator. */
function holdReason (cut: GrantCut, result: ProtectionResult | undefined): string {
  const T = cut.threshold
  const { added, withdrawn } = cut.revision!
  const small = [added >= 1 && added < T ? `${added} person(s) added` : '', withdrawn >= 1 && withdrawn < T ? `${withdrawn} withdrawn` : ''].filter(x => x !== '')
  if (small.length > 0) {
    return `${small.join(' and ')} since the last release, fewer than the threshold ${T}: the change itself would be a small cell. ` +
      `It goes out once at least ${T} persons have been added (and none or at least ${T} withdrawn) since then, and can be protected`
  }
  const first = result?.unsafe[0]
  return `the change cannot be protected together with what was released before${first === undefined ? '' : ` (${first.key}: ${first.reason})`}`
}

/**
 * Cuts and protects the tables the grants allow: one pattern per population-year over the
 * union of every peer's grants of every indicator of that population (see {@link cutGrants}).
 * A population-year that cannot be made safe is listed in the summary with the reason, under
 * each of its indicators, and produced for nobody. A revision of a released population-year
 * goes out when it can be protected together with every version released before (the persons
 * added and withdrawn in each cell protected too); otherwise it is held back, with the reason,
 * and the last release is sent again.
 */
export async function protectGrants (db: Kysely<Database>, grants: ActiveGrant[], options: ProtectManyOptions = {}): Promise<ProtectedGrants> {
  const out: ProtectedGrants = { tables: [], summary: [], held: [], revisions: [], snapshots: [] }
  let cuts = await cutGrants(db, grants)
  // Population-years are independent problems: the large ones are protected in parallel.
  const solve = async (list: GrantCut[]): Promise<Map<ProtectionProblem, ProtectionResult>> => {
    const problems = list.flatMap(cut => cut.problem === undefined ? [] : [cut.problem])
    // Publishing needs the pattern and whether it is safe, not the final intervals.
    const solved = await protectMany(problems, { ...options, protect: { intervals: false, ...options.protect } })
    return new Map(problems.map((p, i) => [p, solved[i]!]))
  }
  const results = await solve(cuts)
  // Revisions that cannot be protected are held back: those population-years are cut from
  // their last release again.
  const hold = new Map<string, string>()
  for (const cut of cuts) {
    const result = cut.problem === undefined ? undefined : results.get(cut.problem)
    if (cut.revision !== undefined && result?.ok === false) hold.set(sliceOf(cut.population, cut.year), holdReason(cut, result))
  }
  if (hold.size > 0) {
    const again = await cutGrants(db, grants, { hold, only: new Set(hold.keys()) })
    for (const [p, r] of await solve(again)) results.set(p, r)
    const bySlice = new Map(again.map(c => [sliceOf(c.population, c.year), c]))
    cuts = cuts.map(c => bySlice.get(sliceOf(c.population, c.year)) ?? c)
  }
  for (const cut of cuts) {
    const result: ProtectionResult | undefined = cut.problem === undefined ? undefined : results.get(cut.problem)
    const hidden = new Set(result?.suppressed ?? [])
    const suppressed = new Set([...cut.representative].filter(([, r]) => hidden.has(r)).map(([key]) => key))
    const ok = result?.ok ?? true
    const unsafe = (result?.unsafe ?? []).map(u => `${u.key}: ${u.reason}`)
    for (const indicator of [...new Set(cut.grants.map(g => g.indicator))].sort()) {
      const keys = [...cut.published.keys()].filter(k => k.startsWith(`${indicator}:`))
      out.summary.push({ indicator, year: cut.year, population: cut.population, threshold: cut.threshold, published: keys.length, suppressed: keys.filter(k => suppressed.has(k)).length, ok, unsafe })
    }
    if (cut.held !== undefined) out.held.push(cut.held)
    // A population-year that cannot be made safe is refused for every peer, never sent half-protected.
    if (!ok) continue
    out.tables.push(...tablesOf(cut, suppressed))
    if (cut.revision !== undefined) out.revisions.push(cut.revision)
    if (cut.snapshot !== undefined && cut.published.size > 0) out.snapshots.push(cut.snapshot)
  }
  return out
}

/** Stores the profiles a version of a population-year is released from (once; later releases are cut from the last version). */
export async function recordReleasedPopulation (db: Kysely<Database>, snapshot: PopulationSnapshot, now: Date): Promise<void> {
  if (snapshot.version === 0) {
    await db.insertInto('released_population').values({ population: snapshot.population, year: snapshot.year, profiles: snapshot.profiles, digest: snapshot.digest, released_at: now })
      .onConflict(oc => oc.columns(['population', 'year']).doNothing()).execute()
    return
  }
  await db.insertInto('population_version').values({ population: snapshot.population, year: snapshot.year, version: snapshot.version, profiles: snapshot.profiles, digest: snapshot.digest, added: snapshot.added, withdrawn: snapshot.withdrawn, released_at: now })
    .onConflict(oc => oc.columns(['population', 'year', 'version']).doNothing()).execute()
}
