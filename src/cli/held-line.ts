/** How the CLI tells an operator about revisions: held back, or going out. */
import { indicatorsOfPopulation } from '../stats/populations.js'
import type { HeldRevision, RevisionOut } from '../stats/protect-grants.js'

/** The revisions of a publish or a preview, one line each: those sent (or that would be), then those held back. */
export function revisionLines (report: { revisions: RevisionOut[], held: HeldRevision[] }, sent: boolean): string[] {
  return [...report.revisions.map(r => revisionLine(r, sent)), ...report.held.map(heldLine)]
}

/** One line on a revision held back (the same in publish, import and policy preview). */
function heldLine (h: HeldRevision): string {
  return `${h.year} ${h.population} (${indicatorsOfPopulation(h.population).join(' ')}): revision held back; the records changed since the release of ${h.releasedAt.toISOString().slice(0, 10)}` +
    ` (${h.added} person(s) added, ${h.withdrawn} withdrawn) and peers keep the released figures: ${h.reason} (docs/disclosure.md, "Revisions")`
}

/** One line on a revision that goes out (`sent`: published now; otherwise it would be). */
function revisionLine (r: RevisionOut, sent: boolean): string {
  return `${r.year} ${r.population} (${indicatorsOfPopulation(r.population).join(' ')}): revision ${r.version} ${sent ? 'sent' : 'would be sent'}` +
    ` (${r.added} person(s) added, ${r.withdrawn} withdrawn since the version before), protected together with every earlier release`
}
