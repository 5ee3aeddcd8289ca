/** The node's peers and their exchange status, from GET /v1/status (operators, auditors). */
import { useJson } from '../api.js'
import { texts } from '../texts.js'
import { NodeError } from './node-error.js'

const T = texts.peers

interface PeerStatus { peer: string, name: string, status: string, reason: string | null, last_seq: number, head_seq: number, last_success_at: string | null, failures: number, alerts: unknown[] }

export function PeersScreen () {
  const { data, error } = useJson<{ peers: PeerStatus[] }>('/v1/status')
  const peers = data?.peers
  return (
    <section>
      <h1 tabIndex={-1}>{T.title}</h1>
      {error !== undefined && <NodeError error={error} />}
      {peers === undefined && error === undefined && <p>{texts.loading}</p>}
      {peers?.length === 0 && <p>{T.none}</p>}
      {peers !== undefined && peers.length > 0 && (
        <div class='scroll' tabIndex={0} role='region' aria-label={T.title}>
          <table id='peers-table'>
            <thead><tr><th scope='col'>{T.peer}</th><th scope='col'>{T.status}</th><th scope='col'>{T.lastSuccess}</th><th scope='col'>{T.position}</th><th scope='col'>{T.failures}</th><th scope='col'>{T.alerts}</th></tr></thead>
            <tbody>
              {peers.map(p => (
                <tr key={p.peer}>
                  <th scope='row'>{`${p.peer} (${p.name})`}</th>
                  <td>{p.reason === null ? p.status : `${p.status}: ${p.reason}`}</td>
                  <td class='date'>{p.last_success_at?.replace('T', ' ').slice(0, 16) ?? T.never}</td>
                  <td class='num'>{`${p.last_seq} / ${p.head_seq}`}</td>
                  <td class='num'>{p.failures}</td>
                  <td class='num'>{p.alerts.length}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  )
}
