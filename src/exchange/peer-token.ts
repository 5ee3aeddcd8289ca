/**
 * Peer authentication: a node pulling from a peer presents a short-lived JWT signed with its
 * own node key (protocol/README.md, "Peer tokens"). The audience is the publisher, the token
 * lives at most five minutes, and its `jti` is remembered until it expires, so a replayed
 * token is refused. The token also lists the hashes of the agreements the puller holds with
 * the publisher: a node refuses to serve data under an agreement the other party lacks.
 */
import { randomBytes } from 'node:crypto'
import { decodeJwt, decodeProtectedHeader, errors as joseErrors, jwtVerify, SignJWT } from 'jose'
import { sql, type Kysely } from 'kysely'
import type { Database } from '../db/types.js'
import { AppError } from '../errors.js'
import { CONTENT_ID_PATTERN, NODE_ID_PATTERN } from '../protocol/ids.js'
import type { SigningKey } from '../protocol/keys.js'
import { DEFAULT_CLOCK_SKEW } from '../protocol/verify.js'
import { findPeer } from './peers.js'

/** Lifetime of a token a node issues. */
export const TOKEN_LIFETIME = 120
/** Longest lifetime a node accepts. */
export const MAX_TOKEN_LIFETIME = 300
export const TOKEN_TYPE = 'dcimx-peer+jwt'

export interface PeerTokenClaims {
  /** The puller. */
  iss: string
  /** The publisher. */
  aud: string
  iat: number
  exp: number
  jti: string
  /** Hashes of the agreements the puller holds with the publisher as provider. */
  agreements: string[]
}

/** Signs a token for `audience`, valid from `now` (seconds). */
export async function signPeerToken (key: SigningKey, options: { issuer: string, audience: string, now: number, agreements: string[] }): Promise<string> {
  return await new SignJWT({ agreements: [...new Set(options.agreements)].sort() })
    .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: TOKEN_TYPE })
    .setIssuer(options.issuer)
    .setAudience(options.audience)
    .setIssuedAt(options.now)
    .setExpirationTime(options.now + TOKEN_LIFETIME)
    .setJti(randomBytes(16).toString('base64url'))
    .sign(key.privateKey)
}

function invalid (message: string): never {
  throw new AppError('TOKEN_INVALID', message)
}

/**
 * Verifies a peer token presented to node `self` at `now` (seconds) and records its `jti`.
 * Returns the claims; throws TOKEN_MISSING, TOKEN_INVALID, TOKEN_REPLAYED or PEER_UNKNOWN.
 */
export async function verifyPeerToken (db: Kysely<Database>, token: string | undefined, options: { self: string, now: number }): Promise<PeerTokenClaims> {
  if (token === undefined || token === '') throw new AppError('TOKEN_MISSING', 'a peer token is required: Authorization: Bearer <JWT signed by your node key>')
  if (token.length > 8192) invalid('token too long')
  let issuer: unknown
  let kid: unknown
  try {
    issuer = decodeJwt(token).iss
    const header = decodeProtectedHeader(token)
    kid = header.kid
    if (header.alg !== 'EdDSA') invalid(`alg ${JSON.stringify(header.alg)} is not allowed; peer tokens use EdDSA`)
    if (header.typ !== TOKEN_TYPE) invalid(`typ must be ${TOKEN_TYPE}`)
    if (header.crit !== undefined || header.jwk !== undefined || header.jku !== undefined || header.x5u !== undefined || header.x5c !== undefined) invalid('the token header may not carry crit, jwk, jku, x5u or x5c')
  } catch (err) {
    if (err instanceof AppError) throw err
    invalid('not a JWT')
  }
  if (typeof issuer !== 'string' || !new RegExp(NODE_ID_PATTERN).test(issuer)) invalid('iss must be the node id of the caller')
  const peer = await findPeer(db, issuer)
  if (peer === undefined) throw new AppError('PEER_UNKNOWN', `${issuer} is not a peer of ${options.self}`)
  const key = typeof kid === 'string' ? peer.keys.get(kid) : undefined
  if (key === undefined) invalid(`kid is not a key pinned for ${issuer}`)
  let payload
  try {
    ({ payload } = await jwtVerify(token, key.publicKey, {
      algorithms: ['EdDSA'],
      audience: options.self,
      issuer,
      typ: TOKEN_TYPE,
      currentDate: new Date(options.now * 1000),
      clockTolerance: DEFAULT_CLOCK_SKEW,
      // Also refuses an iat in the future (beyond the skew): a token signed for tomorrow
      // would otherwise be accepted today, and the 300-second lifetime would mean nothing.
      maxTokenAge: MAX_TOKEN_LIFETIME,
      requiredClaims: ['iss', 'aud', 'iat', 'exp', 'jti'],
    }))
  } catch (err) {
    if (err instanceof joseErrors.JWTExpired) invalid('token expired')
    if (err instanceof joseErrors.JWTClaimValidationFailed) invalid(`claim ${err.claim} ${err.reason === 'check_failed' ? 'is wrong' : err.reason.replaceAll('_', ' ')}`)
    invalid(err instanceof joseErrors.JWSSignatureVerificationFailed ? 'signature does not verify' : 'not a valid JWT')
  }
  const { iat, exp, jti, agreements } = payload as Partial<PeerTokenClaims>
  if (typeof iat !== 'number' || typeof exp !== 'number' || exp - iat > MAX_TOKEN_LIFETIME || exp <= iat) invalid(`a peer token lives at most ${MAX_TOKEN_LIFETIME} seconds`)
  if (typeof jti !== 'string' || !/^[A-Za-z0-9_-]{16,64}$/.test(jti)) invalid('jti must be 16-64 base64url characters')
  if (!Array.isArray(agreements) || agreements.length > 64 || !agreements.every(h => typeof h === 'string' && new RegExp(CONTENT_ID_PATTERN).test(h))) {
    invalid('agreements must list the hashes of the agreements the caller holds')
  }
  // The jti is remembered until the token could no longer be accepted; a second use is a replay.
  const at = new Date(options.now * 1000)
  await db.deleteFrom('peer_token').where('expires_at', '<', at).execute()
  const stored = await sql<{ jti: string }>`insert into peer_token (jti, peer, expires_at) values (${jti}, ${issuer}, ${new Date((exp + DEFAULT_CLOCK_SKEW) * 1000)}) on conflict (jti) do nothing returning jti`.execute(db)
  if (stored.rows.length === 0) throw new AppError('TOKEN_REPLAYED', 'this token was already used; sign a new one for every request')
  return { iss: issuer, aud: options.self, iat, exp, jti, agreements }
}
