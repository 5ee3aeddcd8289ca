/**
 * Loading agreement files: YAML, validated against the closed schema and the codelists, with
 * every problem reported with its file and line. Unknown keys, operands, indicators,
 * dimensions and codes are refused; a permission that a prohibition contradicts makes the
 * agreement invalid. Default deny: what no grant names is not sent.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Ajv } from 'ajv'
import addFormats from 'ajv-formats'
import { isMap, isScalar, LineCounter, parseDocument, visit, type Document } from 'yaml'
import { AppError } from '../errors.js'
import { readTextFile } from '../read-text-file.js'
import { canonicalBytes } from '../protocol/canonical-json.js'
import { isCodeOf } from '../protocol/area.js'
import { TOTAL_CODE } from '../protocol/codelists.js'
import { contentId } from '../protocol/ids.js'
import { findIndicator } from '../protocol/indicators.js'
import { AgreementSchema, type Agreement, type AgreementFile, type Grant, type Prohibition, type YearSpec } from './agreement.js'
import { codesOf } from './groups.js'
import { KNOWN_LIAISONS, resolveNodeIdentity } from '../node/identity.js'

export interface PolicyProblem {
  file: string
  line: number
  /** The member the problem is about (`grants[0].indicator`, `agreement` for the whole), when it is about one. */
  field?: string
  /** What is wrong, without the field. */
  message: string
}

export interface LoadedAgreement {
  file: string
  agreement: Agreement
  /** Canonical hash: base64url SHA-256 of the RFC 8785 form of the agreement with defaults. */
  hash: string
}

const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true })
addFormats.default(ajv, ['date'])
const validate = ajv.compile(AgreementSchema)

function lineOf (doc: Document, lc: LineCounter, path: Array<string | number>): number {
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined
    if (node?.range != null) return lc.linePos(node.range[0]).line
  }
  return 1
}

/** The line of a map key (better than its value for "unknown key" problems). */
function keyLine (doc: Document, lc: LineCounter, path: Array<string | number>, key: string): number {
  const parent = path.length === 0 ? doc.contents : doc.getIn(path, true)
  if (isMap(parent)) {
    const pair = parent.items.find(i => (i.key as { value?: unknown } | null)?.value === key)
    const range = (pair?.key as { range?: [number, number, number] } | undefined)?.range
    if (range != null) return lc.linePos(range[0]).line
  }
  return lineOf(doc, lc, path)
}

function pathOf (instancePath: string): Array<string | number> {
  return instancePath.split('/').slice(1).map(p => (/^\d+$/.test(p) ? Number(p) : p.replaceAll('~1', '/').replaceAll('~0', '~')))
}

/**
 * Whether `id` can be a node of the federation: a country (any ISO 3166-1 alpha-3 code, or XKX)
 * or a liaison organisation, as `dcimx init --country` accepts them (src/node/identity.ts).
 * Three capital letters that are no ISO 3166-1 code (ZZZ, UNK) are not.
 */
export function isFederationNode (id: string): boolean {
  return nodeKind(id) !== undefined
}

/** What kind of node `id` would be, or undefined when no node can have it. */
function nodeKind (id: string): 'country' | 'liaison' | undefined {
  try {
    return resolveNodeIdentity(id).kind
  } catch {
    return undefined
  }
}

const COUNTRIES = 'an ISO 3166-1 alpha-3 code such as SRB or AUT; XKX for Kosovo'

const where = (path: Array<string | number>): string => path.reduce<string>((s, p) => typeof p === 'number' ? `${s}[${p}]` : s === '' ? p : `${s}.${p}`, '')

/** The years a year spec covers, up to `last` for an open range. */
export function yearsOf (spec: YearSpec, last: number): number[] {
  if (Array.isArray(spec)) return [...spec].sort((a, b) => a - b)
  const to = spec.to ?? last
  return to < spec.from ? [] : Array.from({ length: to - spec.from + 1 }, (_, i) => spec.from + i)
}

