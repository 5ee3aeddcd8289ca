/** One-line human descriptions of verified objects, for the CLI and logs. */
import { isoSeconds as iso } from '../clock.js'
import type { Verified } from './verify.js'

/** What a verified object is and who signed it, in one line. */
export function describeVerified (v: Verified): string {
  const p = v.payload
  let what: string
  switch (v.type) {
    case 'node-descriptor': {
      const d = p as Verified<'node-descriptor'>['payload']
      what = `node descriptor of ${d.node.id} (${d.node.name}, ${d.node.kind}) at ${d.node.url} with ${d.keys.length} key(s)`
      break
    }
    case 'release': {
      const r = p as Verified<'release'>['payload']
      what = `release #${r.feed_seq} for ${r.audience}: ${r.dataset.indicator} ${r.dataset.years.join(',')}, ${r.cells.length} cells`
      break
    }
    case 'retraction': {
      const r = p as Verified<'retraction'>['payload']
      what = `retraction #${r.feed_seq} for ${r.audience} of release ${r.retracts} (${r.reason})`
      break
    }
    case 'feed': {
      const f = p as Verified<'feed'>['payload']
      what = `feed page for ${f.audience}: ${f.entries.length} entries after #${f.after_seq}, head #${f.head_seq}`
      break
    }
  }
  return `${what}; issued by ${p.issuer} with key ${v.key.kid}; issued ${iso(p.issued_at)}, expires ${iso(p.expires_at)}; id ${v.id}`
}
