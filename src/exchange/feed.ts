/**
 * Serving a recipient's feed: the signed page of entries after a sequence number, with the
 * signed objects it lists, in one response. The page is signed when it is served and lives a
 * few minutes, so a frozen or replayed feed is noticed; the objects are served as they were
 * signed when issued.
 */
import { sql, type Kysely } from 'kysely'
import { epochSeconds, type Clock } from '../clock.js'
import type { Database } from '../db/types.js'
import { AppError } from '../errors.js'
import { signMessage, type FlattenedJws } from '../protocol/jws.js'
import type { SigningKey } from '../protocol/keys.js'
import { PROTOCOL, type Feed } from '../protocol/messages.js'

/** Lifetime of a signed feed page. */
export const FEED_LIFETIME = 600
/** Most entries on a page (the schema allows 10,000). */
export const MAX_PAGE_ENTRIES = 1000
/** A page stops growing once its objects pass this many bytes (it holds at least one). */
export const MAX_PAGE_BYTES = 8 * 1024 * 1024

export interface FeedResponse {
  feed: FlattenedJws
  objects: FlattenedJws[]
}

export interface FeedPageDeps {
  db: Kysely<Database>
  clock: Clock
  node: string
  signingKey: SigningKey
}

export interface ServedPage {
  body: FeedResponse
  entries: number
  firstSeq: number | null
  lastSeq: number | null
  headSeq: number
  agreementHashes: string[]
}

/**
 * The page of `recipient`'s feed after `after`. `held` lists the agreement hashes the
 * recipient holds: a page with an object under any other agreement is refused
 * (AGREEMENT_MISMATCH), since both parties must hold the same agreement.
 */
export async function feedPage (deps: FeedPageDeps, recipient: string, after: number, held: readonly string[], options: { maxEntries?: number, maxBytes?: number } = {}): Promise<ServedPage> {
  const limit = Math.min(options.maxEntries ?? MAX_PAGE_ENTRIES, 10000)
  const maxBytes = options.maxBytes ?? MAX_PAGE_BYTES
  const { head, rows } = await deps.db.transaction().execute(async trx => {
    const head = await trx.selectFrom('outgoing').select(['feed_seq', 'id']).where('recipient', '=', recipient).orderBy('feed_seq', 'desc').limit(1).executeTakeFirst()
    const rows = (await sql<{ id: string, feed_seq: number, type: 'release' | 'retraction', agreement_hash: string, signed: string }>`
      select id, feed_seq, type, agreement_hash, signed::text as signed from outgoing
      where recipient = ${recipient} and feed_seq > ${after} order by feed_seq limit ${limit}`.execute(trx)).rows
    return { head, rows }
  })
  const entries: Feed['entries'] = []
  const objects: FlattenedJws[] = []
  const hashes = new Set<string>()
  let bytes = 0
  for (const row of rows) {
    if (entries.length > 0 && bytes + row.signed.length > maxBytes) break
    bytes += row.signed.length
    if (!held.includes(row.agreement_hash)) {
      throw new AppError('AGREEMENT_MISMATCH', `feed entry ${row.feed_seq} is sent under agreement hash ${row.agreement_hash}, which ${recipient} does not hold; both parties must hold the same agreement`)
    }
    hashes.add(row.agreement_hash)
    entries.push({ seq: Number(row.feed_seq), id: row.id, type: row.type })
    objects.push(JSON.parse(row.signed) as FlattenedJws)
  }
  const now = epochSeconds(deps.clock)
  const feed = signMessage('feed', {
    protocol: PROTOCOL,
    type: 'feed',
    issuer: deps.node,
    issued_at: now,
    expires_at: now + FEED_LIFETIME,
    audience: recipient,
    after_seq: after,
    head_seq: head === undefined ? 0 : Number(head.feed_seq),
    head_id: head?.id ?? null,
    entries,
  }, deps.signingKey)
  return {
    body: { feed: feed.jws, objects },
    entries: entries.length,
    firstSeq: entries[0]?.seq ?? null,
    lastSeq: entries.at(-1)?.seq ?? null,
    headSeq: head === undefined ? 0 : Number(head.feed_seq),
    agreementHashes: [...hashes].sort(),
  }
}

/** The object `id` if it was issued to `recipient`, else undefined (another recipient's id looks unknown). */
export async function outgoingObject (db: Kysely<Database>, recipient: string, id: string): Promise<FlattenedJws | undefined> {
  const row = await sql<{ signed: string }>`select signed::text as signed from outgoing where id = ${id} and recipient = ${recipient}`.execute(db)
  return row.rows[0] === undefined ? undefined : JSON.parse(row.rows[0].signed) as FlattenedJws
}
