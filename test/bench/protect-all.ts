/**
 * Benchmark for issue 4: protecting and auditing a country's full table set for 8 peers (all
 * indicators, 10 years), with the node's own code from end to end:
 *
 *   synthetic SRB exports 2015-2024 (writeSyntheticCsv) -> importFile into an in-memory PGlite
 *   database -> 8 agreements (ALB BIH HRV XKX MNE MKD EUROPOL SELEC, every indicator, from 2015,
 *   validated by lintAgreementText) -> activeGrants -> protectGrants
 *
 * and side by side, in the same process and on the same database, the floor: cutting the same
 * grants without protecting them (read every indicator-year and its disclosure ledger from the
 * database, build the same published cells with their members, the same protection problems and
 * the same per-peer tables, no suppression). The difference between the two is the cost of
 * disclosure control (elimination + LP audit). The floor is a copy of protectGrants
 * (src/stats/protect-grants.ts as of 919836c) without the call to protect(); the benchmark
 * checks that both give the same published cells and tables, so a drift shows.
 *
 *   node --import tsx test/bench/protect-all.ts      (npm run bench:protect)
 *
 * Environment:
 *   BENCH_VOLUME   small (default: the generator's default, 80 victims and 50 offenders per
 *                  year) or large (400 victims and 250 offenders per year)
 *   BENCH_RUNS     timed runs of protectGrants over all grants (default 3); the floor runs
 *                  before and after each
 *   BENCH_SLICES   1 (default) also times protectGrants slice by slice (one indicator-year at a
 *                  time, the same work split up) for the per-indicator and slowest-slice tables
 *   BENCH_AUDIT    1 (default) re-audits every released pattern independently
 *                  (auditSuppression, exact singleton intervals) and times that too
 *   BENCH_LP       1 (default) counts the HiGHS models and solves and times model.run() and
 *                  model.getSolution() (by wrapping the shared solver instance; a few µs per call)
 *   BENCH_JSON     a file: the raw results as JSON, with the process.hrtime windows (µs) of the
 *                  timed protectGrants runs, to cut a --cpu-prof profile to them
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
import { findIndicator, INDICATOR_IDS } from '../../src/protocol/indicators.js'
import { auditSuppression, isProtected, loadSolver } from '../../src/stats/disclosure/audit.js'
import { protect } from '../../src/stats/disclosure/protect.js'
import { prepareProblem, type ProtectionProblem } from '../../src/stats/disclosure/problem.js'
import { crossTableProblem } from '../../src/stats/disclosure/tables.js'
import { cutGrants, protectGrants, tablesOf, type PeerTable, type ProtectionSummary } from '../../src/stats/protect-grants.js'

const VOLUMES = {
  small: { victimsPerYear: 80, offendersPerYear: 50 },
  large: { victimsPerYear: 400, offendersPerYear: 250 },
} as const
type Volume = keyof typeof VOLUMES

const VOLUME = (process.env.BENCH_VOLUME ?? 'small') as Volume
const RUNS = Number(process.env.BENCH_RUNS ?? 3)
const SLICES = process.env.BENCH_SLICES !== '0'
const AUDIT = process.env.BENCH_AUDIT !== '0'
const JSON_OUT = process.env.BENCH_JSON
const LP = process.env.BENCH_LP !== '0'
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
// The floor: the same cut without protection (cutGrants, which protectGrants itself uses,
// and the per-peer tables with every cell published as counted).

interface Cut {
  indicator: string
  year: number
  threshold: number
  inner: number
  /** Distinct published keys (the summary's `published`). */
  published: number
  /** The protection problem protectGrants hands to protect() (undefined: nothing to protect). */
  problem: ProtectionProblem | undefined
  tables: PeerTable[]
}

async function cutFloor (db: Kysely<Database>, grants: ActiveGrant[]): Promise<Cut[]> {
  return (await cutGrants(db, grants)).map(c => ({
    indicator: c.population,
    year: c.year,
    threshold: c.threshold,
    inner: c.problem?.inner.length ?? 0,
    published: c.published.size,
    problem: c.problem,
    tables: tablesOf(c, new Set()),
  }))
}

// ---------------------------------------------------------------------------------------------

