/**
 * The node's agreements for legal officers, read-only: each version explained in plain
 * language (GET /v1/policy/agreements), and what changes between two versions (GET
 * /v1/policy/diff), the comparison kept in the address (?agreement=&from=&to=).
 */
import { useState } from 'preact/hooks'
import { useJson } from '../api.js'
import { countryName } from '../labels.js'
import { hrefOf, navigate, type ScreenProps } from '../router.js'
import { texts } from '../texts.js'
import { NodeError } from './node-error.js'

const T = texts.agreements

interface HeldAgreement { agreement: string, version: number, title: string | null, provider: string, recipient: string, file: string, hash: string, validity: { from: string, until: string, timezone: string }, in_force: boolean, explanation: string[] }
interface Diff { agreement: string, from: number, to: number, changes: string[] }

/** The explanation's sentences, its "  - " items gathered into lists. */
function Explanation ({ lines }: { lines: string[] }) {
  const blocks: Array<string | string[]> = []
  for (const l of lines) {
    if (l.startsWith('  - ')) {
      const last = blocks.at(-1)
      if (Array.isArray(last)) last.push(l.slice(4))
      else blocks.push([l.slice(4)])
    } else blocks.push(l)
  }
  return <>{blocks.map((b, i) => Array.isArray(b) ? <ul key={i}>{b.map(x => <li key={x}>{x}</li>)}</ul> : <p key={i}>{b}</p>)}</>
}

function Compare ({ held, params }: { held: HeldAgreement[], params: URLSearchParams }) {
  const versions = new Map<string, number[]>()
  for (const a of held) versions.set(a.agreement, [...(versions.get(a.agreement) ?? []), a.version])
  const several = [...versions].filter(([, v]) => v.length > 1)
  const [id, setId] = useState(params.get('agreement') ?? several[0]?.[0] ?? '')
  const list = versions.get(id) ?? []
  const [from, setFrom] = useState(params.get('from') ?? String(list[0] ?? ''))
  const [to, setTo] = useState(params.get('to') ?? String(list.at(-1) ?? ''))
  if (several.length === 0) return <p>{T.oneVersion}</p>
  const submit = (e: Event): void => {
    e.preventDefault()
    navigate(hrefOf('agreements', new URLSearchParams({ agreement: id, from, to })))
  }
  return (
    <form class='query' onSubmit={submit}>
      <div class='field'>
        <label for='d-agreement'>{T.compareAgreement}</label>
        <select id='d-agreement' value={id} onChange={e => { const v = versions.get(e.currentTarget.value) ?? []; setId(e.currentTarget.value); setFrom(String(v[0] ?? '')); setTo(String(v.at(-1) ?? '')) }}>
          {several.map(([a]) => <option key={a} value={a}>{a}</option>)}
        </select>
      </div>
      <div class='field'>
        <label for='d-from'>{T.from}</label>
        <select id='d-from' value={from} onChange={e => { setFrom(e.currentTarget.value) }}>{list.map(v => <option key={v} value={v}>{v}</option>)}</select>
      </div>
      <div class='field'>
        <label for='d-to'>{T.to}</label>
        <select id='d-to' value={to} onChange={e => { setTo(e.currentTarget.value) }}>{list.map(v => <option key={v} value={v}>{v}</option>)}</select>
      </div>
      <button type='submit'>{T.compareSubmit}</button>
    </form>
  )
}

/** A day as a number (days since 1970-01-01), from YYYY-MM-DD. */
function dayOf (date: string): number {
  return Date.UTC(Number(date.slice(0, 4)), Number(date.slice(5, 7)) - 1, Number(date.slice(8, 10))) / 86_400_000
}

