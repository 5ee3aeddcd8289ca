/**
 * What a caller nobody has authenticated may cost the node: `app.refusals` counts their
 * refusals (src/audit/refusal-counter.ts: one audit entry per window, not one per refusal), and
 * `app.rateLimited(name, limit)` limits unauthenticated attempts per source address
 * (src/http/rate-limit.ts), answering 429 RATE_LIMITED with Retry-After before any work.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { refusalCounter, type RefusalCounter } from '../../audit/refusal-counter.js'
import { AppError } from '../../errors.js'
import { rateLimiter, type RateLimit } from '../rate-limit.js'

declare module 'fastify' {
  interface FastifyInstance {
    refusals: RefusalCounter
    /**
     * A limit per source address (src/http/rate-limit.ts): `onRequest` counts each request and
     * refuses those over the limit; `authenticated(request)` hands a request back once its
     * caller proved who it is. `name` labels its refusals.
     */
    rateLimited: (name: string, limit: RateLimit) => AddressLimit
  }
}

export interface AddressLimit {
  onRequest: (request: FastifyRequest, reply: FastifyReply) => Promise<void>
  authenticated: (request: FastifyRequest) => void
}

export default fp(async function strangers (app: FastifyInstance) {
  const { db, clock, config } = app.node
  const refusals = refusalCounter({ db: db.db, clock, onError: err => { app.log.error({ err }, 'refusal counts could not be written; kept for the next window') } })
  app.decorate('refusals', refusals)
  app.addHook('onClose', async () => { await refusals.flush() })

  let warned = false
  app.decorate('rateLimited', (name: string, limit: RateLimit) => {
    const limiter = rateLimiter(limit)
    const onRequest = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
      if (!warned && config.http.trust_proxy === undefined && request.headers['x-forwarded-for'] !== undefined) {
        warned = true
        request.log.warn('requests carry X-Forwarded-For but http.trust_proxy is not set: every client behind the proxy shares its address for rate limits and login throttling')
      }
      const wait = limiter.take(request.ip, clock.now())
      if (wait === undefined) return
      await refusals.count('rate_limit', name, request.ip)
      const seconds = Math.max(1, Math.ceil(wait / 1000))
      reply.header('retry-after', String(seconds))
      throw new AppError('RATE_LIMITED', `too many requests from this address; try again in ${seconds} s`)
    }
    return { onRequest, authenticated: (request: FastifyRequest) => { limiter.refund(request.ip) } }
  })
}, { name: 'strangers', dependencies: ['error-handler'] })
