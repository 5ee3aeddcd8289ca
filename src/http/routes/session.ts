/**
 * The node's human users over HTTP: POST /v1/login issues a user token (src/http/plugins/auth.ts),
 * GET /v1/me says whose it is, and the views each role may read: exchange status and the audit
 * log (the agreements' views are in policy.ts). Who may call what is ROUTE_ROLES
 * (src/users/users.ts).
 */
import { Type } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import { listAudit, verifyAuditLog } from '../../audit/log.js'
import { acknowledgeAlerts, peerStatuses } from '../../exchange/status.js'
import { AppError } from '../../errors.js'
import { LOGIN_MAX_FAILURES, LOGIN_WINDOW_MS, loginThrottle } from '../../users/throttle.js'
import { LOGIN_RATE } from '../rate-limit.js'
import { login, MAX_PASSWORD_LENGTH, ROLES, ROUTE_ROLES, routesOf } from '../../users/users.js'

const ErrorBody = Type.Object({ statusCode: Type.Integer(), code: Type.String(), error: Type.String(), message: Type.String() })
const Denied = { 401: ErrorBody, 403: ErrorBody }
const RoleSchema = Type.Union(ROLES.map(r => Type.Literal(r)))

/** Largest body of POST /v1/login (bytes): room for a name and a password of MAX_PASSWORD_LENGTH characters, all escaped. */
export const LOGIN_BODY_BYTES = 16 * 1024

/** Default and largest `limit` of GET /v1/audit. */
export const AUDIT_PAGE_DEFAULT = 100
export const AUDIT_PAGE_MAX = 1000

function rolesText (roles: readonly string[]): string {
  return `Authorization: Bearer <user token from POST /v1/login>; roles: ${roles.join(', ')}.`
}