function overlaps (a: YearSpec | undefined, b: YearSpec | undefined): boolean {
  if (a === undefined || b === undefined) return true
  const ya = yearsOf(a, 2200)
  const yb = new Set(yearsOf(b, 2200))
  return ya.some(y => yb.has(y))
}

/** Whether `prohibition` forbids part of what `grant` permits. */
export function contradicts (grant: Grant, prohibition: Prohibition): boolean {
  if (grant.indicator !== prohibition.indicator || !overlaps(grant.years, prohibition.years)) return false
  return prohibition.by === undefined || prohibition.by.some(d => grant.by.includes(d))
}

function semanticProblems (a: AgreementFile, at: (path: Array<string | number>) => number, file: string): PolicyProblem[] {
  const problems: PolicyProblem[] = []
  const add = (path: Array<string | number>, message: string): void => { problems.push({ file, line: at(path), field: where(path), message }) }
  // Countries publish; liaison organisations receive and publish nothing of their own.
  if (nodeKind(a.provider) !== 'country') add(['provider'], `the provider must be a country that publishes (${COUNTRIES}), not "${a.provider}"`)
  if (a.recipient === a.provider) add(['recipient'], `the recipient must differ from the provider (both "${a.provider}")`)
  else if (!isFederationNode(a.recipient)) add(['recipient'], `"${a.recipient}" is not a node of the federation: the recipient is a country (${COUNTRIES}) or a liaison organisation (${Object.keys(KNOWN_LIAISONS).join(', ')}, or another id of 4-16 capital letters)`)
  if (a.validity.until < a.validity.from) add(['validity', 'until'], `the agreement ends (${a.validity.until}) before it starts (${a.validity.from})`)
  try {
    // eslint-disable-next-line no-new
    new Intl.DateTimeFormat('en', { timeZone: a.validity.timezone })
  } catch {
    add(['validity', 'timezone'], `"${a.validity.timezone}" is not an IANA time zone (e.g. Europe/Belgrade)`)
  }
  const checkYears = (path: Array<string | number>, spec: YearSpec | undefined): void => {
    if (spec !== undefined && !Array.isArray(spec) && spec.to !== undefined && spec.to < spec.from) add([...path, 'years'], `the years run backwards (${spec.from} to ${spec.to})`)
  }
  const checkDims = (path: Array<string | number>, indicator: string, by: string[] | undefined): void => {
    const def = findIndicator(indicator)!
    const known = def.dimensions.map(d => d.id)
    by?.forEach((d, i) => {
      if (!known.includes(d)) add([...path, 'by', i], `${indicator} has no dimension "${d}" (it has ${known.join(', ')})`)
    })
  }
  const checkGroups = (path: Array<string | number>, g: Grant): void => {
    const def = findIndicator(g.indicator)!
    for (const [dim, groups] of Object.entries(g.groups ?? {})) {
      const at = [...path, 'groups', dim]
      const d = def.dimensions.find(x => x.id === dim)
      if (d === undefined) { add(at, `${g.indicator} has no dimension "${dim}" (it has ${def.dimensions.map(x => x.id).join(', ')})`); continue }
      if (!g.by.includes(dim)) { add(at, `${dim} is grouped but not in by: add it to by, or remove its groups`); continue }
      if (def.multiCount && dim === def.dimensions[0]!.id) { add(at, `a person may count under several codes of ${dim}, so a group would count them more than once: ${dim} cannot be grouped`); continue }
      const area = d.codelist === 'AREA'
      const codes = codesOf(dim)
      const owner = new Map<string, string>()
      const rests: string[] = []
      for (const [name, members] of Object.entries(groups)) {
        if (members === 'rest') { rests.push(name); continue }
        members.forEach((code, k) => {
          const known = code !== TOTAL_CODE && isCodeOf(d.codelist, code)
          if (!known) add([...at, name, k], `"${code}" is not a code of ${d.codelist}`)
          else if (owner.has(code)) add([...at, name, k], `${code} is already in group ${owner.get(code)!}: a code belongs to one group`)
          else owner.set(code, name)
        })
        // A group named like a code is that code's cell, or the same name would mean two things.
        const sameName = isCodeOf(d.codelist, name)
        if (sameName && (members.length !== 1 || members[0] !== name)) add([...at, name], `${name} is a code of ${d.codelist}: a group may carry a code's name only when it holds just that code`)
      }
      if (rests.length > 1) add([...at, rests[1]!], `only one group may be rest (${rests.join(' and ')} both are)`)
      if (!area) {
        // A group of every code is the total, which every grant has already; an empty rest is no group.
        for (const [name, members] of Object.entries(groups)) {
          if (members !== 'rest' && codes!.every(c => members.includes(c))) add([...at, name], `${name} holds every code of ${d.codelist}: that is the total, which is always granted; group fewer codes`)
        }
        if (rests.length === 1 && codes!.every(c => owner.has(c))) add([...at, rests[0]!], `${rests[0]!} is rest, but the other groups already hold every code: remove it`)
        if (rests.length === 1 && owner.size === 0) add([...at, rests[0]!], `${rests[0]!} is rest and no other group names a code: it holds every code, the total; group fewer codes`)
      }
      if (rests.length === 1 && isCodeOf(d.codelist, rests[0]!)) add([...at, rests[0]!], `${rests[0]!} is a code of ${d.codelist}: the rest group needs a name of its own`)
      if (rests.length === 0) {
        if (area) add(at, `${dim} has hundreds of codes: end its groups with one group that is rest (e.g. OTHER: rest)`)
        else {
          const missing = codes!.filter(c => !owner.has(c))
          if (missing.length > 0) add(at, `the groups must cover every code of ${d.codelist}; not covered: ${missing.join(', ')} (or add a group that is rest)`)
        }
      }
    }
  }
  const seen = new Map<string, number>()
  a.grants.forEach((g, i) => {
    checkDims(['grants', i], g.indicator, g.by)
    checkGroups(['grants', i], g)
    checkYears(['grants', i], g.years)
    if (g.threshold !== undefined && g.threshold < a.threshold) add(['grants', i, 'threshold'], `a grant may raise the threshold, not lower it below the agreement's ${a.threshold}`)
    const first = seen.get(g.indicator)
    if (first !== undefined) add(['grants', i, 'indicator'], `${g.indicator} is already granted by grants[${first}]; one grant per indicator`)
    else seen.set(g.indicator, i)
  })
  a.prohibitions?.forEach((p, j) => {
    checkDims(['prohibitions', j], p.indicator, p.by)
    checkYears(['prohibitions', j], p.years)
    a.grants.forEach((g, i) => {
      if (contradicts(g, p)) add(['grants', i], `permits what prohibitions[${j}] forbids (${p.indicator}${p.by === undefined ? '' : ` by ${p.by.join(', ')}`}${p.years === undefined ? '' : ' in those years'}): the agreement is invalid`)
    })
  })
  return problems
}