/** Today in this browser's time zone, as YYYY-MM-DD. */
function localToday (): string {
  const d = new Date()
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`
}

function state (a: HeldAgreement, today: string): string {
  if (a.in_force) return T.inForce
  if (a.validity.until < today) return T.ended
  if (a.validity.from > today) return T.notYet
  return T.notInForce
}

const WIDTH = 800
const LABEL = 190
const ROW = 30
const AXIS = 26

/**
 * Each agreement's versions as bars over their dates, today marked: a drawing for the eye
 * (hidden from screen readers), and the same dates and states as a table below it.
 */
function Timeline ({ held }: { held: HeldAgreement[] }) {
  const today = localToday()
  const first = Math.min(Number(today.slice(0, 4)), ...held.map(a => Number(a.validity.from.slice(0, 4))))
  const last = Math.max(Number(today.slice(0, 4)), ...held.map(a => Number(a.validity.until.slice(0, 4))))
  const start = dayOf(`${first}-01-01`)
  const end = dayOf(`${last + 1}-01-01`)
  const x = (date: string, after = 0): number => LABEL + (WIDTH - LABEL - 10) * (dayOf(date) + after - start) / (end - start)
  const height = AXIS + held.length * ROW + 6
  const years = Array.from({ length: last - first + 2 }, (_, i) => first + i)
  return (
    <figure class='timeline' aria-labelledby='timeline-caption'>
      <figcaption id='timeline-caption'>{T.timelineCaption}</figcaption>
      <svg viewBox={`0 0 ${WIDTH} ${height}`} width='100%' aria-hidden='true' focusable='false'>
        {years.map(y => (
          <g key={y}>
            <line class='tick' x1={x(`${y}-01-01`)} x2={x(`${y}-01-01`)} y1={AXIS - 6} y2={height} />
            {y <= last && <text class='year' x={x(`${y}-01-01`) + 4} y={AXIS - 10}>{y}</text>}
          </g>
        ))}
        {held.map((a, i) => (
          <g key={`${a.agreement}|${a.version}`} class={a.in_force ? 'version in-force' : 'version'}>
            <text class='label' x={0} y={AXIS + i * ROW + 19}>{`${a.agreement} v${a.version}`}</text>
            <rect class='bar' x={x(a.validity.from)} y={AXIS + i * ROW + 6} width={Math.max(2, x(a.validity.until, 1) - x(a.validity.from))} height={ROW - 12} rx={3} />
          </g>
        ))}
        <line class='today' x1={x(today, 0.5)} x2={x(today, 0.5)} y1={AXIS - 4} y2={height} />
        <text class='today-label' x={x(today, 0.5) + 3} y={height - 2}>{T.today}</text>
      </svg>
      <div class='scroll' tabIndex={0} role='region' aria-labelledby='timeline-caption'>
        <table id='validity-table'>
          <caption>{T.validityCaption(today)}</caption>
          <thead><tr><th scope='col'>{T.compareAgreement}</th><th scope='col'>{T.versionHeader}</th><th scope='col'>{T.validFrom}</th><th scope='col'>{T.validUntil}</th><th scope='col'>{T.timezone}</th><th scope='col'>{T.state}</th></tr></thead>
          <tbody>
            {held.map(a => (
              <tr key={`${a.agreement}|${a.version}`}>
                <th scope='row'>{a.agreement}</th>
                <td class='num'>{a.version}</td>
                <td class='date'>{a.validity.from}</td>
                <td class='date'>{a.validity.until}</td>
                <td>{a.validity.timezone}</td>
                <td>{state(a, today)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </figure>
  )
}

export function AgreementsScreen ({ place }: ScreenProps) {
  const p = place.params
  const diffQuery = p.get('agreement') !== null && p.get('from') !== null && p.get('to') !== null
    ? `/v1/policy/diff?${new URLSearchParams({ agreement: p.get('agreement')!, from: p.get('from')!, to: p.get('to')! }).toString()}`
    : undefined
  const agreements = useJson<{ agreements: HeldAgreement[] }>('/v1/policy/agreements')
  const held = agreements.data?.agreements
  const diffed = useJson<Diff>(diffQuery)
  const diff = diffed.data
  const error = agreements.error ?? diffed.error
  const code = agreements.error !== undefined ? agreements.code : diffed.code

  return (
    <section>
      <h1 tabIndex={-1}>{T.title}</h1>
      <p>{T.intro}</p>
      {error !== undefined && <NodeError error={error} code={code} />}
      {held === undefined && error === undefined && <p>{texts.loading}</p>}
      {held !== undefined && (
        <>
          {held.length > 0 && (
            <>
              <h2>{T.timeline}</h2>
              <Timeline held={held} />
            </>
          )}
          <h2>{T.compare}</h2>
          <Compare key={diffQuery ?? ''} held={held} params={p} />
          {diff !== undefined && (
            <div id='diff' class='diff' aria-live='polite'>
              <h3>{T.changes(diff.agreement, diff.from, diff.to)}</h3>
              <ul>{diff.changes.map(c => <li key={c}>{c}</li>)}</ul>
            </div>
          )}
          {held.length === 0 && <p>{T.none}</p>}
          {held.map(a => (
            <article key={`${a.agreement}|${a.version}`} class='agreement' aria-labelledby={`a-${a.agreement}-${a.version}`}>
              <h2 id={`a-${a.agreement}-${a.version}`}>
                {`${a.agreement}: ${countryName(a.provider)} → ${countryName(a.recipient)}, ${T.version(a.version)}`}
                {' '}<span class={a.in_force ? 'badge ok' : 'badge'}>{a.in_force ? T.inForce : T.notInForce}</span>
              </h2>
              {a.title !== null && <p class='subtitle'>{a.title}</p>}
              <p>{T.validity(a.validity.from, a.validity.until, a.validity.timezone)}</p>
              <Explanation lines={a.explanation} />
              <dl class='meta'>
                <dt>{T.file}</dt><dd>{a.file}</dd>
                <dt>{T.hash}</dt><dd><code>{a.hash}</code></dd>
              </dl>
            </article>
          ))}
        </>
      )}
    </section>
  )
}
