// A hostile peer: a bare HTTP server the test controls. It presents a genuine signed
// descriptor and key set (so a victim node can set it up as a peer, pinning its key), and
// answers GET /v1/feed with whatever the current test case says: a crafted `{ feed, objects }`
// body, or a raw handler that drips, compresses, redirects or lies about its length.
// Beside it, forging helpers: signing arbitrary header and payload bytes (bypassing every
// check the node applies to what it signs), feed pages and releases.
import { createHmac, sign as cryptoSign } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Test } from 'tap'
import { epochSeconds, type Clock } from '../../src/clock.js'
import { decodeBase64url } from '../../src/protocol/base64url.js'
import { canonicalJson } from '../../src/protocol/canonical-json.js'
import { contentId } from '../../src/protocol/ids.js'
import { signMessage, type FlattenedJws } from '../../src/protocol/jws.js'
import { jwksOf, type SigningKey } from '../../src/protocol/keys.js'
import { PROTOCOL, type Feed, type Release } from '../../src/protocol/messages.js'

/** Answers one GET /v1/feed request; `after` is the sequence number asked for. */
export type FeedHandler = (req: IncomingMessage, res: ServerResponse, after: number) => void | Promise<void>

export interface HostilePeer {
  id: string
  url: string
  key: SigningKey
  /** What GET /v1/feed answers from now on: a JSON body (sent as is), or a handler. */
  serve(answer: unknown): void
  /** Every feed request received: the `after` asked for and the bearer token presented. */
  requests: Array<{ after: number, token: string | undefined }>
}

/** Starts a hostile peer for node `id` signing with `key`; it stops when `t` ends. */
export async function startHostilePeer (t: Test, options: { id: string, key: SigningKey, clock: Clock, name?: string }): Promise<HostilePeer> {
  let answer: unknown = { error: 'no case set up' }
  const requests: HostilePeer['requests'] = []
  let url = ''
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]
    const json = (status: number, body: unknown): void => {
      const text = JSON.stringify(body)
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text)
    }
    if (path === '/.well-known/jwks.json') return json(200, jwksOf([options.key]))
    if (path === '/.well-known/dcim-node') {
      const now = epochSeconds(options.clock)
      return json(200, signMessage('node-descriptor', {
        protocol: PROTOCOL,
        type: 'node-descriptor',
        issuer: options.id,
        issued_at: now,
        expires_at: now + 86400,
        node: { id: options.id, kind: 'country', name: options.name ?? options.id, url },
        keys: [options.key.publicJwk],
      }, options.key).jws)
    }
    if (path === '/v1/feed' && req.method === 'GET') {
      const after = Number(new URL(req.url ?? '/', url).searchParams.get('after') ?? 0)
      const auth = req.headers.authorization
      requests.push({ after, token: auth?.startsWith('Bearer ') === true ? auth.slice(7) : undefined })
      if (typeof answer === 'function') {
        Promise.resolve((answer as FeedHandler)(req, res, after)).catch(() => res.destroy())
        return
      }
      return json(200, answer)
    }
    json(404, { statusCode: 404, code: 'NOT_FOUND', error: 'Not Found', message: 'no such route' })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  t.teardown(async () => {
    server.closeAllConnections()
    await new Promise<void>(resolve => server.close(() => resolve()))
  })
  return { id: options.id, url, key: options.key, requests, serve: a => { answer = a } }
}

export const b64 = (s: string | Uint8Array): string => Buffer.from(s).toString('base64url')

/** The payload text of a signed object. */
export function payloadText (jws: FlattenedJws): string {
  return decodeBase64url(jws.payload)!.toString('utf8')
}

/** The content id of a signed object (SHA-256 of its payload bytes), or undefined. */
export function idOf (jws: { payload?: unknown }): string | undefined {
  const bytes = typeof jws.payload === 'string' ? decodeBase64url(jws.payload) : undefined
  return bytes === undefined ? undefined : contentId(bytes)
}

/** Signs arbitrary header and payload bytes with Ed25519, bypassing every check. */
export function rawSign (header: unknown, payload: string | Uint8Array, key: SigningKey): FlattenedJws {
  const p = b64(typeof header === 'string' ? header : canonicalJson(header))
  const pl = b64(payload)
  return { protected: p, payload: pl, signature: b64(cryptoSign(null, Buffer.from(`${p}.${pl}`), key.privateKey)) }
}

/** HS256 keyed with the bytes of `key`'s public key: the algorithm-confusion attack. */
export function hs256WithPublicKey (header: Record<string, unknown>, payloadB64: string, key: SigningKey): FlattenedJws {
  const p = b64(canonicalJson(header))
  const sig = createHmac('sha256', Buffer.from(key.publicJwk.x, 'base64url')).update(`${p}.${payloadB64}`).digest()
  return { protected: p, payload: payloadB64, signature: b64(sig) }
}