/**
 * Checks an agreement's text and returns every problem (empty when it is valid). `file`
 * names it in the problems.
 */
export function lintAgreementText (text: string, file: string): { problems: PolicyProblem[], agreement?: Agreement, lineOf?: (path: Array<string | number>) => number } {
  const lc = new LineCounter()
  // Duplicate keys are found below, so that each is reported at its own line.
  const doc = parseDocument(text, { lineCounter: lc, uniqueKeys: false, prettyErrors: false })
  if (doc.errors.length > 0) {
    return { problems: doc.errors.map(e => ({ file, line: e.linePos?.[0].line ?? 1, message: `not valid YAML: ${e.message.split('\n')[0]!}` })) }
  }
  const duplicates: PolicyProblem[] = []
  visit(doc, {
    Map (_, map) {
      const seen = new Set<unknown>()
      for (const pair of map.items) {
        const k = isScalar(pair.key) ? pair.key.value : pair.key
        if (seen.has(k)) {
          const range = (pair.key as { range?: [number, number, number] } | null)?.range
          duplicates.push({ file, line: range == null ? 1 : lc.linePos(range[0]).line, message: `"${String(k)}" is given twice in the same place` })
        }
        seen.add(k)
      }
    },
  })
  if (duplicates.length > 0) return { problems: duplicates }
  // Dates stay strings (YAML 1.2 core schema), so 2026-01-01 is read as written.
  const value: unknown = doc.toJS()
  if (!validate(value)) {
    const errors = validate.errors!.filter(e => e.keyword !== 'anyOf')
    const problems: PolicyProblem[] = []
    const constDone = new Set<string>()
    for (const e of errors) {
      const path = pathOf(e.instancePath)
      if (path.length === 5 && path[0] === 'grants' && path[2] === 'groups') {
        // A group's members are a list of codes or `rest`: one problem, not one per branch.
        if (constDone.has(e.instancePath)) continue
        constDone.add(e.instancePath)
        const list = errors.find(x => x.instancePath === e.instancePath && (x.keyword === 'minItems' || x.keyword === 'uniqueItems'))
        problems.push({ file, line: lineOf(doc, lc, path), field: where(path), message: list?.message ?? 'must be a list of codes, or rest' })
        continue
      }
      if (e.keyword === 'additionalProperties') {
        const key = (e.params as { additionalProperty: string }).additionalProperty
        problems.push({ file, line: keyLine(doc, lc, path, key), field: where([...path, key]), message: `unknown key "${key}"` })
      } else if (e.keyword === 'required') {
        problems.push({ file, line: lineOf(doc, lc, path), field: where(path) || 'agreement', message: `missing "${(e.params as { missingProperty: string }).missingProperty}"` })
      } else if (e.keyword === 'const') {
        // A closed list is a union of constants: one problem naming every allowed value.
        if (constDone.has(e.instancePath)) continue
        constDone.add(e.instancePath)
        const allowed = errors.filter(x => x.keyword === 'const' && x.instancePath === e.instancePath).map(x => String((x.params as { allowedValue: unknown }).allowedValue))
        problems.push({ file, line: lineOf(doc, lc, path), field: where(path), message: `"${String(doc.getIn(path))}" is not allowed; use one of ${allowed.join(', ')}` })
      } else if ((e.keyword === 'format' || e.keyword === 'pattern' || e.keyword === 'type') && path[0] === 'validity' && (path[1] === 'from' || path[1] === 'until')) {
        // A day: one problem, quoting the value as written.
        if (constDone.has(e.instancePath)) continue
        constDone.add(e.instancePath)
        const node = doc.getIn(path, true)
        const value = isScalar(node) ? String(node.source ?? node.value) : String(doc.getIn(path))
        problems.push({ file, line: lineOf(doc, lc, path), field: where(path), message: `"${value}" is not a calendar day; write YYYY-MM-DD, e.g. 2026-01-01` })
      } else {
        // The value as written, so that a bad date or number can be found at a glance.
        const node = path.length === 0 ? undefined : doc.getIn(path, true)
        const shown = isScalar(node) ? `, not ${JSON.stringify(String(node.source ?? node.value))}` : ''
        problems.push({ file, line: lineOf(doc, lc, path), field: where(path) || 'agreement', message: `${e.message ?? 'is invalid'}${shown}` })
      }
    }
    return { problems: problems.sort((a, b) => a.line - b.line) }
  }
  const file0 = value as AgreementFile
  // A problem with a member is reported on its key's line (a map or list value starts below it).
  const at = (path: Array<string | number>): number => {
    const last = path.at(-1)
    return typeof last === 'string' ? keyLine(doc, lc, path.slice(0, -1), last) : lineOf(doc, lc, path)
  }
  const problems = semanticProblems(file0, at, file)
  if (problems.length > 0) return { problems: problems.sort((a, b) => a.line - b.line) }
  return { problems: [], agreement: { ...file0, onward_sharing: file0.onward_sharing ?? false, prohibitions: file0.prohibitions ?? [] }, lineOf: at }
}

