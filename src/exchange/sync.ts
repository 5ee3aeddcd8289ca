/**
 * Pulling from a peer: fetch its feed for us after the last sequence number applied, verify
 * every object, and apply each one in its own transaction, in order. A pull that stops (a
 * dropped connection, a killed process, a refused object) resumes where the last applied
 * object left off. Misbehaviour (a fork, a rollback, a gap) is kept as evidence and raised
 * in health output.
 */
import { createHash } from 'node:crypto'
import { sql, type Kysely, type Transaction } from 'kysely'
import { appendAudit } from '../audit/log.js'
import { epochSeconds, type Clock } from '../clock.js'
import type { Database } from '../db/types.js'
import { AppError, isAppError } from '../errors.js'
import { canonicalJson } from '../protocol/canonical-json.js'
import { contentId } from '../protocol/ids.js'
import type { FlattenedJws } from '../protocol/jws.js'
import type { SigningKey } from '../protocol/keys.js'
import type { Feed, Release, Retraction } from '../protocol/messages.js'
import { verifySigned } from '../protocol/verify.js'
import { decodeBase64url } from '../protocol/base64url.js'
import type { LoadedAgreement } from '../policy/load.js'
import { checkAgreement, checkCells, checkPlace, retractsUnderFormerAgreement } from './check-object.js'
import { signPeerToken } from './peer-token.js'
import { findPeer, listPeers, type Peer } from './peers.js'

/** Largest feed response accepted (bytes, after decompression). */
export const MAX_RESPONSE_BYTES = 64 * 1024 * 1024
/**
 * A whole pull (every page, bodies included) must finish within this time: slow-drip
 * responses and pages served slowly one after another are cut at the deadline
 * (protocol/README.md, "Pull deadline").
 */
export const REQUEST_TIMEOUT_MS = 60_000
/** Most pages one pull reads. */
export const MAX_PAGES = 1000

export interface SyncDeps {
  db: Kysely<Database>
  clock: Clock
  /** This node's id. */
  node: string
  signingKey: SigningKey
  agreements: readonly LoadedAgreement[]
  fetch?: typeof fetch
  /** The pull's deadline, from its start, for all its requests together (default {@link REQUEST_TIMEOUT_MS}). */
  timeoutMs?: number
  maxResponseBytes?: number
  /** Entries asked for per page (default: the publisher's page size). */
  pageSize?: number
}

export interface Rejection {
  /** The object refused, when there is one. */
  id: string | null
  seq: number | null
  message: string
}

export interface SyncReport {
  peer: string
  ok: boolean
  /** Last sequence number applied before and after the pull. */
  fromSeq: number
  toSeq: number
  /** The feed's head as the peer last announced it. */
  headSeq: number
  requests: number
  /** Releases whose cells changed what this node held. */
  applied: number
  /** Releases re-signed or delivered again with the cells already held. */
  unchanged: number
  /** Releases that a later object in the same pull replaced. */
  superseded: number
  retracted: number
  /** Refusals grouped by error code. */
  rejected: Record<string, Rejection[]>
  /** Evidence recorded during this pull (ids in the evidence table). */
  evidence: number[]
}

interface Entry {
  seq: number
  id: string
  type: 'release' | 'retraction'
  payload: Release | Retraction
  signed: FlattenedJws
}

/** Largest sequence number the database holds (integer columns); a peer may announce more. */
const MAX_STORED_SEQ = 2 ** 31 - 1

/** Text a peer put in a message, made storable: PostgreSQL and the audit log refuse U+0000 and lone surrogates. */
function storable (text: string): string {
  return Buffer.from(text.replaceAll('\u0000', '\uFFFD'), 'utf8').toString('utf8')
}

/**
 * Kinds of evidence: a fork, a rollback or a gap proves misbehaviour; `refused` keeps one
 * object of the feed that failed the checks (it stops the feed until an operator skips it, see
 * skip.ts); `skipped` is a refused object an operator has skipped.
 */
export type EvidenceKind = 'equivocation' | 'rollback' | 'gap' | 'refused'

class Refusal extends AppError {
  constructor (readonly error: AppError, readonly object: { id: string | null, seq: number | null }, readonly evidenceKind?: EvidenceKind, readonly objects: unknown[] = []) {
    super(error.code, storable(error.message))
  }
}

