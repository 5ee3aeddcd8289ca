/**
 * Fetching and verifying a peer's signed descriptor: the first step of setting up a peer.
 * The descriptor must verify against the JWKS the peer serves, list exactly those keys, and
 * name the URL it was fetched from, so a mirror or a misconfigured proxy is noticed.
 */
import { AppError } from '../errors.js'
import { keySetFromJwks, type KeySet } from '../protocol/keys.js'
import type { NodeDescriptor } from '../protocol/messages.js'
import { verifySigned } from '../protocol/verify.js'

/** Largest discovery document accepted (bytes). */
export const MAX_DISCOVERY_BYTES = 1024 * 1024

export interface PeerDescriptor {
  descriptor: NodeDescriptor
  /** Content id of the descriptor. */
  id: string
  keys: KeySet
  /** Thumbprint of the key that signed the descriptor. */
  signedBy: string
}

async function getJson (url: string, timeoutMs: number): Promise<unknown> {
  let res: Response
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'error' })
  } catch (err) {
    const reason = (err as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : ((err as { cause?: Error }).cause?.message ?? (err as Error).message)
    throw new AppError('FETCH_FAILED', `${url}: ${reason}`)
  }
  if (!res.ok) throw new AppError('FETCH_FAILED', `${url}: HTTP ${res.status}`)
  const body = Buffer.from(await res.arrayBuffer())
  if (body.byteLength > MAX_DISCOVERY_BYTES) throw new AppError('FETCH_FAILED', `${url}: larger than ${MAX_DISCOVERY_BYTES} bytes`)
  try {
    return JSON.parse(body.toString('utf8'))
  } catch {
    throw new AppError('FETCH_FAILED', `${url}: not JSON`)
  }
}

/**
 * Fetches `baseUrl`'s JWKS and descriptor and verifies them at `now` (seconds). Throws
 * FETCH_FAILED, JWKS_INVALID, a protocol verification code, or SCHEMA_INVALID when the
 * descriptor and the JWKS disagree or the descriptor names another URL.
 */
export async function fetchPeerDescriptor (baseUrl: string, options: { now: number, timeoutMs?: number }): Promise<PeerDescriptor> {
  const base = baseUrl.replace(/\/+$/, '')
  const timeout = options.timeoutMs ?? 10_000
  const [jwks, signed] = await Promise.all([getJson(`${base}/.well-known/jwks.json`, timeout), getJson(`${base}/.well-known/dcim-node`, timeout)])
  const keys = keySetFromJwks(jwks)
  const v = verifySigned(signed, keys, { now: options.now, expectedType: 'node-descriptor' })
  const listed = v.payload.keys.map(k => k.kid).sort()
  const served = [...keys.keys()].sort()
  if (listed.join() !== served.join()) {
    throw new AppError('SCHEMA_INVALID', `${base}: the descriptor lists keys ${listed.join(', ')} but the JWKS serves ${served.join(', ')}`)
  }
  if (v.payload.node.url.replace(/\/+$/, '') !== base) {
    throw new AppError('SCHEMA_INVALID', `${base}: the descriptor names its URL as ${v.payload.node.url}`)
  }
  return { descriptor: v.payload, id: v.id, keys, signedBy: v.key.kid }
}