/** `s` with the character at `index` replaced by another base64url character. */
export function flipChar (s: string, index: number): string {
  const c = s[index]!
  return s.slice(0, index) + (c === 'A' ? 'B' : 'A') + s.slice(index + 1)
}

export interface FeedOptions {
  issuer?: string
  audience?: string
  after?: number
  headSeq?: number
  headId?: string | null
  entries?: Feed['entries']
  issuedAt?: number
  expiresAt?: number
}

/** The payload of a feed page; the head defaults to the last entry (or `after`, with `headId`). */
export function feedPayload (now: number, o: FeedOptions = {}): Feed {
  const entries = o.entries ?? []
  const last = entries.at(-1)
  const issuedAt = o.issuedAt ?? now
  return {
    protocol: PROTOCOL,
    type: 'feed',
    issuer: o.issuer ?? 'SRB',
    issued_at: issuedAt,
    expires_at: o.expiresAt ?? issuedAt + 600,
    audience: o.audience ?? 'HRV',
    after_seq: o.after ?? 0,
    head_seq: o.headSeq ?? last?.seq ?? o.after ?? 0,
    head_id: o.headId !== undefined ? o.headId : last?.id ?? null,
    entries,
  }
}

/** A signed feed page (through the node's own signer, so it must be schema-valid). */
export function signFeed (key: SigningKey, now: number, o: FeedOptions = {}): FlattenedJws {
  return signMessage('feed', feedPayload(now, o), key).jws
}

/**
 * A `{ feed, objects }` body listing `objects` at `after + 1, after + 2, ...`, each entry naming
 * the object's content id (or the id given beside it, for objects without a usable payload).
 */
export function feedBody (key: SigningKey, now: number, objects: Array<FlattenedJws | { object: unknown, id: string, type?: 'release' | 'retraction' }>, o: FeedOptions = {}): { feed: FlattenedJws, objects: unknown[] } {
  const after = o.after ?? 0
  const items = objects.map(x => ('object' in x ? x : { object: x, id: idOf(x)!, type: 'release' as const }))
  const entries = items.map((x, i) => ({ seq: after + 1 + i, id: x.id, type: x.type ?? 'release' as const }))
  return { feed: signFeed(key, now, { ...o, after, entries: o.entries ?? entries }), objects: items.map(x => x.object) }
}

export type Cell = Release['cells'][number]

/** A small, valid V1 table for `year` under srb-hrv: broken down by SEX only, CITIZEN_GRP `_T`. */
export function v1Cells (year: number, base = 4): Cell[] {
  const key = (sex: string): Cell['key'] => ({ TIME_PERIOD: String(year), VICT_STATUS: '_T', SEX: sex, AGE_GROUP: '_T', CITIZEN_GRP: '_T' })
  return [
    { key: key('F'), value: base, obs_status: 'A', conf_status: 'F' },
    { key: key('M'), obs_status: 'Q', conf_status: 'C' },
    { key: key('_T'), value: base + 2, obs_status: 'A', conf_status: 'F' },
  ]
}

export interface ReleaseOptions {
  issuer?: string
  audience?: string
  seq?: number
  prev?: string | null
  agreement?: { id: string, hash: string }
  indicator?: Release['dataset']['indicator']
  years?: number[]
  cells?: Cell[]
  issuedAt?: number
  expiresAt?: number
  supersedes?: string | null
}

/** The payload of a release; defaults: SRB to HRV, seq 1, V1 2023 with {@link v1Cells}. */
export function releasePayload (now: number, agreement: { id: string, hash: string }, o: ReleaseOptions = {}): Release {
  const years = o.years ?? [2023]
  const issuedAt = o.issuedAt ?? now
  return {
    protocol: PROTOCOL,
    type: 'release',
    issuer: o.issuer ?? 'SRB',
    issued_at: issuedAt,
    expires_at: o.expiresAt ?? issuedAt + 7 * 86400,
    audience: o.audience ?? 'HRV',
    feed_seq: o.seq ?? 1,
    prev: o.prev ?? null,
    agreement: o.agreement ?? agreement,
    dataset: { indicator: o.indicator ?? 'V1', years },
    supersedes: o.supersedes ?? null,
    cells: o.cells ?? years.flatMap(y => v1Cells(y)),
  }
}

/** A signed release (schema-valid); see {@link releasePayload}. */
export function signRelease (key: SigningKey, now: number, agreement: { id: string, hash: string }, o: ReleaseOptions = {}): FlattenedJws {
  return signMessage('release', releasePayload(now, agreement, o), key).jws
}
