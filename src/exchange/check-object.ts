/**
 * What a puller checks of each object of a peer's feed beyond its signature: that it is for
 * us, from that peer, in its place in the feed, under an agreement we hold with the same
 * hash, inside what that agreement grants, and with well-formed cells. Nothing that fails
 * these checks is stored.
 */
import { AppError } from '../errors.js'
import { isCodeOf } from '../protocol/area.js'
import { TOTAL_CODE } from '../protocol/codelists.js'
import { findIndicator, TIME_DIMENSION } from '../protocol/indicators.js'
import type { Release, Retraction } from '../protocol/messages.js'
import { grantedDimensions, grantThreshold, inForce } from '../policy/grants.js'
import { yearsOf, type LoadedAgreement } from '../policy/load.js'

export interface FeedPosition {
  peer: string
  self: string
  seq: number
  prev: string | null
}

/** Issuer, audience, sequence number and chain link of a feed object. */
export function checkPlace (p: Release | Retraction, at: FeedPosition): void {
  if (p.issuer !== at.peer) throw new AppError('WRONG_ISSUER', `issued by ${p.issuer}, not by ${at.peer}`)
  if (p.audience !== at.self) throw new AppError('WRONG_AUDIENCE', `addressed to ${p.audience}, not to ${at.self}`)
  if (p.feed_seq !== at.seq) throw new AppError('FEED_MISMATCH', `carries feed_seq ${p.feed_seq} where the feed lists ${at.seq}`)
  if (p.prev !== at.prev) {
    throw new AppError('EQUIVOCATION', `feed_seq ${p.feed_seq} follows ${p.prev ?? 'nothing'}, but the object held at ${p.feed_seq - 1} is ${at.prev ?? 'nothing'}: the feed has forked`)
  }
}

/**
 * The agreement an object is sent under: one we hold with the same hash, with the peer as
 * provider and us as recipient. A release must also be issued while the agreement is in
 * force, and stay inside its grants.
 */
export function checkAgreement (p: Release | Retraction, agreements: readonly LoadedAgreement[], at: FeedPosition): LoadedAgreement {
  const held = agreements.find(l => l.hash === p.agreement.hash)
  if (held === undefined) {
    const ours = agreements.filter(l => l.agreement.provider === at.peer && l.agreement.recipient === at.self).map(l => `${l.agreement.agreement} v${l.agreement.version} ${l.hash}`)
    throw new AppError('AGREEMENT_MISMATCH', `sent under agreement ${p.agreement.id} with hash ${p.agreement.hash}, which this node does not hold (it holds ${ours.length === 0 ? 'no agreement with ' + at.peer : ours.join(', ')})`)
  }
  const a = held.agreement
  if (a.provider !== at.peer || a.recipient !== at.self || a.agreement !== p.agreement.id) {
    throw new AppError('AGREEMENT_MISMATCH', `agreement ${p.agreement.hash} is ${a.agreement} from ${a.provider} to ${a.recipient}, not ${p.agreement.id} from ${at.peer} to ${at.self}`)
  }
  if (p.type === 'release' && !inForce(a, p.issued_at * 1000)) {
    throw new AppError('AGREEMENT_MISMATCH', `issued on a day agreement ${a.agreement} v${a.version} was not in force (${a.validity.from} to ${a.validity.until})`)
  }
  return held
}

/**
 * Whether `p` is a retraction this node accepts under an agreement it no longer holds: every
 * slice it retracts is held now from the peer (`heldSlices`: `indicator|year` to the hash of
 * the agreement its release came under) under the retraction's agreement hash. A retraction
 * only withdraws what that agreement brought in, so removing an ended agreement's file does
 * not keep its tables in place.
 */
export function retractsUnderFormerAgreement (p: Release | Retraction, agreements: readonly LoadedAgreement[], heldSlices: ReadonlyMap<string, string>): boolean {
  if (p.type !== 'retraction' || agreements.some(l => l.hash === p.agreement.hash)) return false
  return p.dataset.years.every(y => heldSlices.get(`${p.dataset.indicator}|${y}`) === p.agreement.hash)
}

/**
 * The dimensions a release of `indicator` for `year` may break down by under `held`: each with
 * the group names the grant allows, or undefined for a dimension granted in codes of its
 * codelist. Undefined when nothing of it is granted.
 */
function grantedBy (held: LoadedAgreement, indicator: string, year: number): Map<string, ReadonlySet<string> | undefined> | undefined {
  const by = grantedDimensions(held.agreement, indicator, year)
  for (const x of held.agreement.prohibitions) {
    if (x.indicator === indicator && x.by === undefined && (x.years === undefined || yearsOf(x.years, 2200).includes(year))) return undefined
  }
  return by === undefined ? undefined : new Map([...by].map(([d, groups]) => [d, groups === undefined ? undefined : new Set(Object.keys(groups))]))
}

