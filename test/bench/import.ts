/**
 * Benchmark for issue 3: importing and aggregating 1,000,000 victim records with the node's
 * code (`importFile`, src/ingest/import-file.ts) against the floor: the same harmonised rows
 * loaded with PostgreSQL `COPY` and aggregated by hand-written `GROUP BY year, CUBE(...)`
 * queries, on the same database server.
 *
 *   node --import tsx test/bench/import.ts      (npm run bench:import)
 *
 * Each measured run is a child process (test/bench/import-runner.ts) so that its peak RSS is its
 * own. On PostgreSQL the contenders run in turn, round after round (node, floor, node compiled,
 * node, floor, node compiled, ...), each on a fresh database `dcimx_bench_*` that is dropped
 * afterwards; then the same on PGlite, in memory and in a data folder. The floor's input (the
 * harmonised rows, as CSV) is exported from the first node run, outside the measurement.
 *
 * "node" runs src/ through tsx, as the runner is started; "node compiled" runs the same sources
 * compiled by tsc (tsconfig.build.json, into the temporary folder), as the container image does.
 *
 * Environment:
 *   BENCH_ROWS        victim records (default 1000000; spread over the 10 years 2015-2024)
 *   BENCH_RUNS        rounds on PostgreSQL (default 2; 0 skips PostgreSQL)
 *   BENCH_COMPILED    1 (default) also runs the compiled sources on PostgreSQL; 0 does not
 *   BENCH_ANALYZE     1 (default) also runs "floor + analyze" (ANALYZE between COPY and the
 *                     aggregation) on PostgreSQL and on a PGlite folder; 0 does not
 *   BENCH_PGLITE      which PGlite databases: "memory,dir" (default), "memory", "dir" or "" (none);
 *                     one round each
 *   BENCH_PG_URL      an existing database to connect to for CREATE/DROP DATABASE
 *                     (default postgres://postgres@127.0.0.1:5432/postgres)
 *   BENCH_CPU_PROF    a folder: the runners write V8 CPU profiles there (--cpu-prof)
 *   BENCH_JSON        a file: all raw results as JSON
 *
 * Prints markdown tables on stdout, progress on stderr.
 */
