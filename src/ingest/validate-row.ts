/**
 * Validation and harmonisation of one CSV row into the record the node stores. Every problem
 * in the row is reported (not only the first), each with its line, column, value and reason.
 */
import { hash } from 'node:crypto'
import type { Insertable } from 'kysely'
import type { OffenderTable, VictimTable } from '../db/types.js'
import { citizenGroup } from '../protocol/area.js'
import { isHarmonisedCode, type Crosswalk, type SeveralForms } from './crosswalk.js'
import { delimiterName } from './csv-rows.js'
import { columnsOf, type ColumnSpec, type RecordKind } from './formats.js'
import type { ImportIssue } from './issues.js'
import type { RecordKeyer } from './record-key.js'

/** A harmonised victim record, as stored (without the import it came with). */
export type VictimRecord = Omit<Insertable<VictimTable>, 'import_id'>

/** A harmonised offender record, as stored. */
export type OffenderRecord = Omit<Insertable<OffenderTable>, 'import_id'>

export interface RowContext {
  kind: RecordKind
  file: string
  /** The reporting country (CITIZEN_GRP is relative to it). */
  reporter: string
  crosswalk: Crosswalk
  keyer: RecordKeyer
  /** Today as YYYY-MM-DD (UTC): later dates are refused. */
  today: string
  /** Index of each expected column in the file's header. */
  positions: readonly number[]
  width: number
  /** Rows whose empty field took its column's documented default, by column (counted here). */
  defaulted?: Map<string, number>
  /** Rows whose age band straddles 18 and so counts as UNK (counted here). */
  straddling?: { rows: number }
  /** Derived record ids: the positions of the columns they are made of. */
  idPositions?: readonly number[]
}

/** The earliest reference date accepted. */
export const MIN_DATE = '1990-01-01'

/**
 * Checks the header row: every column of the format exactly once, in any order, and no other.
 * Returns the position of each expected column, or the issues.
 */
export function checkHeader (kind: RecordKind, header: string[], file: string, delimiter = ',', idColumns?: readonly string[]): { positions: number[], idPositions?: number[] } | { issues: ImportIssue[] } {
  const all = columnsOf(kind).map(c => c.name)
  // With derived ids the file has no record_id, and may hold the columns they are made of.
  const expected = idColumns === undefined ? all : all.filter(n => n !== 'record_id')
  const names = header.map(h => h.trim())
  // A header read with the wrong separator is one long name: say which separator it holds.
  const sep = [',', ';', '\t'].filter(d => d !== delimiter).find(d => names.some(n => n.split(d).filter(x => expected.includes(x.trim())).length >= 2))
  if (sep !== undefined) {
    const name = delimiterName
    return { issues: [{ file, line: 1, code: 'BAD_HEADER', message: `the header looks like one name holding ${name(sep)} separators: the file is separated by ${name(sep)}, not ${name(delimiter)}; import it with --delimiter ${name(sep)}` }] }
  }
  const missing = expected.filter(n => !names.includes(n))
  const unknown = names.filter(n => !expected.includes(n) && !(idColumns?.includes(n) ?? false))
  const repeated = names.filter((n, i) => names.indexOf(n) !== i)
  const problems: string[] = []
  if (missing.length > 0) problems.push(`missing ${missing.join(', ')}`)
  if (unknown.length > 0) problems.push(`unknown ${unknown.map(u => JSON.stringify(u)).join(', ')}`)
  if (repeated.length > 0) problems.push(`repeated ${repeated.join(', ')}`)
  if (idColumns !== undefined) {
    const absent = idColumns.filter(n => !names.includes(n))
    if (absent.length > 0) problems.push(`--id-columns names ${absent.join(', ')}, which the header does not hold`)
    if (names.includes('record_id') && !idColumns.includes('record_id')) problems.push('the file has a record_id: import it without --id-columns')
  }
  if (problems.length > 0) {
    return { issues: [{ file, line: 1, code: 'BAD_HEADER', message: `the header of ${kind}.csv must name the columns ${expected.join(', ')}: ${problems.join('; ')}` }] }
  }
  if (idColumns === undefined) return { positions: all.map(n => names.indexOf(n)) }
  return { positions: all.map(n => names.indexOf(n)), idPositions: idColumns.map(n => names.indexOf(n)) }
}

/** A date as registers hold it: YYYY-MM-DD, or only YYYY-MM, or only YYYY. */
const DATE = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/