function refuse (code: ConstructorParameters<typeof AppError>[0], message: string, object: { id: string | null, seq: number | null } = { id: null, seq: null }, evidenceKind?: EvidenceKind, objects: unknown[] = []): never {
  throw new Refusal(new AppError(code, message), object, evidenceKind, objects)
}

/**
 * Reads a response body, refusing more than `max` bytes. Every read races `signal`: when it
 * fires the body is cancelled and the read fails at once (a TimeoutError), however the peer
 * drips its bytes.
 */
async function readCapped (res: Response, max: number, signal: AbortSignal): Promise<Buffer> {
  const declared = Number(res.headers.get('content-length') ?? NaN)
  if (declared > max) refuse('RESPONSE_TOO_LARGE', `the peer announced ${declared} bytes, more than the ${max} accepted`)
  const chunks: Buffer[] = []
  let size = 0
  if (res.body === null) return Buffer.alloc(0)
  const reader = res.body.getReader()
  let onAbort: (() => void) | undefined
  const aborted = new Promise<never>((_resolve, reject) => {
    onAbort = () => { reject(new DOMException('the pull passed its deadline', 'TimeoutError')) }
    if (signal.aborted) onAbort()
    else signal.addEventListener('abort', onAbort, { once: true })
  })
  aborted.catch(() => undefined)
  try {
    for (;;) {
      const { done, value } = await Promise.race([reader.read(), aborted])
      if (done) break
      size += value.byteLength
      if (size > max) refuse('RESPONSE_TOO_LARGE', `the response passed ${max} bytes; it was cut off`)
      chunks.push(Buffer.from(value))
    }
  } finally {
    signal.removeEventListener('abort', onAbort!)
    reader.cancel().catch(() => undefined)
  }
  return Buffer.concat(chunks)
}

/** Exchange codes a peer may answer with that are reported as such. */
const PEER_CODES = new Set(['TOKEN_MISSING', 'TOKEN_INVALID', 'TOKEN_REPLAYED', 'PEER_UNKNOWN', 'AGREEMENT_MISMATCH'])

/** Most agreement hashes a peer token lists (protocol/README.md, peer tokens). */
const MAX_TOKEN_AGREEMENTS = 64

async function fetchPage (deps: SyncDeps, peer: Peer, after: number, heldSlices: ReadonlyMap<string, string>, deadline: number): Promise<unknown> {
  const now = epochSeconds(deps.clock)
  const holds = deps.agreements.filter(l => l.agreement.provider === peer.id && l.agreement.recipient === deps.node).map(l => l.hash)
  // Also the agreements of tables held from the peer, whose files may be gone: their retractions
  // are served and applied (retractsUnderFormerAgreement).
  const former = [...new Set(heldSlices.values())].filter(h => !holds.includes(h))
  const held = [...holds, ...former].slice(0, MAX_TOKEN_AGREEMENTS)
  const token = await signPeerToken(deps.signingKey, { issuer: deps.node, audience: peer.id, now, agreements: held })
  const url = `${peer.url}/v1/feed?after=${after}${deps.pageSize === undefined ? '' : `&limit=${deps.pageSize}`}`
  const timeout = deps.timeoutMs ?? REQUEST_TIMEOUT_MS
  const left = deadline - performance.now()
  if (left <= 0) refuse('TIMEOUT', `${url}: the pull passed its deadline of ${timeout} ms before this page`)
  const signal = AbortSignal.timeout(Math.ceil(left))
  let body: Buffer
  let res: Response
  try {
    res = await (deps.fetch ?? fetch)(url, {
      headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
      signal,
      redirect: 'error',
    })
    body = await readCapped(res, deps.maxResponseBytes ?? MAX_RESPONSE_BYTES, signal)
  } catch (err) {
    if (err instanceof Refusal) throw err
    const e = (typeof err === 'object' && err !== null ? err : new Error(String(err))) as Error & { cause?: Error }
    if (e.name === 'TimeoutError' || e.name === 'AbortError') refuse('TIMEOUT', `${url}: the pull had no complete answer within its deadline of ${timeout} ms`)
    refuse('FETCH_FAILED', `${url}: ${e.cause?.message ?? e.message}`)
  }
  if (!res.ok) {
    let code: string | undefined
    let message = ''
    try {
      const parsed = JSON.parse(body.toString('utf8')) as { code?: unknown, message?: unknown }
      if (typeof parsed.code === 'string') code = parsed.code
      if (typeof parsed.message === 'string') message = parsed.message.slice(0, 500)
    } catch {}
    const detail = `${peer.id} answered HTTP ${res.status}${code === undefined ? '' : ` ${code}`}${message === '' ? '' : `: ${message}`}`
    refuse(code !== undefined && PEER_CODES.has(code) ? code as 'TOKEN_INVALID' : 'HTTP_ERROR', detail)
  }
  try {
    return JSON.parse(body.toString('utf8'))
  } catch (err) {
    refuse('FEED_MALFORMED', `the feed response is not JSON (${(err as Error).message.slice(0, 100)})`)
  }
}