import { spawn, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { createWriteStream, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { writeSyntheticCsv } from '../../src/ingest/synthetic.js'
import type { RunResult, RunSpec } from './import-runner.js'
import { withClient } from '../helpers/db.js'

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000)
const PG_RUNS = Number(process.env.BENCH_RUNS ?? 2)
const COMPILED = process.env.BENCH_COMPILED !== '0'
const FLOOR_ANALYZE = process.env.BENCH_ANALYZE !== '0'
const PGLITE = (process.env.BENCH_PGLITE ?? 'memory,dir').split(',').map(x => x.trim()).filter(x => x !== '')
const ADMIN_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const CPU_PROF = process.env.BENCH_CPU_PROF
const YEARS = [2015, 2016, 2017, 2018, 2019, 2020, 2021, 2022, 2023, 2024]
const GOAL_RATIO = 2
const GOAL_RSS_MB = 500
const ROOT = join(import.meta.dirname, '..', '..')
const RUNNER = join(import.meta.dirname, 'import-runner.ts')
const COMPILED_DIR = join(ROOT, 'node_modules', '.cache', `dcimx-bench-import-${process.pid}`)

const log = (text: string): void => { process.stderr.write(text + '\n') }
const s = (ms: number): string => (ms / 1000).toFixed(1)
const int = (v: number | undefined): string => v === undefined ? '–' : Math.round(v).toLocaleString('en-US')

function median (values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

const admin = async <T>(fn: (c: pg.Client) => Promise<T>): Promise<T> => await withClient(ADMIN_URL, fn)

const created = new Set<string>()

async function withDatabase<T> (tag: string, fn: (url: string) => Promise<T>): Promise<T> {
  const name = `dcimx_bench_${tag}_${randomBytes(4).toString('hex')}`
  await admin(c => c.query(`create database ${name}`))
  created.add(name)
  try {
    const url = new URL(ADMIN_URL)
    url.pathname = `/${name}`
    return await fn(url.toString())
  } finally {
    await admin(c => c.query(`drop database if exists ${name} with (force)`))
    created.delete(name)
  }
}

/** Runs one measurement in a child process; rejects with its stderr tail when it fails. */
async function run (spec: RunSpec): Promise<RunResult> {
  const args = ['--import', 'tsx', ...(CPU_PROF === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${CPU_PROF}`]), RUNNER, JSON.stringify(spec)]
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stdout.setEncoding('utf8').on('data', (d: string) => { out += d })
  child.stderr.setEncoding('utf8').on('data', (d: string) => { err += d })
  const [code] = await once(child, 'close') as [number | null]
  if (code !== 0) throw new Error(`runner ${spec.mode}/${spec.engine} exited with ${code}:\n${err.slice(-4000)}`)
  return JSON.parse(out.trim().split('\n').at(-1) ?? '') as RunResult
}

/** Contender name -> its runs; the floor is named 'floor'. */
type Series = Map<string, RunResult[]>

async function measure (series: Series, name: string, spec: RunSpec): Promise<void> {
  log(`- ${spec.engine}${spec.dataDir === undefined ? '' : ' (folder)'} ${name} ...`)
  const r = await run(spec)
  log(`  ${s(r.totalMs)} s (${r.phases.map(p => `${p.name} ${s(p.ms)}`).join(', ')}), max RSS ${int(r.maxRssMiB)} MiB, ${r.rows} rows, ${r.cells.count} cells`)
  series.set(name, [...(series.get(name) ?? []), r])
}

/** Compiles src/ and migrations/ with tsconfig.build.json into `dir`; returns the folder of src/. */
function compile (dir: string): string {
  const t = performance.now()
  const r = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', dir, '--sourceMap', 'false'], { encoding: 'utf8' })
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n')
  const src = join(dir, 'src')
  if (!existsSync(join(src, 'ingest', 'import-file.js'))) throw new Error(`tsc failed:\n${r.stdout}${r.stderr}`)
  if (r.status !== 0) log(`warning: tsc reported errors (the output was emitted and is used):\n${r.stdout.slice(0, 2000)}`)
  log(`compiled the sources in ${s(performance.now() - t)} s`)
  return src
}

// ---------------------------------------------------------------------------------------------
// Report.

const AGGREGATE_PHASES = new Set(['aggregate (recomputeTables V1-V5)', 'aggregate (5 queries)'])

function phaseMs (r: RunResult, name: string): number {
  return r.phases.find(p => p.name === name)?.ms ?? 0
}

function aggregateMs (r: RunResult): number {
  return r.phases.filter(p => AGGREGATE_PHASES.has(p.name)).reduce((sum, p) => sum + p.ms, 0)
}

function range (values: number[]): string {
  return values.length < 2 ? '' : ` (${s(Math.min(...values))}–${s(Math.max(...values))})`
}

function table (title: string, series: Series): string {
  const floor = series.get('floor') ?? []
  const floorTotal = median(floor.map(r => r.totalMs))
  const floorAgg = median(floor.map(aggregateMs))
  const lines: string[] = [`#### ${title}`, '']
  lines.push(`Runs: ${[...series].map(([name, runs]) => `${name} ${runs.length}`).join(', ')}. Seconds, median (range in brackets when more than one run).`, '')
  lines.push('| contender | phase | seconds | % of its total |', '| :-- | :-- | --: | --: |')
  for (const [name, runs] of series) {
    const total = median(runs.map(r => r.totalMs))
    for (const phase of runs[0]!.phases.map(p => p.name)) {
      const ms = median(runs.map(r => phaseMs(r, phase)))
      lines.push(`| ${name} | ${phase} | ${s(ms)}${range(runs.map(r => phaseMs(r, phase)))} | ${(100 * ms / total).toFixed(0)}% |`)
    }
    lines.push(`| **${name}** | **total** | **${s(total)}**${range(runs.map(r => r.totalMs))} | 100% |`)
  }
  lines.push('')
  const analyzed = series.get('floor + analyze')
  const analyzedTotal = analyzed === undefined ? undefined : median(analyzed.map(r => r.totalMs))
  lines.push(`| ratio to the floor | total | loading (all but aggregate) | aggregate | total ≤ 2x |${analyzedTotal === undefined ? '' : ' total, to floor + analyze |'}`, `| :-- | --: | --: | --: | :-- |${analyzedTotal === undefined ? '' : ' --: |'}`)
  for (const [name, runs] of series) {
    if (name.startsWith('floor')) continue
    const total = median(runs.map(r => r.totalMs))
    const agg = median(runs.map(aggregateMs))
    const ratio = total / floorTotal
    lines.push(`| ${name} | **${ratio.toFixed(2)}x** | ${((total - agg) / (floorTotal - floorAgg)).toFixed(2)}x | ${(agg / floorAgg).toFixed(2)}x | ${ratio <= GOAL_RATIO ? 'met' : 'missed'} |${analyzedTotal === undefined ? '' : ` ${(total / analyzedTotal).toFixed(2)}x |`}`)
  }
  lines.push('')
  lines.push('CPU time (median seconds; the server\'s from /proc, so only for a server on this machine):', '')
  lines.push('| contender | wall | this process (Node + PGlite) | PostgreSQL backend | both |', '| :-- | --: | --: | --: | --: |')
  for (const [name, runs] of series) {
    const backend = runs.every(r => r.backendCpuMs !== undefined) ? median(runs.map(r => r.backendCpuMs!)) : undefined
    const own = median(runs.map(r => r.cpuMs))
    lines.push(`| ${name} | ${s(median(runs.map(r => r.totalMs)))} | ${s(own)} | ${backend === undefined ? '–' : s(backend)} | ${s(own + (backend ?? 0))} |`)
  }
  lines.push('')
  lines.push('| contender | max RSS MiB | RSS before MiB | peak JS heap MiB | peak external + ArrayBuffers MiB | GC ms (collections) | server backend peak RSS MiB | max RSS < 500 MB |', '| :-- | --: | --: | --: | --: | --: | --: | :-- |')
  for (const [name, runs] of series) {
    const m = (f: (r: RunResult) => number | undefined): number | undefined => {
      const v = runs.map(f).filter((x): x is number => x !== undefined)
      return v.length === 0 ? undefined : median(v)
    }
    const worst = Math.max(...runs.map(r => r.maxRssMiB))
    lines.push(`| ${name} | ${int(m(r => r.maxRssMiB))} | ${int(m(r => r.rssBeforeMiB))} | ${int(m(r => r.peakHeapUsedMiB))} | ${int(m(r => r.peakExternalMiB))} | ${int(m(r => r.gcMs))} (${int(m(r => r.gcCount))}) | ${int(m(r => r.backendPeakRssMiB))} | ${worst * 1.048576 < GOAL_RSS_MB ? 'yes' : 'no'} (worst ${int(worst)} MiB) |`)
  }
  lines.push('')
  for (const [name, runs] of series) {
    const keys = Object.keys(runs[0]!.detail)
    if (keys.length === 0) continue
    lines.push(`Detail, ${name} (median ms): ` + keys.map(k => `${k} ${int(median(runs.map(r => r.detail[k] ?? 0)))}`).join('; ') + '.', '')
  }
  return lines.join('\n')
}

/** Every contender must have computed the same cells from the same rows. */
function check (series: Series, engine: string): string {
  const all = [...series.values()].flat()
  const first = all[0]!
  for (const r of all) {
    if (r.rows !== ROWS) throw new Error(`${engine} ${r.spec.mode}: ${r.rows} rows, expected ${ROWS}`)
    if (r.cells.md5 !== first.cells.md5 || r.cells.count !== first.cells.count) {
      throw new Error(`${engine} ${r.spec.mode}: cells differ (${JSON.stringify(r.cells)} vs ${JSON.stringify(first.cells)})`)
    }
  }
  log(`${engine}: every run computed the same ${first.cells.count} cells (md5 ${first.cells.md5}) from ${ROWS} rows`)
  return first.cells.md5
}

async function main (): Promise<void> {
  if (!Number.isInteger(ROWS) || ROWS < 10 || ROWS % YEARS.length !== 0) throw new Error('BENCH_ROWS must be a multiple of 10')
  const dir = mkdtempSync(join(os.tmpdir(), 'dcimx-bench-import-'))
  try {
    const csv = join(dir, 'victims.csv')
    const floorCsv = join(dir, 'victims-harmonised.csv')
    const t = performance.now()
    const out = createWriteStream(csv)
    await writeSyntheticCsv('victims', { country: 'SRB', years: YEARS, victimsPerYear: ROWS / YEARS.length, seed: 1 }, out)
    out.end()
    await once(out, 'close')
    log(`generated ${ROWS.toLocaleString('en-US')} victim rows, ${(statSync(csv).size / 1e6).toFixed(1)} MB, in ${s(performance.now() - t)} s`)
    // Inside the project (node_modules/.cache, ignored by git) so that the compiled code finds
    // its packages; not in dist/, which bin/dcimx.js would then run.
    const compiled = PG_RUNS > 0 && COMPILED ? compile(COMPILED_DIR) : undefined

    const results: Array<[string, Series]> = []
    let exported = false
    if (PG_RUNS > 0) {
      log(`PostgreSQL (${ADMIN_URL}):`)
      const series: Series = new Map()
      for (let i = 0; i < PG_RUNS; i++) {
        await withDatabase('node', url => measure(series, 'node', { mode: 'node', engine: 'postgres', url, csv, ...(exported ? {} : { exportTo: floorCsv }) }))
        exported = true
        await withDatabase('floor', url => measure(series, 'floor', { mode: 'floor', engine: 'postgres', url, csv: floorCsv }))
        if (compiled !== undefined) await withDatabase('node', url => measure(series, 'node compiled', { mode: 'node', engine: 'postgres', url, csv, src: compiled }))
        if (FLOOR_ANALYZE) await withDatabase('floor', url => measure(series, 'floor + analyze', { mode: 'floor', engine: 'postgres', url, csv: floorCsv, analyze: true }))
      }
      results.push(['PostgreSQL', series])
    }
    for (const where of PGLITE) {
      if (where !== 'memory' && where !== 'dir') throw new Error(`BENCH_PGLITE: unknown "${where}" (memory, dir)`)
      log(`PGlite (${where === 'memory' ? 'in memory' : 'in a data folder'}):`)
      const series: Series = new Map()
      const folder = (name: string): { dataDir?: string } => where === 'dir' ? { dataDir: join(dir, `pglite-${name}`) } : {}
      await measure(series, 'node', { mode: 'node', engine: 'pglite', csv, ...folder('node'), ...(exported ? {} : { exportTo: floorCsv }) })
      exported = true
      rmSync(join(dir, 'pglite-node'), { recursive: true, force: true })
      await measure(series, 'floor', { mode: 'floor', engine: 'pglite', csv: floorCsv, ...folder('floor') })
      rmSync(join(dir, 'pglite-floor'), { recursive: true, force: true })
      // Not in memory, where the COPY alone takes most of a minute (see docs/benchmarks.md).
      if (FLOOR_ANALYZE && where === 'dir') {
        await measure(series, 'floor + analyze', { mode: 'floor', engine: 'pglite', csv: floorCsv, analyze: true, ...folder('floor') })
        rmSync(join(dir, 'pglite-floor'), { recursive: true, force: true })
      }
      results.push([where === 'memory' ? 'PGlite in memory (createDb({ kind: \'memory\' }))' : 'PGlite in a data folder (createDb({ kind: \'pglite\', dataDir }))', series])
    }
    const sums = new Set(results.map(([title, series]) => check(series, title)))
    if (sums.size > 1) throw new Error('the engines computed different cells')
    if (process.env.BENCH_JSON !== undefined) writeFileSync(process.env.BENCH_JSON, JSON.stringify(results.map(([title, series]) => [title, Object.fromEntries(series)]), null, 2))

    const server = PG_RUNS > 0 ? await admin(async c => (await c.query<{ v: string }>('select version() as v')).rows[0]!.v) : undefined
    const lines = [
      `Machine: ${os.cpus().length} x ${os.cpus()[0]?.model ?? '?'}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}${server === undefined ? '' : `, ${server.split(' on ')[0]}`}; load average at the end ${os.loadavg().map(x => x.toFixed(1)).join(' ')}.`,
      `Input: ${ROWS.toLocaleString('en-US')} victim records (SRB, ${YEARS[0]}-${YEARS.at(-1)}, seed 1), ${(statSync(csv).size / 1e6).toFixed(1)} MB; harmonised CSV for the floor ${(statSync(floorCsv).size / 1e6).toFixed(1)} MB.`,
      '',
      ...results.map(([title, series]) => table(title, series)),
    ]
    process.stdout.write(lines.join('\n'))
  } finally {
    rmSync(dir, { recursive: true, force: true })
    rmSync(COMPILED_DIR, { recursive: true, force: true })
    for (const name of created) await admin(c => c.query(`drop database if exists ${name} with (force)`)).catch(() => {})
  }
}

await main()
