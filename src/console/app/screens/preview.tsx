/**
 * What a peer would receive now (GET /v1/policy/preview), for legal officers: the peer, year
 * and indicator are the address (/console/preview?peer=EUROPOL&year=2024&indicator=V1).
 */
import { useState } from 'preact/hooks'
import { session, useJson } from '../api.js'
import { codeLabel, countryName, dimensionName, INDICATORS } from '../labels.js'
import { hrefOf, navigate, type ScreenProps } from '../router.js'
import { texts } from '../texts.js'
import { NodeError } from './node-error.js'

const T = texts.preview

interface Cell { key: Record<string, string>, value?: number, conf_status: string }
interface Table { agreement: string, indicator: string, year: number, by: string[], cells: Cell[] }
interface Preview { peer: string, year: number, granted: boolean, tables: Table[], refused: Array<{ indicator: string, year: number, unsafe: string[] }>, held: Array<{ year: number, added: number, withdrawn: number, reason: string }>, revisions: Array<{ year: number, version: number, added: number, withdrawn: number }> }
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
  const held = useJson<{ agreements: Held[] }>('/v1/policy/agreements')
  const self = session()?.node
  const peers = held.data === undefined ? undefined : [...new Set(held.data.agreements.filter(a => a.provider === self && a.in_force).map(a => a.recipient))].sort()
  const error = held.error
  const shown = useJson<Preview>(query)

  return (
    <section>
      <h1 tabIndex={-1}>{T.title}</h1>
      <p>{T.intro}</p>
      {error !== undefined && <NodeError error={error} code={held.code} />}
      {peers?.length === 0 && <p>{T.noPeers}</p>}
      {peers !== undefined && peers.length > 0 && <Form key={query ?? ''} params={p} peers={peers} />}
      <div aria-live='polite'>
        {shown.loading && <p>{T.busy}</p>}
        {shown.error !== undefined && <NodeError error={shown.error} code={shown.code} />}
      </div>
      {shown.data !== undefined && (
        <div id='preview'>
          {!shown.data.granted && <p id='not-granted'>{T.notGranted(countryName(shown.data.peer))}</p>}
          {shown.data.refused.map(r => <p key={`${r.indicator}${r.year}`} class='error'>{T.refused(r.indicator, r.year, r.unsafe.join('; '))}</p>)}
          {shown.data.revisions.map(r => <p key={`r${r.year}`} class='notice'>{T.revision(r.year, r.version, r.added, r.withdrawn)}</p>)}
          {shown.data.held.map(h => <p key={h.year} class='notice'>{T.held(h.year, h.added, h.withdrawn, h.reason)}</p>)}
          {shown.data.tables.map(t => <PreviewTable key={`${t.indicator}|${t.year}|${t.agreement}`} table={t} />)}
        </div>
      )}
    </section>
  )
}
