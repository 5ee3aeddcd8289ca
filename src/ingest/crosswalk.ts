/**
 * Crosswalk files: per node, the national codes and the harmonised code each maps to, per
 * codelist (for every column that draws on it, in both files) and per column (for that column
 * only, over its codelist's table). Many national codes may map to one harmonised code. A
 * column with a mapping accepts only mapped national codes; a column without one accepts
 * harmonised codes as they are. YAML anchors, aliases and merge keys (`<<: *name`) may share
 * tables; top-level keys starting with `x-` are ignored (a place to define anchors). Problems
 * are reported with the file and line of the crosswalk.
 *
 * ```yaml
 * codelists:
 *   AREA: { Srbija: SRB, Njemačka: DEU, Nepoznato: UNK }   # citizenship and country_of_exploitation
 *   EXPLOIT: { isSexualExploit: SEX, isForcedLabour: LAB, isOtherExploit: OTH, isForcedMilitary: OTH }
 * victims:
 *   sex: { "Ž": F, "M": M, "N": U }
 * offenders:
 *   offence: { "388": ICCS0204 }
 * ```
 */
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml'
import { AppError } from '../errors.js'
import { readTextFile } from '../read-text-file.js'
import { isAreaCode } from '../protocol/area.js'
import { CODELISTS, inCodelist } from '../protocol/codelists.js'
import { columnsOf, mappableColumns, type RecordKind } from './formats.js'

/** A national age band: the AGE_GROUP it lies in, or UNK when it straddles 18. */
export interface AgeBand {
  group: string
  /** The band runs across the child/adult boundary (counted as UNK). */
  straddles: boolean
}

/**
 * How a person with several forms of exploitation is counted in V2 and C3: by the first code
 * of the field (the primary form, the default), as MIX, or by a declared order of precedence.
 */
export type SeveralForms = 'first' | 'MIX' | readonly string[]

export interface Crosswalk {
  readonly victims: ReadonlyMap<string, ReadonlyMap<string, string>>
  readonly offenders: ReadonlyMap<string, ReadonlyMap<string, string>>
  /** National age bands accepted in the age column, per file. */
  readonly ageBands?: Readonly<Record<RecordKind, ReadonlyMap<string, AgeBand>>>
  readonly severalForms?: SeveralForms
}

export const EMPTY_CROSSWALK: Crosswalk = { victims: new Map(), offenders: new Map() }

/** The oldest age accepted, in years. */
export const MAX_AGE = 120

/** The AGE_GROUP of ages `from` to `to` (whole years): UNK when the range straddles 18. */
export function ageBandGroup (from: number, to: number): AgeBand {
  if (to < 18) return { group: 'Y_LT18', straddles: false }
  if (from >= 18) return { group: 'Y_GE18', straddles: false }
  return { group: 'UNK', straddles: true }
}

/** Whether `code` is a harmonised code of `codelist`. */
export function isHarmonisedCode (codelist: string, code: string): boolean {
  return codelist === 'AREA' ? isAreaCode(code) : inCodelist(codelist, code)
}

/** The codelists a crosswalk may map: those of the coded columns of both files. */
export function mappableCodelists (): string[] {
  const kinds: RecordKind[] = ['victims', 'offenders']
  return [...new Set(kinds.flatMap(k => columnsOf(k).filter(c => c.codelist !== undefined).map(c => c.codelist!)))]
}