interface SliceResult {
  indicator: string
  year: number
  threshold: number
  inner: number
  published: number
  suppressed: number
  ok: boolean
  unsafe: string[]
  /** Published cells with members: the cells of the protection problem. */
  cells: number
  /** Atoms of the protection problem (the LP's variables). */
  atoms: number
  /** protectGrants on this slice alone. */
  protectMs: number
  /** The floor on this slice alone. */
  cutMs: number
  /** HiGHS work during protectGrants on this slice alone. */
  lp?: LpStats
  auditMs?: number
  auditOk?: boolean
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

function sliceKey (s: { indicator: string, year: number }): string {
  return `${s.indicator}|${s.year}`
}

/** The published keys suppressed in a slice, read back from the tables sent. */
function suppressedKeys (tables: PeerTable[], dims: string[]): string[] {
  const out = new Set<string>()
  for (const t of tables) {
    for (const c of t.cells) if (c.conf_status === 'C') out.add(dims.map(d => c.key[d]!).join('|'))
  }
  return [...out].sort()
}

async function main (): Promise<void> {
  if (!(VOLUME in VOLUMES)) throw new Error(`BENCH_VOLUME must be small or large, not ${VOLUME}`)
  if (!Number.isInteger(RUNS) || RUNS < 1) throw new Error(`BENCH_RUNS must be an integer >= 1, not ${process.env.BENCH_RUNS ?? ''}`)
  const dir = mkdtempSync(join(os.tmpdir(), 'dcimx-bench-protect-'))
  try {
    log(`volume ${VOLUME}: ${VOLUMES[VOLUME].victimsPerYear} victims and ${VOLUMES[VOLUME].offendersPerYear} offenders per year, ${YEARS[0]}-${YEARS.at(-1)}`)
    const { db, close, records, importMs, rss } = await setup(dir)
    try {
      log(`imported ${records.victims} victims and ${records.offenders} offenders in ${ms(importMs)} ms`)
      const agreements = buildAgreements(dir)
      const grants = activeGrants(agreements, PROVIDER, clock.now())
      if (grants.length !== PEERS.length * INDICATOR_IDS.length) throw new Error(`expected ${PEERS.length * INDICATOR_IDS.length} grants in force, got ${grants.length}`)
      log(`${agreements.length} agreements, ${grants.length} grants in force, years ${grants[0]!.years[0]}-${grants[0]!.years.at(-1)}`)

      // Load the HiGHS WebAssembly module and warm the engine up outside the measurement.
      if (LP) await instrumentSolver()
      await protect(crossTableProblem([['a', 'b'], ['c', 'd']], [1, 5, 7, 9]))
      await cutFloor(db, grants)
      const rssBefore = rssMb()

      // Whole runs: the floor, then protectGrants, then the floor again.
      const cutRuns: number[] = []
      const protectRuns: number[] = []
      const lpRuns: LpStats[] = []
      /** process.hrtime of each timed protectGrants run (µs), to cut --cpu-prof profiles. */
      const windows: Array<[number, number]> = []
      const micros = (): number => Number(process.hrtime.bigint() / 1000n)
      let result: { tables: PeerTable[], summary: ProtectionSummary[] } | undefined
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
        const [res, t] = await timed(() => protectGrants(db, grants))
        windows.push([from, micros()])
        lpRuns.push(lpDelta(lp0))
        if (result !== undefined && JSON.stringify(res) !== JSON.stringify(result)) throw new Error('protectGrants gave different results in two runs')
        result = res
        protectRuns.push(t)
        log(`  protectGrants, all grants: ${ms(t)} ms${LP ? ` (${lpRuns.at(-1)!.solves} LP solves, ${ms(lpRuns.at(-1)!.runMs)} ms in HiGHS run())` : ''}`)
        await cutOnce()
      }
      const { tables, summary } = result!
      const rssAfterWhole = rssMb()

      // Consistency: the floor produced the same published cells and the same tables.
      const cutBySlice = new Map(cuts.map(c => [sliceKey(c), c]))
      for (const s of summary) {
        const c = cutBySlice.get(sliceKey(s))
        if (c === undefined || c.published !== s.published) throw new Error(`floor differs from protectGrants at ${sliceKey(s)}`)
      }
      const cutTableCells = cuts.reduce((n, c) => n + c.tables.reduce((m, t) => m + t.cells.length, 0), 0)
      const sentCells = tables.reduce((n, t) => n + t.cells.length, 0)
      if (cutTableCells !== sentCells) throw new Error(`floor built ${cutTableCells} table cells, protectGrants ${sentCells}`)

      // Slice by slice: the same work, timed per indicator-year.
      const slices: SliceResult[] = []
      for (const s of summary) {
        const sliceGrants = grants.filter(g => g.indicator === s.indicator && g.years.includes(s.year)).map(g => ({ ...g, years: [s.year] }))
        const c = cutBySlice.get(sliceKey(s))!
        const prep = c.problem === undefined ? undefined : prepareProblem(c.problem)
        const row: SliceResult = {
          indicator: s.indicator,
          year: s.year,
          threshold: s.threshold,
          inner: c.inner,
          published: s.published,
          suppressed: s.suppressed,
          ok: s.ok,
          unsafe: s.unsafe,
          cells: prep?.cells.length ?? 0,
          atoms: prep?.atoms.length ?? 0,
          protectMs: NaN,
          cutMs: NaN,
        }
        if (SLICES) {
          const [, cutMs] = await timed(() => cutFloor(db, sliceGrants))
          const lp0 = lpSnapshot()
          const [one, protectMs] = await timed(() => protectGrants(db, sliceGrants))
          if (LP) row.lp = lpDelta(lp0)
          const again = one.summary[0]
          if (again === undefined || again.suppressed !== s.suppressed || again.ok !== s.ok) throw new Error(`slice ${sliceKey(s)} alone differs from the whole run`)
          row.protectMs = protectMs
          row.cutMs = cutMs
        }
        if (AUDIT && c.problem !== undefined && s.ok) {
          const dims = findIndicator(s.indicator)!.dimensions.map(d => d.id)
          const hidden = suppressedKeys(tables.filter(t => t.indicator === s.indicator && t.year === s.year), dims)
          const [audit, auditMs] = await timed(() => auditSuppression(c.problem!, hidden))
          row.auditMs = auditMs
          row.auditOk = audit.every(a => isProtected(a.lower, a.upper, s.threshold) && isProtected(a.singletonLower, a.singletonUpper, s.threshold))
        }
        slices.push(row)
        if (SLICES || AUDIT) {
          log(`  ${sliceKey(s)}: T=${s.threshold}, ${c.inner} inner, ${row.atoms} atoms, ${row.cells} cells protected of ${s.published} published, ${s.suppressed} suppressed;` +
            ` protect ${ms(row.protectMs)} ms${row.lp === undefined ? '' : ` (${row.lp.solves} LP solves)`}, floor ${ms(row.cutMs)} ms` +
            `${row.auditMs === undefined ? '' : `, audit ${ms(row.auditMs)} ms (${row.auditOk === true ? 'pass' : 'FAIL'})`}`)
        }
      }
      const peakRss = rssMb()
      if (JSON_OUT !== undefined) writeFileSync(JSON_OUT, JSON.stringify({ volume: VOLUME, records, importMs, rss, cutRuns, protectRuns, lpRuns, windows, rssBefore, rssAfterWhole, peakRss, slices }, null, 2))

      report({ records, importMs, rss, agreements, grants, tables, summary, slices, cutRuns, protectRuns, lpRuns, rssBefore, rssAfterWhole, peakRss })
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
  lpRuns: LpStats[]
  rssBefore: number
  rssAfterWhole: number
  peakRss: number
}

function report (r: Report): void {
  const out = (line = ''): void => { process.stdout.write(line + '\n') }
  const sum = (rows: SliceResult[], f: (s: SliceResult) => number): number => rows.reduce((n, s) => n + f(s), 0)
  const x = (a: number, b: number): string => `${(a / b).toFixed(1)}x`
  const { slices } = r
  const withData = slices.filter(s => s.inner > 0)
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
  out(`Grants: ${r.agreements.length} agreements, ${r.grants.length} grants in force at 2026-11-25, years ${r.grants[0]!.years[0]}-${r.grants[0]!.years.at(-1)}: ${slices.length} indicator-years, ${withData.length} with records (${slices.length - withData.length} without: nothing is sent).`)
  out()
  out('| what | wall time | ratio to the floor |')
  out('| :-- | --: | --: |')
  const runs = (v: number[]): string => v.length > 1 ? ` (median of ${v.length}: ${v.map(ms).join(', ')} ms)` : ''
  out(`| floor: cut the grants, no protection${runs(r.cutRuns)} | ${ms(cutMs)} ms | 1x |`)
  out(`| protectGrants, all grants${runs(r.protectRuns)} | ${ms(protectMs)} ms | **${x(protectMs, cutMs)}** |`)
  if (LP) {
    const runMs = median(r.lpRuns.map(l => l.runMs))
    const solutionMs = median(r.lpRuns.map(l => l.solutionMs))
    out(`| of which inside HiGHS model.run() (${int(r.lpRuns[0]!.solves)} LP solves on ${int(r.lpRuns[0]!.models)} models, ${(1000 * runMs / r.lpRuns[0]!.solves).toFixed(0)} µs each) | ${ms(runMs)} ms (${pct(runMs, protectMs)}) | ${x(runMs, cutMs)} |`)
    const first = r.lpRuns[0]!
    const singletonMs = median(r.lpRuns.map(l => l.singletonRunMs))
    out(`| ... of which solves with a contributor's singleton bound (${int(first.singletonSolves)} solves, ${pct(first.singletonSolves, first.solves)}) | ${ms(singletonMs)} ms (${pct(singletonMs, protectMs)}) | ${x(singletonMs, cutMs)} |`)
    out(`| of which inside HiGHS model.getSolution() | ${ms(solutionMs)} ms (${pct(solutionMs, protectMs)}) | ${x(solutionMs, cutMs)} |`)
  }
  if (LP) out(`| everything else in protectGrants (JS: elimination, audit bookkeeping, cut, database) | ${ms(protectMs - median(r.lpRuns.map(l => l.runMs + l.solutionMs)))} ms | ${x(protectMs - median(r.lpRuns.map(l => l.runMs + l.solutionMs)), cutMs)} |`)
  if (SLICES) out(`| protectGrants slice by slice (sum) | ${ms(sum(slices, s => s.protectMs))} ms | ${x(sum(slices, s => s.protectMs), sum(slices, s => s.cutMs))} (to the floor slice by slice, ${ms(sum(slices, s => s.cutMs))} ms) |`)
  if (AUDIT) out(`| independent audit of every released pattern (auditSuppression, exact) | ${ms(sum(slices, s => s.auditMs ?? 0))} ms | ${x(sum(slices, s => s.auditMs ?? 0), cutMs)} |`)
  out()
  if (LP) out(`LPs: ${int(r.lpRuns[0]!.solves)} solves of on average ${(r.lpRuns[0]!.rows / r.lpRuns[0]!.solves).toFixed(0)} rows (published equations) x ${(r.lpRuns[0]!.cols / r.lpRuns[0]!.solves).toFixed(0)} columns (atoms).`)
  out(`Cells: ${int(published)} published keys (union over the peers; ${int(sum(slices, s => s.cells))} with records under them, the protection problems), ${int(suppressed)} suppressed (${pct(suppressed, published)} of all, ${pct(suppressed, sum(slices, s => s.cells))} of those protected); ${int(r.tables.length)} peer tables with ${int(r.tables.reduce((n, t) => n + t.cells.length, 0))} cells, ${int(r.tables.reduce((n, t) => n + t.cells.filter(c => c.conf_status === 'C').length, 0))} of them confidential.`)
  const refused = r.summary.filter(s => !s.ok)
  out(`Summary: ${r.summary.length - refused.length} of ${r.summary.length} entries ok${refused.length === 0 ? '' : `; REFUSED: ${refused.map(s => `${s.indicator} ${s.year} (${s.unsafe.join('; ')})`).join(', ')}`}.`)
  if (AUDIT) {
    const audited = slices.filter(s => s.auditOk !== undefined)
    const failed = audited.filter(s => s.auditOk === false)
    out(`Independent audit: ${audited.length - failed.length} of ${audited.length} patterns pass${failed.length === 0 ? '' : `; FAILED: ${failed.map(sliceKey).join(', ')}`}.`)
  }
  out(`Peak RSS (process.resourceUsage().maxRSS): ${int(r.rss.start)} MB at start, ${int(r.rss.db)} MB after creating and migrating the in-memory database, ${int(r.rss.imported)} MB after the import, ${int(r.rssBefore)} MB after the warm-up, ${int(r.rssAfterWhole)} MB after the whole runs, ${int(r.peakRss)} MB at the end.`)
  out()
  out('Per peer (one pattern over the union: a peer with coarse grants shares the suppressions that finer grants to others force):')
  out()
  out('| peer | breakdowns | threshold | tables | cells | confidential |')
  out('| :-- | :-- | :-- | --: | --: | --: |')
  for (const peer of PEERS) {
    const mine = r.tables.filter(t => t.recipient === peer.recipient)
    const cells = mine.reduce((n, t) => n + t.cells.length, 0)
    const hidden = mine.reduce((n, t) => n + t.cells.filter(c => c.conf_status === 'C').length, 0)
    const v1 = peer.by(findIndicator('V1')!.dimensions.map(d => d.id)).join('+')
    out(`| ${peer.recipient} | ${PICK_LABELS.get(peer.by)!} (V1: ${v1}) | ${peer.threshold}${peer.strict === undefined ? '' : `; 5 for ${peer.strict.join(' ')}`} | ${mine.length} | ${int(cells)} | ${int(hidden)} (${pct(hidden, cells)}) |`)
  }
  out()
  if (SLICES) {
    out('Per indicator (sums over the years with records; times from the slice-by-slice runs):')
    out()
    out(`| indicator | T | inner cells (min-max) | published | protected (with records) | suppressed | protect | floor | protect / floor | share of protect time${LP ? ' | LP solves | in HiGHS run()' : ''} |`)
    out(`| :-- | --: | --: | --: | --: | --: | --: | --: | --: | --:${LP ? ' | --: | --:' : ''} |`)
    const total = sum(slices, s => s.protectMs)
    for (const id of INDICATOR_IDS) {
      const rows = withData.filter(s => s.indicator === id)
      if (rows.length === 0) continue
      const p = sum(rows, s => s.protectMs)
      const c = sum(rows, s => s.cutMs)
      const lp = LP ? ` | ${int(sum(rows, s => s.lp?.solves ?? 0))} | ${ms(sum(rows, s => s.lp?.runMs ?? 0))} ms` : ''
      out(`| ${id} | ${[...new Set(rows.map(s => s.threshold))].join(', ')} | ${Math.min(...rows.map(s => s.inner))}-${Math.max(...rows.map(s => s.inner))} | ${int(sum(rows, s => s.published))} | ${int(sum(rows, s => s.cells))} | ${int(sum(rows, s => s.suppressed))} (${pct(sum(rows, s => s.suppressed), sum(rows, s => s.cells))}) | ${ms(p)} ms | ${ms(c)} ms | ${x(p, c)} | ${pct(p, total)}${lp} |`)
    }
    out()
    out('Slowest indicator-years:')
    out()
    out(`| slice | T | inner cells | atoms | published | protected | suppressed | protect | floor${LP ? ' | LP solves | in HiGHS run()' : ''}${AUDIT ? ' | independent audit' : ''} |`)
    out(`| :-- | --: | --: | --: | --: | --: | --: | --: | --:${LP ? ' | --: | --:' : ''}${AUDIT ? ' | --:' : ''} |`)
    for (const s of [...slices].sort((a, b) => b.protectMs - a.protectMs).slice(0, 8)) {
      const lp = LP ? ` | ${int(s.lp?.solves ?? 0)} | ${ms(s.lp?.runMs ?? 0)} ms` : ''
      const audit = AUDIT ? ` | ${s.auditMs === undefined ? '–' : `${ms(s.auditMs)} ms`}` : ''
      out(`| ${s.indicator} ${s.year} | ${s.threshold} | ${s.inner} | ${s.atoms} | ${s.published} | ${s.cells} | ${s.suppressed} | ${ms(s.protectMs)} ms | ${ms(s.cutMs)} ms${lp}${audit} |`)
    }
    out()
  }
}

// tap runs every file of a directory it is given; this one only when started by hand.
const underTap = process.env.TAP_CHILD_ID !== undefined || process.env.TAP === '1'
if (!underTap) await main()
