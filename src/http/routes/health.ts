/** GET /health: liveness and database status, for operators and monitoring. */
import type { FastifyInstance } from 'fastify'
import { Type } from '@sinclair/typebox'
import { peerStatuses } from '../../exchange/status.js'
import { databaseHealthy } from '../../node/home.js'
import { PROTOCOL } from '../../protocol/messages.js'

const Health = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('degraded')]),
  node: Type.String(),
  kind: Type.String(),
  protocol: Type.String(),
  time: Type.String({ format: 'date-time' }),
  uptime_s: Type.Integer(),
  database: Type.Object({ engine: Type.String(), ok: Type.Boolean() }),
  peers: Type.Array(Type.Object({
    peer: Type.String(),
    status: Type.String({ description: 'ok, never_synced, down, refused, stale or misbehaving' }),
    reason: Type.Union([Type.String(), Type.Null()]),
    last_seq: Type.Integer(),
    head_seq: Type.Integer(),
    last_success_at: Type.Union([Type.String(), Type.Null()]),
    failures: Type.Integer(),
    stale_tables: Type.Integer(),
    alerts: Type.Integer(),
  })),
})

export default async function healthRoutes (app: FastifyInstance): Promise<void> {
  const started = app.node.clock.now()
  app.get('/health', {
    schema: { summary: 'Node health, with database status', tags: ['operations'], response: { 200: Health, 503: Health } },
  }, async (_request, reply) => {
    const { config, db, clock } = app.node
    const ok = await databaseHealthy(db)
    const now = clock.now()
    const peers = ok ? await peerStatuses(db.db, now) : []
    reply.code(ok ? 200 : 503).header('cache-control', 'no-store')
    return {
      status: ok && peers.every(p => p.status === 'ok' || p.status === 'never_synced') ? 'ok' as const : 'degraded' as const,
      node: config.node.id,
      kind: config.node.kind,
      protocol: PROTOCOL,
      time: new Date(now).toISOString(),
      uptime_s: Math.max(0, Math.floor((now - started) / 1000)),
      database: { engine: db.engine, ok },
      peers: peers.map(p => ({ peer: p.peer, status: p.status, reason: p.reason, last_seq: p.lastSeq, head_seq: p.headSeq, last_success_at: p.lastSuccessAt, failures: p.failures, stale_tables: p.staleSlices, alerts: p.alerts.length })),
    }
  })
}
