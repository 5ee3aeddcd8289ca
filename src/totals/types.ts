/**
 * Regional totals: what a query asks and what it answers. A total is computed from the latest
 * reconciled releases the node holds (or those it held at `asOf`), plus, on a country node, its
 * own tables. Every total says which countries it includes, which are missing and why, and
 * how fresh each contribution is. A suppressed contribution is never read as zero: the total
 * becomes an interval.
 */

export interface TotalsQuery {
  indicator: string
  /** Reference years, ascending. */
  years: number[]
  /** Dimensions to break the totals down by (a subset of the indicator's), in the indicator's order. */
  by: string[]
  /** Read what the node held at this instant (default: now). */
  asOf?: Date
}

export type MissingReason =
  | 'no_agreement' // no agreement with this node as recipient
  | 'not_granted' // an agreement, but it does not grant this indicator and year
  | 'breakdown_not_granted' // granted, but not broken down by every dimension asked for
  | 'no_data' // granted, but no release held for that year (none sent, or retracted)
  | 'stale' // the release held has expired: the publisher's feed has not been refreshed
  | 'own_unprotected' // this node's own figures: not protected, shown to its operators only (never in a bundle)

/** One country's part in the totals of one year. */
export interface Contribution {
  country: string
  year: number
  status: 'included' | 'missing'
  reason?: MissingReason
  /** 'own': this node's own tables (not protected, not signed); 'release': a signed release received. */
  source?: 'own' | 'release'
  /** The release in force that the figures come from (the latest received for the table; its signed payload has the dates below). */
  releaseId?: string
  /** The version of the country's population-year that release names: 0 for its first release, 1, 2, ... after revisions (absent when it names none). */
  version?: number
  /** When the release was issued, when this node applied it, and until when it is valid (ISO 8601). */
  issuedAt?: string
  appliedAt?: string
  expiresAt?: string
  /** How many cells of this country's part are suppressed. */
  suppressedCells?: number
  /**
   * How the suppressed figures shown for this country are bounded (set when some are shown):
   * `exact`, the exact interval given everything the node holds from the country for the year
   * (linked indicators included, cells not listed 0, suppressed cells at least 1); `wider`, a
   * valid but looser bound, for the reason in `intervalsNote`.
   */
  intervals?: 'exact' | 'wider'
  intervalsNote?: string
}

/** One country's figure inside a total cell. */
export interface CellPart {
  country: string
  /** Exact count, when published. */
  value?: number
  /** Suppressed by the publisher: only bounds are known. */
  suppressed?: true
  lower: number
  /** null: nothing the country published bounds it from above. */
  upper: number | null
}

export interface TotalCell {
  /** TIME_PERIOD and each `by` dimension (codes; `_T` for the margin over a dimension). */
  key: Record<string, string>
  /** The exact total when no included contribution is suppressed. */
  value?: number
  /** Bounds of the total: equal to value when exact. upper null when unbounded. */
  lower: number
  upper: number | null
  /** SDMX OBS_STATUS: A exact; E an interval (some contribution suppressed). */
  obs_status: 'A' | 'E'
  /** SDMX CONF_STATUS: F, or C when a contribution is confidential (the total is then an interval). */
  conf_status: 'F' | 'C'
  /** Countries whose figures the total includes, with each figure. */
  parts: CellPart[]
}

/** Mirror statistics (V3): A's count of B's citizens identified in A, next to B's count of its citizens identified in A. */
export interface MirrorRow {
  year: number
  /** The country where the victims were identified (the reporter of the first figure). */
  destination: string
  /** The citizenship (the reporter of the second figure). */
  origin: string
  /** As reported by the destination (its V3 cell CITIZENSHIP=origin, COUNTRY_OF_EXPLOITATION=destination). */
  byDestination: CellPart | null
  /** As reported by the origin (its V3 cell CITIZENSHIP=origin, COUNTRY_OF_EXPLOITATION=destination). */
  byOrigin: CellPart | null
  /** byDestination - byOrigin when both are exact, else null. */
  asymmetry: number | null
}

export interface RegionalResult {
  /** The node that computed the result. */
  node: string
  query: { indicator: string, years: number[], by: string[], asOf: string | null }
  /** When the result was computed (ISO 8601). */
  computedAt: string
  /** One per country of the region and year. */
  contributions: Contribution[]
  cells: TotalCell[]
  /** For V3 only: pairs of countries that both report a flow, side by side. */
  mirror: MirrorRow[]
}
