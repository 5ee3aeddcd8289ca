/**
 * Unauthenticated attempts per source address: at most `max` within a sliding window of
 * `windowMs`. Each request is counted when it arrives, before anything is verified or hashed
 * (so requests sent together cannot all pass), and handed back (`refund`) once its caller has
 * proved who it is (a peer token that verified, a password that matched): a peer's pulls and a
 * user's logins never use up the limit, a stranger's refused attempts do. Used on the routes a
 * stranger can call (POST /v1/login, the peer routes). The address is Fastify's `request.ip`: the peer
 * address of the connection, or, when `http.trust_proxy` names the proxy in front of the node,
 * the client address it forwards. Kept in memory, bounded (the least recently seen addresses are
 * forgotten first); time is the caller's clock.
 */

export interface RateLimit {
  max: number
  windowMs: number
}

/** Failed logins a single address may attempt (any names). */
export const LOGIN_RATE: RateLimit = { max: 30, windowMs: 60_000 }
/** Requests to /v1/feed and /v1/objects a single address may make without a peer token that verifies. */
export const PEER_RATE: RateLimit = { max: 120, windowMs: 60_000 }
/** Addresses remembered per limiter. */
export const RATE_LIMIT_KEYS = 10_000

export interface RateLimiter {
  /** Counts a request from `address`: undefined when it may proceed, else the milliseconds to wait. */
  take: (address: string, nowMs: number) => number | undefined
  /** Hands back the newest request counted for `address` (its caller authenticated). */
  refund: (address: string) => void
}

export function rateLimiter (limit: RateLimit, maxKeys = RATE_LIMIT_KEYS): RateLimiter {
  const seen = new Map<string, number[]>()
  return {
    take: (address, nowMs) => {
      const times = (seen.get(address) ?? []).filter(at => at > nowMs - limit.windowMs)
      seen.delete(address)
      seen.set(address, times)
      if (seen.size > maxKeys) seen.delete(seen.keys().next().value!)
      if (times.length >= limit.max) return times[times.length - limit.max]! + limit.windowMs - nowMs
      times.push(nowMs)
      return undefined
    },
    refund: address => {
      seen.get(address)?.pop()
    },
  }
}