function idOf (signed: unknown): string | null {
  const payload = (signed as { payload?: unknown } | null)?.payload
  if (typeof payload !== 'string') return null
  const bytes = decodeBase64url(payload)
  return bytes === undefined ? null : contentId(bytes)
}

interface State { last_seq: number, last_id: string | null }

/** Most objects refused at one place of a feed that are kept as evidence. */
const MAX_REFUSED_KEPT = 64

/** Largest refused object kept as evidence (bytes of its members); larger ones are named, not kept. */
const MAX_KEPT_BYTES = 1024 * 1024

/**
 * Whether a refused object can be kept as evidence as it came: a flattened JWS (string
 * members of base64url text) of bounded size. Anything else (nested junk, control characters
 * the database refuses) is recorded by its place and id only.
 */
function keepable (obj: unknown): boolean {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) return false
  const values = Object.values(obj)
  if (values.length > 3) return false
  let size = 0
  for (const v of values) {
    if (typeof v !== 'string' || !/^[A-Za-z0-9_-]*$/.test(v)) return false
    size += v.length
  }
  return size <= MAX_KEPT_BYTES
}

/**
 * Verifies a feed response for `after` and returns its objects in order, up to the first
 * object refused (`stop`): the objects before it are applied, that one is kept as evidence.
 */
