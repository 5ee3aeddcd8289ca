/**
 * A map of the Western Balkan region on the totals screen: each country coloured by its part of
 * a year's total, or by coverage (exact, hidden, missing), drawn as SVG from outlines shipped
 * with the console (region-outlines.ts, made from Natural Earth by bin/region-outlines.js;
 * loaded as its own chunk). Nothing is fetched from elsewhere. Every country can be reached with
 * the keyboard, and is described in words beside the map.
 */
import type { ComponentType } from 'preact'
import { useEffect, useState } from 'preact/hooks'
import { WESTERN_BALKANS } from '../../protocol/codelists.js'
import { countryName } from './labels.js'
import { hrefOf, navigate } from './router.js'
import { texts } from './texts.js'

const T = texts.totals

interface Part { country: string, value?: number, suppressed?: true, lower: number, upper: number | null }
interface Result {
  query: { years: number[], by: string[] }
  contributions: Array<{ country: string, year: number, status: 'included' | 'missing', reason?: string }>
  cells: Array<{ key: Record<string, string>, parts: Part[] }>
}

/** A country's state on the map for one year. */
interface Place { code: string, kind: 'exact' | 'hidden' | 'missing' | 'none', value?: number, text: string }

/** Value classes, lightest (0) to darkest; the hidden pattern and the missing grey as in the legend. */
const BLUES = ['#f7fbff', '#c6dbef', '#6baed6', '#2171b5', '#08306b']
const COVERED = '#74c476'
const MISSING = '#d9d9d9'
const NONE = '#ffffff'
const HIDDEN = 'url(#map-hidden)'

function placesOf (result: Result, year: number): Place[] {
  const total = result.cells.find(c => c.key.TIME_PERIOD === String(year) && result.query.by.every(d => c.key[d] === '_T'))
  return WESTERN_BALKANS.map(code => {
    const c = result.contributions.find(x => x.country === code && x.year === year)
    if (c === undefined || c.status === 'missing') return { code, kind: 'missing', text: T.mapMissing(c?.reason === undefined ? '' : (T.reasons[c.reason] ?? c.reason)) }
    const part = total?.parts.find(p => p.country === code)
    if (part === undefined) return { code, kind: 'none', text: T.mapNone }
    if (part.suppressed === true || part.value === undefined) return { code, kind: 'hidden', text: T.mapHidden(part.lower, part.upper) }
    return { code, kind: 'exact', value: part.value, text: String(part.value) }
  })
}

/** Upper ends of the four value classes above 0 (whole numbers, ascending, some may repeat). */
function classBounds (places: Place[]): number[] {
  const max = Math.max(0, ...places.map(p => p.value ?? 0))
  return [1, 2, 3, 4].map(k => Math.ceil(max * k / 4))
}

function fillOf (p: Place, mode: 'value' | 'coverage', bounds: number[]): string {
  if (p.kind === 'hidden') return HIDDEN
  if (p.kind === 'missing') return MISSING
  if (p.kind === 'none') return NONE
  if (mode === 'coverage') return COVERED
  const v = p.value!
  return v === 0 ? BLUES[0]! : BLUES[1 + bounds.findIndex(b => v <= b)]!
}

type Outlines = typeof import('./region-outlines.js')

/**
 * The year and the colouring are in the address (map_year, map_colour), so a shared link shows
 * the same map; changing them replaces the address without asking the node again.
 */
export const RegionMap: ComponentType<{ result: Result, params: URLSearchParams }> = ({ result, params }) => {
  const years = result.query.years
  const asked = Number(params.get('map_year'))
  const shown = years.includes(asked) ? asked : years.at(-1)!
  const mode = params.get('map_colour') === 'coverage' ? 'coverage' : 'value'
  const set = (name: string, value: string): void => {
    const q = new URLSearchParams(params)
    q.set(name, value)
    navigate(hrefOf('totals', q), true)
  }
  const [outlines, setOutlines] = useState<Outlines | undefined>()
  const [failed, setFailed] = useState<string | undefined>()
  useEffect(() => {
    let live = true
    import('./region-outlines.js').then(m => { if (live) setOutlines(m) }, (err: unknown) => { if (live) setFailed(String(err)) })
    return () => { live = false }
  }, [])
  const places = placesOf(result, shown)
  const bounds = classBounds(places)
  const legend: Array<[string, string]> = [[COVERED, T.mapCovered]]
  if (mode === 'value') {
    legend.splice(0, 1, [BLUES[0]!, '0'])
    bounds.forEach((b, k) => {
      const from = k === 0 ? 1 : bounds[k - 1]! + 1
      if (b >= from) legend.push([BLUES[k + 1]!, from === b ? String(b) : `${from}–${b}`])
    })
  }
  return (
    <figure class='region-map' id='region-map'>
      <figcaption id='region-map-title'>{T.mapTitle(shown, mode === 'value' ? T.mapByValue : T.mapByCoverage)}</figcaption>
      <div class='map-controls'>
        {years.length > 1 && (
          <div class='field'>
            <label for='map-year'>{T.mapYear}</label>
            <select id='map-year' value={String(shown)} onChange={e => { set('map_year', e.currentTarget.value) }}>
              {years.map(y => <option key={y} value={String(y)}>{y}</option>)}
            </select>
          </div>
        )}
        <fieldset class='field'>
          <legend>{T.mapColour}</legend>
          <label class='check'><input type='radio' name='map-mode' checked={mode === 'value'} onChange={() => { set('map_colour', 'value') }} />{T.mapByValue}</label>
          <label class='check'><input type='radio' name='map-mode' checked={mode === 'coverage'} onChange={() => { set('map_colour', 'coverage') }} />{T.mapByCoverage}</label>
        </fieldset>
      </div>
      {failed !== undefined && <p class='error' role='alert'>{T.mapFailed(failed)}</p>}
      {outlines !== undefined && (
        <svg viewBox={`0 0 ${outlines.MAP_WIDTH} ${outlines.MAP_HEIGHT}`} role='group' aria-labelledby='region-map-title' aria-describedby='region-map-list'>
          <defs>
            <pattern id='map-hidden' width='8' height='8' patternUnits='userSpaceOnUse' patternTransform='rotate(45)'>
              <rect width='8' height='8' fill='#fff4e5' />
              <rect width='3' height='8' fill='#8a4b00' />
            </pattern>
          </defs>
          {outlines.OUTLINES.map(o => {
            const p = places.find(x => x.code === o.code)!
            const text = `${countryName(o.code)}: ${p.text}`
            return <path key={o.code} d={o.d} fill={fillOf(p, mode, bounds)} stroke='#1a1a1a' stroke-width='1' tabindex={0} role='img' aria-label={text} data-code={o.code}><title>{text}</title></path>
          })}
          {outlines.OUTLINES.map(o => <text key={o.code} x={o.label[0]} y={o.label[1]} text-anchor='middle' dominant-baseline='middle' aria-hidden='true' class='map-label'>{o.code}</text>)}
        </svg>
      )}
      <ul class='legend' aria-label={T.chartLegend}>
        {legend.map(([colour, label]) => <li key={label}><span class={`swatch map-${colour.slice(1)}`} />{label}</li>)}
        <li><span class='swatch hidden-swatch' />{T.mapHiddenKey}</li>
        <li><span class={`swatch map-${MISSING.slice(1)}`} />{T.mapMissingKey}</li>
      </ul>
      <ul id='region-map-list' class='map-list'>
        {places.map(p => <li key={p.code}><strong>{countryName(p.code)}</strong>: {p.text}</li>)}
      </ul>
    </figure>
  )
}
