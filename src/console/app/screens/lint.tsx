/**
 * The agreement files' problems with file and line (GET /v1/policy/lint, as `dcimx policy lint`),
 * for legal officers and operators: what to fix in which file before the node can use its
 * agreements. Read-only: the files are fixed under the operator's change control.
 */
import { useJson } from '../api.js'
import { texts } from '../texts.js'
import { NodeError } from './node-error.js'

const T = texts.lint

interface Lint { files: string[], problems: Array<{ file: string, line: number, field: string | null, message: string }> }

export function LintScreen () {
  const { data: lint, error } = useJson<Lint>('/v1/policy/lint')
  return (
    <section>
      <h1 tabIndex={-1}>{T.title}</h1>
      <p>{T.intro}</p>
      {error !== undefined && <NodeError error={error} />}
      {lint === undefined && error === undefined && <p>{texts.loading}</p>}
      {lint !== undefined && (lint.problems.length === 0
        ? <p id='lint-result' class='verified'>{T.clean(lint.files.length)}</p>
        : <p id='lint-result' class='error'>{T.problems(lint.problems.length, new Set(lint.problems.map(p => p.file)).size, lint.files.length)}</p>)}
      {lint !== undefined && lint.problems.length > 0 && (
        <div class='scroll' tabIndex={0} role='region' aria-labelledby='lint-caption'>
          <table id='lint-table'>
            <caption id='lint-caption'>{T.caption}</caption>
            <thead><tr><th scope='col'>{T.file}</th><th scope='col'>{T.line}</th><th scope='col'>{T.field}</th><th scope='col'>{T.message}</th></tr></thead>
            <tbody>
              {lint.problems.map((p, i) => (
                <tr key={i}>
                  <td>{p.file}</td>
                  <td class='num'>{p.line}</td>
                  <td>{p.field === null ? '' : <code>{p.field}</code>}</td>
                  <td>{p.message}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {lint !== undefined && lint.files.length > 0 && <p class='note'>{T.checked(lint.files.join(', '))}</p>}
    </section>
  )
}