function verifyPage (deps: SyncDeps, peer: Peer, state: State, body: unknown, heldSlices: Map<string, string>): { feed: Feed, entries: Entry[], stop?: Refusal } {
  const now = epochSeconds(deps.clock)
  if (body === null || typeof body !== 'object' || Array.isArray(body)) refuse('FEED_MALFORMED', 'the feed response is not an object')
  const names = Object.keys(body)
  if (names.length !== 2 || !names.includes('feed') || !names.includes('objects')) refuse('FEED_MALFORMED', 'the feed response has exactly the members "feed" and "objects"')
  const { feed: signedFeed, objects } = body as { feed: unknown, objects: unknown }
  if (!Array.isArray(objects)) refuse('FEED_MALFORMED', '"objects" is not an array')
  let feed: Feed
  let feedId: string
  try {
    const v = verifySigned(signedFeed, peer.keys, { now, expectedType: 'feed' })
    feed = v.payload
    feedId = v.id
  } catch (err) {
    if (isAppError(err)) refuse(err.code, `feed page: ${err.message}`, { id: idOf(signedFeed), seq: null })
    throw err
  }
  const at = { id: feedId, seq: null }
  if (feed.issuer !== peer.id) refuse('WRONG_ISSUER', `the feed page is issued by ${feed.issuer}, not ${peer.id}`, at)
  if (feed.audience !== deps.node) refuse('WRONG_AUDIENCE', `the feed page is ${feed.audience}'s, not ${deps.node}'s`, at)
  if (feed.after_seq !== state.last_seq) refuse('FEED_MISMATCH', `asked for entries after ${state.last_seq}, got a page after ${feed.after_seq}`, at)
  if (feed.head_seq < state.last_seq) {
    refuse('SEQ_ROLLBACK', `the feed's head went back to ${feed.head_seq}; ${state.last_seq} entries were already applied`, at, 'rollback', [signedFeed])
  }
  if (feed.head_seq === state.last_seq && feed.head_id !== state.last_id) {
    refuse('EQUIVOCATION', `the feed's head ${feed.head_seq} is ${feed.head_id ?? 'nothing'}, but this node holds ${state.last_id ?? 'nothing'} there`, at, 'equivocation', [signedFeed])
  }
  const entries: Entry[] = []
  let expected = state.last_seq + 1
  if (feed.entries.length === 0 && feed.head_seq > state.last_seq) refuse('SEQ_GAP', `the feed's head is ${feed.head_seq} but the page lists nothing after ${state.last_seq}`, at, 'gap', [signedFeed])
  for (const e of feed.entries) {
    if (e.seq !== expected) refuse('SEQ_GAP', `the page lists entry ${e.seq} where ${expected} was due`, { id: e.id, seq: e.seq }, 'gap', [signedFeed])
    if (e.seq > feed.head_seq) refuse('FEED_MISMATCH', `entry ${e.seq} lies beyond the feed's head ${feed.head_seq}`, { id: e.id, seq: e.seq })
    if (e.seq === feed.head_seq && e.id !== feed.head_id) refuse('FEED_MISMATCH', `entry ${e.seq} is ${e.id} but the head is ${feed.head_id ?? 'nothing'}`, { id: e.id, seq: e.seq })
    expected++
  }
  if (objects.length !== feed.entries.length) refuse('FEED_MISMATCH', `the page lists ${feed.entries.length} entries but carries ${objects.length} objects`, at)
  let prev = state.last_id
  for (const [i, e] of feed.entries.entries()) {
    const obj: unknown = objects[i]
    const where = { id: e.id, seq: e.seq }
    // A refused object is kept with its place in the feed: what an operator sees before skipping it.
    const kept = [{ entry: { seq: e.seq, id: e.id, type: e.type }, object: keepable(obj) ? obj : null }]
    let payload: Release | Retraction
    try {
      const v = verifySigned(obj, peer.keys, { now, expectedType: e.type, ignoreExpiry: true })
      if (v.id !== e.id) refuse('ID_MISMATCH', `entry ${e.seq} is ${e.id}, but the object served is ${v.id}`, where, 'refused', kept)
      payload = v.payload as Release | Retraction
      checkPlace(payload, { peer: peer.id, self: deps.node, seq: e.seq, prev })
      if (!retractsUnderFormerAgreement(payload, deps.agreements, heldSlices)) {
        const held = checkAgreement(payload, deps.agreements, { peer: peer.id, self: deps.node, seq: e.seq, prev })
        if (payload.type === 'release') checkCells(payload, held)
      }
      // A retraction in this page withdraws its slices for the objects after it.
      if (payload.type === 'retraction') for (const y of payload.dataset.years) heldSlices.delete(`${payload.dataset.indicator}|${y}`)
      else for (const y of payload.dataset.years) heldSlices.set(`${payload.dataset.indicator}|${y}`, payload.agreement.hash)
    } catch (err) {
      if (err instanceof Refusal) return { feed, entries, stop: err }
      if (isAppError(err)) {
        const fork = err.code === 'EQUIVOCATION'
        return { feed, entries, stop: new Refusal(new AppError(err.code, `entry ${e.seq}: ${err.message}`), where, fork ? 'equivocation' : 'refused', fork ? [obj] : kept) }
      }
      throw err
    }
    entries.push({ seq: e.seq, id: e.id, type: e.type, payload, signed: obj as FlattenedJws })
    prev = e.id
  }
  return { feed, entries }
}

/**
 * Digest of a slice's cells. The cells come from a payload already proved canonical (members
 * in canonical order, integers only), so JSON.stringify gives its canonical form.
 */
function cellsDigest (cells: Release['cells']): string {
  return createHash('sha256').update(JSON.stringify(cells)).digest('base64url')
}

type Outcome = 'applied' | 'unchanged' | 'superseded' | 'retracted' | 'held'

/**
 * Applies one verified object in one transaction. Under the lock of the peer's sync state it
 * re-checks the object's place, so two pulls at once apply each object once: the second finds
 * it held ('held').
 */
