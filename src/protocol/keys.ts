/**
 * Ed25519 node keys (RFC 8037) and their JWK form. A key's `kid` is its RFC 7638 thumbprint;
 * each published key names the node it speaks for in the `node` member, which is what
 * authorises it to sign that node's messages. Private key material never leaves a KeyObject
 * except through {@link exportPrivateJwk}, used only to write the owner-only key file.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto'
import { AppError } from '../errors.js'
import { decodeBase64url } from './base64url.js'
import { NODE_ID_PATTERN } from './ids.js'

export interface PublicJwk {
  kty: 'OKP'
  crv: 'Ed25519'
  x: string
  kid: string
  alg: 'EdDSA'
  use: 'sig'
  node: string
}

export interface Jwks {
  keys: PublicJwk[]
}

export interface SigningKey {
  readonly kid: string
  readonly node: string
  readonly privateKey: KeyObject
  readonly publicJwk: PublicJwk
}

export interface VerificationKey {
  readonly kid: string
  readonly node: string
  readonly publicKey: KeyObject
  readonly jwk: PublicJwk
}

/** The verifier's trust store: keys by kid. */
export type KeySet = ReadonlyMap<string, VerificationKey>

/** RFC 7638 thumbprint of an Ed25519 public key given by its base64url `x`. */
export function thumbprint (x: string): string {
  // Required members only, lexicographic order, no whitespace (RFC 7638 section 3.2).
  const json = `{"crv":"Ed25519","kty":"OKP","x":${JSON.stringify(x)}}`
  return createHash('sha256').update(json, 'utf8').digest('base64url')
}

function publicJwkOf (publicKey: KeyObject, node: string): PublicJwk {
  const exported = publicKey.export({ format: 'jwk' })
  if (exported.kty !== 'OKP' || exported.crv !== 'Ed25519' || typeof exported.x !== 'string') {
    throw new AppError('KEY_FILE_INVALID', 'key is not an Ed25519 key')
  }
  return { kty: 'OKP', crv: 'Ed25519', x: exported.x, kid: thumbprint(exported.x), alg: 'EdDSA', use: 'sig', node }
}

function signingKeyOf (privateKey: KeyObject, node: string): SigningKey {
  const publicJwk = publicJwkOf(createPublicKey(privateKey), node)
  return { kid: publicJwk.kid, node, privateKey, publicJwk }
}

/** A fresh Ed25519 signing key for `node`. */
export function generateSigningKey (node: string): SigningKey {
  return signingKeyOf(generateKeyPairSync('ed25519').privateKey, node)
}

const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex')

/** A deterministic key from a 32-byte seed: for test vectors and tests only. */
export function signingKeyFromSeed (seed: Uint8Array, node: string): SigningKey {
  if (seed.byteLength !== 32) throw new AppError('KEY_FILE_INVALID', 'an Ed25519 seed is 32 bytes')
  const der = Buffer.concat([PKCS8_ED25519_PREFIX, seed])
  return signingKeyOf(createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }), node)
}

/** The private JWK, for writing the owner-only key file. Never log or serve its result. */
export function exportPrivateJwk (key: SigningKey): Record<string, string> {
  const jwk = key.privateKey.export({ format: 'jwk' })
  return { kty: 'OKP', crv: 'Ed25519', x: String(jwk.x), d: String(jwk.d), kid: key.kid, node: key.node }
}

/** Loads a private JWK written by {@link exportPrivateJwk}; `source` names the file in errors. */
export function importPrivateJwk (value: unknown, source: string): SigningKey {
  const jwk = value as Record<string, unknown> | null
  if (jwk === null || typeof jwk !== 'object' || jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' ||
      typeof jwk.d !== 'string' || typeof jwk.x !== 'string' || typeof jwk.node !== 'string') {
    throw new AppError('KEY_FILE_INVALID', `${source}: not an Ed25519 private JWK with a node`)
  }
  let privateKey: KeyObject
  try {
    privateKey = createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', d: jwk.d, x: jwk.x }, format: 'jwk' })
  } catch (err) {
    throw new AppError('KEY_FILE_INVALID', `${source}: ${(err as Error).message}`)
  }
  const key = signingKeyOf(privateKey, jwk.node)
  if (key.publicJwk.x !== jwk.x) throw new AppError('KEY_FILE_INVALID', `${source}: public part does not match the private key`)
  return key
}

function fail (message: string): never {
  throw new AppError('JWKS_INVALID', message)
}

/**
 * Validates a JWKS and builds a key set. Every key must be an Ed25519 signing key whose `kid`
 * is its thumbprint and which names the node it speaks for; anything else makes the whole
 * set invalid, so a malformed trust store is noticed rather than half-used.
 */
export function keySetFromJwks (value: unknown): KeySet {
  const jwks = value as { keys?: unknown } | null
  if (jwks === null || typeof jwks !== 'object' || Array.isArray(jwks) || !Array.isArray(jwks.keys)) {
    fail('a JWKS is an object with a "keys" array')
  }
  const set = new Map<string, VerificationKey>()
  jwks.keys.forEach((raw: unknown, i: number) => {
    const k = raw as Record<string, unknown> | null
    const where = `keys[${i}]`
    if (k === null || typeof k !== 'object' || Array.isArray(k)) fail(`${where} is not an object`)
    if (k.kty !== 'OKP' || k.crv !== 'Ed25519') fail(`${where} is not an Ed25519 (OKP) key`)
    if ('d' in k) fail(`${where} contains private key material`)
    if (typeof k.x !== 'string' || decodeBase64url(k.x)?.byteLength !== 32) fail(`${where}.x is not a 32-byte base64url key`)
    if (k.alg !== undefined && k.alg !== 'EdDSA') fail(`${where}.alg must be EdDSA`)
    if (k.use !== undefined && k.use !== 'sig') fail(`${where}.use must be sig`)
    const kid = thumbprint(k.x)
    if (k.kid !== undefined && k.kid !== kid) fail(`${where}.kid is not the RFC 7638 thumbprint of the key`)
    if (typeof k.node !== 'string' || !new RegExp(NODE_ID_PATTERN).test(k.node)) fail(`${where}.node must name the node the key speaks for`)
    let publicKey: KeyObject
    try {
      publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: k.x }, format: 'jwk' })
    } catch (err) {
      fail(`${where}: ${(err as Error).message}`)
    }
    const jwk: PublicJwk = { kty: 'OKP', crv: 'Ed25519', x: k.x, kid, alg: 'EdDSA', use: 'sig', node: k.node }
    set.set(kid, { kid, node: k.node, publicKey, jwk })
  })
  return set
}

/** A JWKS of the given public keys. */
export function jwksOf (keys: Iterable<{ publicJwk: PublicJwk } | VerificationKey>): Jwks {
  return { keys: [...keys].map(k => ('publicJwk' in k ? k.publicJwk : k.jwk)) }
}