/** Parses crosswalk YAML text; `file` names it in errors. Throws CONFIG_INVALID listing every problem. */
export function parseCrosswalk (text: string, file: string): Crosswalk {
  const lineCounter = new LineCounter()
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, merge: true })
  const problems: string[] = []
  const problem = (p: string): void => { if (!problems.includes(p)) problems.push(p) }
  const at = (node: Node | null | undefined): string => `${file}:${node?.range == null ? 1 : lineCounter.linePos(node.range[0]).line}`
  for (const e of doc.errors) problem(`${file}:${e.linePos?.[0].line ?? 1}: ${e.message.split('\n')[0]}`)
  const byCodelist = new Map<string, Map<string, string>>()
  const byColumn: Record<RecordKind, Map<string, Map<string, string>>> = { victims: new Map(), offenders: new Map() }
  const ageBands: Record<RecordKind, Map<string, AgeBand>> = { victims: new Map(), offenders: new Map() }
  let severalForms: SeveralForms = 'first'
  if (problems.length === 0 && doc.contents !== null) {
    const top = resolved(doc, doc.contents)
    if (!isMap(top)) problem(`${at(top)}: a crosswalk maps "codelists", "victims" and/or "offenders" to code tables`)
    else {
      for (const pair of top.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : ''
        const value = resolved(doc, pair.value as Node)
        if (key.startsWith('x-')) continue
        if (key === 'several_exploitation_forms') {
          const forms = severalFormsOf(doc, value)
          if (forms === undefined) problem(`${at(value)}: several_exploitation_forms is first (the first code is the primary form), MIX, or a list of EXPLOIT codes in order of precedence`)
          else severalForms = forms
          continue
        }
        if (key === 'codelists') {
          if (!isMap(value)) {
            problem(`${at(value)}: "codelists" must map codelist ids to code tables`)
            continue
          }
          for (const listPair of value.items) {
            const codelist = isScalar(listPair.key) ? String(listPair.key.value) : ''
            if (!mappableCodelists().includes(codelist)) {
              problem(`${at(listPair.key as Node)}: no coded column draws on a codelist "${codelist}" (${mappableCodelists().join(', ')})`)
              continue
            }
            const table = codeTable(doc, listPair.value as Node, `codelists.${codelist}`, codelist, at, problem)
            if (table !== undefined) byCodelist.set(codelist, table)
          }
          continue
        }
        if (key !== 'victims' && key !== 'offenders') {
          problem(`${at(pair.key as Node)}: unknown file "${key}" (victims or offenders; or codelists)`)
          continue
        }
        if (!isMap(value)) {
          problem(`${at(value)}: "${key}" must map column names to code tables`)
          continue
        }
        for (const colPair of value.items) {
          const column = isScalar(colPair.key) ? String(colPair.key.value) : ''
          if (column === 'age') {
            const bands = ageBandTable(doc, colPair.value as Node, `${key}.age`, at, problem)
            if (bands !== undefined) ageBands[key] = bands
            continue
          }
          const spec = columnsOf(key).find(c => c.name === column)
          if (spec === undefined || !mappableColumns(key).includes(column)) {
            problem(`${at(colPair.key as Node)}: ${key} has no coded column "${column}" (${mappableColumns(key).join(', ')})`)
            continue
          }
          const table = codeTable(doc, colPair.value as Node, `${key}.${column}`, spec.codelist!, at, problem)
          if (table !== undefined) byColumn[key].set(column, table)
        }
      }
    }
  }
  if (problems.length > 0) throw new AppError('CONFIG_INVALID', `crosswalk is invalid:\n  ${problems.join('\n  ')}`)
  // Each column's table: its codelist's, with the column's own entries over it.
  const result: Record<RecordKind, Map<string, Map<string, string>>> = { victims: new Map(), offenders: new Map() }
  for (const kind of ['victims', 'offenders'] as const) {
    for (const spec of columnsOf(kind)) {
      if (spec.codelist === undefined) continue
      const shared = byCodelist.get(spec.codelist)
      const own = byColumn[kind].get(spec.name)
      if (shared !== undefined || own !== undefined) result[kind].set(spec.name, new Map([...(shared ?? []), ...(own ?? [])]))
    }
  }
  return { ...result, ageBands, severalForms }
}

function severalFormsOf (doc: Document, node: Node | null | undefined): SeveralForms | undefined {
  if (isScalar(node) && (node.value === 'first' || node.value === 'MIX')) return node.value
  if (!isSeq(node)) return undefined
  const codes = node.items.map(i => resolved(doc, i as Node)).map(i => isScalar(i) ? String(i.value) : '')
  return codes.length > 0 && codes.every(c => isHarmonisedCode('EXPLOIT', c)) && new Set(codes).size === codes.length ? codes : undefined
}

