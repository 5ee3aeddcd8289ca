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
 * A population-year is cut from the profiles it had when it was first released
 * (`released_population`), whatever the records say now: releases of one year never differ, so
 * differencing two of them reveals nothing. A change to the records of a released year is a
 * held revision, reported and not sent; a year whose records were all withdrawn is retracted.
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
import { protectMany, type ProtectManyOptions } from './disclosure/pool.js'
import { ledgerState } from '../policy/ledger.js'
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

/** A revision held back: the records of a released population-year changed since its release. */
export interface HeldRevision {
  population: Population
  year: number
  /** Persons in the records now and not in the release, by profile (an edited record counts here and in `withdrawn`). */
  added: number
  /** Persons in the release and not in the records now, by profile. */
  withdrawn: number
  /** When the population-year was first released. */
  releasedAt: Date
}

/** The profiles a population-year is cut from, as stored when it is first released. */
export interface PopulationSnapshot {
  population: Population
  year: number
  /** Canonical JSON of [[profile key, persons], ...] sorted by key. */
  profiles: string
  digest: string
}

/** One population-year cut for every grant of its indicators. */
export interface GrantCut {
  population: Population
  year: number
  /** The attributes of the profiles, in key order. */
  attributes: string[]
  profiles: Profile[]
  grants: ActiveGrant[]
  /** The highest threshold any grant of this population-year demands: one pattern for all. */
  threshold: number
  /**
   * Every published key with records (all peers, all indicators of the population): the
   * indicator and its ledger key, `V1:IDENT|F|_T|_T`, with its profiles, how many times each
   * counts, and the true value. Keys of the structure not listed are zeros.
   */
  published: Map<string, { members: string[], weights: number[], value: number }>
  /** The keys (with records) each grant receives. */
  keysByGrant: Map<ActiveGrant, string[]>
  /**
   * The protection problem for the engine, or undefined when there is nothing to protect. Cells
   * that count the same persons (V1's and V2's totals, say) are one cell of it, under the first
   * of their keys: they have one status, and are audited once.
   */
  problem: ProtectionProblem | undefined
  /** Every published key -> the key of the problem's cell with the same persons. */
  representative: Map<string, string>
  /** Set when the records changed since the population-year was released: not sent. */
  held: HeldRevision | undefined
  /** The snapshot to store if something of it is released now (undefined: it is stored already). */
  snapshot: PopulationSnapshot | undefined
}

function snapshotOf (population: Population, year: number, profiles: Profile[]): PopulationSnapshot {
  const text = canonicalJson(profiles.map(p => [p.key, p.count]))
  return { population, year, profiles: text, digest: createHash('sha256').update(text).digest('base64url') }
}

/**
 * The profiles a population-year is cut from: the stored snapshot when it was released before
 * (with the revision held back, if the records changed since), else the records as they are.
 */
