/**
 * Sessions of the node's human users: a JWT signed with HS256 under a per-node secret
 * (HOME/keys/session.secret), issued by POST /v1/login, valid for an hour, whose issuer and
 * audience are this node. `app.requireRole(...roles)` is the preHandler that guards a route:
 *
 *   app.get('/v1/regional/totals', { preHandler: app.requireRole(...ROUTE_ROLES['GET /v1/regional/*']) }, handler)
 *
 * It verifies the bearer token at the node's clock, checks that the user still exists, is not
 * disabled and was not removed and added again since the token was issued (from memory while
 * nothing has been written to the database since the last check), checks the role,
 * and sets `request.user` to `{ name, role }`. Peer tokens (EdDSA, src/exchange/peer-token.ts)
 * are never accepted here: only HS256 is.
 */
import fastifyJwt from '@fastify/jwt'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { AppError } from '../../errors.js'
import { ownerOnlySecret } from '../../node/key-store.js'
import { activeUser, ROLES, type Role, type VerifiedUser } from '../../users/users.js'
import { bearerCredentials } from '../bearer.js'

export const SESSION_SECRET_FILE = 'session.secret'
/** Lifetime of a user token unless `http.session_lifetime_s` says otherwise. */
export const SESSION_LIFETIME_S = 3600
/** A token issued this far in the future (another node's clock, a forged iat) is refused. */
export const SESSION_CLOCK_SKEW_S = 60

/** What a user token says, besides iss, aud, iat and exp. */
export interface SessionClaims {
  /** The user name. */
  sub: string
  role: Role
  /** The user's version (src/users/users.ts userVersion): a user added again gets a new one. */
  uv: string
  iat?: number
  exp?: number
  iss?: string
  aud?: string
}

/** The user a guarded route serves, in `request.user`. */
export interface SessionUser {
  name: string
  role: Role
}

declare module '@fastify/jwt' {
  interface FastifyJWT {
    payload: SessionClaims
    user: SessionUser
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    /** A preHandler that lets through only a valid user token of one of `roles`. */
    requireRole: (...roles: Role[]) => (request: FastifyRequest) => Promise<void>
    /** Signs a token for a user whose password was just checked. */
    issueUserToken: (user: VerifiedUser) => { token: string, expiresAt: string }
  }
}

/**
 * Reads the node's session secret, creating it (32 random bytes, mode 0600) on first use. Like
 * the signing keys, a secret readable by group or others is refused.
 */
export function loadSessionSecret (home: string): Buffer {
  return ownerOnlySecret(home, SESSION_SECRET_FILE, 'the session secret')
}

function bearerToken (request: FastifyRequest): string {
  const credentials = bearerCredentials(request.headers.authorization)
  if (credentials.kind === 'absent') throw new AppError('USER_TOKEN_MISSING', 'a user token is required: Authorization: Bearer <token from POST /v1/login>')
  if (credentials.kind === 'other' || !/^[A-Za-z0-9_.-]{1,4096}$/.test(credentials.token)) throw new AppError('USER_TOKEN_INVALID', 'the Authorization header must be "Bearer <token from POST /v1/login>"')
  return credentials.token
}

function refused (message: string): never {
  throw new AppError('USER_TOKEN_INVALID', `user token refused: ${message}`)
}

/** Most (user, version) checks remembered between writes to the database. */
const USER_CHECKS_KEPT = 1024

export default fp(async function auth (app: FastifyInstance) {
  const { config, db, clock } = app.node
  const self = config.node.id
  // Tokens are issued for this long, and one that claims to live longer is refused, whoever signed it.
  const lifetime = config.http.session_lifetime_s ?? SESSION_LIFETIME_S

  // The user check answered from memory until the next committed write (src/db/changes.ts):
  // a user removed or disabled, by this process or another, is refused by the next request.
  const checked = new Map<string, { at: number, user: VerifiedUser | undefined }>()
  async function currentUser (name: string, version: string): Promise<VerifiedUser | undefined> {
    const at = db.changes.version()
    const key = `${name}\n${version}`
    if (at !== undefined) {
      const hit = checked.get(key)
      if (hit !== undefined && hit.at === at) return hit.user
    }
    const user = await activeUser(db.db, name, version)
    if (at !== undefined) {
      if (checked.size >= USER_CHECKS_KEPT) checked.clear()
      checked.set(key, { at, user })
    }
    return user
  }
  await app.register(fastifyJwt, {
    secret: loadSessionSecret(config.home),
    sign: { algorithm: 'HS256', expiresIn: `${lifetime}s`, iss: self, aud: self },
    verify: { algorithms: ['HS256'], allowedIss: self, allowedAud: self, requiredClaims: ['iss', 'aud', 'iat', 'exp', 'sub', 'role', 'uv'] },
  })

  app.decorate('issueUserToken', (user: VerifiedUser) => {
    const now = clock.now()
    const token = app.jwt.sign({ sub: user.name, role: user.role, uv: user.version }, { clockTimestamp: now })
    const exp = app.jwt.decode<SessionClaims>(token)?.exp ?? Math.floor(now / 1000) + lifetime
    return { token, expiresAt: new Date(exp * 1000).toISOString() }
  })

  app.decorate('requireRole', (...roles: Role[]) => {
    if (roles.length === 0 || roles.some(r => !(ROLES as readonly string[]).includes(r))) throw new Error(`requireRole: roles must be some of ${ROLES.join(', ')}`)
    const allowed = [...new Set(roles)]
    return async (request: FastifyRequest): Promise<void> => {
      const token = bearerToken(request)
      const now = clock.now()
      let claims: SessionClaims
      try {
        claims = app.jwt.verify<SessionClaims>(token, { clockTimestamp: now })
      } catch (err) {
        const code = (err as { code?: string }).code
        if (typeof code !== 'string' || !code.startsWith('FAST_JWT_')) throw err
        if (code === 'FAST_JWT_EXPIRED') refused('expired; log in again')
        if (code === 'FAST_JWT_INVALID_ALGORITHM') refused('not a user token of this node (only HS256 is accepted)')
        if (code === 'FAST_JWT_MISSING_SIGNATURE') refused('unsigned')
        if (code === 'FAST_JWT_INVALID_SIGNATURE') refused('signature invalid')
        refused(((err as Error).message ?? 'invalid').slice(0, 200))
      }
      if (typeof claims.sub !== 'string' || typeof claims.uv !== 'string' || typeof claims.iat !== 'number' || typeof claims.exp !== 'number') refused('claims malformed')
      // fast-jwt still accepts a token at the instant of its exp; RFC 7519 does not.
      if (claims.exp * 1000 <= now) refused('expired; log in again')
      if (claims.iat * 1000 > now + SESSION_CLOCK_SKEW_S * 1000) refused('issued in the future')
      if (claims.exp - claims.iat > lifetime) refused(`it claims to live ${claims.exp - claims.iat} s; this node issues tokens for at most ${lifetime} s`)
      const user = await currentUser(claims.sub, claims.uv)
      if (user === undefined || user.role !== claims.role) refused(`user ${claims.sub} has been removed or disabled since the token was issued; log in again`)
      request.user = { name: user.name, role: user.role }
      if (!allowed.includes(user.role)) {
        throw new AppError('ROLE_FORBIDDEN', `role ${user.role} may not use ${request.method} ${request.routeOptions.url ?? request.url.split('?')[0]}; allowed: ${allowed.join(', ')}`)
      }
    }
  })
}, { name: 'auth', dependencies: ['error-handler'] })
