/**
 * Evaluating agreements: which grants are in force at an instant, for which peer. Default
 * deny: an agreement outside its validity window, or of another provider, grants nothing.
 */
import type { Agreement, Grant } from './agreement.js'
import type { GroupMembers, GroupsSpec } from './groups.js'
import { localDate } from './explain.js'
import { yearsOf } from './load.js'
import type { LoadedAgreement } from './load.js'

export interface ActiveGrant {
  recipient: string
  agreement: string
  version: number
  hash: string
  indicator: string
  by: string[]
  /** Years granted that have ended (a year still running is never sent). */
  years: number[]
  threshold: number
  /** Dimensions of `by` granted only in groups of codes (src/policy/groups.ts). */
  groups?: GroupsSpec
}

/** Whether `a` is in force at `nowMs` (its days read in its own time zone). */
export function inForce (a: Agreement, nowMs: number): boolean {
  const today = localDate(nowMs, a.validity.timezone)
  return a.validity.from <= today && today <= a.validity.until
}

/**
 * The last year that may be released at `nowMs`: the year before, once `yearClosesOn` (MM-DD,
 * UTC) of this year has come; the one before that until then. Default: 01-01, as soon as a
 * year has ended.
 */
export function lastClosedYear (nowMs: number, yearClosesOn = '01-01'): number {
  const now = new Date(nowMs)
  const year = now.getUTCFullYear()
  return now.toISOString().slice(5, 10) >= yearClosesOn ? year - 1 : year - 2
}

/**
 * The version of each agreement in force at `nowMs`: of the versions whose validity covers that
 * day, the highest. A version not yet in force (or ended) does not displace another that is:
 * a version 2 dated to start next year leaves version 1 granting until then.
 */
export function versionsInForce (agreements: readonly LoadedAgreement[], nowMs: number): LoadedAgreement[] {
  const current = new Map<string, LoadedAgreement>()
  for (const l of agreements) {
    if (!inForce(l.agreement, nowMs)) continue
    const prev = current.get(l.agreement.agreement)
    if (prev === undefined || prev.agreement.version < l.agreement.version) current.set(l.agreement.agreement, l)
  }
  return [...current.values()].sort((x, y) => x.agreement.agreement.localeCompare(y.agreement.agreement))
}

/**
 * The grants `provider` may act on at `nowMs`: of each agreement the version in force then
 * (see {@link versionsInForce}), with year ranges closed at the last closed year (see
 * {@link lastClosedYear}).
 */
export function activeGrants (agreements: LoadedAgreement[], provider: string, nowMs: number, yearClosesOn?: string): ActiveGrant[] {
  const lastClosed = lastClosedYear(nowMs, yearClosesOn)
  const out: ActiveGrant[] = []
  // A table is sent under one agreement. Two agreements granting it are refused at load
  // (agreementSetProblems); should they reach here, the first by id keeps it, so that a
  // publish does not alternate between them and re-issue it every time.
  const taken = new Map<string, Set<number>>()
  for (const { agreement: a, hash } of versionsInForce(agreements.filter(l => l.agreement.provider === provider), nowMs)) {
    for (const g of a.grants) {
      const grant = toActive(a, hash, g, lastClosed)
      const slice = `${grant.recipient}|${grant.indicator}`
      const years = taken.get(slice) ?? new Set<number>()
      taken.set(slice, years)
      grant.years = grant.years.filter(y => !years.has(y))
      for (const y of grant.years) years.add(y)
      if (grant.years.length > 0) out.push(grant)
    }
  }
  return out
}

function toActive (a: Agreement, hash: string, g: Grant, lastClosed: number): ActiveGrant {
  return {
    recipient: a.recipient,
    agreement: a.agreement,
    version: a.version,
    hash,
    indicator: g.indicator,
    by: g.by,
    years: yearsOf(g.years, lastClosed).filter(y => y <= lastClosed),
    threshold: Math.max(a.threshold, g.threshold ?? 0),
    ...(g.groups === undefined ? {} : { groups: g.groups }),
  }
}

/**
 * The threshold T a release of `indicator` for `year` must respect under `a`: the agreement's,
 * or a grant's own when higher (the highest of the grants covering that indicator-year).
 */
export function grantThreshold (a: Agreement, indicator: string, year: number): number {
  let threshold = a.threshold
  for (const g of a.grants) {
    if (g.indicator === indicator && yearsOf(g.years, 2200).includes(year)) threshold = Math.max(threshold, g.threshold ?? 0)
  }
  return threshold
}

/**
 * What `agreement` grants of `indicator` for `year`, whatever the day: each dimension it may
 * be broken down by, with its groups when the grant gives it only in groups (undefined: in the
 * codes of its codelist). Undefined when no grant covers it. Prohibitions are not applied.
 */
export function grantedDimensions (agreement: Agreement, indicator: string, year: number): Map<string, Record<string, GroupMembers> | undefined> | undefined {
  let by: Map<string, Record<string, GroupMembers> | undefined> | undefined
  for (const g of agreement.grants) {
    if (g.indicator !== indicator || !yearsOf(g.years, 2200).includes(year)) continue
    by ??= new Map()
    for (const d of g.by) by.set(d, g.groups?.[d])
  }
  return by
}