/** The canonical hash both parties compute: the same agreement gives the same hash whatever its layout. */
export function agreementHash (agreement: Agreement): string {
  return contentId(canonicalBytes(agreement))
}

/** Loads a valid agreement file, or throws CONFIG_INVALID listing every problem with its line. */
export function loadAgreement (file: string): LoadedAgreement {
  return parseAgreement(file).loaded
}

function parseAgreement (file: string): { loaded: LoadedAgreement, lineOf: (path: Array<string | number>) => number } {
  const { problems, agreement, lineOf } = lintAgreementText(readTextFile(file), file)
  if (agreement === undefined) throw new AppError('CONFIG_INVALID', `agreement is invalid:\n  ${problems.map(formatProblem).join('\n  ')}`)
  return { loaded: { file, agreement, hash: agreementHash(agreement) }, lineOf: lineOf! }
}

/** An agreement that is valid on its own, with the lines of its members, for {@link agreementSetProblems}. */
export interface LintedAgreement extends LoadedAgreement {
  lineOf: (path: Array<string | number>) => number
}

function yearsText (spec: YearSpec | undefined): string {
  if (spec === undefined) return 'every year'
  if (Array.isArray(spec)) return spec.join(', ')
  return spec.to === undefined ? `${spec.from} onwards` : `${spec.from} to ${spec.to}`
}

