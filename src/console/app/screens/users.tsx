/**
 * The node's users for operators: the list (GET /v1/users), add one (POST /v1/users, with a
 * password or a generated one shown once), disable and enable (POST /v1/users/NAME/disable,
 * /enable). The same as `dcimx user`. The node refuses an operator disabling themself; the
 * screen offers no such button, and shows the node's message should it be asked anyway.
 */
import { useState } from 'preact/hooks'
import { errorText, postJson, session, useJson } from '../api.js'
import { texts } from '../texts.js'
import { NodeError } from './node-error.js'

const T = texts.users

interface User { name: string, role: string, created_at: string, disabled_at: string | null }

const ROLE_IDS = ['liaison', 'legal', 'operator', 'auditor']

function AddForm ({ onAdded }: { onAdded: (user: User, password: string | undefined) => void }) {
  const [name, setName] = useState('')
  const [role, setRole] = useState('liaison')
  const [password, setPassword] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | undefined>()
  const submit = (e: Event): void => {
    e.preventDefault()
    setBusy(true)
    setError(undefined)
    postJson<{ user: User, password?: string }>('/v1/users', { name: name.trim(), role, ...(password === '' ? {} : { password }) }).then(
      r => { setBusy(false); setName(''); setPassword(''); onAdded(r.user, r.password) },
      (err: unknown) => { setBusy(false); setError(errorText(err)) }
    )
  }
  return (
    <form class='query' onSubmit={submit}>
      <div class='field'>
        <label for='u-name'>{T.name}</label>
        <input id='u-name' value={name} required autoComplete='off' spellcheck={false} aria-describedby='u-name-hint' onInput={e => { setName(e.currentTarget.value) }} />
        <small id='u-name-hint'>{T.nameHint}</small>
      </div>
      <div class='field'>
        <label for='u-role'>{T.role}</label>
        <select id='u-role' value={role} onChange={e => { setRole(e.currentTarget.value) }}>
          {ROLE_IDS.map(r => <option key={r} value={r}>{texts.roles[r] ?? r}</option>)}
        </select>
      </div>
      <div class='field'>
        <label for='u-password'>{T.password}</label>
        <input id='u-password' type='password' value={password} autoComplete='new-password' aria-describedby='u-password-hint' onInput={e => { setPassword(e.currentTarget.value) }} />
        <small id='u-password-hint'>{T.passwordHint}</small>
      </div>
      <button type='submit' disabled={busy}>{busy ? T.adding : T.add}</button>
      {error !== undefined && <NodeError error={error} />}
    </form>
  )
}

export function UsersScreen () {
  const list = useJson<{ users: User[] }>('/v1/users')
  const users = list.data?.users
  const [failed, setError] = useState<string | undefined>()
  const error = failed ?? list.error
  const [done, setDone] = useState<{ text: string, password?: string } | undefined>()
  const [busy, setBusy] = useState<string | undefined>()
  const self = session()?.user

  const toggle = (u: User): void => {
    const action = u.disabled_at === null ? 'disable' : 'enable'
    setBusy(u.name)
    setError(undefined)
    setDone(undefined)
    postJson<{ user: User, changed: boolean }>(`/v1/users/${encodeURIComponent(u.name)}/${action}`).then(
      r => { setBusy(undefined); setDone({ text: r.user.disabled_at === null ? T.enabled(r.user.name) : T.disabled(r.user.name) }); list.reload() },
      (err: unknown) => { setBusy(undefined); setError(errorText(err)) }
    )
  }

  return (
    <section>
      <h1 tabIndex={-1}>{T.title}</h1>
      <p>{T.intro}</p>
      <div aria-live='polite'>
        {done !== undefined && (
          <div id='users-done' class='verified'>
            <p>{done.text}</p>
            {done.password !== undefined && <p>{T.generated}<code id='new-password'>{done.password}</code></p>}
          </div>
        )}
      </div>
      {error !== undefined && <NodeError error={error} />}
      {users === undefined && error === undefined && <p>{texts.loading}</p>}
      {users !== undefined && (
        <div class='scroll' tabIndex={0} role='region' aria-labelledby='users-caption'>
          <table id='users-table'>
            <caption id='users-caption'>{T.caption(users.length)}</caption>
            <thead><tr><th scope='col'>{T.name}</th><th scope='col'>{T.role}</th><th scope='col'>{T.added}</th><th scope='col'>{T.state}</th><th scope='col'>{T.action}</th></tr></thead>
            <tbody>
              {users.map(u => (
                <tr key={u.name} class={u.disabled_at === null ? undefined : 'missing'}>
                  <th scope='row'>{u.name === self ? T.you(u.name) : u.name}</th>
                  <td>{texts.roles[u.role] ?? u.role}</td>
                  <td class='date'>{u.created_at.replace('T', ' ').slice(0, 16)}</td>
                  <td>{u.disabled_at === null ? T.active : T.disabledSince(u.disabled_at.replace('T', ' ').slice(0, 16))}</td>
                  <td>
                    {u.name === self
                      ? <small>{T.notSelf}</small>
                      : (
                        <button type='button' disabled={busy === u.name} aria-label={u.disabled_at === null ? T.disableUser(u.name) : T.enableUser(u.name)} onClick={() => { toggle(u) }}>
                          {u.disabled_at === null ? T.disable : T.enable}
                        </button>
                        )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <h2>{T.addTitle}</h2>
      <AddForm onAdded={(u, password) => { setError(undefined); setDone({ text: T.addedText(u.name, texts.roles[u.role] ?? u.role), ...(password === undefined ? {} : { password }) }); list.reload() }} />
    </section>
  )
}
