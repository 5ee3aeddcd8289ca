/**
 * Benchmark for issue 4: protecting and auditing a country's full table set for 8 peers (all
 * indicators, 10 years), with the node's own code from end to end:
 *
 *   synthetic SRB exports 2015-2024 (writeSyntheticCsv) -> importFile into an in-memory PGlite
 *   database -> 8 agreements (ALB BIH HRV XKX MNE MKD EUROPOL SELEC, every indicator, from 2015,
 *   validated by lintAgreementText) -> activeGrants -> protectGrants
 *
 * Protection is per population-year (victims V1-V5, convicted C3+C4, suspected C1, prosecuted
 * C2; see docs/disclosure.md): one pattern over every peer's grants of every indicator of the
 * population, over the persons' profiles. Side by side, in the same process and on the same
 * database, the floor: cutting the same grants without protecting them (cutGrants and tablesOf
 * with nothing suppressed: the two halves of protectGrants around its call to protect()). The
 * difference is the cost of disclosure control (elimination + LP audit). The bench checks that
 * both give the same published cells and tables. protectGrants runs twice: in this thread
 * (the LP counters see it) and in worker threads as the node runs it by default (the large
 * population-years in parallel); both must give the same result.
 *
 * Also measured:
 * - utility, per recipient over everything it receives: the share of listed cells (cells with
 *   records) hidden, and the share of persons hidden in its tables' finest cells (every `by`
 *   dimension a code): the true values of the hidden finest cells over those of all of them;
 * - the pattern's size against the minimum for small problems (minimal-pattern.ts: a cut loop
 *   around a 0-1 program with HiGHS, under the engine's own acceptance criterion): population-
 *   years cut for one or two peers' grants, and synthetic cross tables and linked tables.
 *
 *   node --import tsx test/bench/protect-all.ts      (npm run bench:protect)
 *
 * Environment:
 *   BENCH_VOLUME   small (default: the generator's default, 80 victims and 50 offenders per
 *                  year) or large (400 victims and 250 offenders per year)
 *   BENCH_RUNS     timed runs of protectGrants over all grants (default 1); the floor runs
 *                  before and after each
 *   BENCH_SLICES   1 (default) also times protectGrants slice by slice (one population-year at
 *                  a time, the same work split up) for the per-population and slowest-slice tables
 *   BENCH_AUDIT    1 (default) re-audits every released pattern independently
 *                  (auditSuppression, exact singleton intervals, plus the derived targets) and
 *                  times that too
 *   BENCH_LP       1 (default) counts the HiGHS models and solves and times model.run() and
 *                  model.getSolution() (by wrapping the shared solver instance; a few µs per call)
 *   BENCH_MINIMAL  1 (default) compares the engine's pattern with the minimum on small problems
 *   BENCH_MINIMAL_CAP_MS    time cap per problem for the minimum (default 20000)
 *   BENCH_MINIMAL_CELLS     largest problem (published cells) tried for one or two peers and
 *                           the synthetic ones (default 80)
 *   BENCH_MINIMAL_YEARS     years of the cut problems (default 2016,2020,2024)
 *   BENCH_MINIMAL_FULL_CAP_MS  time cap for the whole population-years of those years (the union
 *                           of the 8 peers' grants, as released; default 60000, 0: not tried)
 *   BENCH_POPULATIONS  only the grants of these populations (comma-separated: victims,
 *                  convicted, suspected, prosecuted; default all), e.g. to run the large volume
 *                  without the victims, whose population-years take minutes each there
 *   BENCH_JSON     a file: the raw results as JSON, with the process.hrtime windows (µs) of the
 *                  timed protectGrants runs, to cut a --cpu-prof profile to them
 *   BENCH_DUMP     a folder: write each population-year's protection problem there as JSON
 *                  (population-year.json) and stop; test/bench/protect-one.ts times one of them
 *
 * Prints markdown tables on stdout, progress on stderr; exits 1 when a table is refused or an
 * independent audit fails.
 */
import { createWriteStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { once } from 'node:events'
import os from 'node:os'
import { join } from 'node:path'
import type { Kysely } from 'kysely'
import { stringify } from 'yaml'
import type { Clock } from '../../src/clock.js'
import { createDb } from '../../src/db/create-db.js'
import { migrateToLatest } from '../../src/db/migrate.js'
import type { Database } from '../../src/db/types.js'
import { EMPTY_CROSSWALK } from '../../src/ingest/crosswalk.js'
import { importFile, type ImportDeps } from '../../src/ingest/import-file.js'
import { recordKeyer } from '../../src/ingest/record-key.js'
import { writeSyntheticCsv } from '../../src/ingest/synthetic.js'
import type { AgreementFile } from '../../src/policy/agreement.js'
import { activeGrants, type ActiveGrant } from '../../src/policy/grants.js'
import { agreementHash, formatProblem, lintAgreementText, type LoadedAgreement } from '../../src/policy/load.js'
import { TOTAL_CODE } from '../../src/protocol/codelists.js'
import { findIndicator, INDICATOR_IDS } from '../../src/protocol/indicators.js'
import { AttackerLp, auditSuppression, isProtected, loadSolver } from '../../src/stats/disclosure/audit.js'
import { primaryKeys, protect } from '../../src/stats/disclosure/protect.js'
import { prepareProblem, type ProtectionProblem } from '../../src/stats/disclosure/problem.js'
import { crossTableProblem } from '../../src/stats/disclosure/tables.js'
import { indicatorsOfPopulation, populationOf, type Population } from '../../src/stats/populations.js'
import { defaultWorkers } from '../../src/stats/disclosure/pool.js'
import { cutGrants, protectGrants, tablesOf, type GrantCut, type PeerTable, type ProtectionSummary } from '../../src/stats/protect-grants.js'
import { criterion, minimalPattern, type MinimalResult } from './minimal-pattern.js'
import { syntheticCases, type MinimalCase } from './minimal-cases.js'

const VOLUMES = {
  small: { victimsPerYear: 80, offendersPerYear: 50 },
  large: { victimsPerYear: 400, offendersPerYear: 250 },
} as const
type Volume = keyof typeof VOLUMES

const VOLUME = (process.env.BENCH_VOLUME ?? 'small') as Volume
const RUNS = Number(process.env.BENCH_RUNS ?? 1)
const SLICES = process.env.BENCH_SLICES !== '0'
const AUDIT = process.env.BENCH_AUDIT !== '0'
const JSON_OUT = process.env.BENCH_JSON
const LP = process.env.BENCH_LP !== '0'
const MINIMAL = process.env.BENCH_MINIMAL !== '0'
const MINIMAL_CAP_MS = Number(process.env.BENCH_MINIMAL_CAP_MS ?? 20_000)
const MINIMAL_CELLS = Number(process.env.BENCH_MINIMAL_CELLS ?? 80)
const MINIMAL_YEARS = (process.env.BENCH_MINIMAL_YEARS ?? '2016,2020,2024').split(',').map(Number)
const MINIMAL_FULL_CAP_MS = Number(process.env.BENCH_MINIMAL_FULL_CAP_MS ?? 60_000)
const ALL_POPULATIONS: readonly Population[] = ['victims', 'convicted', 'suspected', 'prosecuted']
const POPULATIONS = (process.env.BENCH_POPULATIONS?.split(',') ?? ALL_POPULATIONS) as Population[]
const PROVIDER = 'SRB'
const YEARS = [2015, 2016, 2017, 2018, 2019, 2020, 2021, 2022, 2023, 2024]
const SEED = 2026
const clock: Clock = { now: () => Date.UTC(2026, 10, 25) }

const log = (text: string): void => { process.stderr.write(text + '\n') }
const ms = (v: number): string => v >= 100 ? Math.round(v).toLocaleString('en-US') : v.toFixed(1)
const int = (v: number): string => Math.round(v).toLocaleString('en-US')
const pct = (part: number, whole: number): string => whole === 0 ? '–' : `${(100 * part / whole).toFixed(1)}%`
const rssMb = (): number => process.resourceUsage().maxRSS / 1024

function median (values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

async function timed<T> (fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now()
  const out = await fn()
  return [out, performance.now() - t0]
}

// ---------------------------------------------------------------------------------------------
// LP accounting: the engine shares one HiGHS instance per process (loadSolver); wrapping its
// createModel counts models, solves (model.run) and the time spent in them, without touching src/.

interface LpStats {
  models: number
  solves: number
  /** Time inside model.run(): HiGHS's solve (set-up and warm-started simplex), in WebAssembly. */
  runMs: number
  /** Time inside model.getSolution(): copying the solution and duals out of WebAssembly. */
  solutionMs: number
  /** Solves while a column has lower bound 1: the singleton-contributor attacks (audit.ts withLowerBound). */
  singletonSolves: number
  singletonRunMs: number
  /** Sums over solves of the model's rows and columns (for averages). */
  rows: number
  cols: number
}

const LP_ZERO: LpStats = { models: 0, solves: 0, runMs: 0, solutionMs: 0, singletonSolves: 0, singletonRunMs: 0, rows: 0, cols: 0 }
const lpStats: LpStats = { ...LP_ZERO }
const lpSnapshot = (): LpStats => ({ ...lpStats })
function lpDelta (from: LpStats): LpStats {
  const out = { ...LP_ZERO }
  for (const k of Object.keys(out) as Array<keyof LpStats>) out[k] = lpStats[k] - from[k]
  return out
}

async function instrumentSolver (): Promise<void> {
  const highs = await loadSolver()
  const createModel = highs.createModel.bind(highs)
  highs.createModel = (...args: Parameters<typeof createModel>) => {
    const model = createModel(...args)
    lpStats.models++
    const source = args[0]
    const rows = source !== undefined && 'numRows' in source ? source.numRows ?? 0 : 0
    const cols = source !== undefined && 'numCols' in source ? source.numCols ?? 0 : 0
    let lowered = false
    const run = model.run.bind(model)
    const getSolution = model.getSolution.bind(model)
    const changeColBounds = model.changeColBounds.bind(model)
    model.changeColBounds = (col: number, lower: number, upper: number) => {
      lowered = lower > 0
      return changeColBounds(col, lower, upper)
    }
    model.run = (...a: Parameters<typeof run>) => {
      const t0 = performance.now()
      try {
        return run(...a)
      } finally {
        const dt = performance.now() - t0
        lpStats.runMs += dt
        lpStats.solves++
        lpStats.rows += rows
        lpStats.cols += cols
        if (lowered) {
          lpStats.singletonSolves++
          lpStats.singletonRunMs += dt
        }
      }
    }
    model.getSolution = () => {
      const t0 = performance.now()
      try {
        return getSolution()
      } finally {
        lpStats.solutionMs += performance.now() - t0
      }
    }
    return model
  }
}

// ---------------------------------------------------------------------------------------------
// Agreements: 8 peers, every indicator from 2015, varied breakdowns and thresholds.

type Pick = (dims: readonly string[]) => string[]
const first: Pick = d => [d[0]!]
const firstTwo: Pick = d => d.slice(0, 2)
const last: Pick = d => [d.at(-1)!]
const firstAndLast: Pick = d => [...new Set([d[0]!, d.at(-1)!])]
const second: Pick = d => [d[1] ?? d[0]!]
const all: Pick = d => [...d]
const PICK_LABELS = new Map<Pick, string>([
  [first, 'first dimension'], [firstTwo, 'first two dimensions'], [last, 'last dimension'],
  [firstAndLast, 'first and last dimensions'], [second, 'second dimension'], [all, 'all dimensions'],
])

interface Peer {
  recipient: string
  name: string
  instrument: string
  by: Pick
  threshold: 3 | 5
  /** Indicators granted with the higher threshold 5. */
  strict?: readonly string[]
}

const MOU = 'Memorandum of Understanding on the regional exchange of THB statistics (DCIM Phase II)'
const PEERS: readonly Peer[] = [
  { recipient: 'ALB', name: 'Albania', instrument: MOU, by: first, threshold: 3 },
  { recipient: 'BIH', name: 'Bosnia and Herzegovina', instrument: MOU, by: firstTwo, threshold: 3 },
  { recipient: 'HRV', name: 'Croatia', instrument: MOU, by: all, threshold: 3 },
  { recipient: 'XKX', name: 'Kosovo', instrument: MOU, by: last, threshold: 3 },
  { recipient: 'MNE', name: 'Montenegro', instrument: MOU, by: firstAndLast, threshold: 3 },
  { recipient: 'MKD', name: 'North Macedonia', instrument: MOU, by: second, threshold: 3 },
  { recipient: 'EUROPOL', name: 'Europol', instrument: 'Working arrangement on strategic cooperation with Europol', by: all, threshold: 3, strict: ['V1', 'V2', 'V3', 'V4', 'V5'] },
  { recipient: 'SELEC', name: 'SELEC', instrument: 'Cooperation agreement with the Southeast European Law Enforcement Center', by: firstTwo, threshold: 3, strict: ['C3', 'C4'] },
]

function agreementFile (peer: Peer): AgreementFile {
  return {
    agreement: `srb-${peer.recipient.toLowerCase()}`,
    version: 1,
    title: `Exchange of statistics on trafficking in human beings, Serbia to ${peer.name}`,
    provider: PROVIDER,
    recipient: peer.recipient,
    legal_basis: { instrument: peer.instrument, article: 'Article 5' },
    purposes: ['statistics'],
    validity: { from: '2026-01-01', until: '2028-12-31', timezone: 'Europe/Belgrade' },
    threshold: peer.threshold,
    retention_years: 5,
    onward_sharing: false,
    grants: INDICATOR_IDS.map(id => ({
      indicator: id,
      by: peer.by(findIndicator(id)!.dimensions.map(d => d.id)),
      years: { from: 2015 },
      ...(peer.strict?.includes(id) === true ? { threshold: 5 } : {}),
    })) as AgreementFile['grants'],
    prohibitions: [],
  }
}

/** The agreements as YAML, checked by the node's own linter (the benchmark uses valid ones only). */
function buildAgreements (dir: string): LoadedAgreement[] {
  return PEERS.map(peer => {
    const file = join(dir, `srb-${peer.recipient.toLowerCase()}.yaml`)
    const text = stringify(agreementFile(peer))
    writeFileSync(file, text)
    const { problems, agreement } = lintAgreementText(text, file)
    if (agreement === undefined) throw new Error(`invalid agreement:\n  ${problems.map(formatProblem).join('\n  ')}`)
    return { file, agreement, hash: agreementHash(agreement) }
  })
}

// ---------------------------------------------------------------------------------------------
// The floor: the same cut without protection (cutGrants, which protectGrants itself uses, and
// the per-peer tables with every cell published as counted).

interface Cut {
  cut: GrantCut
  tables: PeerTable[]
}

async function cutFloor (db: Kysely<Database>, grants: ActiveGrant[]): Promise<Cut[]> {
  return (await cutGrants(db, grants)).map(cut => ({ cut, tables: tablesOf(cut, new Set()) }))
}

const sliceKey = (s: { population: string, year: number }): string => `${s.population} ${s.year}`

/** The grants of one population-year, restricted to that year. */
function grantsOfSlice (grants: ActiveGrant[], population: Population, year: number): ActiveGrant[] {
  return grants.filter(g => populationOf(g.indicator) === population && g.years.includes(year)).map(g => ({ ...g, years: [year] }))
}

// ---------------------------------------------------------------------------------------------

interface SliceResult {
  population: Population
  year: number
  threshold: number
  /** Indicators granted in this population-year. */
  indicators: string[]
  /** Distinct profiles with records (the problem's inner cells) and persons. */
  profiles: number
  persons: number
  /** Listed keys (with records), union over the peers and indicators: the problem's cells. */
  published: number
  /** Atoms of the problem (the LP's variables). */
  atoms: number
  /** Primary cells (1 <= value < T) and derived targets (small atoms no cell equals). */
  primary: number
  derived: number
  suppressed: number
  ok: boolean
  unsafe: string[]
  /** protectGrants on this slice alone. */
  protectMs: number
  /** The floor on this slice alone. */
  cutMs: number
  /** HiGHS work during protectGrants on this slice alone. */
  lp?: LpStats
  auditMs?: number
  auditOk?: boolean
  /** Failing cells or derived targets in the independent audit. */
  auditFailures?: string[]
}

interface Setup {
  db: Kysely<Database>
  close: () => Promise<void>
  records: Record<string, number>
  importMs: number
  /** Peak RSS (MB) at start, after creating and migrating the database, after the import. */
  rss: { start: number, db: number, imported: number }
}

async function setup (dir: string): Promise<Setup> {
  const start = rssMb()
  const volume = VOLUMES[VOLUME]
  const records: Record<string, number> = {}
  const paths: Record<string, string> = {}
  for (const kind of ['victims', 'offenders'] as const) {
    const path = join(dir, `${kind}.csv`)
    const out = createWriteStream(path)
    records[kind] = await writeSyntheticCsv(kind, { country: PROVIDER, years: YEARS, ...volume, seed: SEED }, out)
    out.end()
    await once(out, 'finish')
    paths[kind] = path
  }
  const handle = await createDb({ kind: 'memory' })
  await migrateToLatest(handle.db)
  const dbRss = rssMb()
  const deps: ImportDeps = { db: handle.db, clock, reporter: PROVIDER, keyer: recordKeyer(Buffer.alloc(32, 1)), crosswalk: EMPTY_CROSSWALK }
  const t0 = performance.now()
  for (const kind of ['victims', 'offenders'] as const) {
    const report = await importFile(deps, { kind, path: paths[kind]! })
    if (report.status !== 'applied' || report.rejected > 0) throw new Error(`import of ${kind} failed: ${report.status}, ${report.rejected} rows rejected`)
  }
  const importMs = performance.now() - t0
  return { db: handle.db, close: () => handle.close(), records, importMs, rss: { start, db: dbRss, imported: rssMb() } }
}

/** The published keys (`V1:codes`) suppressed per population-year, read back from the tables sent. */
function suppressedBySlice (tables: PeerTable[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>()
  for (const t of tables) {
    const k = sliceKey({ population: populationOf(t.indicator), year: t.year })
    let set = out.get(k)
    if (set === undefined) out.set(k, set = new Set())
    t.cells.forEach((c, i) => { if (c.conf_status === 'C') set.add(`${t.indicator}:${t.ledgerKeys[i]!}`) })
  }
  return out
}

/**
 * Independent re-audit of a released pattern: auditSuppression (exact singleton intervals) on every
 * suppressed cell, and the same exact LP on every derived target (small atoms the groupings
 * separate). Returns the keys that fail.
 */
async function reaudit (problem: ProtectionProblem, suppressed: string[]): Promise<string[]> {
  const prep = prepareProblem(problem)
  const T = prep.threshold
  const failures: string[] = []
  for (const a of await auditSuppression(problem, suppressed)) {
    if (!isProtected(a.lower, a.upper, T) || !isProtected(a.singletonLower, a.singletonUpper, T)) failures.push(a.key)
  }
  const { derived } = criterion(prep)
  if (derived.length > 0) {
    const index = new Map(prep.cells.map((c, i) => [c.key, i]))
    const lp = new AttackerLp(await loadSolver(), prep)
    try {
      for (const k of suppressed) lp.suppress(index.get(k)!)
      for (const t of derived) {
        const iv = lp.interval(t.atoms, 'exact', t.coefs)
        if (!isProtected(iv.lower, iv.upper, T) || !isProtected(iv.singletonLower, iv.singletonUpper, T)) {
          failures.push(`{${prep.atoms[t.atoms[0]!]!.inner.map(i => prep.innerKeys[i]!).join(',')}}`)
        }
      }
    } finally {
      lp.dispose()
    }
  }
  return failures
}

// ---------------------------------------------------------------------------------------------
// Utility: what each recipient loses.

interface Utility {
  recipient: string
  tables: number
  /** Listed cells (with records) and how many of them are hidden. */
  cells: number
  hidden: number
  /** Finest cells (every `by` dimension a code): listed, hidden, and their persons (true values). */
  finest: number
  finestHidden: number
  persons: number
  personsHidden: number
  /** The same for the primary cells alone (1 <= n < T): what any acceptable pattern hides at least. */
  primary: number
  personsPrimary: number
}

function utilityOf (recipient: string, tables: PeerTable[], cuts: Map<string, GrantCut>): Utility {
  const u: Utility = { recipient, tables: 0, cells: 0, hidden: 0, finest: 0, finestHidden: 0, persons: 0, personsHidden: 0, primary: 0, personsPrimary: 0 }
  for (const t of tables) {
    if (t.recipient !== recipient) continue
    const cut = cuts.get(sliceKey({ population: populationOf(t.indicator), year: t.year }))!
    u.tables++
    t.cells.forEach((c, i) => {
      const hidden = c.conf_status === 'C'
      const value = cut.published.get(`${t.indicator}:${t.ledgerKeys[i]!}`)!.value
      const primary = value >= 1 && value < cut.threshold
      u.cells++
      if (hidden) u.hidden++
      if (primary) u.primary++
      const codes = t.ledgerKeys[i]!.split('|')
      if (codes.filter(x => x !== TOTAL_CODE).length !== t.by.length) return
      u.finest++
      u.persons += value
      if (primary) u.personsPrimary += value
      if (hidden) {
        u.finestHidden++
        u.personsHidden += value
      }
    })
  }
  return u
}

// ---------------------------------------------------------------------------------------------
// The engine's pattern against the minimum, on small problems.

interface MinimalRow {
  name: string
  group: string
  threshold: number
  cells: number
  atoms: number
  primary: number
  derived: number
  engine: number
  engineOk: boolean
  engineMs: number
  min: MinimalResult
  /** The minimum's pattern passes the independent exact re-audit (a check of the cut loop). */
  minAuditOk?: boolean
}

/**
 * Problems small enough to solve exactly, from the benchmark's own data: the population-years of
 * some years cut for the grants of one or two peers only (single dimensions, one cross table, or
 * two non-nested one-dimension breakdowns), at most `maxCells` published cells.
 */
const ONE_OR_TWO = 'one or two peers\' grants'
const FULL = 'full table set (the 8 peers\' grants)'

async function cutCases (db: Kysely<Database>, grants: ActiveGrant[], years: number[], maxCells: number): Promise<MinimalCase[]> {
  const out: MinimalCase[] = []
  const groups = [['ALB'], ['XKX'], ['MKD'], ['MNE'], ['BIH'], ['ALB', 'MKD'], ['ALB', 'XKX']]
  for (const recipients of groups) {
    const mine = grants.filter(g => recipients.includes(g.recipient)).map(g => ({ ...g, years: g.years.filter(y => years.includes(y)) })).filter(g => g.years.length > 0)
    for (const cut of await cutGrants(db, mine)) {
      if (cut.problem === undefined || cut.published.size > maxCells) continue
      out.push({ name: `${cut.population} ${cut.year}, ${recipients.join('+')}'s grants`, group: ONE_OR_TWO, problem: cut.problem })
    }
  }
  return out
}

async function compareMinimal (cases: MinimalCase[], capMs: number): Promise<MinimalRow[]> {
  const rows: MinimalRow[] = []
  for (const c of cases) {
    const prep = prepareProblem(c.problem)
    const { derived } = criterion(prep)
    const [result, engineMs] = await timed(() => protect(c.problem))
    const engine = { size: result.suppressed.length, ok: result.ok, ms: engineMs }
    const min = await minimalPattern(c.problem, c.capMs ?? capMs)
    const row: MinimalRow = {
      name: c.name,
      group: c.group,
      threshold: prep.threshold,
      cells: prep.cells.length,
      atoms: prep.atoms.length,
      primary: primaryKeys(c.problem).length,
      derived: derived.length,
      engine: engine.size,
      engineOk: engine.ok,
      engineMs: engine.ms,
      min,
    }
    if (min.suppressed !== undefined) row.minAuditOk = (await reaudit(c.problem, min.suppressed)).length === 0
    rows.push(row)
    log(`  ${c.name}: T=${row.threshold}, ${row.cells} cells, ${row.atoms} atoms, ${row.primary} primary, ${row.derived} derived; engine ${row.engine}${engine.ok ? '' : ' (NOT ok)'} in ${ms(engine.ms)} ms;` +
      ` minimum ${min.status === 'optimal' ? String(min.size) : `${min.status} (>= ${min.lowerBound})`} after ${min.iterations} MIP rounds, ${min.cuts} cuts, ${ms(min.ms)} ms${row.minAuditOk === false ? ' (its pattern FAILS the exact re-audit)' : ''}`)
  }
  return rows
}

// ---------------------------------------------------------------------------------------------

async function main (): Promise<void> {
  if (!(VOLUME in VOLUMES)) throw new Error(`BENCH_VOLUME must be small or large, not ${VOLUME}`)
  for (const p of POPULATIONS) if (!ALL_POPULATIONS.includes(p)) throw new Error(`BENCH_POPULATIONS: unknown population ${p}`)
  if (!Number.isInteger(RUNS) || RUNS < 1) throw new Error(`BENCH_RUNS must be an integer >= 1, not ${process.env.BENCH_RUNS ?? ''}`)
  const started = performance.now()
  const dir = mkdtempSync(join(os.tmpdir(), 'dcimx-bench-protect-'))
  try {
    log(`volume ${VOLUME}: ${VOLUMES[VOLUME].victimsPerYear} victims and ${VOLUMES[VOLUME].offendersPerYear} offenders per year, ${YEARS[0]}-${YEARS.at(-1)}`)
    const { db, close, records, importMs, rss } = await setup(dir)
    try {
      log(`imported ${records.victims} victims and ${records.offenders} offenders in ${ms(importMs)} ms`)
      const agreements = buildAgreements(dir)
      const inForce = activeGrants(agreements, PROVIDER, clock.now())
      if (inForce.length !== PEERS.length * INDICATOR_IDS.length) throw new Error(`expected ${PEERS.length * INDICATOR_IDS.length} grants in force, got ${inForce.length}`)
      const grants = inForce.filter(g => POPULATIONS.includes(populationOf(g.indicator)))
      if (POPULATIONS.length < ALL_POPULATIONS.length) log(`only the populations ${POPULATIONS.join(', ')}: ${grants.length} grants`)
      log(`${agreements.length} agreements, ${grants.length} grants in force, years ${grants[0]!.years[0]}-${grants[0]!.years.at(-1)}`)

      // BENCH_DUMP=DIR: write each population-year's problem as JSON (for test/bench/protect-one.ts) and stop.
      if (process.env.BENCH_DUMP !== undefined) {
        for (const c of await cutGrants(db, grants)) {
          if (c.problem !== undefined) writeFileSync(join(process.env.BENCH_DUMP, `${c.population}-${c.year}.json`), JSON.stringify(c.problem))
        }
        log(`problems written to ${process.env.BENCH_DUMP}`)
        return
      }
      // Load the HiGHS WebAssembly module and warm the engine up outside the measurement.
      if (LP) await instrumentSolver()
      await protect(crossTableProblem([['a', 'b'], ['c', 'd']], [1, 5, 7, 9]))
      await cutFloor(db, grants)
      const rssBefore = rssMb()

      // Whole runs: the floor, then protectGrants, then the floor again.
      const cutRuns: number[] = []
      const protectRuns: number[] = []
      const parallelRuns: number[] = []
      const lpRuns: LpStats[] = []
      /** process.hrtime of each timed protectGrants run (µs), to cut --cpu-prof profiles. */
      const windows: Array<[number, number]> = []
      const micros = (): number => Number(process.hrtime.bigint() / 1000n)
      let result: Awaited<ReturnType<typeof protectGrants>> | undefined
      let cuts: Cut[] = []
      const cutOnce = async (): Promise<void> => {
        const [c, t] = await timed(() => cutFloor(db, grants))
        cuts = c
        cutRuns.push(t)
        log(`  floor (cut without protection): ${ms(t)} ms`)
      }
      await cutOnce()
      for (let r = 0; r < RUNS; r++) {
        const from = micros()
        const lp0 = lpSnapshot()
        // In this thread, where the LP counters see every solve; then in worker threads (the
        // default), which must give the same result.
        const [res, t] = await timed(() => protectGrants(db, grants, { workers: 0 }))
        windows.push([from, micros()])
        lpRuns.push(lpDelta(lp0))
        if (result !== undefined && JSON.stringify(res) !== JSON.stringify(result)) throw new Error('protectGrants gave different results in two runs')
        result = res
        protectRuns.push(t)
        log(`  protectGrants, all grants, in this thread: ${ms(t)} ms${LP ? ` (${lpRuns.at(-1)!.solves} LP solves, ${ms(lpRuns.at(-1)!.runMs)} ms in HiGHS run())` : ''}`)
        const [pooled, tp] = await timed(() => protectGrants(db, grants))
        if (JSON.stringify(pooled) !== JSON.stringify(res)) throw new Error('protectGrants in worker threads differs from protectGrants in this thread')
        parallelRuns.push(tp)
        log(`  protectGrants, all grants, in up to ${defaultWorkers()} worker threads: ${ms(tp)} ms`)
        await cutOnce()
      }
      const { tables, summary } = result!
      const rssAfterWhole = rssMb()

      // Consistency: the floor produced the same published cells and the same tables.
      const cutBySlice = new Map(cuts.map(c => [sliceKey(c.cut), c.cut]))
      const hiddenBySlice = suppressedBySlice(tables)
      for (const s of summary) {
        const cut = cutBySlice.get(sliceKey(s))
        const keys = cut === undefined ? [] : [...cut.published.keys()].filter(k => k.startsWith(`${s.indicator}:`))
        if (cut === undefined || keys.length !== s.published) throw new Error(`floor differs from protectGrants at ${s.indicator} ${s.year}`)
        const hidden = hiddenBySlice.get(sliceKey(s)) ?? new Set()
        if (s.ok && keys.filter(k => hidden.has(k)).length !== s.suppressed) throw new Error(`tables and summary differ at ${s.indicator} ${s.year}`)
      }
      const cutTableCells = cuts.reduce((n, c) => n + c.tables.reduce((m, t) => m + t.cells.length, 0), 0)
      const sentCells = tables.reduce((n, t) => n + t.cells.length, 0)
      if (cutTableCells !== sentCells) throw new Error(`floor built ${cutTableCells} table cells, protectGrants ${sentCells}`)

      // Slice by slice: the same work, timed per population-year.
      const slices: SliceResult[] = []
      for (const { cut } of cuts) {
        const entries = summary.filter(s => s.population === cut.population && s.year === cut.year)
        const prep = cut.problem === undefined ? undefined : prepareProblem(cut.problem)
        const hidden = [...(hiddenBySlice.get(sliceKey(cut)) ?? [])].sort()
        const row: SliceResult = {
          population: cut.population,
          year: cut.year,
          threshold: cut.threshold,
          indicators: entries.map(s => s.indicator),
          profiles: cut.profiles.length,
          persons: cut.profiles.reduce((n, p) => n + p.count, 0),
          published: cut.published.size,
          atoms: prep?.atoms.length ?? 0,
          primary: cut.problem === undefined ? 0 : primaryKeys(cut.problem).length,
          derived: prep === undefined ? 0 : criterion(prep).derived.length,
          suppressed: entries.reduce((n, s) => n + s.suppressed, 0),
          ok: entries.every(s => s.ok),
          unsafe: [...new Set(entries.flatMap(s => s.unsafe))],
          protectMs: NaN,
          cutMs: NaN,
        }
        if (SLICES) {
          const sliceGrants = grantsOfSlice(grants, cut.population, cut.year)
          const [, cutMs] = await timed(() => cutFloor(db, sliceGrants))
          const lp0 = lpSnapshot()
          const [one, protectMs] = await timed(() => protectGrants(db, sliceGrants))
          if (LP) row.lp = lpDelta(lp0)
          if (JSON.stringify(one.summary) !== JSON.stringify(entries)) throw new Error(`slice ${sliceKey(cut)} alone differs from the whole run`)
          row.protectMs = protectMs
          row.cutMs = cutMs
        }
        if (AUDIT && cut.problem !== undefined && row.ok) {
          // Cells counting the same persons are one cell of the problem, under its first key (same
          // status for all): the re-audit takes the keys the problem holds.
          const keys = new Set(cut.problem.published.map(c => c.key))
          const [failures, auditMs] = await timed(() => reaudit(cut.problem!, hidden.filter(k => keys.has(k))))
          row.auditMs = auditMs
          row.auditOk = failures.length === 0
          row.auditFailures = failures
        }
        slices.push(row)
        if (SLICES || AUDIT) {
          log(`  ${sliceKey(cut)}: T=${row.threshold}, ${row.profiles} profiles, ${row.atoms} atoms, ${row.published} cells listed, ${row.primary} primary, ${row.derived} derived targets, ${row.suppressed} suppressed;` +
            ` protect ${ms(row.protectMs)} ms${row.lp === undefined ? '' : ` (${row.lp.solves} LP solves)`}, floor ${ms(row.cutMs)} ms` +
            `${row.auditMs === undefined ? '' : `, audit ${ms(row.auditMs)} ms (${row.auditOk === true ? 'pass' : `FAIL: ${row.auditFailures!.slice(0, 5).join(' ')}`})`}`)
        }
      }
      const peakRss = rssMb()

      const utility = PEERS.map(p => utilityOf(p.recipient, tables, cutBySlice))

      let minimal: MinimalRow[] = []
      let minimalMs = 0
      if (MINIMAL) {
        const t0 = performance.now()
        // The released population-years themselves, with the engine's pattern from the whole run.
        const full: MinimalCase[] = MINIMAL_FULL_CAP_MS <= 0
          ? []
          : slices.filter(s => MINIMAL_YEARS.includes(s.year) && s.profiles > 0 && s.ok).map(s => ({
            name: `${sliceKey(s)}, all 8 peers`,
            group: FULL,
            problem: cutBySlice.get(sliceKey(s))!.problem!,
            capMs: MINIMAL_FULL_CAP_MS,
            // The engine is run again on the problem (as for the other cases): the whole run's
            // count is of published keys, and twin keys (one cell's content in several
            // indicators) are one cell of the problem and of the minimum.
          }))
        const cases = [...full, ...await cutCases(db, grants, MINIMAL_YEARS, MINIMAL_CELLS), ...syntheticCases().filter(c => c.problem.published.length <= MINIMAL_CELLS)]
        log(`minimal patterns: ${cases.length} problems, cap ${MINIMAL_CAP_MS} ms each (${MINIMAL_FULL_CAP_MS} ms for the ${full.length} full population-years)`)
        minimal = await compareMinimal(cases, MINIMAL_CAP_MS)
        minimalMs = performance.now() - t0
      }
      const totalMs = performance.now() - started
      if (JSON_OUT !== undefined) writeFileSync(JSON_OUT, JSON.stringify({ volume: VOLUME, records, importMs, rss, cutRuns, protectRuns, parallelRuns, lpRuns, windows, rssBefore, rssAfterWhole, peakRss, slices, utility, minimal, minimalMs, totalMs }, null, 2))

      report({ records, importMs, rss, agreements, grants, tables, summary, slices, cutRuns, protectRuns, parallelRuns, lpRuns, rssBefore, rssAfterWhole, peakRss, utility, minimal, minimalMs, totalMs })
      const refused = summary.filter(s => !s.ok)
      const auditFailed = slices.filter(s => s.auditOk === false)
      if (refused.length > 0 || auditFailed.length > 0) process.exitCode = 1
    } finally {
      await close()
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

interface Report {
  records: Record<string, number>
  importMs: number
  rss: Setup['rss']
  agreements: LoadedAgreement[]
  grants: ActiveGrant[]
  tables: PeerTable[]
  summary: ProtectionSummary[]
  slices: SliceResult[]
  cutRuns: number[]
  protectRuns: number[]
  parallelRuns: number[]
  lpRuns: LpStats[]
  rssBefore: number
  rssAfterWhole: number
  peakRss: number
  utility: Utility[]
  minimal: MinimalRow[]
  minimalMs: number
  totalMs: number
}

function report (r: Report): void {
  const out = (line = ''): void => { process.stdout.write(line + '\n') }
  const sum = <T>(rows: T[], f: (s: T) => number): number => rows.reduce((n, s) => n + f(s), 0)
  const x = (a: number, b: number): string => `${(a / b).toFixed(1)}x`
  const range = (v: number[]): string => v.length === 0 ? '–' : `${int(Math.min(...v))}–${int(Math.max(...v))}`
  const { slices } = r
  const withData = slices.filter(s => s.profiles > 0)
  const published = sum(slices, s => s.published)
  const suppressed = sum(slices, s => s.suppressed)
  const protectMs = median(r.protectRuns)
  const cutMs = median(r.cutRuns)
  const cpus = os.cpus()
  const volume = VOLUMES[VOLUME]
  out(`### ${VOLUME} volume: ${volume.victimsPerYear} victims and ${volume.offendersPerYear} offenders per year`)
  out()
  out(`Machine: ${cpus.length} CPUs (${cpus[0]?.model ?? '?'}), Node ${process.version}, load average at the end ${os.loadavg().map(l => l.toFixed(2)).join(' ')}.`)
  out(`Records: ${int(r.records.victims!)} victims, ${int(r.records.offenders!)} offenders (${YEARS[0]}-${YEARS.at(-1)}), imported in ${ms(r.importMs)} ms (setup, not measured below).`)
  out(`Grants: ${r.agreements.length} agreements, ${r.grants.length} grants in force at 2026-11-25, years ${r.grants[0]!.years[0]}-${r.grants[0]!.years.at(-1)}: ${slices.length} population-years (${r.summary.length} indicator-years), ${withData.length} with records${POPULATIONS.length < ALL_POPULATIONS.length ? ` (only the populations ${POPULATIONS.join(', ')}: BENCH_POPULATIONS)` : ''}.`)
  out(`Whole script: ${ms(r.totalMs / 1000)} s (setup and import included${MINIMAL ? `; of which ${ms(r.minimalMs / 1000)} s for the minimal patterns` : ''}).`)
  out()
  out('| what | wall time | ratio to the floor |')
  out('| :-- | --: | --: |')
  const runs = (v: number[]): string => v.length > 1 ? ` (median of ${v.length}: ${v.map(ms).join(', ')} ms)` : ''
  out(`| floor: cut the grants, no protection${runs(r.cutRuns)} | ${ms(cutMs)} ms | 1x |`)
  out(`| protectGrants, all grants, in this thread${runs(r.protectRuns)} | ${ms(protectMs)} ms | **${x(protectMs, cutMs)}** |`)
  if (LP) {
    const first = r.lpRuns[0]!
    const runMs = median(r.lpRuns.map(l => l.runMs))
    const solutionMs = median(r.lpRuns.map(l => l.solutionMs))
    out(`| of which inside HiGHS model.run() (${int(first.solves)} LP solves on ${int(first.models)} models, ${(1000 * runMs / first.solves).toFixed(0)} µs each) | ${ms(runMs)} ms (${pct(runMs, protectMs)}) | ${x(runMs, cutMs)} |`)
    const singletonMs = median(r.lpRuns.map(l => l.singletonRunMs))
    out(`| ... of which solves with a contributor's singleton bound (${int(first.singletonSolves)} solves, ${pct(first.singletonSolves, first.solves)}) | ${ms(singletonMs)} ms (${pct(singletonMs, protectMs)}) | ${x(singletonMs, cutMs)} |`)
    out(`| of which inside HiGHS model.getSolution() | ${ms(solutionMs)} ms (${pct(solutionMs, protectMs)}) | ${x(solutionMs, cutMs)} |`)
    const rest = protectMs - median(r.lpRuns.map(l => l.runMs + l.solutionMs))
    out(`| everything else in protectGrants (JS: elimination, audit bookkeeping, cut, database) | ${ms(rest)} ms | ${x(rest, cutMs)} |`)
  }
  const parallelMs = median(r.parallelRuns)
  out(`| protectGrants, all grants, in up to ${defaultWorkers()} worker threads (the node's default)${runs(r.parallelRuns)} | ${ms(parallelMs)} ms | **${x(parallelMs, cutMs)}** (${x(protectMs, parallelMs)} faster) |`)
  if (SLICES) out(`| protectGrants slice by slice (sum) | ${ms(sum(slices, s => s.protectMs))} ms | ${x(sum(slices, s => s.protectMs), sum(slices, s => s.cutMs))} (to the floor slice by slice, ${ms(sum(slices, s => s.cutMs))} ms) |`)
  if (AUDIT) out(`| independent audit of every released pattern (auditSuppression, exact; and the derived targets) | ${ms(sum(slices, s => s.auditMs ?? 0))} ms | ${x(sum(slices, s => s.auditMs ?? 0), cutMs)} |`)
  out()
  if (LP) out(`LPs: ${int(r.lpRuns[0]!.solves)} solves of on average ${(r.lpRuns[0]!.rows / r.lpRuns[0]!.solves).toFixed(0)} rows (published equations and hidden cells >= 1) x ${(r.lpRuns[0]!.cols / r.lpRuns[0]!.solves).toFixed(0)} columns (atoms).`)
  out(`Cells: ${int(published)} listed keys (with records; union over the peers and the indicators of each population), ${int(suppressed)} suppressed (${pct(suppressed, published)}); ` +
    `${int(sum(slices, s => s.primary))} primary (1 <= n < T) and ${int(sum(slices, s => s.derived))} derived targets (small atoms no cell equals); ` +
    `${int(r.tables.length)} peer tables with ${int(r.tables.reduce((n, t) => n + t.cells.length, 0))} cells, ${int(r.tables.reduce((n, t) => n + t.cells.filter(c => c.conf_status === 'C').length, 0))} of them confidential.`)
  const refused = r.summary.filter(s => !s.ok)
  out(`Summary: ${r.summary.length - refused.length} of ${r.summary.length} entries ok${refused.length === 0 ? '' : `; REFUSED: ${refused.map(s => `${s.indicator} ${s.year} (${s.unsafe.join('; ')})`).join(', ')}`}.`)
  if (AUDIT) {
    const audited = slices.filter(s => s.auditOk !== undefined)
    const failed = audited.filter(s => s.auditOk === false)
    out(`Independent audit: ${audited.length - failed.length} of ${audited.length} patterns pass${failed.length === 0 ? '' : `; FAILED: ${failed.map(s => `${sliceKey(s)} (${s.auditFailures!.length})`).join(', ')}`}.`)
  }
  out(`Peak RSS (process.resourceUsage().maxRSS): ${int(r.rss.start)} MB at start, ${int(r.rss.db)} MB after creating and migrating the in-memory database, ${int(r.rss.imported)} MB after the import, ${int(r.rssBefore)} MB after the warm-up, ${int(r.rssAfterWhole)} MB after the whole runs, ${int(r.peakRss)} MB at the end.`)
  out()

  out('Utility per recipient (one pattern over the union: a peer with coarse grants shares the suppressions that finer grants to others force). Finest cells: every `by` dimension a code; persons: their true values. "Primary": the cells with 1 <= n < T, which every acceptable pattern hides (a floor for the shares).')
  out()
  out('| recipient | breakdowns | threshold | tables | cells listed | hidden | of which primary | finest cells | hidden | persons in finest cells | hidden | in primary cells |')
  out('| :-- | :-- | :-- | --: | --: | --: | --: | --: | --: | --: | --: | --: |')
  for (const u of r.utility) {
    const peer = PEERS.find(p => p.recipient === u.recipient)!
    const v1 = peer.by(findIndicator('V1')!.dimensions.map(d => d.id)).join('+')
    out(`| ${u.recipient} | ${PICK_LABELS.get(peer.by)!} (V1: ${v1}) | ${peer.threshold}${peer.strict === undefined ? '' : `; 5 for ${peer.strict.join(' ')}`} | ${u.tables} | ${int(u.cells)} | ${int(u.hidden)} (**${pct(u.hidden, u.cells)}**) | ${int(u.primary)} (${pct(u.primary, u.cells)}) | ${int(u.finest)} | ${int(u.finestHidden)} (${pct(u.finestHidden, u.finest)}) | ${int(u.persons)} | ${int(u.personsHidden)} (**${pct(u.personsHidden, u.persons)}**) | ${int(u.personsPrimary)} (${pct(u.personsPrimary, u.persons)}) |`)
  }
  const all = (f: (u: Utility) => number): number => sum(r.utility, f)
  out(`| all 8 | | | ${all(u => u.tables)} | ${int(all(u => u.cells))} | ${int(all(u => u.hidden))} (**${pct(all(u => u.hidden), all(u => u.cells))}**) | ${int(all(u => u.primary))} (${pct(all(u => u.primary), all(u => u.cells))}) | ${int(all(u => u.finest))} | ${int(all(u => u.finestHidden))} (${pct(all(u => u.finestHidden), all(u => u.finest))}) | ${int(all(u => u.persons))} | ${int(all(u => u.personsHidden))} (**${pct(all(u => u.personsHidden), all(u => u.persons))}**) | ${int(all(u => u.personsPrimary))} (${pct(all(u => u.personsPrimary), all(u => u.persons))}) |`)
  out()

  out(`Per population (sums over the years with records). Every acceptable pattern hides the primary cells, so suppressed / primary bounds the ratio to the minimum from above (overall ${x(suppressed, sum(slices, s => s.primary))}):`)
  out()
  out(`| population | indicators | T | profiles | atoms | cells listed | primary | derived targets | suppressed | suppressed / primary | protect | floor | protect / floor${LP && SLICES ? ' | LP solves | in HiGHS run()' : ''} |`)
  out(`| :-- | :-- | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: | --:${LP && SLICES ? ' | --: | --:' : ''} |`)
  for (const p of POPULATIONS) {
    const rows = withData.filter(s => s.population === p)
    if (rows.length === 0) continue
    const pMs = sum(rows, s => s.protectMs)
    const cMs = sum(rows, s => s.cutMs)
    const lp = LP && SLICES ? ` | ${int(sum(rows, s => s.lp?.solves ?? 0))} | ${ms(sum(rows, s => s.lp?.runMs ?? 0))} ms` : ''
    out(`| ${p} | ${indicatorsOfPopulation(p).join(' ')} | ${[...new Set(rows.map(s => s.threshold))].join(', ')} | ${range(rows.map(s => s.profiles))} | ${range(rows.map(s => s.atoms))} | ${int(sum(rows, s => s.published))} | ${int(sum(rows, s => s.primary))} | ${int(sum(rows, s => s.derived))} | ${int(sum(rows, s => s.suppressed))} (${pct(sum(rows, s => s.suppressed), sum(rows, s => s.published))}) | ${x(sum(rows, s => s.suppressed), sum(rows, s => s.primary))} | ${SLICES ? `${ms(pMs)} ms` : '–'} | ${SLICES ? `${ms(cMs)} ms` : '–'} | ${SLICES ? x(pMs, cMs) : '–'}${lp} |`)
  }
  out()
  if (SLICES) {
    out('Slowest population-years:')
    out()
    out(`| slice | T | profiles | atoms | cells listed | primary | derived | suppressed | protect | floor${LP ? ' | LP solves | in HiGHS run()' : ''}${AUDIT ? ' | independent audit' : ''} |`)
    out(`| :-- | --: | --: | --: | --: | --: | --: | --: | --: | --:${LP ? ' | --: | --:' : ''}${AUDIT ? ' | --:' : ''} |`)
    for (const s of [...withData].sort((a, b) => b.protectMs - a.protectMs).slice(0, 8)) {
      const lp = LP ? ` | ${int(s.lp?.solves ?? 0)} | ${ms(s.lp?.runMs ?? 0)} ms` : ''
      const audit = AUDIT ? ` | ${s.auditMs === undefined ? '–' : `${ms(s.auditMs)} ms`}` : ''
      out(`| ${sliceKey(s)} | ${s.threshold} | ${s.profiles} | ${s.atoms} | ${s.published} | ${s.primary} | ${s.derived} | ${s.suppressed} | ${ms(s.protectMs)} ms | ${ms(s.cutMs)} ms${lp}${audit} |`)
    }
    out()
  }

  if (MINIMAL) {
    const x2 = (a: number, b: number): string => `${(a / b).toFixed(2)}x`
    out(`The engine's pattern against the minimum (minimal-pattern.ts: cut loop around a HiGHS 0-1 program under the engine's acceptance criterion; cap ${ms(MINIMAL_CAP_MS / 1000)} s per problem, ${ms(MINIMAL_FULL_CAP_MS / 1000)} s for the full population-years; one or two peers' grants and synthetic problems of at most ${MINIMAL_CELLS} cells; years ${MINIMAL_YEARS.join(', ')}). ` +
      'Where the cap is reached, the last MIP optimum is a lower bound of the minimum, so engine / bound is an upper bound of the ratio:')
    out()
    out('| problems | count | solved exactly | skipped (cap) | engine / minimum, solved (sum) | per problem: median, mean, max | at the minimum | above 1.5x | skipped: engine / lower bound (sum) |')
    out('| :-- | --: | --: | --: | --: | --: | --: | --: | --: |')
    const groups = [...new Set(r.minimal.map(row => row.group))]
    for (const g of [...groups, 'all']) {
      const m = g === 'all' ? r.minimal : r.minimal.filter(row => row.group === g)
      const solved = m.filter(row => row.min.status === 'optimal')
      const skipped = m.filter(row => row.min.status === 'timeout')
      const ratios = solved.filter(row => row.min.size! > 0).map(row => row.engine / row.min.size!)
      const stats = ratios.length === 0 ? '–' : `${x2(median(ratios), 1)}, ${x2(sum(ratios, v => v) / ratios.length, 1)}, ${x2(Math.max(...ratios), 1)}`
      out(`| ${g} | ${m.length} | ${solved.length} | ${skipped.length}${m.some(row => row.min.status === 'infeasible') ? ' (+ no acceptable pattern: ' + String(m.filter(row => row.min.status === 'infeasible').length) + ')' : ''} | ${int(sum(solved, row => row.engine))} / ${int(sum(solved, row => row.min.size!))} = **${solved.length === 0 ? '–' : x2(sum(solved, row => row.engine), sum(solved, row => row.min.size!))}** | ${stats} | ${solved.filter(row => row.engine === row.min.size).length} | ${ratios.filter(v => v > 1.5).length} | ${skipped.length === 0 ? '–' : `${int(sum(skipped, row => row.engine))} / ${int(sum(skipped, row => row.min.lowerBound))} = ${x2(sum(skipped, row => row.engine), sum(skipped, row => row.min.lowerBound))}`} |`)
    }
    out()
    const solved = r.minimal.filter(row => row.min.status === 'optimal')
    out(`Every minimum found ${solved.every(row => row.minAuditOk === true) ? 'passes' : 'does NOT pass'} the independent exact re-audit (auditSuppression and the derived targets); every engine pattern is ${r.minimal.every(row => row.engineOk) ? 'ok' : 'NOT ok'}.`)
    out()
    out('| problem | T | cells | atoms | primary | derived | engine | minimum | ratio | MIP rounds (cuts) | engine time | minimum time |')
    out('| :-- | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: |')
    for (const row of r.minimal) {
      const min = row.min.status === 'optimal' ? String(row.min.size) : row.min.status === 'timeout' ? `>= ${row.min.lowerBound} (cap)` : 'none'
      const ratio = row.min.status === 'optimal'
        ? row.min.size === 0 ? (row.engine === 0 ? '1x' : '–') : x2(row.engine, row.min.size!)
        : row.min.status === 'timeout' && row.min.lowerBound > 0 ? `<= ${x2(row.engine, row.min.lowerBound)}` : '–'
      out(`| ${row.name} | ${row.threshold} | ${row.cells} | ${row.atoms} | ${row.primary} | ${row.derived} | ${row.engine}${row.engineOk ? '' : ' (not ok)'} | ${min} | ${ratio} | ${row.min.iterations} (${row.min.cuts}) | ${Number.isNaN(row.engineMs) ? '–' : `${ms(row.engineMs)} ms`} | ${ms(row.min.ms)} ms |`)
    }
    out()
  }
}

// tap runs every file of a directory it is given; this one only when started by hand.
const underTap = process.env.TAP_CHILD_ID !== undefined || process.env.TAP === '1'
if (!underTap) await main()
