/**
 * What the totals screen's charts draw, taken from GET /v1/regional/totals's answer as it is:
 * each figure exact, or hidden with its bounds (never a zero). The drawing itself
 * (charts.ts, with uPlot) is loaded only when a chart is shown, as its own chunk.
 */

/** One figure: exact (lower = upper = the value), or hidden with its bounds (upper null: no upper bound). */
export interface Figure { lower: number, upper: number | null, hidden: boolean }

export interface ChartSeries {
  /** Code of the country or of the breakdown's code. */
  code: string
  label: string
  /** One per year of the chart: null where the series has no figure that year. */
  figures: Array<Figure | null>
}

export interface ChartData {
  /** `countries`: a line per country, years on x; `stack`: the regional totals per year, stacked by one dimension's codes. */
  kind: 'countries' | 'stack'
  years: number[]
  series: ChartSeries[]
  /** For `stack`: the regional total of each year (the margin cell), as the API gives it. */
  totals?: Array<Figure | null>
  /** Any figure hidden, or any without an upper bound: the legend explains what is drawn for them. */
  hidden: boolean
  open: boolean
}

interface Part { country: string, value?: number, suppressed?: true, lower: number, upper: number | null }
interface Cell { key: Record<string, string>, value?: number, lower: number, upper: number | null, parts: Part[] }

const TOTAL = '_T'

function figureOf (x: { value?: number, lower: number, upper: number | null }): Figure {
  return x.value !== undefined ? { lower: x.value, upper: x.value, hidden: false } : { lower: x.lower, upper: x.upper, hidden: true }
}

function finish (kind: ChartData['kind'], years: number[], series: ChartSeries[], totals?: Array<Figure | null>): ChartData {
  const all = [...series.flatMap(s => s.figures), ...(totals ?? [])].filter((f): f is Figure => f !== null)
  return { kind, years, series, ...(totals === undefined ? {} : { totals }), hidden: all.some(f => f.hidden), open: all.some(f => f.upper === null) }
}

/** Each country's part of the year's total (every `by` dimension at its total), one series per country. */
export function countriesChart (cells: Cell[], by: string[], years: number[], name: (country: string) => string): ChartData | undefined {
  const totals = cells.filter(c => by.every(d => c.key[d] === TOTAL))
  const countries = [...new Set(totals.flatMap(c => c.parts.map(p => p.country)))].sort()
  if (countries.length === 0) return undefined
  const series = countries.map(country => ({
    code: country,
    label: name(country),
    figures: years.map(year => {
      const part = totals.find(c => c.key.TIME_PERIOD === String(year))?.parts.find(p => p.country === country)
      return part === undefined ? null : figureOf(part)
    }),
  }))
  return finish('countries', years, series)
}

/**
 * The regional totals of each year stacked by the codes of `dim` (the first dimension asked
 * for; any others at their total), with the year's total beside them.
 */
export function stackChart (cells: Cell[], by: string[], dim: string, years: number[], label: (code: string) => string): ChartData | undefined {
  const others = by.filter(d => d !== dim)
  const rows = cells.filter(c => others.every(d => c.key[d] === TOTAL))
  const codes = [...new Set(rows.map(c => c.key[dim]!).filter(code => code !== TOTAL))].sort()
  if (codes.length === 0) return undefined
  const at = (year: number, code: string): Cell | undefined => rows.find(c => c.key.TIME_PERIOD === String(year) && c.key[dim] === code)
  const series = codes.map(code => ({
    code,
    label: label(code),
    figures: years.map(year => {
      const cell = at(year, code)
      return cell === undefined ? null : figureOf(cell)
    }),
  }))
  return finish('stack', years, series, years.map(year => {
    const cell = at(year, TOTAL)
    return cell === undefined ? null : figureOf(cell)
  }))
}

/**
 * What a chart draws, in the data's units (drawn by charts.ts): for a line per country, `point`
 * an exact figure and `range` a hidden one from its lower to its upper bound; stacked, `solid`
 * an exact figure and, for a hidden one, `least` (from the stack's base up to its lower bound)
 * then `maybe` (on up to its upper bound), so the stack goes on from its upper bound; `total`
 * the year's total as the API gives it, beside the stack. `to` null: no upper bound (drawn up
 * to the top, open). A hidden figure is never drawn as zero.
 */
export interface Mark { kind: 'point' | 'range' | 'solid' | 'least' | 'maybe' | 'total', series: number, year: number, from: number, to: number | null }

export function marksOf (data: ChartData): Mark[] {
  const marks: Mark[] = []
  data.years.forEach((year, j) => {
    if (data.kind === 'countries') {
      data.series.forEach((s, i) => {
        const f = s.figures[j]
        if (f === null || f === undefined) return
        marks.push({ kind: f.hidden ? 'range' : 'point', series: i, year, from: f.lower, to: f.upper })
      })
      return
    }
    // Bounded figures first, open ones on top: nothing can be stacked on a figure with no upper bound.
    const order = data.series.map((s, i) => ({ f: s.figures[j], i })).filter((x): x is { f: Figure, i: number } => x.f !== null && x.f !== undefined)
      .sort((a, b) => Number(a.f.upper === null) - Number(b.f.upper === null))
    let base = 0
    for (const { f, i } of order) {
      if (!f.hidden) {
        marks.push({ kind: 'solid', series: i, year, from: base, to: base + f.lower })
        base += f.lower
        continue
      }
      marks.push({ kind: 'least', series: i, year, from: base, to: base + f.lower })
      marks.push({ kind: 'maybe', series: i, year, from: base + f.lower, to: f.upper === null ? null : base + f.upper })
      base += f.upper ?? f.lower
    }
    const total = data.totals?.[j]
    if (total !== null && total !== undefined) marks.push({ kind: 'total', series: -1, year, from: total.lower, to: total.upper })
  })
  return marks
}

/** The top of the value axis: above every bound drawn, with room for the open ones' arrows. */
export function scaleTop (marks: Mark[]): number {
  const max = Math.max(1, ...marks.flatMap(m => [m.from, m.to ?? m.from]))
  return Math.ceil(max * (marks.some(m => m.to === null) ? 1.3 : 1.1))
}

/** The series colours (Okabe-Ito based, each at least 3:1 against white); the style sheet has the same as .c0-.c8. */
export const COLOURS = ['#0072B2', '#B34700', '#007A5A', '#A04C8C', '#6B5B00', '#5E3C99', '#8C2D04', '#1F6F8B', '#4A4A4A']
