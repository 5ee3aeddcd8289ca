/**
 * The peers a node exchanges with, set up explicitly by an operator. Adding a peer fetches its
 * signed descriptor, verifies it, and pins its key set only when the operator names the
 * thumbprint they checked out of band: nothing is trusted on first use silently.
 */
import type { Kysely, Transaction } from 'kysely'
import { appendAudit } from '../audit/log.js'
import type { Clock } from '../clock.js'
import type { Database } from '../db/types.js'
import { AppError } from '../errors.js'
import { NODE_ID_PATTERN } from '../protocol/ids.js'
import { jwksOf, keySetFromJwks, type Jwks, type KeySet } from '../protocol/keys.js'
import { fetchPeerDescriptor, type PeerDescriptor } from './peer-descriptor.js'

export interface Peer {
  id: string
  url: string
  name: string
  kind: 'country' | 'liaison'
  keys: KeySet
  pinnedKid: string
  addedAt: Date
  /** The optional protocol members its descriptor said it accepts when it was set up (`release.version`, ...). */
  accepts: string[]
}

export interface AddPeerOptions {
  /** The peer's node id, as the operator expects it (SRB). */
  id: string
  url: string
  /** The key thumbprint the operator checked out of band; without it nothing is stored. */
  thumbprint?: string
  timeoutMs?: number
}

export interface AddPeerResult {
  peer: Peer
  descriptorId: string
}

type Db = Kysely<Database> | Transaction<Database>

/**
 * `url`'s descriptor, fetched and verified, when it speaks for node `id` (WRONG_ISSUER
 * otherwise), with the thumbprints of the keys it lists and those keys as a JWKS, in its order.
 */
async function descriptorOf (url: string, id: string, clock: Clock, timeoutMs: number | undefined): Promise<{ fetched: PeerDescriptor, kids: string[], jwks: Jwks }> {
  const fetched = await fetchPeerDescriptor(url, { now: Math.floor(clock.now() / 1000), timeoutMs })
  const d = fetched.descriptor
  if (d.node.id !== id) throw new AppError('WRONG_ISSUER', `${url} is node ${d.node.id}, not ${id}`)
  return { fetched, kids: d.keys.map(k => k.kid), jwks: jwksOf(d.keys.map(k => fetched.keys.get(k.kid)!)) }
}

/**
 * Fetches and verifies `url`'s descriptor and, when `thumbprint` is among its keys, stores the
 * peer with that key set. Throws THUMBPRINT_REQUIRED (listing the thumbprints found) when no
 * thumbprint is given, THUMBPRINT_MISMATCH when it is not the peer's, PEER_EXISTS when the
 * peer is already set up, and WRONG_ISSUER when the descriptor speaks for another node.
 */
export async function addPeer (db: Kysely<Database>, clock: Clock, self: string, options: AddPeerOptions): Promise<AddPeerResult> {
  if (!new RegExp(NODE_ID_PATTERN).test(options.id)) throw new AppError('USAGE', `peer id ${JSON.stringify(options.id)} is not a node id (SRB, EUROPOL, ...)`)
  if (options.id === self) throw new AppError('USAGE', `${self} is this node; a node is not its own peer`)
  const existing = await db.selectFrom('peer').select('url').where('id', '=', options.id).executeTakeFirst()
  if (existing !== undefined) throw new AppError('PEER_EXISTS', `${options.id} is already a peer (${existing.url}); remove it first to set it up again`)
  const { fetched, kids, jwks } = await descriptorOf(options.url, options.id, clock, options.timeoutMs)
  const d = fetched.descriptor
  if (options.thumbprint === undefined) {
    throw new AppError('THUMBPRINT_REQUIRED', `${d.node.name} (${d.node.id}) at ${d.node.url} presents key ${kids.join(', ')}; confirm it with ${d.node.id}'s operator out of band, then repeat with --thumbprint`)
  }
  const pinned = options.thumbprint
  if (!kids.includes(pinned)) {
    throw new AppError('THUMBPRINT_MISMATCH', `${options.url} presents key ${kids.join(', ')}, not ${options.thumbprint}: do not add this peer before you know why`)
  }
  // The pinned key vouches for the others: only a descriptor it signed may add keys beside it
  // (otherwise whoever answers in the peer's place could list the real key next to their own).
  if (fetched.signedBy !== pinned) {
    throw new AppError('THUMBPRINT_MISMATCH', `${options.url}: the descriptor is signed with key ${fetched.signedBy}, not with ${pinned}, the key you confirmed: only that key can vouch for the others it lists (${kids.join(', ')}); do not add this peer before you know why`)
  }
  const addedAt = new Date(clock.now())
  await db.transaction().execute(async trx => {
    await trx.insertInto('peer').values({
      id: d.node.id,
      url: d.node.url.replace(/\/+$/, ''),
      name: d.node.name,
      kind: d.node.kind,
      jwks: JSON.stringify(jwks),
      pinned_kid: pinned,
      descriptor_id: fetched.id,
      added_at: addedAt,
      accepts: JSON.stringify(d.accepts ?? []),
    }).execute()
    await appendAudit(trx, { at: addedAt, event: 'peer_added', actor: d.node.id, detail: { url: d.node.url, pinned_kid: pinned, keys: kids, descriptor: fetched.id } })
  })
  return { peer: { id: d.node.id, url: d.node.url.replace(/\/+$/, ''), name: d.node.name, kind: d.node.kind, keys: fetched.keys, pinnedKid: pinned, addedAt, accepts: d.accepts ?? [] }, descriptorId: fetched.id }
}

