/**
 * The regional sharing matrix for legal officers (GET /v1/policy/matrix, as `dcimx policy
 * matrix`): one row per country that shares, one column per node that receives, and in each
 * cell the indicators shared under which agreement, in force or not. Row and column headers
 * are <th> with their scope, so a screen reader names both for every cell.
 */
import { useJson } from '../api.js'
import { countryName, indicatorOf } from '../labels.js'
import { texts } from '../texts.js'
import { NodeError } from './node-error.js'

const T = texts.matrix

interface Row { provider: string, recipient: string, indicators: string[], agreement: string, version: number, in_force: boolean }

export function MatrixScreen () {
  const { data, error, code } = useJson<{ matrix: Row[] }>('/v1/policy/matrix')
  const rows = data?.matrix

  const providers = [...new Set(rows?.map(r => r.provider))].sort()
  const recipients = [...new Set(rows?.map(r => r.recipient))].sort()
  const indicators = [...new Set(rows?.flatMap(r => r.indicators))].sort()
  return (
    <section>
      <h1 tabIndex={-1}>{T.title}</h1>
      <p>{T.intro}</p>
      {error !== undefined && <NodeError error={error} code={code} />}
      {rows === undefined && error === undefined && <p>{texts.loading}</p>}
      {rows?.length === 0 && <p>{T.none}</p>}
      {rows !== undefined && rows.length > 0 && (
        <>
          <div class='scroll' tabIndex={0} role='region' aria-labelledby='matrix-caption'>
            <table id='matrix-table' class='matrix'>
              <caption id='matrix-caption'>{T.caption}</caption>
              <thead>
                <tr>
                  <th scope='col'>{T.corner}</th>
                  {recipients.map(r => <th scope='col' key={r}>{countryName(r)}</th>)}
                </tr>
              </thead>
              <tbody>
                {providers.map(p => (
                  <tr key={p}>
                    <th scope='row'>{countryName(p)}</th>
                    {recipients.map(r => {
                      const shared = rows.filter(x => x.provider === p && x.recipient === r)
                      return (
                        <td key={r}>
                          {shared.length === 0
                            ? <span class='absent'>{T.nothing}</span>
                            : shared.map(x => (
                              <p key={x.agreement} class='share'>
                                {x.indicators.join(', ')}{' '}
                                <span class={x.in_force ? 'badge ok' : 'badge'}>{x.in_force ? T.inForce : T.notInForce}</span>
                                <br /><small>{T.under(x.agreement, x.version)}</small>
                              </p>
                            ))}
                        </td>
                      )
                    })}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <h2>{T.legend}</h2>
          <dl class='meta' id='matrix-legend'>
            {indicators.map(i => [<dt key={`t${i}`}>{i}</dt>, <dd key={`d${i}`}>{indicatorOf(i)?.name ?? i}</dd>])}
          </dl>
        </>
      )}
    </section>
  )
}