/**
 * What agreements that are each valid get wrong together (each problem is reported in the later
 * of the two files, in the order given, at its line, naming the other file and line):
 * - two different texts with the same id and version (the node could not tell which holds);
 * - two agreements between the same provider and recipient, both in force on some day, that
 *   grant the same indicator for a common year (one table, two agreements: each would send it);
 * - or where one grants what the other prohibits (the prohibition would not hold).
 * Versions of one agreement do not conflict: one version is in force at a time (grants.ts).
 */
export function agreementSetProblems (agreements: readonly LintedAgreement[]): PolicyProblem[] {
  const problems: PolicyProblem[] = []
  const sorted = agreements
  const ref = (l: LintedAgreement, path: Array<string | number>): string => `${l.file}:${l.lineOf(path)}`
  for (const [j, b] of sorted.entries()) {
    const B = b.agreement
    for (const a of sorted.slice(0, j)) {
      const A = a.agreement
      const add = (path: Array<string | number>, message: string): void => { problems.push({ file: b.file, line: b.lineOf(path), field: where(path), message }) }
      if (A.agreement === B.agreement) {
        if (A.version === B.version && a.hash !== b.hash) {
          add(['version'], `${B.agreement} version ${B.version} is also ${ref(a, ['version'])}, with other terms: each text of an agreement needs its own version`)
        }
        continue
      }
      if (A.provider !== B.provider || A.recipient !== B.recipient) continue
      // Both in force on some day (days compared as written; time zones aside, a day's overlap counts).
      if (A.validity.until < B.validity.from || B.validity.until < A.validity.from) continue
      const both = `while both are in force (${A.validity.from > B.validity.from ? A.validity.from : B.validity.from} to ${A.validity.until < B.validity.until ? A.validity.until : B.validity.until})`
      B.grants.forEach((g, i) => {
        A.grants.forEach((h, k) => {
          if (g.indicator === h.indicator && overlaps(g.years, h.years)) {
            add(['grants', i, 'indicator'], `${g.indicator} to ${B.recipient} (${yearsText(g.years)}) is also granted by agreement ${A.agreement} at ${ref(a, ['grants', k, 'indicator'])} (${yearsText(h.years)}) ${both}: grant a table under one agreement, or make the years or dates not overlap`)
          }
        })
        A.prohibitions.forEach((p, k) => {
          if (contradicts(g, p)) add(['grants', i], `${g.indicator} by ${g.by.length === 0 ? 'nothing' : g.by.join(', ')} permits what agreement ${A.agreement} prohibits at ${ref(a, ['prohibitions', k])} (${p.indicator}${p.by === undefined ? '' : ` by ${p.by.join(', ')}`}${p.years === undefined ? '' : ` in ${yearsText(p.years)}`}) ${both}`)
        })
      })
      A.grants.forEach((h, k) => {
        B.prohibitions.forEach((p, i) => {
          if (contradicts(h, p)) add(['prohibitions', i], `prohibits what agreement ${A.agreement} grants at ${ref(a, ['grants', k])} (${h.indicator} by ${h.by.length === 0 ? 'nothing' : h.by.join(', ')}) ${both}`)
        })
      })
    }
  }
  return problems
}

