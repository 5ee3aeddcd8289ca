import { useState } from 'preact/hooks'
import { ApiError, login, type Session } from '../api.js'
import { texts } from '../texts.js'

export function LoginScreen ({ notice, onLogin }: { notice: string | undefined, onLogin: (s: Session) => void }) {
  const [user, setUser] = useState('')
  const [password, setPassword] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | undefined>()

  const submit = async (e: Event): Promise<void> => {
    e.preventDefault()
    setBusy(true)
    setError(undefined)
    try {
      onLogin(await login(user.trim(), password))
    } catch (err) {
      if (err instanceof ApiError && err.code === 'LOGIN_FAILED') setError(texts.login.failed)
      else if (err instanceof ApiError && (err.code === 'LOGIN_THROTTLED' || err.code === 'RATE_LIMITED')) setError(texts.login.throttled(err.message))
      else setError(texts.error(err instanceof Error ? err.message : String(err)))
      setBusy(false)
    }
  }

  return (
    <section class='login'>
      <h1 tabIndex={-1}>{texts.login.title}</h1>
      {notice !== undefined && <p class='notice' role='status'>{notice}</p>}
      <p>{texts.login.introNoNode}</p>
      <form onSubmit={e => { submit(e).catch(() => {}) }}>
        <label for='login-user'>{texts.login.user}</label>
        <input id='login-user' name='user' autocomplete='username' required value={user} onInput={e => { setUser(e.currentTarget.value) }} />
        <label for='login-password'>{texts.login.password}</label>
        <input id='login-password' name='password' type='password' autocomplete='current-password' required value={password} onInput={e => { setPassword(e.currentTarget.value) }} />
        {error !== undefined && <p class='error' role='alert'>{error}</p>}
        <button type='submit' disabled={busy}>{busy ? texts.login.busy : texts.login.submit}</button>
      </form>
    </section>
  )
}
