/**
 * Agreements in plain English, for legal officers who read agreements, not code: one
 * agreement explained, two versions compared, and the regional matrix of who shares what.
 */
import { CODELISTS, COUNTRY_NAMES, type CountryCode } from '../protocol/codelists.js'
import { dimensionCodelist, findIndicator } from '../protocol/indicators.js'
import { KNOWN_LIAISONS } from '../node/identity.js'
import { PURPOSES, type Agreement, type Grant, type Prohibition, type YearSpec } from './agreement.js'
import type { GroupMembers } from './groups.js'

const DIMENSION_NAMES: Readonly<Record<string, string>> = {
  SEX: 'sex',
  AGE_GROUP: 'age group (child or adult)',
  CITIZEN_GRP: 'citizenship group',
  VICT_STATUS: 'victim status (identified or presumed)',
  EXPLOIT: 'form of exploitation',
  CITIZENSHIP: 'citizenship',
  COUNTRY_OF_EXPLOITATION: 'country of exploitation',
  IDENT_AGENCY: 'identifying agency',
  ASSIST: 'type of assistance',
  OFFENCE: 'offence',
  SENTENCE: 'sentence',
}

/** "Serbia", "Europol", or the id itself. */
export function nodeName (id: string): string {
  return COUNTRY_NAMES[id as CountryCode] ?? KNOWN_LIAISONS[id] ?? id
}

function list (items: string[], conj = 'and'): string {
  if (items.length <= 1) return items.join('')
  return `${items.slice(0, -1).join(', ')} ${conj} ${items.at(-1)!}`
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December']
function day (iso: string): string {
  const [y, m, d] = iso.split('-').map(Number) as [number, number, number]
  return `${d} ${MONTHS[m - 1]!} ${y}`
}

export function yearsText (spec: YearSpec): string {
  if (Array.isArray(spec)) return spec.length === 1 ? `${spec[0]!}` : `the years ${list([...spec].sort((a, b) => a - b).map(String))}`
  if (spec.to === undefined) return `${spec.from} onwards`
  return spec.to === spec.from ? `${spec.from}` : `${spec.from} to ${spec.to}`
}

function indicatorText (id: string): string {
  return `${findIndicator(id)!.name.toLowerCase()} (${id})`
}

function breakdownText (by: string[]): string {
  return by.length === 0 ? 'as yearly totals only' : `broken down by ${list(['year', ...by.map(d => DIMENSION_NAMES[d] ?? d)])}`
}

/** A code's label for a reader, e.g. "forced begging"; an area code as it is. */
function codeLabel (dim: string, code: string): string {
  const label = CODELISTS.find(c => c.id === dimensionCodelist(dim))?.codes.find(c => c.code === code)?.label
  if (label === undefined) return COUNTRY_NAMES[code as CountryCode] ?? code
  return /^[A-Z][a-z]/.test(label) ? label.charAt(0).toLowerCase() + label.slice(1) : label
}

/** "form of exploitation only in these groups: SEXUAL (sexual exploitation); OTHER (every other form of exploitation)" */
function groupsText (dim: string, groups: Record<string, GroupMembers>): string {
  const name = DIMENSION_NAMES[dim] ?? dim
  const parts = Object.entries(groups).map(([g, members]) => `${g} (${members === 'rest' ? `every other ${name.replace(/ \(.*\)$/, '')}` : list(members.map(c => codeLabel(dim, c)))})`)
  return `${name} only in these groups: ${parts.join('; ')}`
}

/** Whether two groupings are the same partition under the same names (order aside). */
function sameGroups (a: Record<string, GroupMembers> | undefined, b: Record<string, GroupMembers> | undefined): boolean {
  const norm = (g: Record<string, GroupMembers> | undefined): string => g === undefined
    ? 'detail'
    : JSON.stringify(Object.entries(g).map(([n, m]) => [n, m === 'rest' ? 'rest' : [...m].sort()]).sort(([x], [y]) => String(x).localeCompare(String(y))))
  return norm(a) === norm(b)
}

function groupsSentence (g: Grant): string {
  const entries = Object.entries(g.groups ?? {})
  return entries.length === 0 ? '' : ` (${entries.map(([d, groups]) => groupsText(d, groups)).join('; and ')})`
}

const cap = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1)

function smallCountsText (threshold: number): string {
  if (threshold <= 1) return 'Counts are not hidden for being small.'
  const range = threshold === 2 ? 'of 1' : `from 1 to ${threshold - 1}`
  return `No count ${range} is ever sent: such cells are hidden, together with any other cells that would let someone work them out, also by combining what other partners received. Hidden cells are all marked as confidential in the same way, and zero stays distinct from hidden.`
}

