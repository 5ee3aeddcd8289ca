/**
 * GET /v1/feed and GET /v1/objects/:id: a peer pulls its own feed, authenticated by a peer
 * token signed with its node key. A node serves each peer only that peer's feed; an object
 * issued to another recipient is "not found", so ids cannot be probed.
 */
import { Type } from '@sinclair/typebox'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { appendAudit } from '../../audit/log.js'
import { epochSeconds } from '../../clock.js'
import { isAppError } from '../../errors.js'
import { feedPage, MAX_PAGE_ENTRIES, outgoingObject } from '../../exchange/feed.js'
import { verifyPeerToken, type PeerTokenClaims } from '../../exchange/peer-token.js'
import { CONTENT_ID_PATTERN } from '../../protocol/ids.js'
import { FlattenedJwsSchema } from '../../protocol/messages.js'
import { bearerCredentials } from '../bearer.js'
import { PEER_RATE } from '../rate-limit.js'

const ErrorBody = Type.Object({ statusCode: Type.Integer(), code: Type.String(), error: Type.String(), message: Type.String() })

export default async function feedRoutes (app: FastifyInstance): Promise<void> {
  const { db, clock, config, signingKey } = app.node
  const self = config.node.id
  // Requests without a peer token that verifies, per address (a peer's own pulls are handed back).
  const limited = app.rateLimited('peer', PEER_RATE)

  async function authenticate (request: FastifyRequest): Promise<PeerTokenClaims> {
    // Any case of the scheme (RFC 7235); no credentials of the Bearer scheme is a missing token.
    const credentials = bearerCredentials(request.headers.authorization)
    const token = credentials.kind === 'bearer' ? credentials.token : undefined
    try {
      const claims = await verifyPeerToken(db.db, token, { self, now: epochSeconds(clock) })
      limited.authenticated(request)
      return claims
    } catch (err) {
      // Nobody authenticated: counted (one audit entry per window), not chained one by one.
      if (isAppError(err)) await app.refusals.count('peer_auth', err.code, request.ip)
      throw err
    }
  }

  app.get('/v1/feed', {
    onRequest: limited.onRequest,
    schema: {
      summary: 'The calling peer\'s feed after a sequence number, with the signed objects it lists',
      description: 'Authorization: Bearer <peer token> (protocol/README.md, section 7). The response is `{ feed, objects }`: a signed feed page and the signed objects of its entries, in order.',
      tags: ['exchange'],
      querystring: Type.Object({
        after: Type.Optional(Type.String({ pattern: '^(0|[1-9][0-9]{0,8})$', description: 'sequence number: entries after it are listed (default 0)' })),
        limit: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,3}$', description: 'at most this many entries (1-1000; default 1000)' })),
      }, { additionalProperties: false }),
      response: { 200: Type.Object({ feed: FlattenedJwsSchema, objects: Type.Array(FlattenedJwsSchema) }), 401: ErrorBody, 409: ErrorBody, 429: ErrorBody },
    },
  }, async (request, reply) => {
    const claims = await authenticate(request)
    const query = request.query as { after?: string, limit?: string }
    const after = Number(query.after ?? 0)
    const limit = Math.min(Number(query.limit ?? MAX_PAGE_ENTRIES), MAX_PAGE_ENTRIES)
    try {
      const page = await feedPage({ db: db.db, clock, node: self, signingKey }, claims.iss, after, claims.agreements, { maxEntries: limit })
      await appendAudit(db.db, {
        at: new Date(clock.now()),
        event: 'pull_served',
        actor: claims.iss,
        detail: { after, entries: page.entries, first_seq: page.firstSeq, last_seq: page.lastSeq, head_seq: page.headSeq, agreement_hashes: page.agreementHashes, jti: claims.jti },
      })
      reply.header('cache-control', 'no-store')
      return page.body
    } catch (err) {
      if (isAppError(err, 'AGREEMENT_MISMATCH')) {
        await appendAudit(db.db, { at: new Date(clock.now()), event: 'refusal', actor: claims.iss, detail: { direction: 'serve', code: err.code, message: err.message.slice(0, 500), after } })
      }
      throw err
    }
  })

  app.get('/v1/objects/:id', {
    onRequest: limited.onRequest,
    schema: {
      summary: 'One signed object of the calling peer\'s feed, by content id',
      tags: ['exchange'],
      params: Type.Object({ id: Type.String({ pattern: CONTENT_ID_PATTERN }) }),
      response: { 200: FlattenedJwsSchema, 401: ErrorBody, 404: ErrorBody, 429: ErrorBody },
    },
  }, async (request, reply) => {
    const claims = await authenticate(request)
    const { id } = request.params as { id: string }
    const signed = await outgoingObject(db.db, claims.iss, id)
    if (signed === undefined) return await reply.code(404).send({ statusCode: 404, code: 'NOT_FOUND', error: 'Not Found', message: `no object ${id} in ${claims.iss}'s feed` })
    reply.header('cache-control', 'no-store').type('application/jose+json')
    return signed
  })
}