/**
 * Loads agreement files that must hold together (a node's policies folder): each valid, and
 * none in conflict with another (see {@link agreementSetProblems}). Throws CONFIG_INVALID
 * listing every problem with its file and line.
 */
export function loadAgreements (files: readonly string[]): LoadedAgreement[] {
  const parsed = files.map(parseAgreement)
  const problems = agreementSetProblems(parsed.map(p => ({ ...p.loaded, lineOf: p.lineOf })))
  if (problems.length > 0) throw new AppError('CONFIG_INVALID', `agreements are in conflict:\n  ${problems.map(formatProblem).join('\n  ')}`)
  return parsed.map(p => p.loaded)
}

export function formatProblem (p: PolicyProblem): string {
  return `${p.file}:${p.line}: ${p.field === undefined ? '' : `${p.field}: `}${p.message}`
}

/** Folder of a node's home that holds its agreement files. */
export const POLICIES_DIR = 'policies'

/** The agreement files in `home`/policies (*.yaml, *.yml), in file-name order; none when the folder is absent. */
export function policyFolderFiles (home: string): string[] {
  const dir = join(home, POLICIES_DIR)
  if (!existsSync(dir)) return []
  return readdirSync(dir).filter(n => /\.ya?ml$/.test(n)).sort().map(n => join(dir, n))
}

/**
 * Every agreement in `home`/policies (*.yaml, *.yml), in file-name order; none when the folder
 * is absent. Throws CONFIG_INVALID when one is invalid or two are in conflict.
 */
export function nodeAgreements (home: string): LoadedAgreement[] {
  return loadAgreements(policyFolderFiles(home))
}

/**
 * Every problem of agreement files, as a node holding them all would load them: each file on
 * its own ({@link lintAgreementText}), then the valid ones together ({@link
 * agreementSetProblems}). `name` is how a file is named in the problems (its path unless
 * given). What `dcimx policy lint` prints and GET /v1/policy/lint answers.
 */
export function lintAgreementFiles (files: readonly string[], name: (file: string) => string = f => f): PolicyProblem[] {
  const problems: PolicyProblem[] = []
  const valid: LintedAgreement[] = []
  for (const path of files) {
    const file = name(path)
    let text: string
    try {
      text = readFileSync(path, 'utf8')
    } catch (err) {
      problems.push({ file, line: 1, message: `cannot read the file (${(err as NodeJS.ErrnoException).code ?? 'error'})` })
      continue
    }
    const { problems: own, agreement, lineOf } = lintAgreementText(text, file)
    problems.push(...own)
    if (agreement !== undefined) valid.push({ file, agreement, hash: agreementHash(agreement), lineOf: lineOf! })
  }
  return [...problems, ...agreementSetProblems(valid)]
}
