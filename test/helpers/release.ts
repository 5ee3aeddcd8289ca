// What publish does in its transaction for one round of protectGrants, without signing: the
// snapshot of every version released for the first time, and every table sent in the ledger.
import type { Kysely } from 'kysely'
import type { Database } from '../../src/db/types.js'
import { recordSent } from '../../src/policy/ledger.js'
import { recordReleasedPopulation, type ProtectedGrants } from '../../src/stats/protect-grants.js'

/** Records round `round` of `out` as sent at `at` (release ids `r<round>-<i>`). */
export async function recordRound (db: Kysely<Database>, out: ProtectedGrants, round: number, at: Date): Promise<void> {
  for (const s of out.snapshots) await recordReleasedPopulation(db, s, at)
  for (const [i, table] of out.tables.entries()) await recordSent(db, `r${round}-${i}`, table, at)
}
