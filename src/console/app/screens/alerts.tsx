/**
 * Alerts raised from evidence, every peer's together (GET /v1/status), for operators and
 * auditors; an operator acknowledges one (POST /v1/alerts/ack, as `dcimx alerts ack --id`).
 * Acknowledging keeps the evidence: the alert only leaves this list.
 */
import { useState } from 'preact/hooks'
import { errorText, postJson, session, useJson } from '../api.js'
import { countryName } from '../labels.js'
import { texts } from '../texts.js'
import { NodeError } from './node-error.js'

const T = texts.alerts

interface Alert { id: number, kind: string, feed_seq: number | null, detail: string, recorded_at: string }
interface PeerStatus { peer: string, alerts: Alert[] }

export function AlertsScreen () {
  const status = useJson<{ peers: PeerStatus[] }>('/v1/status')
  const alerts = status.data?.peers.flatMap(p => p.alerts.map(a => ({ ...a, peer: p.peer }))).sort((a, b) => a.id - b.id)
  const [failed, setError] = useState<string | undefined>()
  const error = failed ?? status.error
  const [done, setDone] = useState<string | undefined>()
  const [busy, setBusy] = useState<number | undefined>()
  const mayAck = session()?.routes.includes('POST /v1/alerts/ack') === true
  const ack = (a: Alert): void => {
    setBusy(a.id)
    setError(undefined)
    setDone(undefined)
    postJson<{ acknowledged: number }>('/v1/alerts/ack', { id: a.id }).then(
      r => { setBusy(undefined); setDone(r.acknowledged === 1 ? T.acknowledged(a.id) : T.already(a.id)); status.reload() },
      (err: unknown) => { setBusy(undefined); setError(errorText(err)) }
    )
  }
  return (
    <section>
      <h1 tabIndex={-1}>{T.title}</h1>
      <p>{mayAck ? T.intro : T.introReadOnly}</p>
      <div aria-live='polite'>{done !== undefined && <p id='alerts-done' class='verified'>{done}</p>}</div>
      {error !== undefined && <NodeError error={error} />}
      {alerts === undefined && error === undefined && <p>{texts.loading}</p>}
      {alerts?.length === 0 && <p id='alerts-none'>{T.none}</p>}
      {alerts !== undefined && alerts.length > 0 && (
        <div class='scroll' tabIndex={0} role='region' aria-labelledby='alerts-caption'>
          <table id='alerts-table'>
            <caption id='alerts-caption'>{T.caption(alerts.length)}</caption>
            <thead>
              <tr>
                <th scope='col'>{T.id}</th><th scope='col'>{T.peer}</th><th scope='col'>{T.kind}</th><th scope='col'>{T.feedSeq}</th><th scope='col'>{T.recorded}</th><th scope='col'>{T.detail}</th>
                {mayAck && <th scope='col'>{T.action}</th>}
              </tr>
            </thead>
            <tbody>
              {alerts.map(a => (
                <tr key={a.id}>
                  <th scope='row'>{`#${a.id}`}</th>
                  <td>{`${countryName(a.peer)} (${a.peer})`}</td>
                  <td>{T.kinds[a.kind] ?? a.kind}</td>
                  <td class='num'>{a.feed_seq ?? ''}</td>
                  <td class='date'>{a.recorded_at.replace('T', ' ').slice(0, 16)}</td>
                  <td>{a.detail}</td>
                  {mayAck && (
                    <td>
                      <button type='button' disabled={busy === a.id} aria-label={T.ackAlert(a.id)} onClick={() => { ack(a) }}>{T.ack}</button>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  )
}
