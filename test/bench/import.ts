/**
 * Benchmark for issue 3: importing and aggregating 1,000,000 victim records with the node's
 * code (`importFile`, src/ingest/import-file.ts) against the floor: the same harmonised rows
 * loaded with PostgreSQL `COPY` and aggregated by hand-written `GROUP BY year, CUBE(...)`
 * queries, on the same database server.
 *
 *   node --import tsx test/bench/import.ts      (npm run bench:import)
 *
 * Each measured run is a child process (test/bench/import-runner.ts) so that its peak RSS is its
 * own. On PostgreSQL the node and the floor run alternately (node, floor, node, floor, ...),
 * each on a fresh database `dcimx_bench_*` that is dropped afterwards; then the same on an
 * in-memory PGlite. The floor's input (the harmonised rows, as CSV) is exported from the first
 * node run, outside the measurement.
 *
 * Environment:
 *   BENCH_ROWS        victim records (default 1000000; spread over the 10 years 2015-2024)
 *   BENCH_RUNS        node/floor pairs on PostgreSQL (default 2; 0 skips PostgreSQL)
 *   BENCH_PGLITE_RUNS node/floor pairs on PGlite (default 1; 0 skips PGlite)
 *   BENCH_PG_URL      an existing database to connect to for CREATE/DROP DATABASE
 *                     (default postgres://postgres@127.0.0.1:5432/postgres)
 *   BENCH_CPU_PROF    a folder: the runners write V8 CPU profiles there (--cpu-prof)
 *   BENCH_JSON        a file: all raw results as JSON
 *
 * Prints markdown tables on stdout, progress on stderr.
 */
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createWriteStream, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { once } from 'node:events'
import pg from 'pg'
import { writeSyntheticCsv } from '../../src/ingest/synthetic.js'
import type { RunResult, RunSpec } from './import-runner.js'

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000)
const PG_RUNS = Number(process.env.BENCH_RUNS ?? 2)
const PGLITE_RUNS = Number(process.env.BENCH_PGLITE_RUNS ?? 1)
const ADMIN_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const CPU_PROF = process.env.BENCH_CPU_PROF
const YEARS = [2015, 2016, 2017, 2018, 2019, 2020, 2021, 2022, 2023, 2024]
const GOAL_RATIO = 2
const GOAL_RSS_MIB = 500
const RUNNER = join(import.meta.dirname, 'import-runner.ts')

const log = (text: string): void => { process.stderr.write(text + '\n') }
const s = (ms: number): string => (ms / 1000).toFixed(1)
const mib = (v: number | undefined): string => v === undefined ? '–' : Math.round(v).toLocaleString('en-US')

function median (values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

async function admin<T> (fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: ADMIN_URL })
  await c.connect()
  try {
    return await fn(c)
  } finally {
    await c.end()
  }
}

const created = new Set<string>()

async function freshDatabase (tag: string): Promise<string> {
  const name = `dcimx_bench_${tag}_${randomBytes(4).toString('hex')}`
  await admin(c => c.query(`create database ${name}`))
  created.add(name)
  const url = new URL(ADMIN_URL)
  url.pathname = `/${name}`
  return url.toString()
}

async function dropDatabase (url: string): Promise<void> {
  const name = new URL(url).pathname.slice(1)
  await admin(c => c.query(`drop database if exists ${name} with (force)`))
  created.delete(name)
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
  const line = out.trim().split('\n').at(-1) ?? ''
  return JSON.parse(line) as RunResult
}

async function measure (spec: RunSpec): Promise<RunResult> {
  log(`- ${spec.engine} ${spec.mode} ...`)
  const r = await run(spec)
  log(`  ${s(r.totalMs)} s (${r.phases.map(p => `${p.name} ${s(p.ms)}`).join(', ')}), max RSS ${mib(r.maxRssMiB)} MiB, ${r.rows} rows, ${r.cells.count} cells`)
  return r
}

interface Series { node: RunResult[], floor: RunResult[] }