export function grantText (g: Grant, threshold: number): string {
  const t = g.threshold !== undefined && g.threshold > threshold ? `; no count below ${g.threshold} is sent for this table` : ''
  return `${indicatorText(g.indicator)} for ${yearsText(g.years)}, ${breakdownText(g.by)}${groupsSentence(g)}${g.by.length > 1 ? ', or any coarser breakdown' : ''}${t}`
}

export function prohibitionText (p: Prohibition): string {
  const by = p.by === undefined ? '' : ` broken down by ${list(p.by.map(d => DIMENSION_NAMES[d] ?? d), 'or')}`
  const years = p.years === undefined ? '' : ` for ${yearsText(p.years)}`
  return `${indicatorText(p.indicator)}${by}${years}`
}

/** The agreement as plain English sentences. */
export function explainAgreement (a: Agreement): string[] {
  const provider = nodeName(a.provider)
  const recipient = nodeName(a.recipient)
  const out: string[] = []
  out.push(`${provider} shares with ${recipient} (agreement "${a.agreement}", version ${a.version}).`)
  out.push(`Legal basis: ${a.legal_basis.instrument}, ${a.legal_basis.article}.`)
  out.push(`${a.purposes.length === 1 ? 'Purpose' : 'Purposes'}: ${a.purposes.map(p => PURPOSES[p as keyof typeof PURPOSES]).join('; ')}. The data may be used for nothing else.`)
  out.push(`In force from ${day(a.validity.from)} to ${day(a.validity.until)} inclusive (dates in ${a.validity.timezone} time). Outside these dates nothing is shared.`)
  out.push(`${recipient} may receive only these tables:`)
  for (const g of a.grants) out.push(`  - ${grantText(g, a.threshold)};`)
  out.push('Anything not listed above is never sent.')
  if (a.prohibitions.length > 0) {
    out.push('Never sent, whatever else this agreement says:')
    for (const p of a.prohibitions) out.push(`  - ${prohibitionText(p)};`)
  }
  out.push(smallCountsText(a.threshold))
  out.push(`${recipient} may keep the data for ${a.retention_years === 0 ? 'no longer than needed to use it once' : `${a.retention_years} year${a.retention_years === 1 ? '' : 's'}`}${a.onward_sharing ? ' and may pass it on to others.' : ' and may not pass it on to anyone else.'}`)
  out.push('Only personal-data-free statistical tables are shared: no record about any person ever leaves the provider.')
  return out
}

