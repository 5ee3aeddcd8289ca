/**
 * Regional totals for liaison officers: the query is the address (/console/totals?indicator=
 * V1&years=2020-2024&by=SEX), so every view can be shared; the figures are GET
 * /v1/regional/totals's, shown as the node computed them (hidden parts as intervals).
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks'
import { errorText, get, getJson } from '../api.js'
import { COLOURS, countriesChart, stackChart, type ChartData } from '../chart-data.js'
import { codeLabel, countryName, dimensionName, indicatorOf, INDICATORS } from '../labels.js'
import { RegionMap } from '../region-map.js'
import { hrefOf, navigate, type ScreenProps } from '../router.js'
import { texts } from '../texts.js'
import { NodeError } from './node-error.js'

const T = texts.totals

interface CellPart { country: string, value?: number, suppressed?: true, lower: number, upper: number | null }
interface TotalCell { key: Record<string, string>, value?: number, lower: number, upper: number | null, obs_status: string, parts: CellPart[] }
interface Contribution { country: string, year: number, status: 'included' | 'missing', reason?: string, source?: string, issuedAt?: string, expiresAt?: string, suppressedCells?: number }
interface MirrorRow { year: number, destination: string, origin: string, byDestination: CellPart | null, byOrigin: CellPart | null, asymmetry: number | null }
export interface RegionalResult { node: string, query: { indicator: string, years: number[], by: string[], asOf: string | null }, computedAt: string, contributions: Contribution[], cells: TotalCell[], mirror: MirrorRow[] }

/** The API's query string for a view: the same parameters the console's address holds. */
function apiQuery (params: URLSearchParams, format?: string): string {
  const q = new URLSearchParams()
  for (const name of ['indicator', 'years', 'by', 'as_of']) {
    const v = params.get(name)
    if (v !== null && v !== '') q.set(name, v)
  }
  if (format !== undefined) q.set('format', format)
  return `/v1/regional/totals?${q.toString()}`
}

function day (iso: string | undefined): string {
  return iso === undefined ? '' : iso.slice(0, 10)
}

function Figure ({ part }: { part: CellPart }) {
  if (part.suppressed === true || part.value === undefined) return <span class='hidden-part'>{T.hidden(part.lower, part.upper)}</span>
  return <span>{part.value}</span>
}

/** One side of a mirror pair, as the API gives it: a figure, a hidden range, or not shared. */
function MirrorSide ({ part }: { part: CellPart | null }) {
  return part === null ? <span class='absent'>{T.notShared}</span> : <Figure part={part} />
}