export default async function sessionRoutes (app: FastifyInstance): Promise<void> {
  const { db, clock, config } = app.node
  const throttle = loginThrottle()
  // Failed logins per address, any names: each costs a scrypt (a success is handed back).
  const loginLimit = app.rateLimited('login', LOGIN_RATE)

  app.post('/v1/login', {
    // Unauthenticated: a name, a password of at most MAX_PASSWORD_LENGTH characters, as JSON.
    bodyLimit: LOGIN_BODY_BYTES,
    // Each attempt costs a scrypt, whatever the name: limited per address before anything else.
    onRequest: loginLimit.onRequest,
    schema: {
      summary: 'Log in as one of the node\'s users: a token for an hour',
      description: `Send the token as \`Authorization: Bearer <token>\`. Whatever is wrong (user, password, user disabled), the answer is the same 401 LOGIN_FAILED. At most ${LOGIN_MAX_FAILURES} password checks for one user name from one address within ${LOGIN_WINDOW_MS / 60_000} minutes (a successful login clears the count), counted before the check: further attempts get 429 LOGIN_THROTTLED with Retry-After, unchecked. At most ${LOGIN_RATE.max} failed attempts per address per ${LOGIN_RATE.windowMs / 1000} s, any names (counted as they arrive): then 429 RATE_LIMITED.`,
      tags: ['users'],
      body: Type.Object({
        user: Type.String({ minLength: 1, maxLength: 64 }),
        password: Type.String({ minLength: 1, maxLength: MAX_PASSWORD_LENGTH }),
      }, { additionalProperties: false }),
      response: { 200: Type.Object({ token: Type.String(), role: RoleSchema, expires_at: Type.String({ format: 'date-time' }), expires_in: Type.Integer({ description: 'seconds the token stays valid from now: what a client with an unset clock counts down' }) }), 401: ErrorBody, 413: ErrorBody, 429: ErrorBody },
    },
  }, async (request, reply) => {
    const body = request.body as { user: string, password: string }
    const key = `${request.ip}\n${body.user}`
    // Counted before the password is hashed: attempts sent together cannot all be checked.
    const wait = throttle.take(key, clock.now())
    if (wait !== undefined) {
      const seconds = Math.ceil(wait / 1000)
      reply.header('retry-after', String(seconds))
      throw new AppError('LOGIN_THROTTLED', `too many failed logins for this user from this address; try again in ${Math.ceil(seconds / 60)} minute(s)`)
    }
    const user = await login(db.db, clock, { name: body.user, password: body.password }, { countAnonymous: async reason => { await app.refusals.count('login', reason, request.ip) } })
    throttle.succeeded(key)
    loginLimit.authenticated(request)
    const { token, expiresAt } = app.issueUserToken(user)
    reply.header('cache-control', 'no-store')
    return { token, role: user.role, expires_at: expiresAt, expires_in: Math.max(0, Math.floor((Date.parse(expiresAt) - clock.now()) / 1000)) }
  })

  app.get('/v1/me', {
    schema: {
      summary: 'The user a token was issued to, their role, this node, and the guarded routes that role may call',
      description: `${rolesText(ROUTE_ROLES['GET /v1/me'])} \`routes\` lists the guarded routes (as "METHOD /path", \`*\` for every route under a prefix) the role may call (at a liaison node, which holds no national records, without \`POST /v1/import/*\`): the console shows the screens of these routes only; the routes themselves check the role.`,
      tags: ['users'],
      response: { 200: Type.Object({ user: Type.String(), role: RoleSchema, node: Type.String({ description: 'this node\'s id' }), routes: Type.Array(Type.String()) }), ...Denied },
    },
    preHandler: app.requireRole(...ROUTE_ROLES['GET /v1/me']),
  }, async request => ({
    user: request.user.name,
    role: request.user.role,
    node: config.node.id,
    // A liaison node holds no national records: its import route refuses every file, so it is not offered.
    routes: routesOf(request.user.role).filter(r => !(config.node.kind === 'liaison' && r === 'POST /v1/import/*')),
  }))

  app.get('/v1/status', {
    schema: {
      summary: 'Per-peer exchange status: feed position, freshness, failures and alerts',
      description: rolesText(ROUTE_ROLES['GET /v1/status']),
      tags: ['operations'],
      response: {
        200: Type.Object({
          node: Type.String(),
          peers: Type.Array(Type.Object({
            peer: Type.String(),
            name: Type.String(),
            url: Type.String(),
            kind: Type.String(),
            status: Type.String({ description: 'ok, never_synced, down, refused, stale or misbehaving' }),
            reason: Type.Union([Type.String(), Type.Null()]),
            last_seq: Type.Integer(),
            head_seq: Type.Integer(),
            last_success_at: Type.Union([Type.String(), Type.Null()]),
            last_attempt_at: Type.Union([Type.String(), Type.Null()]),
            failures: Type.Integer(),
            last_error: Type.Union([Type.Object({ code: Type.String(), message: Type.String() }), Type.Null()]),
            stale_tables: Type.Integer(),
            live_tables: Type.Integer(),
            alerts: Type.Array(Type.Object({ id: Type.Integer(), kind: Type.String(), feed_seq: Type.Union([Type.Integer(), Type.Null()]), detail: Type.String(), recorded_at: Type.String() })),
          })),
        }),
        ...Denied,
      },
    },
    preHandler: app.requireRole(...ROUTE_ROLES['GET /v1/status']),
  }, async (_request, reply) => {
    const statuses = await peerStatuses(db.db, clock.now())
    reply.header('cache-control', 'no-store')
    return {
      node: config.node.id,
      peers: statuses.map(s => ({
        peer: s.peer,
        name: s.name,
        url: s.url,
        kind: s.kind,
        status: s.status,
        reason: s.reason,
        last_seq: s.lastSeq,
        head_seq: s.headSeq,
        last_success_at: s.lastSuccessAt,
        last_attempt_at: s.lastAttemptAt,
        failures: s.failures,
        last_error: s.lastError,
        stale_tables: s.staleSlices,
        live_tables: s.liveSlices,
        alerts: s.alerts.map(a => ({ id: a.id, kind: a.kind, feed_seq: a.feedSeq, detail: a.detail, recorded_at: a.recordedAt })),
      })),
    }
  })

  app.post('/v1/alerts/ack', {
    bodyLimit: 1024,
    schema: {
      summary: 'Acknowledges alerts, as `dcimx alerts ack`: one (`id`), a peer\'s (`peer`), or all; the evidence is kept',
      description: `${rolesText(ROUTE_ROLES['POST /v1/alerts/ack'])} An acknowledged alert is no longer in GET /v1/status; the evidence stays in the database and the audit log. \`acknowledged\`: how many were (0 when none matched or they already were).`,
      tags: ['operations'],
      body: Type.Object({
        id: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'the alert\'s number, as GET /v1/status gives it' })),
        peer: Type.Optional(Type.String({ pattern: '^[A-Z][A-Z0-9_]{1,15}$', description: 'only this peer\'s alerts' })),
      }, { additionalProperties: false }),
      response: { 200: Type.Object({ acknowledged: Type.Integer() }), ...Denied },
    },
    preHandler: app.requireRole(...ROUTE_ROLES['POST /v1/alerts/ack']),
  }, async (request, reply) => {
    const body = request.body as { id?: number, peer?: string }
    const acknowledged = await acknowledgeAlerts(db.db, clock.now(), { peer: body.peer, id: body.id })
    reply.header('cache-control', 'no-store')
    return { acknowledged }
  })

  app.get('/v1/audit', {
    schema: {
      summary: 'Audit log entries, oldest first: the newest ones, or those after `after`',
      description: `${rolesText(ROUTE_ROLES['GET /v1/audit'])} The entries are shown as stored; \`dcimx audit verify\` checks the chain.`,
      tags: ['operations'],
      querystring: Type.Object({
        after: Type.Optional(Type.String({ pattern: '^(0|[1-9][0-9]{0,14})$', description: 'seq: the entries after it (default: the newest entries)' })),
        limit: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,3}$', description: `at most this many entries (1-${AUDIT_PAGE_MAX}; default ${AUDIT_PAGE_DEFAULT})` })),
      }, { additionalProperties: false }),
      response: {
        200: Type.Object({
          entries: Type.Array(Type.Object({
            seq: Type.Integer(),
            at: Type.String({ format: 'date-time' }),
            event: Type.String(),
            actor: Type.String(),
            detail: Type.Unknown(),
            prev_hash: Type.String(),
            hash: Type.String(),
          })),
        }),
        ...Denied,
      },
    },
    preHandler: app.requireRole(...ROUTE_ROLES['GET /v1/audit']),
  }, async (request, reply) => {
    const query = request.query as { after?: string, limit?: string }
    const limit = Math.min(Number(query.limit ?? AUDIT_PAGE_DEFAULT), AUDIT_PAGE_MAX)
    const entries = await listAudit(db.db, { after: query.after === undefined ? undefined : Number(query.after), limit, newest: true })
    reply.header('cache-control', 'no-store')
    return { entries: entries.map(e => ({ seq: Number(e.seq), at: e.at.toISOString(), event: e.event, actor: e.actor, detail: e.detail, prev_hash: e.prevHash, hash: e.hash })) }
  })

  app.get('/v1/audit/verify', {
    schema: {
      summary: 'Checks the whole hash-chained audit log, as `dcimx audit verify` does',
      description: `${rolesText(ROUTE_ROLES['GET /v1/audit/verify'])} \`intact\` is false when a link does not hold; \`broken\` then names the first entry where it breaks and why. Reads the whole log: its cost grows with it.`,
      tags: ['operations'],
      response: {
        200: Type.Object({
          intact: Type.Boolean(),
          entries: Type.Integer(),
          head: Type.Union([Type.Object({ seq: Type.Integer(), hash: Type.String() }), Type.Null()]),
          broken: Type.Union([Type.Object({ seq: Type.Integer(), reason: Type.String() }), Type.Null()]),
        }),
        ...Denied,
      },
    },
    preHandler: app.requireRole(...ROUTE_ROLES['GET /v1/audit/verify']),
  }, async (_request, reply) => {
    const v = await verifyAuditLog(db.db)
    reply.header('cache-control', 'no-store')
    return { intact: v.broken === null, entries: v.entries, head: v.head === null ? null : { seq: Number(v.head.seq), hash: v.head.hash }, broken: v.broken === null ? null : { seq: Number(v.broken.seq), reason: v.broken.reason } }
  })
}
