/**
 * Code groupings in grants: a grant may break an indicator down by a dimension only at a
 * coarser level than its codelist, by naming groups of codes:
 *
 * ```yaml
 * - indicator: V2
 *   by: [EXPLOIT, SEX]
 *   groups:
 *     EXPLOIT:
 *       SEXUAL: [SEX]
 *       LABOUR: [LAB, DOM, BEG]
 *       OTHER: rest            # every code no other group names
 * ```
 *
 * The peer receives the group names as the codes of that dimension. Groups are a partition:
 * no code in two groups, and every code covered (by a list, or by the one `rest` group).
 *
 * Inside the node a group has a canonical code that depends only on its members, never on its
 * name, so that the same set of codes is one cell for every peer and across agreements (one
 * suppression pattern over the union of all grants, and the ledger's sticky suppressions),
 * and different sets are different cells:
 *   - one code: the code itself (the group is that cell of the detailed table);
 *   - several: `{A+B+C}`, the codes sorted;
 *   - `rest` of a codelist: its codes written out, as above;
 *   - `rest` of AREA (hundreds of codes, not all known to every node's version): `!{A+B}`,
 *     every code except those the other groups name.
 * A group never holds every code (that is the total, `_T`) nor none (lint refuses both).
 * The ledger stores these canonical codes.
 */
import { CODELISTS, TOTAL_CODE } from '../protocol/codelists.js'
import { dimensionCodelist, findIndicator } from '../protocol/indicators.js'

/** A group as written: its codes, or `rest`. */
export type GroupMembers = string[] | 'rest'
/** A grant's groupings as written: dimension → group name → members. */
export type GroupsSpec = Record<string, Record<string, GroupMembers>>

export interface ResolvedGroup {
  /** The name the agreement gives it: the code the peer receives. */
  name: string
  /** The canonical code inside the node (see the module comment). */
  code: string
}

/**
 * The canonical code of a group of `members`. For `rest`, `named` are the codes of the other
 * groups, and `all` the codelist's codes (undefined for AREA).
 */
export function canonicalGroupCode (members: GroupMembers, named: readonly string[], all?: readonly string[]): string {
  if (members === 'rest' && all === undefined) return `!{${[...new Set(named)].sort().join('+')}}`
  const list = members === 'rest' ? all!.filter(c => !named.includes(c)) : members
  const sorted = [...new Set(list)].sort()
  return sorted.length === 1 ? sorted[0]! : `{${sorted.join('+')}}`
}

/** The codes of `dim`'s codelist, or undefined for AREA (or an unknown dimension). */
export function codesOf (dim: string): readonly string[] | undefined {
  const list = dimensionCodelist(dim)
  return CODELISTS.find(c => c.id === list)?.codes.map(c => c.code)
}

/** The groups of one dimension, with their canonical codes, in the order written. */
export function resolveGroups (dim: string, groups: Record<string, GroupMembers>): ResolvedGroup[] {
  const named = Object.values(groups).flatMap(m => m === 'rest' ? [] : m)
  const all = codesOf(dim)
  return Object.entries(groups).map(([name, members]) => ({ name, code: canonicalGroupCode(members, named, all) }))
}

/** Whether a detailed `code` falls in the cell of canonical code `cellCode` (`_T`: every code). */
export function codeMatches (cellCode: string, code: string): boolean {
  if (cellCode === TOTAL_CODE || cellCode === code) return true
  if (cellCode.startsWith('{')) return cellCode.slice(1, -1).split('+').includes(code)
  if (cellCode.startsWith('!{')) return !cellCode.slice(2, -1).split('+').includes(code)
  return false
}

/** Whether a canonical code stands for a group of several codes (not one code, not `_T`). */
export function isGroupCode (code: string): boolean {
  return code.startsWith('{') || code.startsWith('!{')
}

/**
 * For each dimension of `indicator` in order: the canonical codes → names of the grant's
 * groups, or undefined for a dimension given in detail.
 */
export function groupNamesByDimension (indicator: string, groups: GroupsSpec | undefined): Array<Map<string, string> | undefined> {
  return findIndicator(indicator)!.dimensions.map(d => {
    const g = groups?.[d.id]
    return g === undefined ? undefined : new Map(resolveGroups(d.id, g).map(r => [r.code, r.name]))
  })
}