async function postgresSeries (csv: string, floorCsv: string): Promise<Series> {
  const series: Series = { node: [], floor: [] }
  for (let i = 0; i < PG_RUNS; i++) {
    const nodeUrl = await freshDatabase('node')
    try {
      series.node.push(await measure({ mode: 'node', engine: 'postgres', url: nodeUrl, csv, ...(i === 0 ? { exportTo: floorCsv } : {}) }))
    } finally {
      await dropDatabase(nodeUrl)
    }
    const floorUrl = await freshDatabase('floor')
    try {
      series.floor.push(await measure({ mode: 'floor', engine: 'postgres', url: floorUrl, csv: floorCsv }))
    } finally {
      await dropDatabase(floorUrl)
    }
  }
  return series
}

async function pgliteSeries (csv: string, floorCsv: string, haveFloorCsv: boolean): Promise<Series> {
  const series: Series = { node: [], floor: [] }
  for (let i = 0; i < PGLITE_RUNS; i++) {
    const exportNow = i === 0 && !haveFloorCsv
    series.node.push(await measure({ mode: 'node', engine: 'pglite', csv, ...(exportNow ? { exportTo: floorCsv } : {}) }))
    series.floor.push(await measure({ mode: 'floor', engine: 'pglite', csv: floorCsv }))
  }
  return series
}

// ---------------------------------------------------------------------------------------------
// Report.

function medianPhase (runs: RunResult[], name: string): number {
  return median(runs.map(r => r.phases.find(p => p.name === name)?.ms ?? 0))
}

function phaseNames (runs: RunResult[]): string[] {
  const names: string[] = []
  for (const r of runs) for (const p of r.phases) if (!names.includes(p.name)) names.push(p.name)
  return names
}

function range (values: number[]): string {
  if (values.length < 2) return ''
  return ` (${s(Math.min(...values))}–${s(Math.max(...values))})`
}

function table (title: string, series: Series): string {
  const lines: string[] = []
  const nodeTotal = median(series.node.map(r => r.totalMs))
  const floorTotal = median(series.floor.map(r => r.totalMs))
  const ratio = nodeTotal / floorTotal
  lines.push(`#### ${title}`, '')
  lines.push(`Median of ${series.node.length} node run(s) and ${series.floor.length} floor run(s); seconds (range in brackets).`, '')
  lines.push('| contender | phase | seconds | % of its total |', '| :-- | :-- | --: | --: |')
  for (const [who, runs, total] of [['node', series.node, nodeTotal], ['floor', series.floor, floorTotal]] as const) {
    for (const name of phaseNames(runs)) {
      const ms = medianPhase(runs, name)
      lines.push(`| ${who} | ${name} | ${s(ms)}${range(runs.map(r => r.phases.find(p => p.name === name)?.ms ?? 0))} | ${(100 * ms / total).toFixed(0)}% |`)
    }
    lines.push(`| **${who}** | **total** | **${s(total)}**${range(runs.map(r => r.totalMs))} | 100% |`)
  }
  lines.push('')
  const nodeAgg = medianPhase(series.node, 'aggregate (recomputeTables V1-V5)')
  const floorAgg = medianPhase(series.floor, 'aggregate (5 queries)')
  const nodeLoad = nodeTotal - nodeAgg
  const floorLoad = floorTotal - floorAgg
  lines.push('| ratio node / floor | value | aim |', '| :-- | --: | --: |')
  lines.push(`| total | **${ratio.toFixed(2)}x** | ≤ ${GOAL_RATIO}x: ${ratio <= GOAL_RATIO ? 'met' : 'missed'} |`)
  lines.push(`| loading (node: everything but aggregate; floor: create + COPY + commit) | ${(nodeLoad / floorLoad).toFixed(2)}x | |`)
  lines.push(`| aggregate | ${(nodeAgg / floorAgg).toFixed(2)}x | |`)
  lines.push('')
  lines.push('| contender | max RSS MiB (median) | RSS before MiB | peak JS heap MiB | peak external + ArrayBuffers MiB | GC ms (count) | server backend peak RSS MiB |', '| :-- | --: | --: | --: | --: | --: | --: |')
  for (const [who, runs] of [['node', series.node], ['floor', series.floor]] as const) {
    const m = (f: (r: RunResult) => number | undefined): number | undefined => {
      const v = runs.map(f).filter((x): x is number => x !== undefined)
      return v.length === 0 ? undefined : median(v)
    }
    lines.push(`| ${who} | ${mib(m(r => r.maxRssMiB))} | ${mib(m(r => r.rssBeforeMiB))} | ${mib(m(r => r.peakHeapUsedMiB))} | ${mib(m(r => r.peakExternalMiB))} | ${mib(m(r => r.gcMs))} (${mib(m(r => r.gcCount))}) | ${mib(m(r => r.backendPeakRssMiB))} |`)
  }
  const maxNodeRss = Math.max(...series.node.map(r => r.maxRssMiB))
  lines.push('', `Node peak RSS (worst run): ${mib(maxNodeRss)} MiB, aim < ${GOAL_RSS_MIB} MB: ${maxNodeRss * 1.048576 < GOAL_RSS_MIB ? 'met' : 'missed'}.`, '')
  const details = series.node[0]?.detail
  if (details !== undefined) {
    lines.push('Node detail (median ms): ' + Object.keys(details).map(k => `${k} ${Math.round(median(series.node.map(r => r.detail[k] ?? 0))).toLocaleString('en-US')}`).join('; ') + '.')
  }
  const fdetails = series.floor[0]?.detail
  if (fdetails !== undefined) {
    lines.push('', 'Floor detail (median ms): ' + Object.keys(fdetails).map(k => `${k} ${Math.round(median(series.floor.map(r => r.detail[k] ?? 0))).toLocaleString('en-US')}`).join('; ') + '.')
  }
  lines.push('')
  return lines.join('\n')
}

