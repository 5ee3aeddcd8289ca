/**
 * What a peer would receive now (GET /v1/policy/preview), for legal officers: the peer, year
 * and indicator are the address (/console/preview?peer=EUROPOL&year=2024&indicator=V1).
 */
import { useEffect, useState } from 'preact/hooks'
import { errorText, getJson, session } from '../api.js'
import type { ScreenProps } from '../app.js'
import { codeLabel, countryName, dimensionName, INDICATORS } from '../labels.js'
import { hrefOf, navigate } from '../router.js'
import { texts } from '../texts.js'

const T = texts.preview

interface Cell { key: Record<string, string>, value?: number, conf_status: string }
interface Table { agreement: string, indicator: string, year: number, by: string[], cells: Cell[] }
interface Preview { peer: string, year: number, granted: boolean, tables: Table[], refused: Array<{ indicator: string, year: number, unsafe: string[] }>, held: Array<{ year: number, added: number, withdrawn: number }> }
interface Held { provider: string, recipient: string, in_force: boolean }

function Form ({ params, peers }: { params: URLSearchParams, peers: string[] }) {
  const [peer, setPeer] = useState(params.get('peer') ?? peers[0] ?? '')
  const [year, setYear] = useState(params.get('year') ?? String(new Date().getFullYear() - 1))
  const [indicator, setIndicator] = useState(params.get('indicator') ?? '')
  const submit = (e: Event): void => {
    e.preventDefault()
    const q = new URLSearchParams({ peer, year: year.trim() })
    if (indicator !== '') q.set('indicator', indicator)
    navigate(hrefOf('preview', q))
  }
  return (
    <form class='query' onSubmit={submit}>
      <div class='field'>
        <label for='p-peer'>{T.peer}</label>
        <select id='p-peer' value={peer} onChange={e => { setPeer(e.currentTarget.value) }}>
          {peers.map(p => <option key={p} value={p}>{`${countryName(p)} (${p})`}</option>)}
        </select>
      </div>
      <div class='field'>
        <label for='p-year'>{T.year}</label>
        <input id='p-year' value={year} required inputMode='numeric' pattern='[0-9]{4}' onInput={e => { setYear(e.currentTarget.value) }} />
      </div>
      <div class='field'>
        <label for='p-indicator'>{T.indicator}</label>
        <select id='p-indicator' value={indicator} onChange={e => { setIndicator(e.currentTarget.value) }}>
          <option value=''>{T.anyIndicator}</option>
          {INDICATORS.map(i => <option key={i.id} value={i.id}>{`${i.id} ${i.name}`}</option>)}
        </select>
      </div>
      <button type='submit'>{T.submit}</button>
    </form>
  )
}

function PreviewTable ({ table }: { table: Table }) {
  const hidden = table.cells.filter(c => c.conf_status === 'C').length
  const title = T.table(table.indicator, table.year, table.by.length === 0 ? T.totalOnly : table.by.map(d => dimensionName(table.indicator, d)).join(', '), table.agreement)
  return (
    <div class='preview-table'>
      <h2>{title}</h2>
      <p>{T.counts(table.cells.length, hidden)}</p>
      <div class='scroll' tabIndex={0} role='region' aria-label={title}>
        <table>
          <thead>
            <tr>
              {table.by.map(d => <th scope='col' key={d}>{dimensionName(table.indicator, d)}</th>)}
              <th scope='col'>{T.value}</th>
            </tr>
          </thead>
          <tbody>
            {table.cells.map(c => (
              <tr key={table.by.map(d => c.key[d]).join('|')}>
                {table.by.map(d => <td key={d}>{codeLabel(table.indicator, d, c.key[d] ?? '', texts.totals.total)}</td>)}
                <td class='num'>{c.value === undefined ? <span class='hidden-part'>{T.hidden}</span> : c.value}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  )
}

export function PreviewScreen ({ place }: ScreenProps) {
  const p = place.params
  const query = p.get('peer') !== null && p.get('year') !== null
    ? `/v1/policy/preview?${new URLSearchParams({ peer: p.get('peer')!, year: p.get('year')!, ...(p.get('indicator') === null ? {} : { indicator: p.get('indicator')! }) }).toString()}`
    : undefined
  const [peers, setPeers] = useState<string[] | undefined>()
  const [state, setState] = useState<{ query: string, preview?: Preview, error?: string } | undefined>()
  const [error, setError] = useState<string | undefined>()

  useEffect(() => {
    const self = session()?.node
    getJson<{ agreements: Held[] }>('/v1/policy/agreements').then(
      r => { setPeers([...new Set(r.agreements.filter(a => a.provider === self && a.in_force).map(a => a.recipient))].sort()) },
      (err: unknown) => { setError(errorText(err)) }
    )
  }, [])
  useEffect(() => {
    if (query === undefined) return
    let live = true
    setState({ query })
    getJson<Preview>(query).then(
      preview => { if (live) setState({ query, preview }) },
      (err: unknown) => { if (live) setState({ query, error: errorText(err) }) }
    )
    return () => { live = false }
  }, [query])

  const shown = state?.query === query ? state : undefined
  return (
    <section>
      <h1 tabIndex={-1}>{T.title}</h1>
      <p>{T.intro}</p>
      {error !== undefined && <p class='error' role='alert'>{texts.error(error)}</p>}
      {peers?.length === 0 && <p>{T.noPeers}</p>}
      {peers !== undefined && peers.length > 0 && <Form key={query ?? ''} params={p} peers={peers} />}
      <div aria-live='polite'>
        {shown !== undefined && shown.preview === undefined && shown.error === undefined && <p>{T.busy}</p>}
        {shown?.error !== undefined && <p class='error' role='alert'>{texts.error(shown.error)}</p>}
      </div>
      {shown?.preview !== undefined && (
        <div id='preview'>
          {!shown.preview.granted && <p id='not-granted'>{T.notGranted(countryName(shown.preview.peer))}</p>}
          {shown.preview.refused.map(r => <p key={`${r.indicator}${r.year}`} class='error'>{T.refused(r.indicator, r.year, r.unsafe.join('; '))}</p>)}
          {shown.preview.held.map(h => <p key={h.year} class='notice'>{T.held(h.year, h.added, h.withdrawn)}</p>)}
          {shown.preview.tables.map(t => <PreviewTable key={`${t.indicator}|${t.year}|${t.agreement}`} table={t} />)}
        </div>
      )}
    </section>
  )
}
