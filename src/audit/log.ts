/**
 * The hash-chained audit log: every publish, every pull served and applied, every refusal and
 * every agreement or peer change, one row each in `audit_log`, in the node's own database.
 *
 * Entry n carries the hash of entry n-1 (`prev_hash`) and its own hash over its contents and
 * that link:
 *
 *   hash = base64url(SHA-256(UTF-8(canonicalJson({ seq, at, event, actor, detail, prev }))))
 *
 * where `at` is the entry time in whole milliseconds since the epoch (an integer: exactly what
 * a timestamptz keeps of a JavaScript Date), `prev` is the previous entry's hash, and the first
 * entry's `prev` is GENESIS_HASH (43 'A's, the base64url of 32 zero bytes). `seq` starts at 1
 * and is assigned by the appender, not by a sequence, so a deleted entry leaves a gap.
 *
 * What the chain shows: an entry altered, removed or inserted anywhere before the head. What it
 * cannot show on its own: the newest entries removed together with nothing after them, or the
 * whole log rewritten by someone with write access. Recording the head reported by
 * `verifyAuditLog` somewhere else (a ticket, the operator's notebook) closes the first.
 */
import { createHash } from 'node:crypto'
import { sql, type Kysely, type Transaction } from 'kysely'
import type { Database } from '../db/types.js'
import { AppError, isAppError } from '../errors.js'
import { canonicalJson } from '../protocol/canonical-json.js'

/** Every kind of audited event. */
export const AUDIT_EVENTS = [
  'publish',
  'pull_served',
  'pull_applied',
  'pull_skipped',
  'refusal',
  'agreement_change',
  'peer_added',
  'peer_refreshed',
  'peer_removed',
  'evidence',
  'user_added',
  'user_removed',
  'user_disabled',
  'user_enabled',
  'login',
  'login_refused',
  'refusals_counted',
] as const

export type AuditEvent = typeof AUDIT_EVENTS[number]

/** The `prev` of the first entry: base64url of 32 zero bytes (43 'A's). */
export const GENESIS_HASH = 'A'.repeat(43)

/**
 * Key of the transaction-scoped advisory lock that serialises appenders: the bytes of
 * "dcimxaud" read as a big-endian int64.
 */
export const AUDIT_LOCK_KEY = '7233741345379153252'

/** Rows read per query by verifyAuditLog. */
export const VERIFY_BATCH = 5000

export interface AuditEntryInput {
  at: Date
  event: AuditEvent
  /** Who acted or was acted for: a node id, a peer id, or "operator". */
  actor: string
  /** A JSON object of strings, booleans, null and safe integers (no fractions). */
  detail: Record<string, unknown>
}

export interface AuditEntry {
  seq: number
  at: Date
  /** An AuditEvent, unless the row was altered or written by a newer version. */
  event: string
  actor: string
  detail: unknown
  prevHash: string
  hash: string
}

export interface AuditHead {
  seq: number
  hash: string
}

export interface AuditVerification {
  /** Rows in the log (all of them, also when the chain is broken). */
  entries: number
  /** The newest row, or null when the log is empty. */
  head: AuditHead | null
  /** The first place the chain does not hold, or null when it is intact. */
  broken: { seq: number, reason: string } | null
}

/** The hash of one entry (see the file comment); `at` counts in whole milliseconds. */
export function auditHash (entry: { seq: number, at: Date, event: string, actor: string, detail: unknown, prev: string }): string {
  const text = canonicalJson({ seq: entry.seq, at: entry.at.getTime(), event: entry.event, actor: entry.actor, detail: entry.detail, prev: entry.prev })
  return createHash('sha256').update(text, 'utf8').digest('base64url')
}

function invalid (message: string): never {
  throw new AppError('AUDIT_ENTRY_INVALID', message)
}

