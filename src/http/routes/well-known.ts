/** Public, unauthenticated discovery: the node's keys and its signed descriptor. */
import type { FastifyInstance } from 'fastify'
import { Type } from '@sinclair/typebox'
import { PublicJwkSchema } from '../../protocol/messages.js'
import { jwksOf } from '../../protocol/keys.js'
import { FlattenedJwsResponse } from '../schemas.js'

export default async function wellKnownRoutes (app: FastifyInstance): Promise<void> {
  const jwks = jwksOf(app.node.keys)
  app.get('/.well-known/jwks.json', {
    schema: {
      summary: 'Public signing keys of this node (JWKS, RFC 7517); kid is the RFC 7638 thumbprint',
      tags: ['discovery'],
      response: { 200: Type.Object({ keys: Type.Array(PublicJwkSchema) }) },
    },
  }, async (_request, reply) => {
    reply.header('cache-control', 'public, max-age=300')
    return jwks
  })

  app.get('/.well-known/dcim-node', {
    schema: {
      summary: 'The signed node descriptor: country, name, URL, keys and protocol version',
      tags: ['discovery'],
      produces: ['application/jose+json'],
      response: { 200: FlattenedJwsResponse },
    },
  }, async (_request, reply) => {
    reply.type('application/jose+json').header('cache-control', 'no-cache')
    return app.node.descriptor().jws
  })
}