function validDate (s: string): boolean {
  const m = DATE.exec(s)
  if (m === null) return false
  const [y, mo, d] = [Number(m[1]), Number(m[2] ?? '01'), Number(m[3] ?? '01')]
  const date = new Date(Date.UTC(y, mo - 1, d))
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d
}

/**
 * The date stored for a date as the file holds it: a partial date (YYYY or YYYY-MM) is stored
 * as the first day of its year or month. Tables count by year only, so nothing they show changes.
 */
export function storedDate (raw: string): string {
  return raw.length === 4 ? `${raw}-01-01` : raw.length === 7 ? `${raw}-01` : raw
}

/**
 * Whether date `a` is before date `b`, comparing only what both hold: 2023-05 is not before
 * 2023, nor 2023 before 2023-05-17; 2023-04 is before 2023-05-01.
 */
export function dateBefore (a: string, b: string): boolean {
  const n = Math.min(a.length, b.length)
  return a.slice(0, n) < b.slice(0, n)
}

function ageGroup (age: number | null): string {
  return age === null ? 'UNK' : age < 18 ? 'Y_LT18' : 'Y_GE18'
}

function digest (values: unknown[]): string {
  // One-shot hash: about 40% cheaper than createHash per row on a million-row import.
  return hash('sha256', JSON.stringify(values), 'base64url')
}

type Parsed = Record<string, string | string[] | number | null>

/** The longest field accepted (a list of codes included); longer ones are refused unread. */
export const MAX_FIELD_CHARS = 1000

/** Characters of a value quoted in a problem; the rest is counted, not repeated. */
export const QUOTED_CHARS = 100

function quoted (raw: string): string {
  return raw.length <= QUOTED_CHARS ? raw : `${raw.slice(0, QUOTED_CHARS)}... (${raw.length} characters)`
}

/** What a record_id may hold, as the import says it. */
export const RECORD_ID_RULE = 'a record_id is 1 to 200 characters (letters, digits, punctuation, symbols, inner spaces): no control or invisible formatting characters (bidirectional marks, zero-width spaces), no line breaks, and no space at either end'

/**
 * A national record id: 1-200 characters, none of them a control character (Cc), an invisible
 * format character (Cf: bidirectional controls, zero-width spaces, soft hyphen...), or a line
 * or paragraph separator, and no white space at either end (so " 17" and "17" cannot be two
 * records, and an id cannot be shown reordered or hidden).
 */
export function validRecordId (id: string): boolean {
  return id.length >= 1 && id.length <= 200 && !/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u.test(id) && !/^\s|\s$/u.test(id)
}

