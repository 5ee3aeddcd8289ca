/**
 * Publishing: for every peer, the releases its agreements grant, protected, signed and put in
 * that peer's feed in sequence, in one transaction with the disclosure ledger. A release that
 * would change nothing is not issued; a table that is no longer granted, or whose records
 * were all withdrawn, is retracted explicitly.
 */
import { createHash } from 'node:crypto'
import { sql, type Kysely } from 'kysely'
import { appendAudit } from '../audit/log.js'
import { epochSeconds, type Clock } from '../clock.js'
import type { Database } from '../db/types.js'
import { canonicalJson } from '../protocol/canonical-json.js'
import { signMessage } from '../protocol/jws.js'
import type { SigningKey } from '../protocol/keys.js'
import { PROTOCOL, type Release, type Retraction } from '../protocol/messages.js'
import { peersAccepting } from './peers.js'
import { activeGrants } from '../policy/grants.js'
import { recordAgreementVersions, recordSent } from '../policy/ledger.js'
import type { LoadedAgreement } from '../policy/load.js'
import { protectGrants, recordReleasedPopulation, type HeldRevision, type PeerTable, type ProtectionSummary, type RevisionOut } from '../stats/protect-grants.js'

/** How long a release is valid; it is re-signed before then. */
export const RELEASE_LIFETIME = 7 * 86400
/** A live release with less than this left is re-signed (re-issued with the same cells). */
export const REFRESH_BEFORE = RELEASE_LIFETIME / 2

export interface PublishDeps {
  db: Kysely<Database>
  clock: Clock
  /** This node's id (the provider). */
  node: string
  signingKey: SigningKey
  agreements: LoadedAgreement[]
  /** MM-DD of the following year from which a year is released (config `exchange.year_closes_on`; default 01-01). */
  yearClosesOn?: string
}

export interface Issued {
  recipient: string
  seq: number
  type: 'release' | 'retraction'
  indicator: string
  year: number
  id: string
  supersedes: string | null
  reason?: Retraction['reason']
  /** A release re-issued with the same cells because the one it supersedes is about to expire. */
  refreshed?: boolean
}

export interface PublishReport {
  issued: Issued[]
  unchanged: number
  /** Tables that could not be protected: not sent to anyone. */
  refused: ProtectionSummary[]
  /** Released population-years whose records changed since their last release and whose change cannot go out yet. */
  held: HeldRevision[]
  /** Revisions of released population-years sent in this publish. */
  revisions: RevisionOut[]
}

interface Head {
  id: string
  recipient: string
  indicator: string
  year: number
  type: 'release' | 'retraction'
  cells_digest: string | null
  agreement_hash: string
  expires_at: Date
}

function cellsDigest (table: PeerTable, sendsVersion: boolean): string {
  // The agreement hash is part of it: a table sent under a new agreement version is re-issued.
  // So is the version of its population-year: every table of a revision is sent again (and
  // written to the ledger under that version), also where its cells did not change. A table
  // first sent to a recipient before it accepted `release.version` is sent again with it.
  const content = {
    agreement: table.hash,
    cells: table.cells,
    ...(table.version === 0 ? {} : { version: table.version }),
    ...(sendsVersion ? { sent_version: table.version } : {}),
  }
  return createHash('sha256').update(canonicalJson(content)).digest('base64url')
}

/**
 * Key of the transaction-scoped advisory lock that serialises publishing: the bytes of
 * "dcimxpub" read as a big-endian int64.
 */
export const PUBLISH_LOCK_KEY = String(Buffer.from('dcimxpub').readBigInt64BE())

/**
 * Builds, signs and records every release and retraction due now. Returns what was issued.
 * Everything happens in one transaction: a crash leaves the feeds as they were.
 */