/**
 * National age bands: each label maps to [from, to] in whole years (0-120), to an AGE_BAND or
 * AGE_GROUP code, or to UNK.
 */
function ageBandTable (doc: Document, node: Node | null | undefined, label: string, at: (n: Node | null | undefined) => string, problem: (p: string) => void): Map<string, AgeBand> | undefined {
  const table = resolved(doc, node)
  if (!isMap(table)) {
    problem(`${at(table)}: ${label} must map national age bands to [from, to] in years, or to an AGE_BAND or AGE_GROUP code`)
    return undefined
  }
  const out = new Map<string, AgeBand>()
  for (const pair of table.items) {
    const band = isScalar(pair.key) ? String(pair.key.value) : ''
    const value = resolved(doc, pair.value as Node)
    const range = isSeq(value) ? value.items.map(i => resolved(doc, i as Node)).map(i => isScalar(i) ? i.value : undefined) : undefined
    if (band === '' || /^\d+$/.test(band)) {
      problem(`${at(pair.key as Node)}: ${label}: "${band}" cannot be an age band (an empty field means unknown, a number is an age)`)
    } else if (range !== undefined) {
      const [from, to] = range
      if (range.length !== 2 || !Number.isInteger(from) || !Number.isInteger(to) || (from as number) < 0 || (to as number) > MAX_AGE || (from as number) > (to as number)) {
        problem(`${at(value)}: ${label}: "${band}" must map to [from, to], whole years from 0 to ${MAX_AGE}, from <= to`)
      } else out.set(band, ageBandGroup(from as number, to as number))
    } else {
      const code = isScalar(value) ? String(value.value) : ''
      const parent = CODELISTS.find(l => l.id === 'AGE_BAND')!.codes.find(c => c.code === code)?.parent
      if (parent !== undefined) out.set(band, { group: parent, straddles: false })
      else if (inCodelist('AGE_GROUP', code)) out.set(band, { group: code, straddles: false })
      else problem(`${at(value)}: ${label}: "${band}" must map to [from, to] in years, or to an AGE_BAND or AGE_GROUP code (not "${code}")`)
    }
  }
  return out
}

function resolved (doc: Document, node: Node | null | undefined): Node | null | undefined {
  return isAlias(node) ? node.resolve(doc) as Node | undefined : node
}

/**
 * One table of national codes, `label` naming it in problems: its own entries over those it
 * merges (`<<: *name` or `<<: [*a, *b]`, the first listed winning, as YAML has it).
 */
function codeTable (doc: Document, node: Node | null | undefined, label: string, codelist: string, at: (n: Node | null | undefined) => string, problem: (p: string) => void, depth = 0): Map<string, string> | undefined {
  const table = resolved(doc, node)
  if (!isMap(table) || depth > 20) {
    problem(`${at(table)}: ${label} must map national codes to harmonised codes`)
    return undefined
  }
  const inherited = new Map<string, string>()
  const own = new Map<string, string>()
  for (const pair of table.items) {
    if (isScalar(pair.key) && typeof pair.key.value === 'symbol') {
      const merged = resolved(doc, pair.value as Node)
      for (const source of isSeq(merged) ? merged.items as Node[] : [merged]) {
        for (const [k, v] of codeTable(doc, source, label, codelist, at, problem, depth + 1) ?? []) if (!inherited.has(k)) inherited.set(k, v)
      }
      continue
    }
    const value = resolved(doc, pair.value as Node)
    const national = isScalar(pair.key) ? String(pair.key.value) : ''
    const harmonised = isScalar(value) ? String(value.value) : ''
    if (national === '') problem(`${at(pair.key as Node)}: empty national code in ${label} (an empty field already means unknown)`)
    else if (!isHarmonisedCode(codelist, harmonised)) {
      problem(`${at(value)}: ${label} maps "${national}" to "${harmonised}", which is not a ${codelist} code`)
    } else own.set(national, harmonised)
  }
  return new Map([...inherited, ...own])
}

/** Reads and parses a crosswalk file. */
export function loadCrosswalk (file: string): Crosswalk {
  return parseCrosswalk(readTextFile(file), file)
}
