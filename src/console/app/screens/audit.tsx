/** The audit log's verification (GET /v1/audit/verify) and its newest entries as stored (GET /v1/audit): auditors, operators. */
import { session, useJson } from '../api.js'
import { texts } from '../texts.js'
import { NodeError } from './node-error.js'

const T = texts.audit

interface Entry { seq: number, at: string, event: string, actor: string, detail: unknown }
interface Verification { intact: boolean, entries: number, head: { seq: number } | null, broken: { seq: number, reason: string } | null }

function VerifyResult () {
  const { data: v, error } = useJson<Verification>('/v1/audit/verify')
  if (error !== undefined) return <NodeError error={error} />
  if (v === undefined) return <p>{T.verifying}</p>
  return v.broken === null
    ? <p id='audit-verify' class='verified'>{T.intact(v.entries, v.head?.seq ?? null)}</p>
    : <p id='audit-verify' class='error' role='alert'>{T.broken(v.broken.seq, v.broken.reason)}</p>
}

export function AuditScreen () {
  const { data, error } = useJson<{ entries: Entry[] }>('/v1/audit?limit=200')
  const entries = data?.entries
  return (
    <section>
      <h1 tabIndex={-1}>{T.title}</h1>
      <p>{T.intro}</p>
      <div aria-live='polite'>{session()?.routes.includes('GET /v1/audit/verify') === true && <VerifyResult />}</div>
      {error !== undefined && <NodeError error={error} />}
      {entries === undefined && error === undefined && <p>{texts.loading}</p>}
      {entries !== undefined && (
        <div class='scroll' tabIndex={0} role='region' aria-label={T.title}>
          <table id='audit-table'>
            <thead><tr><th scope='col'>{T.seq}</th><th scope='col'>{T.at}</th><th scope='col'>{T.event}</th><th scope='col'>{T.actor}</th><th scope='col'>{T.detail}</th></tr></thead>
            <tbody>
              {entries.map(e => (
                <tr key={e.seq}>
                  <td class='num'>{e.seq}</td>
                  <td class='date'>{e.at.replace('T', ' ').slice(0, 19)}</td>
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