/** Parses the fields of a row by their specs; pushes issues and returns the values. */
function parseFields (fields: string[], line: number, ctx: RowContext, issues: ImportIssue[]): Parsed {
  const out: Parsed = {}
  const specs = columnsOf(ctx.kind)
  specs.forEach((spec: ColumnSpec, i) => {
    if (spec.type === 'id' && ctx.idPositions !== undefined) {
      // Derived from the chosen columns: their values, as a JSON array, are the id keyed.
      out[spec.name] = JSON.stringify(ctx.idPositions.map(p => fields[p] ?? ''))
      return
    }
    const raw = fields[ctx.positions[i]!] ?? ''
    // Each problem once per field, quoting at most the start of the value: a field of
    // megabytes (a list of codes repeated a million times) gives a few short problems.
    const said = new Set<string>()
    const issue = (code: ImportIssue['code'], message: string): void => {
      if (said.has(`${code} ${message}`)) return
      said.add(`${code} ${message}`)
      issues.push({ file: ctx.file, line, column: spec.name, value: quoted(raw), code, message })
    }
    if (raw.length > MAX_FIELD_CHARS) {
      issue('FIELD_TOO_LONG', `a field holds at most ${MAX_FIELD_CHARS} characters; this one has ${raw.length}`)
      out[spec.name] = spec.type === 'codes' ? [] : null
      return
    }
    if (raw === '') {
      if (spec.required) issue('MISSING_VALUE', spec.type === 'code' ? `a value is required (${spec.codelist} has no unknown code)` : 'a value is required')
      if (spec.isDefault === true && ctx.defaulted !== undefined) ctx.defaulted.set(spec.name, (ctx.defaulted.get(spec.name) ?? 0) + 1)
      out[spec.name] = spec.type === 'codes' ? [spec.unknown!] : spec.type === 'code' ? (spec.unknown ?? null) : null
      return
    }
    switch (spec.type) {
      case 'id':
        if (!validRecordId(raw)) issue('BAD_RECORD_ID', RECORD_ID_RULE)
        out[spec.name] = raw
        return
      case 'date':
        // The checks take a partial date at its first day: 2026 is not in the future in 2026.
        if (!validDate(raw)) issue('BAD_DATE', 'not a calendar date written YYYY-MM-DD, YYYY-MM or YYYY')
        else if (storedDate(raw) < MIN_DATE) issue('BAD_DATE', `dates before ${MIN_DATE} are not accepted`)
        else if (storedDate(raw) > ctx.today) issue('DATE_IN_FUTURE', `the date is after today (${ctx.today})`)
        out[spec.name] = raw
        return
      case 'age': {
        const bands = ctx.crosswalk.ageBands?.[ctx.kind]
        const band = /^\d{1,3}$/.test(raw) ? undefined : bands?.get(raw)
        if (band !== undefined) {
          // An age band: no age in years, only the group it lies in.
          out[spec.name] = null
          out.age_group = band.group
          if (band.straddles && ctx.straddling !== undefined) ctx.straddling.rows++
          return
        }
        if (!/^\d{1,3}$/.test(raw)) issue('BAD_AGE', bands === undefined || bands.size === 0 ? 'age is a whole number of years' : `age is a whole number of years, or an age band of the crosswalk for ${ctx.kind}.age`)
        else if (Number(raw) > 120) issue('AGE_OUT_OF_RANGE', 'age must be from 0 to 120')
        out[spec.name] = /^\d{1,3}$/.test(raw) ? Number(raw) : null
        return
      }
      case 'code':
        out[spec.name] = harmonise(raw, spec, ctx, issue)
        return
      case 'codes': {
        // A code the field lists twice is a problem; two national codes that map to one
        // harmonised code (isOtherExploit|isForcedMilitary, both OTH) are that code once,
        // at the place of the first.
        const listed = raw.split('|')
        const once = new Set<string>()
        for (const c of listed) {
          if (once.has(c)) issue('DUPLICATE_CODE', `${c} is listed twice`)
          once.add(c)
        }
        const seen = new Set(listed.map(c => harmonise(c, spec, ctx, issue)))
        for (const lone of ['NONE', 'UNK']) {
          if (seen.has(lone) && seen.size > 1) issue('CONFLICTING_CODES', `${lone} cannot be combined with other codes`)
        }
        out[spec.name] = [...seen]
      }
    }
  })
  return out
}

function harmonise (raw: string, spec: ColumnSpec, ctx: RowContext, issue: (code: ImportIssue['code'], message: string) => void): string {
  const map = ctx.crosswalk[ctx.kind].get(spec.name)
  if (raw === '') {
    issue('UNKNOWN_CODE', 'empty code in a list (separate codes with a single |)')
    return ''
  }
  if (map !== undefined) {
    const mapped = map.get(raw)
    if (mapped === undefined) issue('UNMAPPED_CODE', `national code not in the crosswalk for ${ctx.kind}.${spec.name}`)
    return mapped ?? raw
  }
  if (!isHarmonisedCode(spec.codelist!, raw)) issue('UNKNOWN_CODE', `not a ${spec.codelist} code${spec.codelist === 'AREA' ? ' (ISO 3166-1 alpha-3, XKX, STLS or UNK)' : ''}`)
  return raw
}

/** The fields both record kinds share, with the values derived from them. */
function personFields (p: Parsed, ctx: RowContext): Pick<VictimRecord, 'sex' | 'age' | 'age_group' | 'citizenship' | 'citizen_grp' | 'exploit_primary' | 'exploitation'> {
  const age = p.age as number | null
  const citizenship = p.citizenship as string
  const exploitation = p.exploitation as string[]
  return {
    sex: p.sex as string,
    age,
    age_group: typeof p.age_group === 'string' ? p.age_group : ageGroup(age),
    citizenship,
    citizen_grp: citizenGroup(citizenship, ctx.reporter),
    exploit_primary: primaryForm(exploitation, ctx.crosswalk.severalForms ?? 'first'),
    exploitation,
  }
}

/**
 * The form a person counts under in V2 and C3: the first code of the field, or, when the
 * crosswalk says the export lists forms without a primary one, MIX for several forms or the
 * first of them in the declared order of precedence (never the order of the file).
 */