/** Mirror statistics (V3): each pair of countries' counts of the same flow, side by side. */
function MirrorTable ({ rows }: { rows: MirrorRow[] }) {
  return (
    <>
      <h2 id='mirror-heading'>{T.mirror}</h2>
      <p class='note'>{T.mirrorNote}</p>
      <div class='scroll' tabIndex={0} role='region' aria-labelledby='mirror-heading'>
        <table id='mirror-table'>
          <caption>{T.mirrorCaption}</caption>
          <thead>
            <tr>
              <th scope='col'>{T.year}</th>
              <th scope='col'>{T.destination}</th>
              <th scope='col'>{T.origin}</th>
              <th scope='col'>{T.byDestination}</th>
              <th scope='col'>{T.byOrigin}</th>
              <th scope='col'>{T.asymmetry}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map(m => (
              <tr key={`${m.year}|${m.destination}|${m.origin}`}>
                <th scope='row'>{m.year}</th>
                <td>{countryName(m.destination)}</td>
                <td>{countryName(m.origin)}</td>
                <td class='num'><MirrorSide part={m.byDestination} /></td>
                <td class='num'><MirrorSide part={m.byOrigin} /></td>
                <td class='num'>{m.asymmetry === null ? <span class='absent'>{T.noAsymmetry}</span> : (m.asymmetry > 0 ? `+${m.asymmetry}` : String(m.asymmetry))}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  )
}

/**
 * A chart of the query, drawn by charts.ts (uPlot), which loads as its own chunk when the first
 * chart is shown. The canvas is an image named by its caption and described by its legend;
 * the totals table is its text alternative (aria-details).
 */
function Chart ({ id, title, data, note }: { id: string, title: string, data: ChartData, note?: string }) {
  const box = useRef<HTMLDivElement>(null)
  const [failed, setFailed] = useState<string | undefined>()
  useEffect(() => {
    let live = true
    let remove: (() => void) | undefined
    import('../charts.js').then(
      m => { if (live && box.current !== null) remove = m.drawChart(box.current, data) },
      (err: unknown) => { if (live) setFailed(String(err)) }
    )
    return () => { live = false; remove?.() }
  }, [data])
  return (
    <figure class='chart' id={id}>
      <figcaption id={`${id}-title`}>{title}</figcaption>
      {note !== undefined && <p class='note'>{note}</p>}
      <div ref={box} class='chart-canvas' role='img' aria-labelledby={`${id}-title`} aria-describedby={`${id}-legend`} aria-details='totals-table' />
      {failed !== undefined && <p class='error' role='alert'>{T.chartFailed(failed)}</p>}
      <ul class='legend' id={`${id}-legend`} aria-label={T.chartLegend}>
        {data.series.map((s, i) => <li key={s.code}><span class={`swatch c${i % COLOURS.length}`} />{s.label}</li>)}
        {data.kind === 'stack' && <li><span class='swatch total' />{T.chartTotal}</li>}
        {data.hidden && <li><span class='swatch hatched c8' />{T.chartHidden}</li>}
        {data.open && <li>▲ {T.chartOpen}</li>}
      </ul>
      <p class='note'><a href='#totals-table'>{T.chartTable}</a></p>
    </figure>
  )
}

const keyOfQuery = (r: RegionalResult): string => JSON.stringify(r.query)

function Charts ({ result }: { result: RegionalResult }) {
  const { indicator, by, years } = result.query
  const countries = useMemo(() => countriesChart(result.cells, by, years, countryName), [result])
  const stack = useMemo(() => by[0] === undefined ? undefined : stackChart(result.cells, by, by[0], years, code => codeLabel(indicator, by[0]!, code, T.total)), [result])
  if (countries === undefined && stack === undefined) return null
  return (
    <>
      <h2>{T.charts}</h2>
      {countries !== undefined && <Chart id='chart-countries' title={T.chartCountries(indicator)} data={countries} />}
      {stack !== undefined && <Chart id='chart-stack' title={T.chartStack(indicator, dimensionName(indicator, by[0]!))} data={stack} {...(by.length > 1 ? { note: T.chartOtherDims } : {})} />}
    </>
  )
}

function Total ({ cell }: { cell: TotalCell }) {
  if (cell.value !== undefined) return <strong>{cell.value}</strong>
  return <strong class='interval'>{T.interval(cell.lower, cell.upper)}</strong>
}

type Download = 'csv' | 'sdmx-json' | 'bundle'
const EXTENSIONS: Record<Download, string> = { csv: 'csv', 'sdmx-json': 'json', bundle: 'bundle.json' }

async function download (params: URLSearchParams, format: Download): Promise<void> {
  const res = await get(apiQuery(params, format))
  const url = URL.createObjectURL(await res.blob())
  const a = document.createElement('a')
  a.href = url
  a.download = `totals-${params.get('indicator') ?? ''}-${params.get('years') ?? ''}${params.get('by') === null || params.get('by') === '' ? '' : `-${params.get('by')!.replaceAll(',', '-')}`}.${EXTENSIONS[format]}`
  document.body.append(a)
  a.click()
  a.remove()
  setTimeout(() => { URL.revokeObjectURL(url) }, 10_000)
}

function QueryForm ({ params }: { params: URLSearchParams }) {
  const [indicator, setIndicator] = useState(params.get('indicator') ?? 'V1')
  const [years, setYears] = useState(params.get('years') ?? `${new Date().getFullYear() - 5}-${new Date().getFullYear() - 1}`)
  const [by, setBy] = useState<string[]>((params.get('by') ?? '').split(',').filter(s => s !== ''))
  const [asOf, setAsOf] = useState(params.get('as_of') ?? '')
  const dims = indicatorOf(indicator)?.dimensions ?? []

  const submit = (e: Event): void => {
    e.preventDefault()
    const q = new URLSearchParams({ indicator, years: years.trim() })
    // In the indicator's order, as the API expects them.
    const chosen = dims.map(d => d.id).filter(d => by.includes(d))
    if (chosen.length > 0) q.set('by', chosen.join(','))
    if (asOf.trim() !== '') q.set('as_of', asOf.trim())
    navigate(hrefOf('totals', q))
  }

  return (
    <form class='query' onSubmit={submit}>
      <div class='field'>
        <label for='q-indicator'>{T.indicator}</label>
        <select id='q-indicator' value={indicator} onChange={e => { setIndicator(e.currentTarget.value); setBy([]) }}>
          {INDICATORS.map(i => <option key={i.id} value={i.id}>{`${i.id} ${i.name}`}</option>)}
        </select>
      </div>
      <div class='field'>
        <label for='q-years'>{T.years}</label>
        <input id='q-years' value={years} required aria-describedby='q-years-hint' onInput={e => { setYears(e.currentTarget.value) }} />
        <small id='q-years-hint'>{T.yearsHint}</small>
      </div>
      <fieldset class='field'>
        <legend>{T.breakdown}</legend>
        {dims.map(d => (
          <label key={d.id} class='check'>
            <input type='checkbox' name='by' value={d.id} checked={by.includes(d.id)} onChange={e => { const on = e.currentTarget.checked; setBy(b => on ? [...b, d.id] : b.filter(x => x !== d.id)) }} />
            {dimensionName(indicator, d.id)}
          </label>
        ))}
      </fieldset>
      <div class='field'>
        <label for='q-asof'>{T.asOf}</label>
        <input id='q-asof' value={asOf} aria-describedby='q-asof-hint' onInput={e => { setAsOf(e.currentTarget.value) }} />
        <small id='q-asof-hint'>{T.asOfHint}</small>
      </div>
      <button type='submit'>{T.submit}</button>
    </form>
  )
}

function Results ({ result, params }: { result: RegionalResult, params: URLSearchParams }) {
  const { indicator, by } = result.query
  const countries = [...new Set(result.cells.flatMap(c => c.parts.map(p => p.country)))].sort()
  const keyOf = (c: TotalCell): string => [c.key.TIME_PERIOD, ...by.map(d => c.key[d])].join('|')
  const cells = [...result.cells].sort((a, b) => keyOf(a).localeCompare(keyOf(b)))
  const link = `${location.origin}${hrefOf('totals', params)}`
  const [failed, setFailed] = useState<string | undefined>()
  const save = (format: Download): void => {
    setFailed(undefined)
    download(params, format).catch((err: unknown) => { setFailed(errorText(err)) })
  }
  return (
    <div class='results'>
      <p>
        {T.computed(result.computedAt.replace('T', ' ').slice(0, 16) + ' UTC', result.node)}
        {result.query.asOf !== null && ` ${T.asOfNote(result.query.asOf.slice(0, 10))}`}
      </p>
      <p class='actions'>
        <a href={link} id='view-link'>{T.link}</a>
        <button type='button' id='download-csv' onClick={() => { save('csv') }}>{T.download}</button>
        <button type='button' onClick={() => { save('sdmx-json') }}>{T.downloadSdmx}</button>
        <button type='button' id='download-bundle' aria-describedby='bundle-hint' onClick={() => { save('bundle') }}>{T.downloadBundle}</button>
      </p>
      <p class='note' id='bundle-hint'>{T.bundleHint}</p>
      {failed !== undefined && <NodeError error={failed} />}
      {cells.length === 0
        ? <p id='no-cells'>{T.noCells}</p>
        : (
          <>
            <p class='note'>{T.intervalNote}</p>
            <Charts result={result} />
            <div class='scroll' tabIndex={0} role='region' aria-label={T.tableCaption}>
              <table id='totals-table'>
                <caption>{T.tableCaption}</caption>
                <thead>
                  <tr>
                    <th scope='col'>{T.year}</th>
                    {by.map(d => <th scope='col' key={d}>{dimensionName(indicator, d)}</th>)}
                    <th scope='col'>{T.total}</th>
                    {countries.map(c => <th scope='col' key={c}>{countryName(c)}</th>)}
                  </tr>
                </thead>
                <tbody>
                  {cells.map(c => (
                    <tr key={keyOf(c)}>
                      <th scope='row'>{c.key.TIME_PERIOD}</th>
                      {by.map(d => <td key={d}>{codeLabel(indicator, d, c.key[d] ?? '', T.total)}</td>)}
                      <td class='num'><Total cell={c} /></td>
                      {countries.map(country => {
                        const part = c.parts.find(p => p.country === country)
                        return <td class='num' key={country}>{part === undefined ? <span class='absent'>{T.notIncluded}</span> : <Figure part={part} />}</td>
                      })}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </>
          )}
      {result.mirror.length > 0 && <MirrorTable rows={result.mirror} />}
      <h2>{T.map}</h2>
      <RegionMap key={keyOfQuery(result)} result={result} params={params} />
      <h2>{T.contributions}</h2>
      <div class='scroll' tabIndex={0} role='region' aria-label={T.contributions}>
        <table id='contributions-table'>
          <thead>
            <tr>
              <th scope='col'>{T.country}</th>
              <th scope='col'>{T.year}</th>
              <th scope='col'>{T.status}</th>
              <th scope='col'>{T.reason}</th>
              <th scope='col'>{T.issued}</th>
              <th scope='col'>{T.validUntil}</th>
              <th scope='col'>{T.hiddenCells}</th>
            </tr>
          </thead>
          <tbody>
            {result.contributions.map(c => (
              <tr key={`${c.country}|${c.year}`} class={c.status}>
                <th scope='row'>{countryName(c.country)}</th>
                <td>{c.year}</td>
                <td>{c.status === 'included' ? (c.source === 'own' ? `${T.included}, ${T.own}` : T.included) : T.missing}</td>
                <td class='reason'>{c.reason === undefined ? '' : (T.reasons[c.reason] ?? c.reason)}</td>
                <td class='date'>{day(c.issuedAt)}</td>
                <td class='date'>{day(c.expiresAt)}</td>
                <td class='num'>{c.suppressedCells ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  )
}

export function TotalsScreen ({ place }: ScreenProps) {
  const params = place.params
  const query = params.get('indicator') !== null && params.get('years') !== null ? apiQuery(params) : undefined
  const [state, setState] = useState<{ query: string, result?: RegionalResult, error?: string } | undefined>()

  useEffect(() => {
    if (query === undefined) return
    let live = true
    setState({ query })
    getJson<RegionalResult>(query).then(
      result => { if (live) setState({ query, result }) },
      (err: unknown) => { if (live) setState({ query, error: errorText(err) }) }
    )
    return () => { live = false }
  }, [query])

  return (
    <section>
      <h1 tabIndex={-1}>{T.title}</h1>
      <QueryForm key={query ?? ''} params={params} />
      <div aria-live='polite'>
        {state?.query === query && state?.result === undefined && state?.error === undefined && <p>{T.busy}</p>}
        {state?.error !== undefined && <NodeError error={state.error} />}
      </div>
      {state?.result !== undefined && state.query === query && <Results result={state.result} params={params} />}
    </section>
  )
}