async function applyEntry (deps: SyncDeps, peer: Peer, entry: Entry, supersededLater: boolean): Promise<Outcome> {
  const at = new Date(deps.clock.now())
  return await deps.db.transaction().execute(async trx => {
    const state = (await sql<State>`select last_seq, last_id from sync_state where peer = ${peer.id} for update`.execute(trx)).rows[0]!
    if (state.last_seq >= entry.seq) {
      const held = await trx.selectFrom('incoming').select('id').where('publisher', '=', peer.id).where('feed_seq', '=', entry.seq).executeTakeFirst()
      if (held?.id === entry.id) return 'held'
      refuse('EQUIVOCATION', `entry ${entry.seq} is ${entry.id}, but this node holds ${held?.id ?? 'another object'} there`, { id: entry.id, seq: entry.seq }, 'equivocation', [entry.signed])
    }
    if (state.last_seq !== entry.seq - 1 || state.last_id !== entry.payload.prev) {
      refuse('SEQ_GAP', `entry ${entry.seq} does not follow the last applied entry ${state.last_seq}`, { id: entry.id, seq: entry.seq })
    }
    const p = entry.payload
    await trx.insertInto('incoming').values({
      id: entry.id,
      publisher: peer.id,
      feed_seq: entry.seq,
      type: entry.type,
      indicator: p.dataset.indicator,
      agreement_hash: p.agreement.hash,
      issued_at: new Date(p.issued_at * 1000),
      expires_at: new Date(p.expires_at * 1000),
      received_at: at,
      signed: JSON.stringify(entry.signed),
    }).execute()
    let outcome: Outcome = p.type === 'retraction' ? 'retracted' : 'unchanged'
    for (const year of p.dataset.years) {
      const current = await trx.selectFrom('received_slice').select(['object_id', 'cells_of', 'cells_digest'])
        .where('publisher', '=', peer.id).where('indicator', '=', p.dataset.indicator).where('year', '=', year).where('replaced_at', 'is', null)
        .executeTakeFirst()
      let cellsOf: string | null = null
      let digest: string | null = null
      if (p.type === 'release') {
        const cells = p.cells.filter(c => c.key.TIME_PERIOD === String(year))
        digest = cellsDigest(cells)
        if (current?.cells_digest === digest && current.cells_of !== null) {
          cellsOf = current.cells_of
        } else {
          cellsOf = entry.id
          outcome = 'applied'
          await insertCells(trx, entry.id, year, cells)
        }
      }
      if (current !== undefined) {
        await trx.updateTable('received_slice').set({ replaced_at: at })
          .where('object_id', '=', current.object_id).where('year', '=', year).execute()
      }
      await trx.insertInto('received_slice').values({
        publisher: peer.id,
        indicator: p.dataset.indicator,
        year,
        object_id: entry.id,
        cells_of: cellsOf,
        cells_digest: digest,
        agreement_hash: p.agreement.hash,
        expires_at: new Date(p.expires_at * 1000),
        applied_at: at,
        replaced_at: null,
        population_version: p.type === 'release' ? p.version ?? null : null,
      }).execute()
    }
    await trx.updateTable('sync_state').set({ last_seq: entry.seq, last_id: entry.id }).where('peer', '=', peer.id).execute()
    if (outcome === 'applied' && supersededLater) outcome = 'superseded'
    await appendAudit(trx, {
      at,
      event: 'pull_applied',
      actor: peer.id,
      detail: { id: entry.id, seq: entry.seq, type: entry.type, indicator: p.dataset.indicator, years: p.dataset.years, agreement_hash: p.agreement.hash, outcome },
    })
    return outcome
  })
}

async function insertCells (trx: Transaction<Database>, releaseId: string, year: number, cells: Release['cells']): Promise<void> {
  if (cells.length === 0) return
  const keys: string[] = []
  const dims: string[] = []
  const values: Array<number | null> = []
  const obs: string[] = []
  const conf: string[] = []
  for (const c of cells) {
    const d = Object.fromEntries(Object.entries(c.key).filter(([k]) => k !== 'TIME_PERIOD').sort(([a], [b]) => a.localeCompare(b)))
    keys.push(Object.values(d).join('|'))
    dims.push(JSON.stringify(d))
    values.push(c.value ?? null)
    obs.push(c.obs_status)
    conf.push(c.conf_status)
  }
  // One statement per release-year: the arrays travel as parameters, whatever the cell count.
  await trx.insertInto('received_cell').columns(['release_id', 'year', 'cell_key', 'dims', 'value', 'obs_status', 'conf_status'])
    .expression(sql`select ${releaseId}, ${year}::integer, * from unnest(${keys}::text[], ${dims}::jsonb[], ${values}::integer[], ${obs}::text[], ${conf}::text[])`)
    .execute()
}

