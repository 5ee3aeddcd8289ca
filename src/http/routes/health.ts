/**
 * GET /health: liveness and readiness, for anyone (load balancers, container health checks).
 * It answers 200 while the node is up and its database answers, 503 while the database does not.
 * Nothing else: what each peer's exchange looks like (their errors, their addresses) is for the
 * node's operators and auditors, at GET /v1/status with a user token.
 */
import type { FastifyInstance } from 'fastify'
import { Type } from '@sinclair/typebox'
import { databaseHealthy } from '../../node/home.js'
import { PROTOCOL } from '../../protocol/messages.js'

const Health = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('unavailable')], { description: 'ok: live and ready; unavailable: live, but its database does not answer' }),
  live: Type.Literal(true),
  ready: Type.Boolean({ description: 'the database answers' }),
  node: Type.String(),
  protocol: Type.String(),
  time: Type.String({ format: 'date-time' }),
}, { additionalProperties: false })

export default async function healthRoutes (app: FastifyInstance): Promise<void> {
  app.get('/health', {
    schema: {
      summary: 'Liveness and readiness: 200 when the node can serve, 503 when its database does not answer',
      description: 'Public. Per-peer exchange status is GET /v1/status (operator, auditor).',
      tags: ['operations'],
      response: { 200: Health, 503: Health },
    },
  }, async (_request, reply) => {
    const { config, db, clock } = app.node
    const ready = await databaseHealthy(db)
    reply.code(ready ? 200 : 503).header('cache-control', 'no-store')
    return { status: ready ? 'ok' as const : 'unavailable' as const, live: true as const, ready, node: config.node.id, protocol: PROTOCOL, time: new Date(clock.now()).toISOString() }
  })
}
