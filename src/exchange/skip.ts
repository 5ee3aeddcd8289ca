/**
 * Moving past an object a recipient refused. A feed is applied in order, so one object that
 * fails the checks (sync.ts) stops everything after it; it is kept as evidence (kind
 * `refused`) and shown in status. An operator who has seen it may skip it, naming its place
 * and id: the feed then resumes after it, the object is never applied, and the skip is in the
 * audit log. Forks, rollbacks and gaps are not objects one can skip: they need the peer's
 * operator.
 */
import { sql, type Kysely } from 'kysely'
import { appendAudit } from '../audit/log.js'
import type { Clock } from '../clock.js'
import type { Database } from '../db/types.js'
import { AppError } from '../errors.js'

export interface SkipRequest {
  peer: string
  /** The refused entry's feed_seq. */
  seq: number
  /** Its content id, as status shows it: the operator names what they saw. */
  id: string
  /** Who decided (a user name, or the shell's), for the audit log. */
  by: string
  /** Why, in the operator's words (optional). */
  reason?: string
}

export interface SkipResult {
  peer: string
  seq: number
  id: string
  evidence: number
  /** The code the object was refused with. */
  code: string
}

interface KeptObject { entry: { seq: number, id: string, type: string } }

/**
 * Skips the refused entry `seq` of `peer`'s feed in one transaction: the feed position moves
 * past it, its evidence is marked skipped (and kept), and the audit log records it. Refuses
 * (USAGE, nothing changed) when that entry is not the one the feed is stopped at, was not
 * refused, or has another id; PEER_UNKNOWN for a peer that is not set up.
 */
export async function skipRefused (db: Kysely<Database>, clock: Clock, req: SkipRequest): Promise<SkipResult> {
  const at = new Date(clock.now())
  return await db.transaction().execute(async trx => {
    const peer = await trx.selectFrom('peer').select('id').where('id', '=', req.peer).executeTakeFirst()
    if (peer === undefined) throw new AppError('PEER_UNKNOWN', `${req.peer} is not a peer of this node`)
    const state = (await sql<{ last_seq: number, last_id: string | null }>`select last_seq, last_id from sync_state where peer = ${req.peer} for update`.execute(trx)).rows[0]
    const next = Number(state?.last_seq ?? 0) + 1
    const refused = await trx.selectFrom('evidence').select(['id', 'detail', 'objects']).where('peer', '=', req.peer).where('kind', '=', 'refused')
      .where('feed_seq', '=', req.seq).orderBy('id', 'desc').executeTakeFirst()
    if (refused === undefined) {
      throw new AppError('USAGE', `nothing refused at feed_seq ${req.seq} of ${req.peer}'s feed to skip${next === req.seq ? '' : ` (the feed is applied up to ${next - 1})`}; see dcimx status`)
    }
    if (req.seq !== next) throw new AppError('USAGE', `${req.peer}'s feed is applied up to ${next - 1}: only entry ${next} can be skipped, not ${req.seq}`)
    const objects = (typeof refused.objects === 'string' ? JSON.parse(refused.objects) : refused.objects) as KeptObject[]
    const id = objects[0]?.entry.id
    if (id !== req.id) throw new AppError('USAGE', `entry ${req.seq} of ${req.peer}'s feed is ${id ?? 'unknown'}, not ${req.id}: look at it again (dcimx status) before skipping`)
    const code = refused.detail.split(':')[0]!
    await trx.updateTable('sync_state').set({ last_seq: req.seq, last_id: id, last_error_code: null, last_error: null, failures: 0, next_attempt_at: at })
      .where('peer', '=', req.peer).execute()
    await trx.updateTable('evidence').set({ kind: 'skipped', acknowledged_at: at })
      .where('peer', '=', req.peer).where('kind', '=', 'refused').where('feed_seq', '=', req.seq).execute()
    await appendAudit(trx, {
      at,
      event: 'pull_skipped',
      actor: req.peer,
      detail: { seq: req.seq, id, evidence: Number(refused.id), code, by: req.by, ...(req.reason === undefined ? {} : { reason: req.reason }) },
    })
    return { peer: req.peer, seq: req.seq, id, evidence: Number(refused.id), code }
  })
}