function validCode (codelist: string, code: string): boolean {
  return code === TOTAL_CODE || isCodeOf(codelist, code)
}

/**
 * The cells of a release: every key names exactly the indicator's dimensions and the year,
 * with codes from their codelists, or, for a dimension the grant gives in groups, the grant's
 * group names only; a dimension the grant does not allow is always `_T`; no
 * key twice; a value exactly when the status is A; C exactly when Q. Then, over the cells in
 * order: no published value is a small count (1 <= value < T, T the grant's threshold: see
 * {@link grantThreshold}), which the agreement forbids sending.
 */
export function checkCells (p: Release, held: LoadedAgreement): void {
  const indicator = findIndicator(p.dataset.indicator)!
  const years = new Set(p.dataset.years.map(String))
  const allowed = new Map<string, Map<string, ReadonlySet<string> | undefined>>()
  // A year is published only once it has ended: never the year of the release's issue (UTC).
  const issuedYear = new Date(p.issued_at * 1000).getUTCFullYear()
  for (const y of p.dataset.years) {
    const by = grantedBy(held, indicator.id, y)
    if (by === undefined) throw new AppError('GRANT_EXCEEDED', `agreement ${held.agreement.agreement} v${held.agreement.version} does not grant ${indicator.id} for ${y}`)
    if (y >= issuedYear) throw new AppError('GRANT_EXCEEDED', `${indicator.id} ${y}: a year is published only once it has ended, and this release was issued in ${issuedYear}`)
    allowed.set(String(y), by)
  }
  const seen = new Set<string>()
  p.cells.forEach((cell, i) => {
    const where = `cells[${i}]`
    const names = Object.keys(cell.key)
    if (names.length !== indicator.dimensions.length + 1) throw new AppError('CELL_INVALID', `${where}: the key must name ${[...indicator.dimensions.map(d => d.id), TIME_DIMENSION].join(', ')}`)
    const year = cell.key[TIME_DIMENSION]
    if (year === undefined || !years.has(year)) throw new AppError('CELL_INVALID', `${where}: ${TIME_DIMENSION} ${JSON.stringify(year)} is not a year of the release`)
    const by = allowed.get(year)!
    const codes = [year]
    for (const d of indicator.dimensions) {
      const code = Object.hasOwn(cell.key, d.id) ? cell.key[d.id] : undefined
      const groups = by.get(d.id)
      if (groups !== undefined && code !== undefined && code !== TOTAL_CODE) {
        // Granted only in groups: the group names of the agreement, and nothing finer.
        if (!groups.has(code)) throw new AppError('GRANT_EXCEEDED', `${where}: ${d.id} ${JSON.stringify(code)}: the agreement grants ${d.id} only in the groups ${[...groups].join(', ')}`)
      } else {
        if (code === undefined || !validCode(d.codelist, code)) throw new AppError('CELL_INVALID', `${where}: ${d.id} ${JSON.stringify(code)} is not a code of ${d.codelist}`)
        if (code !== TOTAL_CODE && !by.has(d.id)) throw new AppError('GRANT_EXCEEDED', `${where}: broken down by ${d.id}, which the agreement does not grant`)
      }
      codes.push(code)
    }
    const k = codes.join('|')
    if (seen.has(k)) throw new AppError('CELL_INVALID', `${where}: the key ${k} appears twice`)
    seen.add(k)
    const ok = cell.obs_status === 'A'
      ? cell.value !== undefined && cell.conf_status === 'F'
      : cell.value === undefined && (cell.obs_status === 'Q') === (cell.conf_status === 'C')
    if (!ok) throw new AppError('CELL_INVALID', `${where}: status ${cell.obs_status}/${cell.conf_status} ${cell.value === undefined ? 'without' : 'with'} a value`)
  })
  const thresholds = new Map(p.dataset.years.map(y => [String(y), grantThreshold(held.agreement, indicator.id, y)]))
  p.cells.forEach((cell, i) => {
    const threshold = thresholds.get(cell.key[TIME_DIMENSION]!)!
    if (cell.value !== undefined && cell.value >= 1 && cell.value < threshold) {
      throw new AppError('THRESHOLD_BROKEN', `cells[${i}]: the value ${cell.value} is below the threshold ${threshold} of agreement ${held.agreement.agreement} v${held.agreement.version} for ${indicator.id} ${cell.key[TIME_DIMENSION]!}`)
    }
  })
}