/** True when some string (or member name) in the JSON value contains U+0000. */
function hasNul (value: unknown): boolean {
  const stack: unknown[] = [value]
  while (stack.length > 0) {
    const v = stack.pop()
    if (typeof v === 'string') {
      if (v.includes('\u0000')) return true
    } else if (Array.isArray(v)) {
      stack.push(...v)
    } else if (v !== null && typeof v === 'object') {
      for (const [k, child] of Object.entries(v)) {
        if (k.includes('\u0000')) return true
        stack.push(child)
      }
    }
  }
  return false
}

/**
 * Checks an entry and returns its detail in canonical JSON, the form stored and hashed.
 * PostgreSQL refuses U+0000 in text and jsonb, so it is refused here, before anything is written.
 */
function checkEntry (entry: AuditEntryInput): string {
  if (!(entry.at instanceof Date) || !Number.isFinite(entry.at.getTime())) invalid('at must be a valid Date')
  if (!(AUDIT_EVENTS as readonly string[]).includes(entry.event)) invalid(`unknown audit event ${JSON.stringify(entry.event)}; one of ${AUDIT_EVENTS.join(', ')}`)
  if (typeof entry.actor !== 'string' || entry.actor === '' || entry.actor.includes('\u0000')) invalid('actor must be a non-empty string without U+0000')
  const detail: unknown = entry.detail
  if (detail === null || typeof detail !== 'object' || Array.isArray(detail)) invalid('detail must be a JSON object')
  let text: string
  try {
    text = canonicalJson(detail)
    canonicalJson(entry.actor)
  } catch (err) {
    if (isAppError(err)) invalid(`${entry.event} entry has no canonical JSON form: ${err.message}`)
    throw err
  }
  if (hasNul(JSON.parse(text))) invalid('detail must not contain U+0000')
  return text
}

async function appendLocked (trx: Transaction<Database>, entry: AuditEntryInput, detailText: string): Promise<AuditHead> {
  // Held until the caller's transaction ends: the next appender reads this entry as its last.
  await sql`select pg_advisory_xact_lock(${sql.raw(AUDIT_LOCK_KEY)})`.execute(trx)
  const last = await trx.selectFrom('audit_log').select(['seq', 'hash']).orderBy('seq', 'desc').limit(1).executeTakeFirst()
  const seq = (last?.seq ?? 0) + 1
  const prev = last?.hash ?? GENESIS_HASH
  const hash = auditHash({ seq, at: entry.at, event: entry.event, actor: entry.actor, detail: JSON.parse(detailText), prev })
  await trx.insertInto('audit_log').values({ seq, at: entry.at, event: entry.event, actor: entry.actor, detail: detailText, prev_hash: prev, hash }).execute()
  return { seq, hash }
}

/**
 * Appends one entry to the log and returns its seq and hash. Pass the transaction of the action
 * being audited, so that the entry commits or rolls back with it; given a plain handle it opens
 * a transaction of its own. Concurrent appenders are serialised by a transaction-scoped
 * advisory lock, so every audited transaction holds that lock from its append until it ends:
 * append late in the transaction. The transaction must run at READ COMMITTED (PostgreSQL's
 * default); under a stricter isolation level a concurrent append fails on the seq key rather
 * than forking the chain. Throws AUDIT_ENTRY_INVALID for an entry that cannot be stored and
 * hashed exactly (a fraction or unsafe integer in `detail`, U+0000, a lone surrogate, an
 * unknown event).
 */
export async function appendAudit (db: Kysely<Database> | Transaction<Database>, entry: AuditEntryInput): Promise<AuditHead> {
  const detailText = checkEntry(entry)
  if (db.isTransaction) return await appendLocked(db as Transaction<Database>, entry, detailText)
  return await db.transaction().execute(trx => appendLocked(trx, entry, detailText))
}

interface AuditRow {
  seq: number
  at: Date
  event: string
  actor: string
  detail: unknown
  prev_hash: string
  hash: string
  whole_ms: boolean
}