/** Records a refusal: evidence when it proves misbehaviour, and an audit entry either way. */
async function recordRefusal (deps: SyncDeps, peer: string, r: Refusal): Promise<number | undefined> {
  const at = new Date(deps.clock.now())
  return await deps.db.transaction().execute(async trx => {
    let evidenceId: number | undefined
    let again = false
    if (r.evidenceKind === 'refused') {
      // Pulled again, the same object is refused again: the evidence already kept stands.
      const kept = canonicalJson(r.objects)
      const rows = await trx.selectFrom('evidence').select(['id', 'objects']).where('peer', '=', peer).where('kind', '=', 'refused')
        .where('feed_seq', '=', r.object.seq ?? -1).execute()
      const held = rows.find(row => canonicalJson(typeof row.objects === 'string' ? JSON.parse(row.objects) as unknown : row.objects) === kept)
      if (held !== undefined) {
        evidenceId = Number(held.id)
        again = true
      } else if (rows.length >= MAX_REFUSED_KEPT) {
        // A peer serving ever other objects at one place does not grow the evidence without end.
        again = true
      }
    }
    if (r.evidenceKind !== undefined && !again) {
      const row = await trx.insertInto('evidence').values({
        peer,
        kind: r.evidenceKind,
        feed_seq: r.object.seq !== null && r.object.seq <= MAX_STORED_SEQ ? r.object.seq : null,
        detail: `${r.code}: ${r.message}`,
        objects: JSON.stringify(r.objects),
        recorded_at: at,
      }).returning('id').executeTakeFirstOrThrow()
      evidenceId = Number(row.id)
    }
    await appendAudit(trx, {
      at,
      event: r.evidenceKind === undefined || again ? 'refusal' : 'evidence',
      actor: peer,
      detail: { direction: 'pull', code: r.code, message: storable(r.message.slice(0, 1000)), id: r.object.id, seq: r.object.seq, ...(evidenceId === undefined ? {} : { evidence: evidenceId }) },
    })
    return again ? undefined : evidenceId
  })
}

/** Backoff after `failures` consecutive failed pulls: doubling from the interval, at most 1 hour. */
export function backoffMs (intervalMs: number, failures: number): number {
  return Math.min(intervalMs * 2 ** Math.min(failures, 16), 3_600_000)
}

/**
 * Pulls once from peer `peerId`. Never throws for what the peer sends: every refusal is in
 * the report (and in the sync state, for health output). Throws PEER_UNKNOWN for a peer that
 * is not set up.
 */