export async function publish (deps: PublishDeps): Promise<PublishReport> {
  const nowMs = deps.clock.now()
  const now = epochSeconds(deps.clock)
  const grants = activeGrants(deps.agreements, deps.node, nowMs, deps.yearClosesOn)
  return await deps.db.transaction().execute(async trx => {
    // One publish at a time (an import's publish beside the serving node's schedule, or two
    // processes on one PostgreSQL database): the second waits, then reads the feeds and the
    // ledger the first left. Held to the end of the transaction.
    await sql`select pg_advisory_xact_lock(${sql.raw(PUBLISH_LOCK_KEY)})`.execute(trx)
    // Protection first: it takes the longest and appends nothing to the audit log, whose lock
    // (taken by the first append) is then held only for the short writes below.
    const { tables, summary, held, revisions, snapshots } = await protectGrants(trx, grants)
    await recordAgreementVersions(trx, deps.agreements, new Date(nowMs))
    // Every object names the agreement of the hash it is sent under, from the record of every
    // version the node has acted on: a retraction under an agreement whose file has since been
    // removed still names it (the recipient holds it by that id and hash).
    const agreementIds = new Map((await trx.selectFrom('agreement_version').select(['hash', 'agreement']).execute()).map(r => [r.hash, r.agreement]))
    const agreementId = (hash: string): string => {
      const id = agreementIds.get(hash)
      if (id === undefined) throw new Error(`no agreement version with hash ${hash} is recorded; the ledger is inconsistent`)
      return id
    }
    // From now on these population-years are cut from what they hold today (see protect-grants.ts).
    for (const snapshot of snapshots) await recordReleasedPopulation(trx, snapshot, new Date(nowMs))
    const heads = (await sql<Head>`
      select distinct on (recipient, indicator, year) id, recipient, indicator, year, type, cells_digest, agreement_hash, expires_at
      from outgoing order by recipient, indicator, year, feed_seq desc`.execute(trx)).rows
    const headOf = new Map(heads.map(h => [`${h.recipient}|${h.indicator}|${h.year}`, h]))
    const feeds = new Map((await sql<{ recipient: string, seq: number, id: string }>`
      select distinct on (recipient) recipient, feed_seq as seq, id from outgoing order by recipient, feed_seq desc`.execute(trx)).rows.map(r => [r.recipient, { seq: Number(r.seq), id: r.id }]))
    // The recipients whose descriptor accepts a release's `version` (protocol section 1): the
    // others get releases without it, as before.
    const versioned = await peersAccepting(trx, 'release.version')
    const report: PublishReport = { issued: [], unchanged: 0, refused: summary.filter(s => !s.ok), held, revisions }
    const refusedSlices = new Set(report.refused.map(s => `${s.indicator}|${s.year}`))

    const append = async (recipient: string, type: 'release' | 'retraction', build: (seq: number, prev: string | null) => Release | Retraction, row: { indicator: string, year: number, agreementHash: string, digest: string | null, supersedes: string | null }): Promise<string> => {
      const last = feeds.get(recipient)
      const seq = (last?.seq ?? 0) + 1
      const payload = build(seq, last?.id ?? null)
      const signed = type === 'release' ? signMessage('release', payload as Release, deps.signingKey) : signMessage('retraction', payload as Retraction, deps.signingKey)
      await trx.insertInto('outgoing').values({
        id: signed.id,
        recipient,
        feed_seq: seq,
        type,
        indicator: row.indicator,
        year: row.year,
        agreement_hash: row.agreementHash,
        cells_digest: row.digest,
        supersedes: row.supersedes,
        issued_at: new Date(now * 1000),
        expires_at: new Date((now + RELEASE_LIFETIME) * 1000),
        signed: JSON.stringify(signed.jws),
      }).execute()
      feeds.set(recipient, { seq, id: signed.id })
      await appendAudit(trx, { at: new Date(nowMs), event: 'publish', actor: recipient, detail: { id: signed.id, seq, type, indicator: row.indicator, year: row.year, agreement_hash: row.agreementHash, supersedes: row.supersedes } })
      return signed.id
    }
    const envelope = (recipient: string, seq: number, prev: string | null, hash: string) => ({
      protocol: PROTOCOL as typeof PROTOCOL, issuer: deps.node, issued_at: now, expires_at: now + RELEASE_LIFETIME, audience: recipient, feed_seq: seq, prev, agreement: { id: agreementId(hash), hash },
    })
    const retract = async (head: Head, reason: Retraction['reason']): Promise<void> => {
      const id = await append(head.recipient, 'retraction', (seq, prev) => ({
        ...envelope(head.recipient, seq, prev, head.agreement_hash), type: 'retraction', dataset: { indicator: head.indicator as Release['dataset']['indicator'], years: [head.year] }, retracts: head.id, reason,
      }), { indicator: head.indicator, year: head.year, agreementHash: head.agreement_hash, digest: null, supersedes: head.id })
      report.issued.push({ recipient: head.recipient, seq: feeds.get(head.recipient)!.seq, type: 'retraction', indicator: head.indicator, year: head.year, id, supersedes: head.id, reason })
    }

    const seen = new Set<string>()
    for (const table of [...tables].sort((a, b) => a.recipient.localeCompare(b.recipient) || a.indicator.localeCompare(b.indicator) || a.year - b.year)) {
      const slice = `${table.recipient}|${table.indicator}|${table.year}`
      seen.add(slice)
      const head = headOf.get(slice)
      const live = head?.type === 'release' ? head : undefined
      if (table.cells.length === 0) {
        if (live !== undefined) await retract(live, 'records_withdrawn')
        continue
      }
      const sendsVersion = versioned.has(table.recipient)
      const digest = cellsDigest(table, sendsVersion)
      const refresh = live?.cells_digest === digest
      if (refresh && new Date(live.expires_at).getTime() - nowMs > REFRESH_BEFORE * 1000) {
        report.unchanged++
        continue
      }
      const id = await append(table.recipient, 'release', (seq, prev) => ({
        ...envelope(table.recipient, seq, prev, table.hash), type: 'release', dataset: { indicator: table.indicator as Release['dataset']['indicator'], years: [table.year] }, supersedes: live?.id ?? null, ...(sendsVersion ? { version: table.version } : {}), cells: table.cells,
      }), { indicator: table.indicator, year: table.year, agreementHash: table.hash, digest, supersedes: live?.id ?? null })
      await recordSent(trx, id, table, new Date(nowMs))
      report.issued.push({ recipient: table.recipient, seq: feeds.get(table.recipient)!.seq, type: 'release', indicator: table.indicator, year: table.year, id, supersedes: live?.id ?? null, ...(refresh ? { refreshed: true } : {}) })
    }
    // Tables released before that no grant covers any more are retracted; a table that could
    // not be protected this time keeps its last release (it is refused, not withdrawn).
    const granted = new Set(grants.map(g => g.recipient))
    for (const head of heads) {
      const slice = `${head.recipient}|${head.indicator}|${head.year}`
      if (head.type !== 'release' || seen.has(slice) || refusedSlices.has(`${head.indicator}|${head.year}`)) continue
      await retract(head, granted.has(head.recipient) ? 'grant_changed' : 'agreement_ended')
    }
    return report
  })
}