export function primaryForm (forms: readonly string[], several: SeveralForms): string {
  if (forms.length === 1 || several === 'first') return forms[0]!
  if (several === 'MIX') return 'MIX'
  const ranked = several.find(c => forms.includes(c))
  // Forms the order does not name come after those it does, in a fixed (alphabetical) order.
  return ranked ?? [...forms].sort()[0]!
}

/** Checks the row's width and parses its fields; issues go to `issues`. */
function parseRow (fields: string[], line: number, ctx: RowContext, issues: ImportIssue[]): Parsed | undefined {
  if (fields.length !== ctx.width) {
    issues.push({ file: ctx.file, line, code: 'COLUMN_COUNT', message: `expected ${ctx.width} fields, found ${fields.length}` })
    return undefined
  }
  return parseFields(fields, line, ctx, issues)
}

function keyed<T extends object> (recordId: string, values: T, ctx: RowContext): T & { record_key: string, row_digest: string } {
  return { record_key: ctx.keyer(recordId), row_digest: digest(Object.values(values)), ...values }
}

/** Validates and harmonises one victims.csv row; returns the record or the row's issues. */
export function victimRecord (fields: string[], line: number, ctx: RowContext): VictimRecord | ImportIssue[] {
  const issues: ImportIssue[] = []
  const p = parseRow(fields, line, ctx, issues)
  if (p === undefined || issues.length > 0) return issues
  const person = personFields(p, ctx)
  return keyed(p.record_id as string, {
    registered_on: storedDate(p.registered_on as string),
    year: Number((p.registered_on as string).slice(0, 4)),
    status: p.status as string,
    sex: person.sex,
    age: person.age,
    age_group: person.age_group,
    citizenship: person.citizenship,
    citizen_grp: person.citizen_grp,
    country_of_exploitation: p.country_of_exploitation as string,
    exploit_primary: person.exploit_primary,
    exploitation: person.exploitation,
    identified_by: p.identified_by as string,
    assistance: p.assistance as string[],
  }, ctx)
}

/** Validates and harmonises one offenders.csv row; returns the record or the row's issues. */
export function offenderRecord (fields: string[], line: number, ctx: RowContext): OffenderRecord | ImportIssue[] {
  const issues: ImportIssue[] = []
  const p = parseRow(fields, line, ctx, issues)
  if (p === undefined) return issues
  const dates = (['suspected_on', 'prosecuted_on', 'convicted_on'] as const).map(c => [c, p[c] as string | null] as const)
  const given = dates.filter(([, d]) => d !== null)
  if (given.length === 0) {
    issues.push({ file: ctx.file, line, column: 'suspected_on', value: '', code: 'MISSING_VALUE', message: 'at least one of suspected_on, prosecuted_on, convicted_on is required' })
  }
  // Each date against the nearest earlier stage it runs back from (with partial dates, a
  // date may be in order with its neighbour and still run back from an earlier stage).
  for (let j = 1; j < given.length; j++) {
    const [col, d] = given[j]!
    for (let i = j - 1; i >= 0; i--) {
      const [prevCol, prev] = given[i]!
      if (!dateBefore(d!, prev!)) continue
      issues.push({ file: ctx.file, line, column: col, value: d!, code: 'DATES_BACKWARDS', message: `${col} is before ${prevCol} (${prev})` })
      break
    }
  }
  if (p.sentence !== null && p.convicted_on === null) {
    issues.push({ file: ctx.file, line, column: 'sentence', value: fields[ctx.positions[9]!]!, code: 'SENTENCE_WITHOUT_CONVICTION', message: 'a sentence needs a convicted_on date' })
  }
  if (issues.length > 0) return issues
  // Member order is the stored column order: it feeds the row digest.
  const { exploit_primary: exploitPrimary, exploitation, ...person } = personFields(p, ctx)
  return keyed(p.record_id as string, {
    ...person,
    offence: p.offence as string,
    exploit_primary: exploitPrimary,
    exploitation,
    suspected_on: p.suspected_on === null ? null : storedDate(p.suspected_on as string),
    prosecuted_on: p.prosecuted_on === null ? null : storedDate(p.prosecuted_on as string),
    convicted_on: p.convicted_on === null ? null : storedDate(p.convicted_on as string),
    sentence: p.sentence as string | null,
  }, ctx)
}
