/**
 * Per-peer exchange status, for GET /health and `dcimx status`: where each peer's feed stands,
 * whether the last pull worked, whether what we hold from it is still fresh, and any evidence
 * of misbehaviour not yet acknowledged by an operator.
 */
import { sql, type Kysely } from 'kysely'
import type { Database } from '../db/types.js'

export type PeerHealth = 'ok' | 'never_synced' | 'down' | 'refused' | 'stale' | 'misbehaving'

export interface PeerStatus {
  peer: string
  name: string
  url: string
  kind: 'country' | 'liaison'
  status: PeerHealth
  /** Why the status is not ok, in one sentence. */
  reason: string | null
  lastSeq: number
  headSeq: number
  lastSuccessAt: string | null
  lastAttemptAt: string | null
  failures: number
  lastError: { code: string, message: string } | null
  /** Table slices held from this peer whose release has expired. */
  staleSlices: number
  liveSlices: number
  /**
   * Unacknowledged evidence. `refused` is an object of the feed that failed the checks: the
   * feed is stopped at it until it is skipped (skip.ts); `objectId` names it.
   */
  alerts: Array<{ id: number, kind: string, feedSeq: number | null, objectId?: string, detail: string, recordedAt: string }>
}

/** Codes that mean the peer could not be reached, rather than that it sent something wrong. */
const UNREACHABLE = new Set(['FETCH_FAILED', 'TIMEOUT', 'HTTP_ERROR'])

export async function peerStatuses (db: Kysely<Database>, nowMs: number): Promise<PeerStatus[]> {
  const now = new Date(nowMs)
  const peers = await db.selectFrom('peer').leftJoin('sync_state', 'sync_state.peer', 'peer.id')
    .select(['peer.id', 'peer.name', 'peer.url', 'peer.kind', 'sync_state.last_seq', 'sync_state.head_seq', 'sync_state.last_success_at', 'sync_state.last_attempt_at', 'sync_state.failures', 'sync_state.last_error_code', 'sync_state.last_error'])
    .orderBy('peer.id').execute()
  const slices = new Map((await sql<{ publisher: string, live: number, stale: number }>`
    select publisher, count(*)::int as live, count(*) filter (where expires_at <= ${now})::int as stale
    from received_slice where replaced_at is null and cells_of is not null group by publisher`.execute(db)).rows.map(r => [r.publisher, r]))
  const evidence = await db.selectFrom('evidence').select(['id', 'peer', 'kind', 'feed_seq', 'detail', 'objects', 'recorded_at']).where('acknowledged_at', 'is', null).orderBy('id').execute()
  const objectId = (objects: unknown): string | undefined => {
    const list = (typeof objects === 'string' ? JSON.parse(objects) : objects) as Array<{ entry?: { id?: unknown } }>
    const id = list[0]?.entry?.id
    return typeof id === 'string' ? id : undefined
  }
  return peers.map(p => {
    const alerts = evidence.filter(e => e.peer === p.id).map(e => {
      const id = e.kind === 'refused' ? objectId(e.objects) : undefined
      return { id: Number(e.id), kind: e.kind, feedSeq: e.feed_seq, ...(id === undefined ? {} : { objectId: id }), detail: e.detail, recordedAt: new Date(e.recorded_at).toISOString() }
    })
    const s = slices.get(p.id)
    const lastError = p.last_error_code === null || p.last_error_code === undefined ? null : { code: p.last_error_code, message: p.last_error ?? '' }
    const failed = lastError !== null && (p.last_success_at === null || p.last_success_at === undefined || new Date(p.last_attempt_at!).getTime() >= new Date(p.last_success_at).getTime())
    let status: PeerHealth = 'ok'
    let reason: string | null = null
    const stopped = alerts.find(a => a.kind === 'refused' && a.feedSeq === Number(p.last_seq ?? 0) + 1)
    if (alerts.length > 0 && alerts.every(a => a.kind === 'refused') && stopped !== undefined) {
      status = 'refused'
      reason = `the feed is stopped at entry ${stopped.feedSeq!} (${stopped.objectId ?? 'unknown'}), refused: ${stopped.detail}; once checked, skip it with dcimx peer skip ${p.id} ${stopped.feedSeq!} --object ${stopped.objectId ?? '<id>'}`
    } else if (alerts.length > 0) {
      status = 'misbehaving'
      reason = `${alerts.length} unacknowledged alert(s); latest: ${alerts.at(-1)!.detail}`
    } else if (failed && UNREACHABLE.has(lastError.code)) {
      status = 'down'
      reason = `${lastError.code}: ${lastError.message}`
    } else if (failed) {
      status = 'refused'
      reason = `${lastError.code}: ${lastError.message}`
    } else if ((s?.stale ?? 0) > 0) {
      status = 'stale'
      reason = `${s!.stale} of ${s!.live} table(s) held from ${p.id} have expired: its feed has not been refreshed`
    } else if (p.last_success_at === null || p.last_success_at === undefined) {
      status = p.kind === 'liaison' ? 'ok' : 'never_synced'
      reason = p.kind === 'liaison' ? null : 'no pull has succeeded yet'
    }
    return {
      peer: p.id,
      name: p.name,
      url: p.url,
      kind: p.kind,
      status,
      reason,
      lastSeq: Number(p.last_seq ?? 0),
      headSeq: Number(p.head_seq ?? 0),
      lastSuccessAt: p.last_success_at == null ? null : new Date(p.last_success_at).toISOString(),
      lastAttemptAt: p.last_attempt_at == null ? null : new Date(p.last_attempt_at).toISOString(),
      failures: Number(p.failures ?? 0),
      lastError,
      staleSlices: s?.stale ?? 0,
      liveSlices: s?.live ?? 0,
      alerts,
    }
  })
}

/** Marks alerts as seen by an operator; returns how many were acknowledged. */
export async function acknowledgeAlerts (db: Kysely<Database>, nowMs: number, options: { peer?: string, id?: number } = {}): Promise<number> {
  let q = db.updateTable('evidence').set({ acknowledged_at: new Date(nowMs) }).where('acknowledged_at', 'is', null)
  if (options.peer !== undefined) q = q.where('peer', '=', options.peer)
  if (options.id !== undefined) q = q.where('id', '=', options.id)
  const r = await q.executeTakeFirst()
  return Number(r.numUpdatedRows)
}
