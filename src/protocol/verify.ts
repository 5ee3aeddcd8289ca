/**
 * Verification of signed objects. The checks run in a fixed order and the first failure wins,
 * so every implementation reports the same error code for the same object (see the table in
 * protocol/README.md). Nothing in the payload is looked at before the signature is checked.
 */
import { verify as cryptoVerify } from 'node:crypto'
import { isoSeconds as iso } from '../clock.js'
import { AppError, type ProtocolErrorCode } from '../errors.js'
import { decodeBase64url } from './base64url.js'
import { parseCanonical, MAX_PAYLOAD_BYTES, type Json } from './canonical-json.js'
import { contentId } from './ids.js'
import { HEADER_MEMBERS, signingInput, type FlattenedJws, type ProtectedHeader } from './jws.js'
import type { KeySet, VerificationKey } from './keys.js'
import { isMessageType, PROTOCOL, type MessageType, type MessageTypes } from './messages.js'
import { checkMessageRules, validateMessage } from './validate.js'

/** Default tolerance for clock differences between nodes (seconds). */
export const DEFAULT_CLOCK_SKEW = 300

export interface VerifyOptions {
  /** Evaluation time in seconds since the epoch. */
  now: number
  /** Accepted clock difference in seconds (default 300). */
  skew?: number
  /** When set, any other message type is TYPE_MISMATCH. */
  expectedType?: MessageType
  /**
   * Skip step 15 (expiry). Used for the objects of a feed, which are history: their freshness
   * is judged from the signed feed page and from the latest object of each slice.
   */
  ignoreExpiry?: boolean
}

export interface Verified<T extends MessageType = MessageType> {
  type: T
  payload: MessageTypes[T]
  /** base64url SHA-256 of the payload bytes. */
  id: string
  /** The key that signed it. */
  key: VerificationKey
  header: ProtectedHeader
  payloadBytes: Buffer
}

function fail (code: ProtocolErrorCode, message: string): never {
  throw new AppError(code, message)
}

function isPlainObject (v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
}

/** Parses the protected header and enforces the fixed algorithm and member allowlist. */
function parseHeader (protectedB64: string): ProtectedHeader {
  const bytes = decodeBase64url(protectedB64)
  if (bytes === undefined) fail('JWS_MALFORMED', 'protected header is not base64url')
  let header: unknown
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes))
  } catch {
    fail('JWS_HEADER_INVALID', 'protected header is not UTF-8 JSON')
  }
  if (!isPlainObject(header)) fail('JWS_HEADER_INVALID', 'protected header is not a JSON object')
  // The algorithm is checked first: "none", HS256 keyed with the public key, RS256 and every
  // other algorithm are refused before any key is looked up.
  if (header.alg !== 'EdDSA') fail('ALG_NOT_ALLOWED', `alg ${JSON.stringify(header.alg)} is not allowed; only EdDSA is`)
  if ('crit' in header) fail('CRIT_UNSUPPORTED', 'crit header parameters are not supported by protocol v1')
  for (const name of Object.keys(header)) {
    if (!(HEADER_MEMBERS as readonly string[]).includes(name)) {
      fail('JWS_HEADER_INVALID', `protected header member "${name}" is not allowed`)
    }
  }
  if (typeof header.kid !== 'string' || header.kid.length === 0) fail('JWS_HEADER_INVALID', 'protected header has no kid')
  if (typeof header.typ !== 'string') fail('JWS_HEADER_INVALID', 'protected header has no typ')
  if (!isMessageType(header.typ)) fail('TYPE_UNKNOWN', `message type ${JSON.stringify(header.typ)} is not defined by protocol v1`)
  return header as unknown as ProtectedHeader
}

/**
 * Verifies a signed object against a key set at a fixed evaluation time, and returns the
 * validated payload. Throws AppError with one of the protocol error codes otherwise.
 */
export function verifySigned<T extends MessageType = MessageType> (signed: unknown, keys: KeySet, options: VerifyOptions & { expectedType?: T }): Verified<T> {
  if (!isPlainObject(signed)) fail('JWS_MALFORMED', 'a signed object is a JSON object (flattened JWS JSON serialization)')
  for (const name of Object.keys(signed)) {
    if (name !== 'protected' && name !== 'payload' && name !== 'signature') {
      fail('JWS_MALFORMED', `member "${name}" is not allowed in a signed object (no unprotected header)`)
    }
  }
  const { protected: protectedB64, payload: payloadB64, signature: signatureB64 } = signed
  if (typeof protectedB64 !== 'string' || typeof payloadB64 !== 'string' || typeof signatureB64 !== 'string') {
    fail('JWS_MALFORMED', 'protected, payload and signature must all be strings')
  }
  if (payloadB64.length > Math.ceil(MAX_PAYLOAD_BYTES * 4 / 3) + 4) fail('PAYLOAD_TOO_LARGE', `payload exceeds ${MAX_PAYLOAD_BYTES} bytes`)
  const header = parseHeader(protectedB64)
  const key = keys.get(header.kid)
  if (key === undefined) fail('KEY_UNKNOWN', 'kid does not name a known key')
  const signature = decodeBase64url(signatureB64)
  if (signature === undefined) fail('JWS_MALFORMED', 'signature is not base64url')
  const payloadBytes = decodeBase64url(payloadB64)
  if (payloadBytes === undefined) fail('JWS_MALFORMED', 'payload is not base64url')
  if (signature.byteLength !== 64 || !cryptoVerify(null, signingInput(protectedB64, payloadB64), key.publicKey, signature)) {
    fail('SIGNATURE_INVALID', 'signature does not verify with the key named by kid')
  }

  const value: Json = parseCanonical(payloadBytes)
  if (!isPlainObject(value)) fail('SCHEMA_INVALID', 'payload is not a JSON object')
  if (value.type !== header.typ) fail('TYPE_MISMATCH', `header typ ${header.typ} does not match payload type ${JSON.stringify(value.type)}`)
  if (options.expectedType !== undefined && header.typ !== options.expectedType) {
    fail('TYPE_MISMATCH', `expected a ${options.expectedType}, got a ${header.typ}`)
  }
  if (value.protocol !== PROTOCOL) fail('VERSION_UNSUPPORTED', `protocol ${JSON.stringify(value.protocol)} is not supported; this node speaks ${PROTOCOL}`)
  const payload = validateMessage(header.typ, value)
  if (payload.issuer !== key.node) fail('KEY_NOT_AUTHORIZED', `key ${key.kid} speaks for ${key.node}, not for ${payload.issuer}`)
  checkMessageRules(header.typ, payload, key.kid)

  const skew = options.skew ?? DEFAULT_CLOCK_SKEW
  if (payload.issued_at > options.now + skew) fail('NOT_YET_VALID', `issued at ${iso(payload.issued_at)}, in the future (now ${iso(options.now)})`)
  if (options.ignoreExpiry !== true && payload.expires_at <= options.now - skew) fail('EXPIRED', `expired at ${iso(payload.expires_at)} (now ${iso(options.now)})`)

  return { type: header.typ as T, payload: payload as MessageTypes[T], id: contentId(payloadBytes), key, header, payloadBytes }
}

export type { FlattenedJws }
