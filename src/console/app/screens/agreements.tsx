/**
 * The node's agreements for legal officers, read-only: each version explained in plain
 * language (GET /v1/policy/agreements), and what changes between two versions (GET
 * /v1/policy/diff), the comparison kept in the address (?agreement=&from=&to=).
 */
import { useEffect, useState } from 'preact/hooks'
import { errorText, getJson } from '../api.js'
import type { ScreenProps } from '../app.js'
import { countryName } from '../labels.js'
import { hrefOf, navigate } from '../router.js'
import { texts } from '../texts.js'

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

export function AgreementsScreen ({ place }: ScreenProps) {
  const [held, setHeld] = useState<HeldAgreement[] | undefined>()
  const [diff, setDiff] = useState<Diff | undefined>()
  const [error, setError] = useState<string | undefined>()
  const fail = (err: unknown): void => { setError(errorText(err)) }
  const p = place.params
  const diffQuery = p.get('agreement') !== null && p.get('from') !== null && p.get('to') !== null
    ? `/v1/policy/diff?${new URLSearchParams({ agreement: p.get('agreement')!, from: p.get('from')!, to: p.get('to')! }).toString()}`
    : undefined

  useEffect(() => { getJson<{ agreements: HeldAgreement[] }>('/v1/policy/agreements').then(r => { setHeld(r.agreements) }, fail) }, [])
  useEffect(() => {
    setDiff(undefined)
    if (diffQuery !== undefined) getJson<Diff>(diffQuery).then(setDiff, fail)
  }, [diffQuery])

  return (
    <section>
      <h1 tabIndex={-1}>{T.title}</h1>
      <p>{T.intro}</p>
      {error !== undefined && <p class='error' role='alert'>{texts.error(error)}</p>}
      {held === undefined && error === undefined && <p>{texts.loading}</p>}
      {held !== undefined && (
        <>
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