export interface RefreshPeerResult {
  peer: Peer
  descriptorId: string
  /** What changed: the keys trusted and the optional members accepted, before and after (absent when unchanged). */
  keys?: { before: string[], after: string[] }
  accepts?: { before: string[], after: string[] }
}

/**
 * Fetches peer `id`'s descriptor again from the URL it was set up with and, when the key pinned
 * for it signed it, trusts the keys it lists and records the optional members it accepts, as
 * setting the peer up again with the same thumbprint would (the pinned key stays pinned; what
 * was received and where pulls stand are untouched). Throws PEER_UNKNOWN, WRONG_ISSUER,
 * THUMBPRINT_MISMATCH (nothing changed), or what fetching and verifying the descriptor throws.
 */
export async function refreshPeer (db: Kysely<Database>, clock: Clock, id: string, options: { timeoutMs?: number } = {}): Promise<RefreshPeerResult> {
  const before = await findPeer(db, id)
  if (before === undefined) throw new AppError('PEER_UNKNOWN', `${id} is not a peer of this node`)
  const { fetched, kids, jwks } = await descriptorOf(before.url, id, clock, options.timeoutMs)
  const d = fetched.descriptor
  if (fetched.signedBy !== before.pinnedKid) {
    throw new AppError('THUMBPRINT_MISMATCH', `${before.url}: the descriptor is signed with key ${fetched.signedBy}, not with ${before.pinnedKid}, the key pinned for ${id}: only that key can vouch for the others it lists (${kids.join(', ')}); nothing changed`)
  }
  const accepts = d.accepts ?? []
  const keysBefore = [...before.keys.keys()].sort()
  const keysAfter = [...kids].sort()
  const changed = {
    ...(keysBefore.join() === keysAfter.join() ? {} : { keys: { before: keysBefore, after: keysAfter } }),
    ...(before.accepts.join() === accepts.join() ? {} : { accepts: { before: before.accepts, after: accepts } }),
  }
  await db.transaction().execute(async trx => {
    await trx.updateTable('peer').set({ jwks: JSON.stringify(jwks), accepts: JSON.stringify(accepts), descriptor_id: fetched.id }).where('id', '=', id).execute()
    await appendAudit(trx, { at: new Date(clock.now()), event: 'peer_refreshed', actor: id, detail: { descriptor: fetched.id, ...changed } })
  })
  return { peer: { ...before, keys: fetched.keys, accepts }, descriptorId: fetched.id, ...changed }
}

function toPeer (row: { id: string, url: string, name: string, kind: 'country' | 'liaison', jwks: unknown, pinned_kid: string, added_at: Date, accepts: string }): Peer {
  const jwks = typeof row.jwks === 'string' ? JSON.parse(row.jwks) as unknown : row.jwks
  return { id: row.id, url: row.url, name: row.name, kind: row.kind, keys: keySetFromJwks(jwks), pinnedKid: row.pinned_kid, addedAt: row.added_at, accepts: JSON.parse(row.accepts) as string[] }
}

/** The peers that accept the optional protocol member `member` (section 1 of the protocol). */
export async function peersAccepting (db: Db, member: string): Promise<Set<string>> {
  const rows = await db.selectFrom('peer').select(['id', 'accepts']).execute()
  return new Set(rows.filter(r => (JSON.parse(r.accepts) as string[]).includes(member)).map(r => r.id))
}

export async function listPeers (db: Db): Promise<Peer[]> {
  const rows = await db.selectFrom('peer').select(['id', 'url', 'name', 'kind', 'jwks', 'pinned_kid', 'added_at', 'accepts']).orderBy('id').execute()
  return rows.map(toPeer)
}

/** The peer `id`, or undefined when it is not set up. */
export async function findPeer (db: Db, id: string): Promise<Peer | undefined> {
  const row = await db.selectFrom('peer').select(['id', 'url', 'name', 'kind', 'jwks', 'pinned_kid', 'added_at', 'accepts']).where('id', '=', id).executeTakeFirst()
  return row === undefined ? undefined : toPeer(row)
}

/** Removes a peer: it is no longer served or pulled. What was received from it is kept. */
export async function removePeer (db: Kysely<Database>, clock: Clock, id: string): Promise<void> {
  await db.transaction().execute(async trx => {
    const r = await trx.deleteFrom('peer').where('id', '=', id).executeTakeFirst()
    if (Number(r.numDeletedRows) === 0) throw new AppError('PEER_UNKNOWN', `${id} is not a peer of this node`)
    await appendAudit(trx, { at: new Date(clock.now()), event: 'peer_removed', actor: id, detail: {} })
  })
}
