/** How the CLI tells an operator about a revision held back. */
import { indicatorsOfPopulation } from '../stats/populations.js'
import type { HeldRevision } from '../stats/protect-grants.js'

/** One line on a revision held back (the same in publish, import and policy preview). */
export function heldLine (h: HeldRevision): string {
  return `${h.year} ${h.population} (${indicatorsOfPopulation(h.population).join(' ')}): revision held back; the records changed since its release on ${h.releasedAt.toISOString().slice(0, 10)}` +
    ` (${h.added} person(s) added, ${h.withdrawn} withdrawn) and peers keep the released figures (docs/disclosure.md, "Revisions")`
}
