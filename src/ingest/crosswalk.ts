/**
 * Crosswalk files: per node, per record file and column, the national codes and the
 * harmonised code each maps to. A column with a mapping accepts only mapped national codes;
 * a column without one accepts harmonised codes as they are. Problems are reported with the
 * file and line of the crosswalk.
 *
 * ```yaml
 * victims:
 *   sex: { "Ž": F, "M": M, "N": U }
 *   exploitation: { seksualna: SEX, radna: LAB }
 * offenders:
 *   offence: { "388": ICCS0204 }
 * ```
 */
import { isMap, isScalar, LineCounter, parseDocument, type Node } from 'yaml'
import { AppError } from '../errors.js'
import { readTextFile } from '../read-text-file.js'
import { isAreaCode } from '../protocol/area.js'
import { inCodelist } from '../protocol/codelists.js'
import { columnsOf, mappableColumns, type RecordKind } from './formats.js'

export type Crosswalk = Readonly<Record<RecordKind, ReadonlyMap<string, ReadonlyMap<string, string>>>>

export const EMPTY_CROSSWALK: Crosswalk = { victims: new Map(), offenders: new Map() }

/** Whether `code` is a harmonised code of `codelist`. */
export function isHarmonisedCode (codelist: string, code: string): boolean {
  return codelist === 'AREA' ? isAreaCode(code) : inCodelist(codelist, code)
}

/** Parses crosswalk YAML text; `file` names it in errors. Throws CONFIG_INVALID listing every problem. */
export function parseCrosswalk (text: string, file: string): Crosswalk {
  const lineCounter = new LineCounter()
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true })
  const problems: string[] = []
  const at = (node: Node | null | undefined): string => `${file}:${node?.range == null ? 1 : lineCounter.linePos(node.range[0]).line}`
  for (const e of doc.errors) problems.push(`${file}:${e.linePos?.[0].line ?? 1}: ${e.message.split('\n')[0]}`)
  const result: Record<RecordKind, Map<string, Map<string, string>>> = { victims: new Map(), offenders: new Map() }
  if (problems.length === 0 && doc.contents !== null) {
    if (!isMap(doc.contents)) problems.push(`${at(doc.contents)}: a crosswalk maps "victims" and/or "offenders" to their columns`)
    else {
      for (const kindPair of doc.contents.items) {
        const kind = isScalar(kindPair.key) ? String(kindPair.key.value) : ''
        if (kind !== 'victims' && kind !== 'offenders') {
          problems.push(`${at(kindPair.key as Node)}: unknown file "${kind}" (victims or offenders)`)
          continue
        }
        if (!isMap(kindPair.value)) {
          problems.push(`${at(kindPair.value as Node)}: "${kind}" must map column names to code tables`)
          continue
        }
        for (const colPair of kindPair.value.items) {
          const column = isScalar(colPair.key) ? String(colPair.key.value) : ''
          const spec = columnsOf(kind).find(c => c.name === column)
          if (spec === undefined || !mappableColumns(kind).includes(column)) {
            problems.push(`${at(colPair.key as Node)}: ${kind} has no coded column "${column}" (${mappableColumns(kind).join(', ')})`)
            continue
          }
          if (!isMap(colPair.value)) {
            problems.push(`${at(colPair.value as Node)}: ${kind}.${column} must map national codes to harmonised codes`)
            continue
          }
          const map = new Map<string, string>()
          for (const codePair of colPair.value.items) {
            const national = isScalar(codePair.key) ? String(codePair.key.value) : ''
            const harmonised = isScalar(codePair.value) ? String(codePair.value.value) : ''
            if (national === '') problems.push(`${at(codePair.key as Node)}: empty national code in ${kind}.${column} (an empty field already means unknown)`)
            else if (!isHarmonisedCode(spec.codelist!, harmonised)) {
              problems.push(`${at(codePair.value as Node)}: ${kind}.${column} maps "${national}" to "${harmonised}", which is not a ${spec.codelist} code`)
            } else map.set(national, harmonised)
          }
          result[kind].set(column, map)
        }
      }
    }
  }
  if (problems.length > 0) throw new AppError('CONFIG_INVALID', `crosswalk is invalid:\n  ${problems.join('\n  ')}`)
  return result
}

/** Reads and parses a crosswalk file. */
export function loadCrosswalk (file: string): Crosswalk {
  return parseCrosswalk(readTextFile(file), file)
}