async function profilesToCut (db: Kysely<Database>, population: Population, year: number): Promise<{ profiles: Profile[], held?: HeldRevision, snapshot?: PopulationSnapshot }> {
  const current = await readProfiles(db, population, year)
  const now = snapshotOf(population, year, current)
  const stored = await db.selectFrom('released_population').select(['profiles', 'digest', 'released_at'])
    .where('population', '=', population).where('year', '=', year).executeTakeFirst()
  if (stored === undefined) return { profiles: current, snapshot: now }
  // Every record withdrawn: nothing is left to show, and its releases are retracted (a
  // retraction carries no figure). Records imported again are cut from the release again.
  if (current.length === 0) return { profiles: [] }
  const pairs = JSON.parse(stored.profiles) as Array<[string, number]>
  const profiles = pairs.map(([key, count]) => ({ key, codes: profileCodes(key), count }))
  if (stored.digest === now.digest) return { profiles }
  const before = new Map(pairs)
  let added = 0
  let withdrawn = 0
  for (const p of current) {
    const diff = p.count - (before.get(p.key) ?? 0)
    if (diff > 0) added += diff
    else withdrawn -= diff
    before.delete(p.key)
  }
  for (const n of before.values()) withdrawn += n
  return { profiles, held: { population, year, added, withdrawn, releasedAt: new Date(stored.released_at) } }
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
 * The problem carries the ledger of every indicator of the population: what was sent before.
 */
export async function cutGrants (db: Kysely<Database>, grants: ActiveGrant[]): Promise<GrantCut[]> {
  const cuts: GrantCut[] = []
  const slices = new Map<string, ActiveGrant[]>()
  for (const g of grants) {
    for (const y of g.years) {
      const k = `${populationOf(g.indicator)}|${y}`
      slices.set(k, [...(slices.get(k) ?? []), g])
    }
  }
  for (const [slice, sliceGrants] of [...slices].sort(([a], [b]) => a.localeCompare(b))) {
    const [population, yearText] = slice.split('|') as [Population, string]
    const year = Number(yearText)
    const attributes = attributesOf(population)
    const { profiles, held, snapshot } = await profilesToCut(db, population, year)
    const published = new Map<string, { members: string[], weights: number[], value: number }>()
    const keysByGrant = new Map<ActiveGrant, string[]>()
    const counts = new Map(profiles.map(p => [p.key, p.count]))
    for (const g of sliceGrants) {
      const cells = grantCells(g, attributes, profiles)
      keysByGrant.set(g, [...cells.keys()].sort())
      for (const [key, members] of cells) {
        if (published.has(key)) continue
        const list = [...members].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        published.set(key, { members: list.map(([m]) => m), weights: list.map(([, w]) => w), value: list.reduce((sum, [m, w]) => sum + w * counts.get(m)!, 0) })
      }
    }
    const threshold = Math.max(...sliceGrants.map(g => g.threshold))
    let problem: ProtectionProblem | undefined
    const representative = new Map<string, string>()
    if (published.size > 0) {
      // Sticky: what was suppressed before stays suppressed, and what was sent before
      // constrains the attacker, whoever received it, in every indicator of the population,
      // granted today or not.
      const suppressed: string[] = []
      const priors: NonNullable<ProtectionProblem['alreadyPublished']> = []
      for (const indicator of indicatorsOfPopulation(population)) {
        const ledger = await ledgerState(db, indicator, year)
        for (const k of ledger.suppressed) if (published.has(`${indicator}:${k}`)) suppressed.push(`${indicator}:${k}`)
        for (const prior of ledger.published) {
          const key = `${indicator}:${prior.key}`
          // A key granted today is cut already; one no grant covers today is matched here.
          const { members, weights } = published.get(key) ?? membersOf(indicator, attributes, profiles, prior.key.split('|'))
          if (members.length > 0) priors.push({ key, members, weights, value: prior.value })
        }
      }
      // One cell per set of persons counted (with their weights): same content, same status.
      const content = (members: string[], weights: number[]): string => members.map((m, i) => `${m}*${weights[i]!}`).join(',')
      const byContent = new Map<string, string>()
      for (const key of [...published.keys()].sort()) {
        const p = published.get(key)!
        const c = content(p.members, p.weights)
        if (!byContent.has(c)) byContent.set(c, key)
        representative.set(key, byContent.get(c)!)
      }
      const seenPriors = new Set<string>()
      problem = {
        inner: profiles.map(p => ({ key: p.key, value: p.count })),
        published: [...new Set(representative.values())].map(key => ({ key, members: published.get(key)!.members, weights: published.get(key)!.weights })),
        threshold,
        alreadySuppressed: [...new Set(suppressed.map(k => representative.get(k)!))],
        // An earlier release of the same persons with the same value is one equation.
        alreadyPublished: priors.filter(p => {
          const id = `${content(p.members, p.weights!)}=${p.value}`
          if (seenPriors.has(id)) return false
          seenPriors.add(id)
          return true
        }),
        hiddenNonZero: true,
      }
    }
    cuts.push({ population, year, attributes, profiles, grants: sliceGrants, threshold, published, keysByGrant, problem, representative, held, snapshot })
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
    return { recipient: g.recipient, agreement: g.agreement, hash: g.hash, indicator: g.indicator, year: cut.year, by: g.by, cells, ledgerKeys: keys.map(k => k.slice(prefix.length)) }
  })
}

/** What {@link protectGrants} gives. */
export interface ProtectedGrants {
  tables: PeerTable[]
  /** One entry per indicator-year cut. */
  summary: ProtectionSummary[]
  /** Released population-years whose records changed since: cut from their release, the change not sent. */
  held: HeldRevision[]
  /** Population-years released for the first time if their tables are sent now: store them with {@link recordReleasedPopulation}. */
  snapshots: PopulationSnapshot[]
}

/**
 * Cuts and protects the tables the grants allow: one pattern per population-year over the
 * union of every peer's grants of every indicator of that population (see {@link cutGrants}).
 * A population-year that cannot be made safe is listed in the summary with the reason, under
 * each of its indicators, and produced for nobody.
 */
export async function protectGrants (db: Kysely<Database>, grants: ActiveGrant[], options: ProtectManyOptions = {}): Promise<ProtectedGrants> {
  const out: ProtectedGrants = { tables: [], summary: [], held: [], snapshots: [] }
  const cuts = await cutGrants(db, grants)
  // Population-years are independent problems: the large ones are protected in parallel.
  const problems = cuts.flatMap(cut => cut.problem === undefined ? [] : [cut.problem])
  const solved = await protectMany(problems, options)
  const results = new Map(problems.map((p, i) => [p, solved[i]!]))
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
    if (cut.snapshot !== undefined && cut.published.size > 0) out.snapshots.push(cut.snapshot)
  }
  return out
}

/** Stores the profiles a population-year is released from (once; later releases are cut from them). */
export async function recordReleasedPopulation (db: Kysely<Database>, snapshot: PopulationSnapshot, now: Date): Promise<void> {
  await db.insertInto('released_population').values({ population: snapshot.population, year: snapshot.year, profiles: snapshot.profiles, digest: snapshot.digest, released_at: now })
    .onConflict(oc => oc.columns(['population', 'year']).doNothing()).execute()
}
