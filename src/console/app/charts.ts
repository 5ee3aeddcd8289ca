/**
 * The totals screen's charts, drawn with uPlot (canvas: about 50 kB, loaded as its own chunk
 * only when a chart is shown, so the login stays light). uPlot gives the axes, the scales and
 * the lines between exact figures; the marks of chart-data.ts (hidden figures as hatched ranges,
 * stacks, each year's total) are painted in its draw hook. The page's Content-Security-Policy
 * holds: uPlot sizes its elements through the DOM (no inline style sheet), and its style sheet
 * comes with this chunk from the node.
 */
import UPlot from 'uplot'
import 'uplot/dist/uPlot.min.css'
import { COLOURS, marksOf, scaleTop, type ChartData, type Mark } from './chart-data.js'

const colourOf = (series: number): string => series < 0 ? '#1a1a1a' : COLOURS[series % COLOURS.length]!

/** Diagonal stripes in `colour` on white; pale: fainter stripes, for what a hidden figure may add at most. */
function hatch (ctx: CanvasRenderingContext2D, colour: string, pale: boolean, dpr: number): CanvasPattern | string {
  const size = Math.round(6 * dpr)
  const tile = document.createElement('canvas')
  tile.width = size
  tile.height = size
  const c = tile.getContext('2d')
  if (c === null) return colour
  c.fillStyle = '#fff'
  c.fillRect(0, 0, size, size)
  c.strokeStyle = colour
  c.globalAlpha = pale ? 0.4 : 1
  c.lineWidth = Math.max(1, 1.5 * dpr)
  c.beginPath()
  c.moveTo(0, size)
  c.lineTo(size, 0)
  c.moveTo(-size / 2, size / 2)
  c.lineTo(size / 2, -size / 2)
  c.moveTo(size / 2, size * 1.5)
  c.lineTo(size * 1.5, size / 2)
  c.stroke()
  return ctx.createPattern(tile, 'repeat') ?? colour
}

function paint (u: UPlot, data: ChartData, marks: Mark[]): void {
  const ctx = u.ctx
  const dpr = devicePixelRatio
  const n = data.series.length
  const step = data.years.length > 1 ? Math.abs(u.valToPos(data.years[1]!, 'x', true) - u.valToPos(data.years[0]!, 'x', true)) : u.bbox.width
  const barWidth = Math.min(48 * dpr, step * 0.45)
  const y = (v: number | null): number => v === null ? u.bbox.top : u.valToPos(v, 'y', true)
  ctx.save()
  for (const m of marks) {
    if (m.kind === 'point') continue // uPlot draws exact figures as points on their line.
    const colour = colourOf(m.series)
    const centre = u.valToPos(m.year, 'x', true)
    let x: number
    let w: number
    if (m.kind === 'range') {
      // Side by side around the year, one slot per country, so ranges do not hide each other.
      w = 7 * dpr
      x = centre + (m.series - (n - 1) / 2) * (w + 3 * dpr) - w / 2
    } else if (m.kind === 'total') {
      w = 4 * dpr
      x = centre + barWidth / 2 + 5 * dpr
    } else {
      w = barWidth
      x = centre - barWidth / 2
    }
    const top = y(m.to)
    const bottom = y(m.from)
    if (m.kind === 'total') {
      // The total: a bar from its lower to its upper bound with caps, or a tick at its value.
      ctx.fillStyle = colour
      if (m.to !== null && m.to === m.from) ctx.fillRect(x - 4 * dpr, bottom - dpr, w + 8 * dpr, 2 * dpr)
      else {
        ctx.fillRect(x + w / 2 - dpr, top, 2 * dpr, bottom - top)
        ctx.fillRect(x - 2 * dpr, bottom - dpr, w + 4 * dpr, 2 * dpr)
        if (m.to !== null) ctx.fillRect(x - 2 * dpr, top - dpr, w + 4 * dpr, 2 * dpr)
      }
    } else {
      const height = Math.max(bottom - top, 2 * dpr)
      ctx.fillStyle = m.kind === 'solid' ? colour : hatch(ctx, colour, m.kind === 'maybe', dpr)
      ctx.fillRect(x, bottom - height, w, height)
      ctx.strokeStyle = colour
      ctx.lineWidth = dpr
      ctx.setLineDash(m.kind === 'maybe' ? [3 * dpr, 2 * dpr] : [])
      ctx.strokeRect(x + dpr / 2, bottom - height + dpr / 2, w - dpr, height - dpr)
      ctx.setLineDash([])
    }
    if (m.to === null) {
      // No upper bound: an open arrow at the top.
      ctx.fillStyle = colour
      ctx.beginPath()
      ctx.moveTo(x + w / 2, top - 6 * dpr)
      ctx.lineTo(x + w / 2 - 6 * dpr, top + 4 * dpr)
      ctx.lineTo(x + w / 2 + 6 * dpr, top + 4 * dpr)
      ctx.closePath()
      ctx.fill()
    }
  }
  ctx.restore()
}

/** Widest a chart is drawn, in CSS pixels. */
const MAX_WIDTH = 896

/** Draws `data` into `el`, as wide as `el` (up to MAX_WIDTH) and again when that changes (a tablet turned); returns what removes it. */
export function drawChart (el: HTMLElement, data: ChartData): () => void {
  const width = (): number => Math.max(200, Math.min(el.clientWidth, MAX_WIDTH))
  const marks = marksOf(data)
  const top = scaleTop(marks)
  const first = data.years[0]!
  const last = data.years.at(-1)!
  const exact = data.series.map(s => s.figures.map(f => data.kind === 'countries' && f !== null && !f.hidden ? f.lower : null))
  const opts: UPlot.Options = {
    width: width(),
    height: 280,
    legend: { show: false },
    cursor: { show: false },
    scales: { x: { time: false, range: [first - 0.6, last + 0.6] }, y: { range: [0, top] } },
    axes: [
      { stroke: '#1a1a1a', grid: { show: false }, splits: () => data.years, values: (_u, splits) => splits.map(v => String(v)) },
      { stroke: '#1a1a1a', grid: { stroke: '#e0e0e0', width: 1 }, values: (_u, splits) => splits.map(v => Number.isInteger(v) ? String(v) : '') },
    ],
    series: [
      {},
      ...data.series.map((s, i) => data.kind === 'countries'
        ? { label: s.label, stroke: colourOf(i), width: 2, spanGaps: false, points: { show: true, size: 8, fill: colourOf(i), stroke: colourOf(i) } }
        : { label: s.label, paths: () => null, points: { show: false } }),
    ],
    hooks: { draw: [(u: UPlot) => { paint(u, data, marks) }] },
  }
  const plot = new UPlot(opts, [data.years, ...exact], el)
  const resized = new ResizeObserver(() => {
    if (width() !== plot.width) plot.setSize({ width: width(), height: plot.height })
  })
  resized.observe(el)
  return () => {
    resized.disconnect()
    plot.destroy()
  }
}
