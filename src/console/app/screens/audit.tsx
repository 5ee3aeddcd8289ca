/** The newest audit log entries as stored, from GET /v1/audit (auditors, operators). */
import { useEffect, useState } from 'preact/hooks'
import { ApiError, getJson } from '../api.js'
import { texts } from '../texts.js'

const T = texts.audit

interface Entry { seq: number, at: string, event: string, actor: string, detail: unknown }

export function AuditScreen () {
  const [entries, setEntries] = useState<Entry[] | undefined>()
  const [error, setError] = useState<string | undefined>()
  useEffect(() => { getJson<{ entries: Entry[] }>('/v1/audit?limit=200').then(r => { setEntries(r.entries) }, (err: unknown) => { setError(err instanceof ApiError ? err.message : String(err)) }) }, [])
  return (
    <section>
      <h1 tabIndex={-1}>{T.title}</h1>
      <p>{T.intro}</p>
      {error !== undefined && <p class='error' role='alert'>{texts.error(error)}</p>}
      {entries === undefined && error === undefined && <p>{texts.loading}</p>}
      {entries !== undefined && (
        <div class='scroll' tabIndex={0} role='region' aria-label={T.title}>
          <table id='audit-table'>
            <thead><tr><th scope='col'>{T.seq}</th><th scope='col'>{T.at}</th><th scope='col'>{T.event}</th><th scope='col'>{T.actor}</th><th scope='col'>{T.detail}</th></tr></thead>
            <tbody>
              {entries.map(e => (
                <tr key={e.seq}>
                  <td class='num'>{e.seq}</td>
                  <td>{e.at.replace('T', ' ').slice(0, 19)}</td>
                  <td>{e.event}</td>
                  <td>{e.actor}</td>
                  <td><code>{JSON.stringify(e.detail)}</code></td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  )
}
