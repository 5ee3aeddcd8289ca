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

/** How long a probe may take before it counts as not ready. */
export const READY_TIMEOUT_MS = 2000

/**
 * Readiness without queueing on the database: under load, every /health used to send its own
 * `select 1` and waited its turn behind every other one (on the embedded database, one query
 * at a time). Now at most one probe runs at a time and every request that arrives meanwhile
 * shares its answer; a probe that takes longer than {@link READY_TIMEOUT_MS} answers "not
 * ready" (the database is stuck or saturated) instead of holding the caller.
 */
export function readinessProbe (check: () => Promise<boolean>, options: { timeoutMs?: number } = {}): { ready: () => Promise<boolean>, probes: () => number } {
  const timeoutMs = options.timeoutMs ?? READY_TIMEOUT_MS
  let inFlight: Promise<boolean> | undefined
  let probes = 0
  const ready = async (): Promise<boolean> => {
    inFlight ??= (async () => {
      probes++
      let timer: NodeJS.Timeout | undefined
      const timedOut = new Promise<boolean>(resolve => { timer = setTimeout(() => { resolve(false) }, timeoutMs) })
      try {
        return await Promise.race([check().catch(() => false), timedOut])
      } finally {
        clearTimeout(timer)
        inFlight = undefined
      }
    })()
    return await inFlight
  }
  return { ready, probes: () => probes }
}

export default async function healthRoutes (app: FastifyInstance): Promise<void> {
  const probe = readinessProbe(async () => await databaseHealthy(app.node.db))
  app.get('/health', {
    schema: {
      summary: 'Liveness and readiness: 200 when the node can serve, 503 when its database does not answer',
      description: 'Public. Per-peer exchange status is GET /v1/status (operator, auditor).',
      tags: ['operations'],
      response: { 200: Health, 503: Health },
    },
  }, async (_request, reply) => {
    const { config, clock } = app.node
    const ready = await probe.ready()
    reply.code(ready ? 200 : 503).header('cache-control', 'no-store')
    return { status: ready ? 'ok' as const : 'unavailable' as const, live: true as const, ready, node: config.node.id, protocol: PROTOCOL, time: new Date(clock.now()).toISOString() }
  })
}