export async function syncPeer (deps: SyncDeps, peerId: string, options: { intervalMs?: number } = {}): Promise<SyncReport> {
  const peer = await findPeer(deps.db, peerId)
  if (peer === undefined) throw new AppError('PEER_UNKNOWN', `${peerId} is not a peer of this node; add it with dcimx peer add`)
  await sql`insert into sync_state (peer) values (${peer.id}) on conflict (peer) do nothing`.execute(deps.db)
  const start = (await deps.db.selectFrom('sync_state').select(['last_seq', 'last_id', 'failures']).where('peer', '=', peer.id).executeTakeFirstOrThrow())
  const report: SyncReport = { peer: peer.id, ok: true, fromSeq: Number(start.last_seq), toSeq: Number(start.last_seq), headSeq: 0, requests: 0, applied: 0, unchanged: 0, superseded: 0, retracted: 0, rejected: {}, evidence: [] }
  let feedExpires: Date | undefined
  // One deadline for the whole pull, every page included (monotonic: the injected clock may stand still).
  const deadline = performance.now() + (deps.timeoutMs ?? REQUEST_TIMEOUT_MS)
  try {
    for (let page = 0; page < MAX_PAGES; page++) {
      const state = await deps.db.selectFrom('sync_state').select(['last_seq', 'last_id']).where('peer', '=', peer.id).executeTakeFirstOrThrow()
      const current = { last_seq: Number(state.last_seq), last_id: state.last_id }
      report.requests++
      // The slices held from the peer now, with the agreement each came under.
      const heldSlices = new Map((await deps.db.selectFrom('received_slice').select(['indicator', 'year', 'agreement_hash'])
        .where('publisher', '=', peer.id).where('replaced_at', 'is', null).where('cells_of', 'is not', null).execute())
        .map(r => [`${r.indicator}|${r.year}`, r.agreement_hash]))
      const body = await fetchPage(deps, peer, current.last_seq, heldSlices, deadline)
      const { feed, entries, stop } = verifyPage(deps, peer, current, body, heldSlices)
      report.headSeq = feed.head_seq
      feedExpires = new Date(feed.expires_at * 1000)
      // A release whose every year a later object of this page covers again is superseded.
      const laterSlices = new Set<string>()
      const superseded = new Array<boolean>(entries.length).fill(false)
      for (let i = entries.length - 1; i >= 0; i--) {
        const p = entries[i]!.payload
        const slices = p.dataset.years.map(y => `${p.dataset.indicator}|${y}`)
        superseded[i] = slices.every(s => laterSlices.has(s))
        for (const s of slices) laterSlices.add(s)
      }
      for (const [i, entry] of entries.entries()) {
        const outcome = await applyEntry(deps, peer, entry, superseded[i]!)
        if (outcome !== 'held') report[outcome]++
        report.toSeq = entry.seq
      }
      if (stop !== undefined) throw stop
      if (entries.length === 0 || entries.at(-1)!.seq >= feed.head_seq) break
    }
    await deps.db.updateTable('sync_state').set({
      head_seq: report.headSeq,
      feed_expires_at: feedExpires ?? null,
      last_attempt_at: new Date(deps.clock.now()),
      last_success_at: new Date(deps.clock.now()),
      failures: 0,
      last_error_code: null,
      last_error: null,
      next_attempt_at: new Date(deps.clock.now() + (options.intervalMs ?? 0)),
    }).where('peer', '=', peer.id).execute()
  } catch (err) {
    const r = err instanceof Refusal ? err : isAppError(err) ? new Refusal(err, { id: null, seq: null }) : undefined
    if (r === undefined) throw err
    report.ok = false
    ;(report.rejected[r.code] ??= []).push({ ...r.object, message: r.message })
    const evidence = await recordRefusal(deps, peer.id, r)
    if (evidence !== undefined) report.evidence.push(evidence)
    const failures = Number(start.failures) + 1
    await deps.db.updateTable('sync_state').set({
      last_attempt_at: new Date(deps.clock.now()),
      failures,
      last_error_code: r.code,
      last_error: r.message.slice(0, 2000),
      next_attempt_at: new Date(deps.clock.now() + backoffMs(options.intervalMs ?? 0, failures)),
      ...(report.headSeq > 0 ? { head_seq: Math.min(report.headSeq, MAX_STORED_SEQ) } : {}),
    }).where('peer', '=', peer.id).execute()
  }
  return report
}

/** Pulls from every peer (or the one named), one after the other. */
export async function syncAll (deps: SyncDeps, options: { peer?: string, intervalMs?: number } = {}): Promise<SyncReport[]> {
  const peers = options.peer === undefined ? (await listPeers(deps.db)).filter(p => p.kind === 'country').map(p => p.id) : [options.peer]
  const reports: SyncReport[] = []
  for (const id of peers) reports.push(await syncPeer(deps, id, options))
  return reports
}

/** One line per pull, for the CLI and logs. */
export function describeSync (r: SyncReport): string {
  const counts = `${r.applied} applied, ${r.unchanged} unchanged, ${r.superseded} superseded, ${r.retracted} retracted`
  const rejected = Object.entries(r.rejected).map(([code, list]) => `${code} ${list.map(x => `${x.seq === null ? '' : `#${x.seq} `}${x.message}`).join('; ')}`)
  return `${r.peer}: ${r.ok ? 'ok' : 'refused'}, feed ${r.fromSeq} -> ${r.toSeq} of ${r.headSeq}, ${counts}${rejected.length === 0 ? '' : `; rejected ${rejected.join(' | ')}`} (${r.requests} request${r.requests === 1 ? '' : 's'})`
}
