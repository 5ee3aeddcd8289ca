/** The console's frame: log in, the screens the role may use, the session's end, log out. */
import type { ComponentType } from 'preact'
import { useEffect, useRef, useState } from 'preact/hooks'
import { logout, session, whenUnauthorized, type Session } from './api.js'
import { hrefOf, navigate, usePlace, type ScreenProps } from './router.js'
import { AgreementsScreen } from './screens/agreements.js'
import { AlertsScreen } from './screens/alerts.js'
import { AuditScreen } from './screens/audit.js'
import { ImportScreen } from './screens/import.js'
import { LintScreen } from './screens/lint.js'
import { LoginScreen } from './screens/login.js'
import { MatrixScreen } from './screens/matrix.js'
import { PeersScreen } from './screens/peers.js'
import { PreviewScreen } from './screens/preview.js'
import { TotalsScreen } from './screens/totals.js'
import { UsersScreen } from './screens/users.js'
import { texts } from './texts.js'

/** Each screen and the API route it reads: shown to the roles GET /v1/me says may call it. */
const SCREENS: Array<{ screen: string, route: string, title: string, Component: ComponentType<ScreenProps> }> = [
  { screen: 'totals', route: 'GET /v1/regional/*', title: texts.nav.totals, Component: TotalsScreen },
  { screen: 'agreements', route: 'GET /v1/policy/agreements', title: texts.nav.agreements, Component: AgreementsScreen },
  { screen: 'matrix', route: 'GET /v1/policy/matrix', title: texts.nav.matrix, Component: MatrixScreen },
  { screen: 'lint', route: 'GET /v1/policy/lint', title: texts.nav.lint, Component: LintScreen },
  { screen: 'preview', route: 'GET /v1/policy/preview', title: texts.nav.preview, Component: PreviewScreen },
  { screen: 'peers', route: 'GET /v1/status', title: texts.nav.peers, Component: PeersScreen },
  { screen: 'alerts', route: 'GET /v1/status', title: texts.nav.alerts, Component: AlertsScreen },
  { screen: 'audit', route: 'GET /v1/audit', title: texts.nav.audit, Component: AuditScreen },
  { screen: 'import', route: 'POST /v1/import/*', title: texts.nav.import, Component: ImportScreen },
  { screen: 'users', route: 'GET /v1/users', title: texts.nav.users, Component: UsersScreen },
]

function clock (ms: number): string {
  return new Date(ms).toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' })
}

function SessionBar ({ user, onLogout }: { user: Session, onLogout: () => void }) {
  const [now, setNow] = useState(Date.now())
  useEffect(() => {
    const timer = setInterval(() => { setNow(Date.now()) }, 15_000)
    return () => { clearInterval(timer) }
  }, [])
  const minutes = Math.max(0, Math.ceil((user.expiresAt - now) / 60_000))
  return (
    <div class='session'>
      <span>{texts.session.who(user.user, texts.roles[user.role] ?? user.role, user.node)}</span>
      <span id='session-expiry'>{texts.session.expires(clock(user.expiresAt), minutes)}</span>
      <button type='button' onClick={onLogout}>{texts.session.logout}</button>
    </div>
  )
}

export function App () {
  const place = usePlace()
  const [user, setUser] = useState<Session | undefined>(session())
  const [notice, setNotice] = useState<string | undefined>()
  const main = useRef<HTMLElement>(null)

  const end = (message: string): void => {
    logout()
    setUser(undefined)
    setNotice(message)
  }
  useEffect(() => { whenUnauthorized(() => { end(texts.login.expired) }) }, [])
  // The session ends in the browser when the token does, whether or not a request is made.
  useEffect(() => {
    if (user === undefined) return
    const timer = setTimeout(() => { end(texts.login.expired) }, Math.max(0, user.expiresAt - Date.now()))
    return () => { clearTimeout(timer) }
  }, [user])
  // A new screen: its heading takes the focus, as a page load would for a screen reader.
  useEffect(() => { main.current?.querySelector<HTMLElement>('h1')?.focus() }, [place.screen, user])

  const allowed = user === undefined ? [] : SCREENS.filter(s => user.routes.includes(s.route))
  useEffect(() => {
    if (user !== undefined && place.screen === '' && allowed[0] !== undefined) navigate(hrefOf(allowed[0].screen), true)
  }, [user, place.screen])

  let body
  if (user === undefined) {
    body = <LoginScreen notice={notice} onLogin={s => { setNotice(undefined); setUser(s) }} />
  } else {
    const screen = SCREENS.find(s => s.screen === place.screen)
    if (place.screen === '') {
      body = <section><h1 tabIndex={-1}>{texts.home.title}</h1>{allowed.length === 0 && <p>{texts.home.none}</p>}</section>
    } else if (screen === undefined) {
      body = <section><h1 tabIndex={-1}>{texts.notFound.title}</h1><p>{texts.notFound.text}</p></section>
    } else if (!allowed.includes(screen)) {
      body = <section><h1 tabIndex={-1}>{texts.forbidden.title}</h1><p id='forbidden'>{texts.forbidden.text(texts.roles[user.role] ?? user.role)}</p></section>
    } else {
      body = <screen.Component key={screen.screen} place={place} />
    }
  }

  return (
    <>
      <a class='skip' href='#main'>{texts.skipToContent}</a>
      <header>
        <p class='brand'>{texts.appName}</p>
        {user !== undefined && <SessionBar user={user} onLogout={() => { end(texts.login.loggedOut) }} />}
      </header>
      {allowed.length > 0 && (
        <nav aria-label={texts.nav.label}>
          <ul>
            {allowed.map(s => (
              <li key={s.screen}>
                <a
                  href={hrefOf(s.screen)}
                  aria-current={s.screen === place.screen ? 'page' : undefined}
                  onClick={e => { e.preventDefault(); navigate(hrefOf(s.screen)) }}
                >{s.title}
                </a>
              </li>
            ))}
          </ul>
        </nav>
      )}
      <main id='main' ref={main}>{body}</main>
    </>
  )
}