/** The node and the floor must have computed the same cells from the same rows. */
function check (series: Series, engine: string): void {
  const all = [...series.node, ...series.floor]
  const first = all[0]
  if (first === undefined) return
  for (const r of all) {
    if (r.rows !== ROWS) throw new Error(`${engine} ${r.spec.mode}: ${r.rows} rows, expected ${ROWS}`)
    if (r.cells.md5 !== first.cells.md5 || r.cells.count !== first.cells.count) {
      throw new Error(`${engine} ${r.spec.mode}: cells differ (${JSON.stringify(r.cells)} vs ${JSON.stringify(first.cells)})`)
    }
  }
  log(`${engine}: node and floor computed the same ${first.cells.count} cells (md5 ${first.cells.md5}) from ${ROWS} rows`)
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

    const results: Record<string, Series> = {}
    if (PG_RUNS > 0) {
      log(`PostgreSQL (${ADMIN_URL}):`)
      results.postgres = await postgresSeries(csv, floorCsv)
      log(`harmonised CSV for the floor: ${(statSync(floorCsv).size / 1e6).toFixed(1)} MB`)
      check(results.postgres, 'postgres')
    }
    if (PGLITE_RUNS > 0) {
      log('PGlite (in memory):')
      results.pglite = await pgliteSeries(csv, floorCsv, PG_RUNS > 0)
      check(results.pglite, 'pglite')
    }
    if (results.postgres !== undefined && results.pglite !== undefined && results.postgres.node[0]!.cells.md5 !== results.pglite.node[0]!.cells.md5) {
      throw new Error('PostgreSQL and PGlite computed different cells')
    }
    if (process.env.BENCH_JSON !== undefined) writeFileSync(process.env.BENCH_JSON, JSON.stringify(results, null, 2))

    const server = PG_RUNS > 0 ? await admin(async c => (await c.query<{ v: string }>('select version() as v')).rows[0]!.v) : undefined
    const lines = [
      `Machine: ${os.cpus().length} x ${os.cpus()[0]?.model ?? '?'}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}${server === undefined ? '' : `, ${server.split(' on ')[0]}`}.`,
      `Input: ${ROWS.toLocaleString('en-US')} victim records (SRB, ${YEARS[0]}-${YEARS.at(-1)}, seed 1), ${(statSync(csv).size / 1e6).toFixed(1)} MB; harmonised CSV for the floor ${(statSync(floorCsv).size / 1e6).toFixed(1)} MB.`,
      '',
    ]
    if (results.postgres !== undefined) lines.push(table('PostgreSQL', results.postgres))
    if (results.pglite !== undefined) lines.push(table('PGlite (in memory, in the runner process)', results.pglite))
    process.stdout.write(lines.join('\n'))
  } finally {
    rmSync(dir, { recursive: true, force: true })
    for (const name of created) await admin(c => c.query(`drop database if exists ${name} with (force)`)).catch(() => {})
  }
}

await main()
