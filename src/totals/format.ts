/** Regional results as text for people (a table) and for tools (CSV). */
import type { CellPart, RegionalResult, TotalCell } from './types.js'

const range = (lower: number, upper: number | null): string => upper === null ? `${lower}+` : lower === upper ? String(lower) : `${lower}-${upper}`

function total (c: TotalCell): string {
  return c.value !== undefined ? String(c.value) : `${range(c.lower, c.upper)} (interval)`
}

function part (p: CellPart): string {
  return `${p.country} ${p.suppressed === true ? `[${range(p.lower, p.upper)}]` : String(p.value)}`
}

const REASONS: Record<string, string> = {
  no_agreement: 'no agreement shares it with this node',
  not_granted: 'not granted by the agreement',
  breakdown_not_granted: 'not shared with this breakdown',
  no_data: 'no data held',
  stale: 'out of date: its release has expired',
  own_unprotected: 'this node\'s own figures: unprotected, shown to its operators only',
}

/** A plain-text report: totals, then each year's contributions, then mirror statistics. */
export function formatTable (r: RegionalResult): string[] {
  const out: string[] = []
  const q = r.query
  out.push(`${q.indicator} regional totals, ${q.years.length === 1 ? q.years[0] : `${q.years[0]}-${q.years.at(-1)}`}${q.by.length === 0 ? '' : `, by ${q.by.join(', ')}`}; ${q.asOf === null ? `as held at ${r.computedAt}` : `as held on ${q.asOf}`} by ${r.node}`)
  const header = ['year', ...q.by, 'total', 'countries']
  const rows = r.cells.map(c => [c.key.TIME_PERIOD!, ...q.by.map(d => c.key[d]!), total(c), c.parts.map(part).join(', ')])
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map(row => row[i]!.length)))
  const fmt = (row: string[]): string => row.map((x, i) => i === row.length - 1 ? x : x.padEnd(widths[i]!)).join('  ').trimEnd()
  out.push(fmt(header))
  for (const row of rows) out.push(fmt(row))
  if (r.cells.length === 0) out.push('(no country contributes to these years)')
  if (r.cells.some(c => c.value === undefined)) out.push('An interval total includes suppressed figures, shown [low-high]: the lowest and highest values each can take given everything its country sent this node for the year; never counted as zero.')
  out.push('')
  const missingOf = (year: number): string => r.contributions.filter(c => c.year === year && c.status === 'missing').map(c => `${c.country} (${REASONS[c.reason!] ?? c.reason})`).join(', ')
  const sameEveryYear = q.years.length > 1 && q.years.every(y => missingOf(y) === missingOf(q.years[0]!))
  for (const year of q.years) {
    const inc = r.contributions.filter(c => c.year === year && c.status === 'included').map(c => `${c.country}${c.source === 'own' ? ' (own records)' : ` (issued ${c.issuedAt?.slice(0, 10)}, valid until ${c.expiresAt?.slice(0, 10)}${(c.suppressedCells ?? 0) > 0 ? `, ${c.suppressedCells} cell(s) suppressed` : ''})`}`)
    out.push(`${year}: included ${inc.length === 0 ? 'none' : inc.join(', ')}`)
    const miss = missingOf(year)
    if (miss !== '' && !sameEveryYear) out.push(`${' '.repeat(String(year).length)}  missing ${miss}`)
    for (const c of r.contributions.filter(c => c.year === year && c.intervals === 'wider')) {
      out.push(`${' '.repeat(String(year).length)}  ${c.country}: suppressed figures shown with wider bounds than exact (${c.intervalsNote ?? 'no reason given'})`)
    }
  }
  if (sameEveryYear && missingOf(q.years[0]!) !== '') out.push(`every year: missing ${missingOf(q.years[0]!)}`)
  if (r.mirror.length > 0) {
    out.push('')
    out.push('Mirror statistics: victims who are citizens of ORIGIN identified in DESTINATION, as each country reports them')
    out.push('year  destination  origin  by destination  by origin  asymmetry')
    for (const m of r.mirror) {
      const side = (p: CellPart | null): string => p === null ? 'not shared' : p.suppressed === true ? `[${range(p.lower, p.upper)}]` : String(p.value)
      out.push(`${String(m.year).padEnd(4)}  ${m.destination.padEnd(11)}  ${m.origin.padEnd(6)}  ${side(m.byDestination).padEnd(14)}  ${side(m.byOrigin).padEnd(9)}  ${m.asymmetry === null ? '-' : (m.asymmetry > 0 ? '+' : '') + String(m.asymmetry)}`)
    }
  }
  return out
}

const csvField = (s: string): string => /[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s

/** One row per total cell: TIME_PERIOD, the by dimensions, value, bounds, flags, countries. */
export function formatCsv (r: RegionalResult): string[] {
  const header = ['TIME_PERIOD', ...r.query.by, 'OBS_VALUE', 'OBS_LOWER', 'OBS_UPPER', 'OBS_STATUS', 'CONF_STATUS', 'CONTRIBUTORS', 'SUPPRESSED_IN']
  return [header.join(','), ...r.cells.map(c => [
    c.key.TIME_PERIOD!, ...r.query.by.map(d => c.key[d]!), c.value === undefined ? '' : String(c.value), String(c.lower), c.upper === null ? '' : String(c.upper), c.obs_status, c.conf_status,
    c.parts.map(p => p.country).join(' '), c.parts.filter(p => p.suppressed === true).map(p => p.country).join(' '),
  ].map(csvField).join(','))]
}
