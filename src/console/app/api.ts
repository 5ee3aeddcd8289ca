/**
 * The console's only way to the node: its own HTTP API. The user token lives in this module's
 * memory only (not in storage, not in a cookie): a reload or a new tab asks to log in again,
 * and no other site can make the browser send it.
 */
import { useEffect, useState } from 'preact/hooks'

export interface Session {
  token: string
  user: string
  role: string
  /** The node logged in to. */
  node: string
  /** The guarded routes the role may call, as GET /v1/me lists them. */
  routes: string[]
  /** When the token expires, by this browser's clock (ms since the epoch): counted from the node's expires_in, so a wrong clock here does not matter. */
  expiresAt: number
}

/** An answer of the node other than 2xx, with its error code and message. */
export class ApiError extends Error {
  constructor (readonly status: number, readonly code: string, message: string) {
    super(message)
  }
}

/** What to show for a failed request: the node's own message, or the error as text. */
export function errorText (err: unknown): string {
  return err instanceof ApiError ? err.message : String(err)
}

let current: Session | undefined
let onUnauthorized: () => void = () => {}

export function session (): Session | undefined {
  return current
}

/** Called when the node refuses the token (expired, user removed or disabled). */
export function whenUnauthorized (handler: () => void): void {
  onUnauthorized = handler
}

export function logout (): void {
  current = undefined
}

async function failure (res: Response): Promise<ApiError> {
  let code = 'HTTP_ERROR'
  let message = `${res.status} ${res.statusText}`
  try {
    const body = await res.json() as { code?: string, message?: string }
    if (typeof body.code === 'string') code = body.code
    if (typeof body.message === 'string') message = body.message
  } catch {
    // Not the node's JSON error shape: the status line says what there is to say.
  }
  return new ApiError(res.status, code, message)
}

/** Logs in (POST /v1/login), then asks the node what the role may call (GET /v1/me). */
export async function login (user: string, password: string): Promise<Session> {
  // Counted from before the request: the session never shows longer than the token lives.
  const started = Date.now()
  const res = await fetch('/v1/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user, password }) })
  if (!res.ok) throw await failure(res)
  const issued = await res.json() as { token: string, role: string, expires_in: number }
  const me = await fetch('/v1/me', { headers: { authorization: `Bearer ${issued.token}` } })
  if (!me.ok) throw await failure(me)
  const who = await me.json() as { user: string, role: string, node: string, routes: string[] }
  current = { token: issued.token, user: who.user, role: who.role, node: who.node, routes: who.routes, expiresAt: started + issued.expires_in * 1000 }
  return current
}

/** GET a path of the node's API with the user token; a 401 ends the session. */
export async function get (path: string): Promise<Response> {
  if (current === undefined) throw new ApiError(401, 'USER_TOKEN_MISSING', 'not logged in')
  const res = await fetch(path, { headers: { authorization: `Bearer ${current.token}` } })
  if (res.status === 401) {
    current = undefined
    onUnauthorized()
  }
  if (!res.ok) throw await failure(res)
  return res
}

/** POST a body to a path of the node's API with the user token; a 401 ends the session. */
export async function post (path: string, body: Blob, contentType: string): Promise<Response> {
  if (current === undefined) throw new ApiError(401, 'USER_TOKEN_MISSING', 'not logged in')
  const res = await fetch(path, { method: 'POST', body, headers: { authorization: `Bearer ${current.token}`, 'content-type': contentType } })
  if (res.status === 401) {
    current = undefined
    onUnauthorized()
  }
  if (!res.ok) throw await failure(res)
  return res
}

export async function getJson<T> (path: string): Promise<T> {
  return await (await get(path)).json() as T
}

/** POST a JSON body (`{}` when none is needed) to a path of the node's API; the answer's JSON. */
export async function postJson<T> (path: string, body: unknown = {}): Promise<T> {
  return await (await post(path, new Blob([JSON.stringify(body)]), 'application/json')).json() as T
}

/** What {@link useJson} gives: the answer or the error for the path asked now, never an older path's. */
export interface Fetched<T> {
  data: T | undefined
  error: string | undefined
  /** The node's error code with `error` (e.g. AGREEMENTS_INVALID), when it gave one. */
  code: string | undefined
  /** Asked, and no answer yet for this path. */
  loading: boolean
  /** Asks again (after a change the screen made); what is shown stays until the new answer. */
  reload: () => void
}

/**
 * GET `path` as JSON for a screen, asked again when `path` changes (undefined: nothing to ask).
 * An answer that arrives after the path has changed is dropped, and a failure is the node's
 * message (errorText).
 */
export function useJson<T> (path: string | undefined): Fetched<T> {
  const [state, setState] = useState<{ path: string, data?: T, error?: string, code?: string } | undefined>()
  const [round, setRound] = useState(0)
  useEffect(() => {
    if (path === undefined) return
    let live = true
    getJson<T>(path).then(
      data => { if (live) setState({ path, data }) },
      (err: unknown) => { if (live) setState({ path, error: errorText(err), code: err instanceof ApiError ? err.code : undefined }) }
    )
    return () => { live = false }
  }, [path, round])
  const shown = path !== undefined && state?.path === path ? state : undefined
  return { data: shown?.data, error: shown?.error, code: shown?.code, loading: path !== undefined && shown === undefined, reload: () => { setRound(r => r + 1) } }
}