/** Why `row` breaks the chain, given what the previous row led to expect; null when it holds. */
function checkLink (row: AuditRow, expectedSeq: number, prev: string): { seq: number, reason: string } | null {
  if (row.seq > expectedSeq) {
    const jump = expectedSeq === 1 ? `the log starts at #${row.seq}` : `the log jumps from #${expectedSeq - 1} to #${row.seq}`
    return { seq: expectedSeq, reason: `${row.seq === expectedSeq + 1 ? `entry #${expectedSeq} is` : `entries #${expectedSeq} to #${row.seq - 1} are`} missing (${jump})` }
  }
  if (row.seq < expectedSeq) return { seq: row.seq, reason: `entry #${row.seq} is out of sequence: the log starts at #1` }
  if (row.prev_hash !== prev) {
    return { seq: row.seq, reason: row.seq === 1 ? 'prev_hash is not the genesis value' : `prev_hash does not match the hash of #${row.seq - 1}` }
  }
  let hash: string | undefined
  try {
    // A timestamptz keeps microseconds; the hash covers milliseconds, so finer ones mean an edit.
    if (row.whole_ms) hash = auditHash({ seq: row.seq, at: row.at, event: row.event, actor: row.actor, detail: row.detail, prev: row.prev_hash })
  } catch (err) {
    if (!isAppError(err)) throw err
  }
  if (hash !== row.hash) return { seq: row.seq, reason: 'hash does not match the entry\'s contents (the entry was altered)' }
  return null
}

/**
 * Walks the whole log in seq order, VERIFY_BATCH rows at a time, and reports the first broken
 * link: a missing seq, a prev_hash that is not the previous entry's hash, or a hash that does
 * not match the entry's contents. Reads without a transaction of its own, so appenders are
 * never blocked; entries appended during the walk are verified when reached.
 */
export async function verifyAuditLog (db: Kysely<Database>, options: { batchSize?: number } = {}): Promise<AuditVerification> {
  const batch = options.batchSize ?? VERIFY_BATCH
  let entries = 0
  let head: AuditHead | null = null
  let broken: AuditVerification['broken'] = null
  for (;;) {
    let q = db.selectFrom('audit_log')
      .select(['seq', 'at', 'event', 'actor', 'detail', 'prev_hash', 'hash', sql<boolean>`date_trunc('milliseconds', at) = at`.as('whole_ms')])
      .orderBy('seq')
      .limit(batch)
    // Keyset pagination; the first page has no lower bound, so a seq below 1 is seen too.
    if (head !== null) q = q.where('seq', '>', head.seq)
    const rows: AuditRow[] = await q.execute()
    for (const row of rows) {
      entries++
      broken ??= checkLink(row, head === null ? 1 : head.seq + 1, head === null ? GENESIS_HASH : head.hash)
      head = { seq: row.seq, hash: row.hash }
    }
    if (rows.length < batch) break
  }
  return { entries, head, broken }
}

export interface ListAuditOptions {
  /** Only entries after this seq (oldest first from there). */
  after?: number
  /** At most this many entries (default 100). */
  limit?: number
  event?: AuditEvent
  /** The newest `limit` entries instead of the oldest (ignored with `after`). */
  newest?: boolean
}

/** Entries in seq order, for display; not verified (use verifyAuditLog). */
export async function listAudit (db: Kysely<Database>, options: ListAuditOptions = {}): Promise<AuditEntry[]> {
  const limit = options.limit ?? 100
  const newest = options.newest === true && options.after === undefined
  let q = db.selectFrom('audit_log').selectAll().orderBy('seq', newest ? 'desc' : 'asc').limit(limit)
  if (options.after !== undefined) q = q.where('seq', '>', options.after)
  if (options.event !== undefined) q = q.where('event', '=', options.event)
  const rows = await q.execute()
  if (newest) rows.reverse()
  return rows.map(r => ({ seq: r.seq, at: r.at, event: r.event, actor: r.actor, detail: r.detail, prevHash: r.prev_hash, hash: r.hash }))
}
