/** The console's addresses: /console/<screen>?<the view's parameters>, kept in the browser's history. */
import { useEffect, useState } from 'preact/hooks'

export const BASE = '/console/'

export interface Place {
  /** The screen: the first path segment after /console/ ('' for the start page). */
  screen: string
  params: URLSearchParams
}

/** What the frame (app.tsx) gives every screen: where the browser is. */
export interface ScreenProps { place: Place }

function here (): Place {
  const path = location.pathname.startsWith(BASE) ? location.pathname.slice(BASE.length) : ''
  return { screen: path.split('/')[0] ?? '', params: new URLSearchParams(location.search) }
}

const listeners = new Set<() => void>()

/** Goes to `href` (under /console/) without reloading; `replace` keeps it out of the history. */
export function navigate (href: string, replace = false): void {
  if (replace) history.replaceState(null, '', href)
  else history.pushState(null, '', href)
  for (const l of listeners) l()
}

export function hrefOf (screen: string, params?: URLSearchParams): string {
  const q = params?.toString() ?? ''
  return `${BASE}${screen}${q === '' ? '' : `?${q}`}`
}

/** The current place, updated on navigate() and on the browser's back and forward. */
export function usePlace (): Place {
  const [place, setPlace] = useState(here)
  useEffect(() => {
    const update = (): void => { setPlace(here()) }
    listeners.add(update)
    addEventListener('popstate', update)
    return () => {
      listeners.delete(update)
      removeEventListener('popstate', update)
    }
  }, [])
  return place
}
