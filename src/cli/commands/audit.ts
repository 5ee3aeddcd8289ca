/** `dcimx audit verify` and `dcimx audit list`: check and show the node's hash-chained audit log. */
import { AUDIT_EVENTS, listAudit, verifyAuditLog, type AuditEvent } from '../../audit/log.js'
import { AppError, isAppError } from '../../errors.js'
import { canonicalJson } from '../../protocol/canonical-json.js'
import { line, type CliIo } from '../io.js'
import { withNode } from '../with-node.js'

/** Default and largest --limit of `audit list`. */
export const LIST_DEFAULT = 20
export const LIST_MAX = 10_000

function entriesText (n: number): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? 'entry' : 'entries'}`
}

/** ISO 8601 UTC, without milliseconds when there are none. */
function isoTime (at: Date): string {
  return at.toISOString().replace('.000Z', 'Z')
}

/** Exit status 0 when the chain is intact, 1 when broken (one line naming the first broken seq). */
export async function auditVerifyCommand (args: { home: string, json?: boolean }, io: CliIo): Promise<number> {
  return await withNode(args.home, io, async node => {
    const v = await verifyAuditLog(node.db.db)
    if (args.json === true) {
      line(io.stdout, JSON.stringify({ intact: v.broken === null, ...v }, null, 2))
    } else if (v.broken !== null) {
      line(io.stdout, `audit log broken at #${v.broken.seq}: ${v.broken.reason}`)
    } else if (v.head === null) {
      line(io.stdout, 'audit log intact: 0 entries')
    } else {
      line(io.stdout, `audit log intact: ${entriesText(v.entries)}, head #${v.head.seq} ${v.head.hash}`)
    }
    return v.broken === null ? 0 : 1
  })
}

/** Detail with its members sorted (the order it was hashed in), whatever order the database keeps. */
function detailText (detail: unknown): string {
  try {
    return canonicalJson(detail)
  } catch (err) {
    // An altered row may hold what canonical JSON refuses; show it anyway.
    if (isAppError(err)) return JSON.stringify(detail)
    throw err
  }
}

function parseCount (option: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new AppError('USAGE', `${option} must be a whole number${max === Number.MAX_SAFE_INTEGER ? '' : ` from ${min} to ${max.toLocaleString('en-US')}`}`)
  }
  return Number(value)
}

/**
 * Shows audit entries, oldest first: the newest `limit` ones, or with `after` the ones that
 * follow that seq. Entries are shown as stored; `audit verify` says whether they can be trusted.
 */
export async function auditListCommand (args: { home: string, event?: string, limit?: string, after?: string, json?: boolean }, io: CliIo): Promise<number> {
  if (args.event !== undefined && !(AUDIT_EVENTS as readonly string[]).includes(args.event)) {
    throw new AppError('USAGE', `--event ${JSON.stringify(args.event)} is not an audit event; one of ${AUDIT_EVENTS.join(', ')}`)
  }
  const limit = parseCount('--limit', args.limit, 1, LIST_MAX) ?? LIST_DEFAULT
  const after = parseCount('--after', args.after, 0, Number.MAX_SAFE_INTEGER)
  const event = args.event as AuditEvent | undefined
  return await withNode(args.home, io, async node => {
    const entries = await listAudit(node.db.db, { limit, event, after, newest: after === undefined })
    if (args.json === true) {
      line(io.stdout, JSON.stringify(entries.map(e => ({ seq: e.seq, at: e.at.toISOString(), event: e.event, actor: e.actor, detail: e.detail, prev_hash: e.prevHash, hash: e.hash })), null, 2))
    } else if (entries.length === 0) {
      line(io.stdout, `no audit entries${event === undefined ? '' : ` for ${event}`}${after === undefined ? '' : ` after #${after}`}`)
    } else {
      for (const e of entries) line(io.stdout, `#${e.seq} ${isoTime(e.at)} ${e.event} ${e.actor} ${detailText(e.detail)}`)
    }
    return 0
  })
}