/** What changed between two versions of an agreement, in the same plain language. */
export function diffAgreements (before: Agreement, after: Agreement): string[] {
  const out: string[] = []
  const recipient = nodeName(after.recipient)
  if (before.agreement !== after.agreement || before.provider !== after.provider || before.recipient !== after.recipient) {
    out.push(`These are different agreements ("${before.agreement}" ${before.provider} to ${before.recipient}, "${after.agreement}" ${after.provider} to ${after.recipient}); the comparison below is of their terms.`)
  }
  if (before.version !== after.version) out.push(`Version ${before.version} becomes version ${after.version}.`)
  if (before.legal_basis.instrument !== after.legal_basis.instrument || before.legal_basis.article !== after.legal_basis.article) {
    out.push(`The legal basis changes from ${before.legal_basis.instrument}, ${before.legal_basis.article} to ${after.legal_basis.instrument}, ${after.legal_basis.article}.`)
  }
  const addedP = after.purposes.filter(p => !before.purposes.includes(p))
  const removedP = before.purposes.filter(p => !after.purposes.includes(p))
  if (addedP.length > 0) out.push(`New purpose${addedP.length > 1 ? 's' : ''}: ${addedP.map(p => PURPOSES[p as keyof typeof PURPOSES]).join('; ')}.`)
  if (removedP.length > 0) out.push(`No longer a purpose: ${removedP.map(p => PURPOSES[p as keyof typeof PURPOSES]).join('; ')}.`)
  if (before.validity.from !== after.validity.from) out.push(`It now starts on ${day(after.validity.from)} instead of ${day(before.validity.from)}.`)
  if (before.validity.until !== after.validity.until) out.push(`It now ends on ${day(after.validity.until)} instead of ${day(before.validity.until)}.`)
  if (before.validity.timezone !== after.validity.timezone) out.push(`Its dates are now read in ${after.validity.timezone} time instead of ${before.validity.timezone}.`)
  if (before.threshold !== after.threshold) {
    out.push(after.threshold > before.threshold
      ? `Stricter protection: no count below ${after.threshold} is sent (was ${before.threshold}).`
      : `Weaker protection: counts from ${after.threshold} up are sent (the minimum was ${before.threshold}). Cells hidden before stay hidden.`)
  }
  const grantOf = (a: Agreement, id: string): Grant | undefined => a.grants.find(g => g.indicator === id)
  const ids = [...new Set([...before.grants, ...after.grants].map(g => g.indicator))]
  for (const id of ids) {
    const b = grantOf(before, id)
    const a = grantOf(after, id)
    if (b === undefined && a !== undefined) out.push(`${recipient} will now also receive ${grantText(a, after.threshold)}.`)
    else if (a === undefined && b !== undefined) out.push(`${recipient} will no longer receive ${indicatorText(id)}; what it received under this agreement is withdrawn.`)
    else if (a !== undefined && b !== undefined) {
      const more = a.by.filter(d => !b.by.includes(d))
      const less = b.by.filter(d => !a.by.includes(d))
      if (more.length > 0) out.push(`${cap(indicatorText(id))} may now also be broken down by ${list(more.map(d => DIMENSION_NAMES[d] ?? d))}${groupsSentence({ ...a, groups: Object.fromEntries(Object.entries(a.groups ?? {}).filter(([d]) => more.includes(d))) })}.`)
      if (less.length > 0) out.push(`${cap(indicatorText(id))} may no longer be broken down by ${list(less.map(d => DIMENSION_NAMES[d] ?? d))}.`)
      for (const d of a.by.filter(x => b.by.includes(x))) {
        const was = b.groups?.[d]
        const now = a.groups?.[d]
        if (sameGroups(was, now)) continue
        const what = `In ${indicatorText(id)}, the ${DIMENSION_NAMES[d] ?? d}`
        if (now === undefined) out.push(`${what} is now shared in full detail (it was shared only in groups).`)
        else if (was === undefined) out.push(`${what} is now shared only in groups, no longer in full detail: ${groupsText(d, now).replace(/^.* only in these groups: /, '')}.`)
        else out.push(`${what} is now shared in different groups: ${groupsText(d, now).replace(/^.* only in these groups: /, '')} (was ${groupsText(d, was).replace(/^.* only in these groups: /, '')}).`)
      }
      if (JSON.stringify(a.years) !== JSON.stringify(b.years)) out.push(`${cap(indicatorText(id))} now covers ${yearsText(a.years)} (was ${yearsText(b.years)}).`)
      if ((a.threshold ?? 0) !== (b.threshold ?? 0)) out.push(`${cap(indicatorText(id))} now has its own minimum count of ${a.threshold ?? after.threshold} (was ${b.threshold ?? before.threshold}).`)
    }
  }
  const pKey = (p: Prohibition): string => JSON.stringify([p.indicator, p.by ?? null, p.years ?? null])
  for (const p of after.prohibitions.filter(p => !before.prohibitions.some(q => pKey(q) === pKey(p)))) out.push(`Newly forbidden: ${prohibitionText(p)}.`)
  for (const p of before.prohibitions.filter(p => !after.prohibitions.some(q => pKey(q) === pKey(p)))) out.push(`No longer forbidden: ${prohibitionText(p)}.`)
  if (before.retention_years !== after.retention_years) out.push(`${recipient} may now keep the data for ${after.retention_years} years (was ${before.retention_years}).`)
  if (before.onward_sharing !== after.onward_sharing) out.push(after.onward_sharing ? `${recipient} may now pass the data on to others.` : `${recipient} may no longer pass the data on to others.`)
  if (out.length === 0 || (out.length === 1 && before.version !== after.version && out[0]!.startsWith('Version'))) out.push('The terms are the same.')
  return out
}

export interface MatrixCell {
  provider: string
  recipient: string
  indicators: string[]
  agreement: string
  version: number
  inForce: boolean
}

/**
 * Who shares what with whom: one row per agreement, the version in force today (the highest
 * of those in force), or the latest version when none is.
 */
export function sharingMatrix (agreements: Agreement[], today: (timezone: string) => string): MatrixCell[] {
  const latest = new Map<string, Agreement>()
  const live = (a: Agreement): boolean => { const d = today(a.validity.timezone); return a.validity.from <= d && d <= a.validity.until }
  for (const a of agreements) {
    const key = `${a.agreement}|${a.provider}|${a.recipient}`
    const prev = latest.get(key)
    if (prev === undefined || (live(a) && !live(prev)) || (live(a) === live(prev) && prev.version < a.version)) latest.set(key, a)
  }
  return [...latest.values()]
    .map(a => {
      const d = today(a.validity.timezone)
      return { provider: a.provider, recipient: a.recipient, indicators: a.grants.map(g => g.indicator), agreement: a.agreement, version: a.version, inForce: a.validity.from <= d && d <= a.validity.until }
    })
    .sort((x, y) => x.provider.localeCompare(y.provider) || x.recipient.localeCompare(y.recipient) || x.agreement.localeCompare(y.agreement))
}

/** Today's date (YYYY-MM-DD) in `timezone` at instant `ms`. */
const dateFormats = new Map<string, Intl.DateTimeFormat>()

export function localDate (ms: number, timezone: string): string {
  let f = dateFormats.get(timezone)
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-CA', { timeZone: timezone, year: 'numeric', month: '2-digit', day: '2-digit' })
    dateFormats.set(timezone, f)
  }
  return f.format(new Date(ms))
}
