/**
 * What the node has acted under and what it has sent: every agreement version by hash, and
 * the disclosure ledger of every cell sent to every peer in every release. Protection reads
 * the ledger so that later releases keep earlier suppressions and are audited together with
 * everything sent before.
 */
import { appendAudit } from '../audit/log.js'
import type { Kysely } from 'kysely'
import type { Database } from '../db/types.js'
import { findIndicator } from '../protocol/indicators.js'
import type { LoadedAgreement } from './load.js'

/** Records the agreement versions not yet known; returns how many were new. */
export async function recordAgreementVersions (db: Kysely<Database>, agreements: LoadedAgreement[], now: Date): Promise<number> {
  if (agreements.length === 0) return 0
  const rows = agreements.map(l => ({
    hash: l.hash,
    agreement: l.agreement.agreement,
    version: l.agreement.version,
    provider: l.agreement.provider,
    recipient: l.agreement.recipient,
    body: JSON.stringify(l.agreement),
    first_seen_at: now,
  }))
  const inserted = await db.insertInto('agreement_version').values(rows).onConflict(oc => oc.column('hash').doNothing()).returning('hash').execute()
  // Every agreement version the node acts on for the first time is an audited change.
  for (const { hash } of inserted) {
    const l = agreements.find(a => a.hash === hash)!
    await appendAudit(db, { at: now, event: 'agreement_change', actor: l.agreement.provider, detail: { agreement: l.agreement.agreement, version: l.agreement.version, provider: l.agreement.provider, recipient: l.agreement.recipient, hash } })
  }
  return inserted.length
}

export interface SentTable {
  recipient: string
  hash: string
  indicator: string
  year: number
  cells: Array<{ key: Record<string, string>, value?: number, conf_status: 'F' | 'C' }>
  /** The cells' ledger keys in order, where they differ from their codes (groups of codes). */
  ledgerKeys?: string[]
  /** The version of the population-year the table was cut from (default 0, the first release). */
  version?: number
}

/** The ledger key of a cell: its codes in the indicator's dimension order. */
export function ledgerKey (indicator: string, key: Record<string, string>): string {
  return findIndicator(indicator)!.dimensions.map(d => key[d.id]).join('|')
}

/** Writes one sent table to the ledger, under the release that carried it. */
export async function recordSent (db: Kysely<Database>, releaseId: string, table: SentTable, now: Date): Promise<void> {
  if (table.cells.length === 0) return
  await db.insertInto('sent_cell').values(table.cells.map((c, i) => ({
    indicator: table.indicator,
    year: table.year,
    cell_key: table.ledgerKeys?.[i] ?? ledgerKey(table.indicator, c.key),
    recipient: table.recipient,
    release_id: releaseId,
    agreement_hash: table.hash,
    suppressed: c.conf_status === 'C',
    value: c.conf_status === 'C' ? null : c.value!,
    sent_at: now,
    population_version: table.version ?? 0,
  }))).execute()
}

export interface LedgerState {
  /** Keys ever sent suppressed, to anyone. */
  suppressed: string[]
  /** Keys ever sent with a value, with the latest value sent. */
  published: Array<{ key: string, value: number }>
}

/** What was ever sent of one indicator-year, to any peer, whatever version it was cut from. */
export async function ledgerState (db: Kysely<Database>, indicator: string, year: number): Promise<LedgerState> {
  return stateOf(await ledgerRows(db, indicator, year))
}

/**
 * What was ever sent of one indicator-year, to any peer, per version of its population-year
 * (0: the first release; 1, 2, ...: revisions that went out), versions ascending.
 */
export async function ledgerVersions (db: Kysely<Database>, indicator: string, year: number): Promise<Map<number, LedgerState>> {
  const byVersion = new Map<number, LedgerRow[]>()
  for (const r of await ledgerRows(db, indicator, year)) {
    let rows = byVersion.get(r.population_version)
    if (rows === undefined) byVersion.set(r.population_version, rows = [])
    rows.push(r)
  }
  return new Map([...byVersion].sort(([a], [b]) => a - b).map(([v, rows]) => [v, stateOf(rows)]))
}

interface LedgerRow { cell_key: string, suppressed: boolean, value: number | null, population_version: number }

async function ledgerRows (db: Kysely<Database>, indicator: string, year: number): Promise<LedgerRow[]> {
  return await db.selectFrom('sent_cell').select(['cell_key', 'suppressed', 'value', 'population_version'])
    .where('indicator', '=', indicator).where('year', '=', year)
    .orderBy('sent_at').orderBy('release_id').execute()
}

function stateOf (rows: LedgerRow[]): LedgerState {
  const suppressed = new Set<string>()
  const published = new Map<string, number>()
  for (const r of rows) {
    if (r.suppressed) suppressed.add(r.cell_key)
    else published.set(r.cell_key, r.value!)
  }
  return { suppressed: [...suppressed].sort(), published: [...published].sort(([a], [b]) => a.localeCompare(b)).map(([key, value]) => ({ key, value })) }
}
