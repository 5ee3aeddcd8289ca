/**
 * One measured run of the import benchmark (test/bench/import.ts), in a process of its own so
 * that its peak RSS is its own. The harness spawns it as
 *
 *   node --import tsx test/bench/import-runner.ts '<json RunSpec>'
 *
 * and reads one line of JSON (RunResult) from stdout.
 *
 * - mode 'node': the node's own code, `importFile(deps, { kind: 'victims', path })`, on a fresh
 *   migrated database. Queries are timed by a Kysely plugin (start when the query is compiled,
 *   end when its result comes back), which gives the phases without touching src/.
 * - mode 'floor': the same harmonised rows loaded with `COPY ... FROM` into a plain table and
 *   aggregated by five hand-written `GROUP BY year, CUBE(...)` queries (one per indicator V1-V5)
 *   into a cells table.
 *
 * Both report a checksum of the cells they computed, so the harness can check that the floor
 * computes exactly what the node does.
 */
import { createReadStream, createWriteStream, readFileSync, writeFileSync } from 'node:fs'
import { PerformanceObserver } from 'node:perf_hooks'
import { pipeline } from 'node:stream/promises'
import { PGlite } from '@electric-sql/pglite'
import { Kysely, sql, type KyselyPlugin, type OperationNode, type PluginTransformQueryArgs, type PluginTransformResultArgs, type QueryResult, type RootOperationNode, type UnknownRow } from 'kysely'
import { PGliteDialect } from 'kysely-pglite-dialect'
import pg from 'pg'
import { from as copyFrom, to as copyTo } from 'pg-copy-streams'
import { pathToFileURL } from 'node:url'
import type { Database } from '../../src/db/types.js'
import type { ImportReport } from '../../src/ingest/import-file.js'
import { withClient } from '../helpers/db.js'

export interface RunSpec {
  mode: 'node' | 'floor'
  engine: 'postgres' | 'pglite'
  /** PostgreSQL: the URL of a fresh, empty database. */
  url?: string
  /** mode node: the national victims.csv; mode floor: the CSV of harmonised rows. */
  csv: string
  /** mode node: after the measurement, write the harmonised rows here (CSV) for the floor. */
  exportTo?: string
  /** PGlite: a data folder (the file system) instead of memory. */
  dataDir?: string
  /** mode node: a folder holding the compiled sources (tsc output of src/) to run instead of src/ through tsx. */
  src?: string
  /** mode floor: ANALYZE the loaded table before aggregating (the planner then picks hash aggregation). */
  analyze?: boolean
}

export interface Phase { name: string, ms: number }

export interface RunResult {
  spec: RunSpec
  totalMs: number
  phases: Phase[]
  /** Extra detail (ms unless named otherwise). */
  detail: Record<string, number>
  rows: number
  cells: { count: number, sum: number, md5: string }
  /** process.resourceUsage().maxRSS, in MiB, at the end of the measurement. */
  maxRssMiB: number
  /** RSS just before the measured part started (after the database was created and migrated). */
  rssBeforeMiB: number
  /** Peaks sampled every 20 ms during the measurement. */
  peakHeapUsedMiB: number
  peakExternalMiB: number
  gcMs: number
  gcCount: number
  /** CPU time of this process during the measurement (user + system). */
  cpuMs: number
  /** PostgreSQL: the largest VmHWM of the server backends of this database (includes shared buffers touched). */
  backendPeakRssMiB?: number
  /** PostgreSQL: CPU time of the server backends of this database over their lifetime (user + system). */
  backendCpuMs?: number
}

const HARMONISED_COLUMNS = 'record_key, row_digest, registered_on, year, status, sex, age, age_group, citizenship, citizen_grp, country_of_exploitation, exploit_primary, exploitation, identified_by, assistance'

/** The floor's tables: the harmonised columns of `victim` (no key, no index) and a cells table like indicator_cell. */
const FLOOR_DDL = [
  `create table floor_victim (
    record_key text not null, row_digest text not null, registered_on date not null, year integer not null,
    status text not null, sex text not null, age smallint, age_group text not null, citizenship text not null,
    citizen_grp text not null, country_of_exploitation text not null, exploit_primary text not null,
    exploitation text[] not null, identified_by text not null, assistance text[] not null)`,
  `create table floor_cell (indicator text not null, year integer not null, cell_key text not null, value integer not null,
    primary key (indicator, year, cell_key))`,
]

/**
 * The floor's aggregation, written by hand: one statement per indicator, the dimensions of
 * src/stats/aggregate.ts (SOURCES), every margin counted from the records ('_T' where a
 * dimension is rolled up; the dimensions are never NULL in the data).
 */
const FLOOR_QUERIES: Array<[string, string]> = [
  ['V1', `insert into floor_cell select 'V1', year, concat_ws('|', coalesce(status, '_T'), coalesce(sex, '_T'), coalesce(age_group, '_T'), coalesce(citizen_grp, '_T')), count(*)
    from floor_victim group by year, cube(status, sex, age_group, citizen_grp)`],
  ['V2', `insert into floor_cell select 'V2', year, concat_ws('|', coalesce(exploit_primary, '_T'), coalesce(sex, '_T'), coalesce(age_group, '_T')), count(*)
    from floor_victim group by year, cube(exploit_primary, sex, age_group)`],
  ['V3', `insert into floor_cell select 'V3', year, concat_ws('|', coalesce(citizenship, '_T'), coalesce(country_of_exploitation, '_T')), count(*)
    from floor_victim group by year, cube(citizenship, country_of_exploitation)`],
  ['V4', `insert into floor_cell select 'V4', year, concat_ws('|', coalesce(identified_by, '_T'), coalesce(status, '_T')), count(*)
    from floor_victim group by year, cube(identified_by, status)`],
  ['V5', `insert into floor_cell select 'V5', year, concat_ws('|', coalesce(a.code, '_T'), coalesce(sex, '_T'), coalesce(age_group, '_T')), count(*)
    from floor_victim cross join lateral unnest(assistance) as a(code) group by year, cube(a.code, sex, age_group)`],
]

const cellsChecksum = (table: string): string => `select count(*)::int as count, coalesce(sum(value), 0)::bigint::text as sum,
  md5(coalesce(string_agg(indicator || ':' || year || ':' || cell_key || '=' || value, ',' order by indicator, year, cell_key), '')) as md5
  from ${table}`

interface Checksum { count: number, sum: string, md5: string }

const MiB = 1024 * 1024
const now = (): number => performance.now()

// ---------------------------------------------------------------------------------------------
// Memory and GC sampling.

class Sampler {
  peakHeap = 0
  peakExternal = 0
  gcMs = 0
  gcCount = 0
  private timer: NodeJS.Timeout | undefined
  private readonly observer = new PerformanceObserver(list => {
    for (const e of list.getEntries()) {
      this.gcMs += e.duration
      this.gcCount++
    }
  })

  start (): void {
    this.observer.observe({ entryTypes: ['gc'] })
    this.timer = setInterval(() => this.sample(), 20)
  }

  sample (): void {
    const m = process.memoryUsage()
    this.peakHeap = Math.max(this.peakHeap, m.heapUsed)
    this.peakExternal = Math.max(this.peakExternal, m.external + m.arrayBuffers)
  }

  stop (): void {
    this.sample()
    clearInterval(this.timer)
    this.observer.disconnect()
  }
}

// ---------------------------------------------------------------------------------------------
// Query timing.

interface QueryEvent { label: string, start: number, end: number }

function labelOf (node: OperationNode): string {
  if (node.kind === 'RawNode') {
    const raw = node as unknown as { sqlFragments: readonly string[], parameters: ReadonlyArray<{ kind: string, value?: unknown }> }
    const text = raw.sqlFragments.join('?').replace(/\s+/g, ' ').trim()
    // recomputeTables passes the indicator id as the first parameter.
    const first = raw.parameters[0]
    return first?.kind === 'ValueNode' && typeof first.value === 'string' && first.value.length <= 4 ? `${text} [${first.value}]` : text
  }
  return node.kind
}

/** Records when each query starts (is compiled) and ends (its result is back). */
class QueryTimer implements KyselyPlugin {
  readonly events: QueryEvent[] = []
  private readonly open = new Map<string, { label: string, start: number }>()

  transformQuery (args: PluginTransformQueryArgs): RootOperationNode {
    this.open.set(args.queryId.queryId, { label: labelOf(args.node), start: now() })
    return args.node
  }

  async transformResult (args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    const o = this.open.get(args.queryId.queryId)
    if (o !== undefined) {
      this.open.delete(args.queryId.queryId)
      this.events.push({ ...o, end: now() })
    }
    return args.result
  }
}

function findEvent (events: QueryEvent[], re: RegExp, from = 0): number {
  const i = events.findIndex((e, j) => j >= from && re.test(e.label))
  if (i < 0) throw new Error(`no query matching ${re} (queries: ${events.map(e => e.label.slice(0, 40)).join(' / ')})`)
  return i
}

/** Splits the node's run into phases that add up to the total. */
function nodePhases (events: QueryEvent[], t0: number, t1: number): { phases: Phase[], detail: Record<string, number> } {
  const iStage = findEvent(events, /^create temp table stage/)
  const iCounts = findEvent(events, /count\(\*\) filter/, iStage)
  const iMerge = findEvent(events, /on conflict \(record_key\) do update/, iCounts)
  const iAgg = findEvent(events, /^DeleteQueryNode$/, iMerge)
  const last = events[events.length - 1]!
  const e = (i: number): QueryEvent => events[i]!
  const phases: Phase[] = [
    { name: 'file hash (sha256) + begin', ms: e(iStage).start - t0 },
    { name: 'parse + validate + stage', ms: e(iCounts).start - e(iStage).start },
    { name: 'counts, affected years, import_run', ms: e(iMerge).start - e(iCounts).start },
    { name: 'merge into victim', ms: e(iMerge).end - e(iMerge).start },
    // From the merge's end: nothing but JavaScript lies between it and the first delete.
    { name: 'aggregate (recomputeTables V1-V5)', ms: last.end - e(iMerge).end },
    { name: 'commit', ms: t1 - last.end },
  ]
  const stageBatches = events.slice(iStage + 1, iCounts).filter(x => /^insert into stage/.test(x.label))
  const stageDbMs = stageBatches.reduce((s, x) => s + x.end - x.start, 0)
  const detail: Record<string, number> = {
    stageBatches: stageBatches.length,
    'stage: insert statements (compile + round trip + server)': stageDbMs,
    'stage: reading, parsing, validating, keying (the rest)': e(iCounts).start - e(iStage).start - stageDbMs,
  }
  for (const x of events.slice(iAgg)) {
    const m = /^insert into indicator_cell .*select \?, year.* \[(\w+)\]$/.exec(x.label)
    if (m !== null) detail[`aggregate ${m[1]!} insert`] = x.end - x.start
  }
  return { phases, detail }
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL helpers.

/**
 * The largest peak RSS (VmHWM) among the server processes connected to `url`'s database, and
 * their CPU time so far, from /proc (the server runs on this machine).
 */
async function backendUsage (url: string): Promise<{ backendPeakRssMiB?: number, backendCpuMs?: number }> {
  try {
    const pids = await withClient(url, async c => (await c.query<{ pid: number }>('select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()')).rows.map(r => r.pid))
    let peak = 0
    let ticks = 0
    for (const pid of pids) {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
      if (m !== null) peak = Math.max(peak, Number(m[1]) / 1024)
      // Fields 14 and 15 of /proc/PID/stat (after the parenthesised name): utime, stime.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      ticks += Number(fields[11]) + Number(fields[12])
    }
    return pids.length === 0 ? {} : { backendPeakRssMiB: peak, backendCpuMs: ticks * 10 }
  } catch {
    return {} // a server on another machine, or /proc not readable
  }
}

// ---------------------------------------------------------------------------------------------
// The runs.

/** The node's modules, from src/ (through tsx) or from a folder of compiled sources. */
async function nodeModules (src: string | undefined): Promise<{
  clock: typeof import('../../src/clock.js')
  createDb: typeof import('../../src/db/create-db.js')
  migrate: typeof import('../../src/db/migrate.js')
  crosswalk: typeof import('../../src/ingest/crosswalk.js')
  importFile: typeof import('../../src/ingest/import-file.js')
  recordKey: typeof import('../../src/ingest/record-key.js')
}> {
  const base = src === undefined ? new URL('../../src/', import.meta.url) : pathToFileURL(src.endsWith('/') ? src : `${src}/`)
  const load = async <T>(path: string): Promise<T> => await import(new URL(path, base).href) as T
  return {
    clock: await load('clock.js'),
    createDb: await load('db/create-db.js'),
    migrate: await load('db/migrate.js'),
    crosswalk: await load('ingest/crosswalk.js'),
    importFile: await load('ingest/import-file.js'),
    recordKey: await load('ingest/record-key.js'),
  }
}

async function runNode (spec: RunSpec): Promise<RunResult> {
  const m = await nodeModules(spec.src)
  const { createDb } = m.createDb
  const { migrateToLatest } = m.migrate
  const { importFile } = m.importFile
  let db: Kysely<Database>
  let pglite: PGlite | undefined
  let close: () => Promise<void>
  if (spec.engine === 'postgres') {
    const handle = await createDb({ kind: 'postgres', url: spec.url! })
    db = handle.db
    close = () => handle.close()
  } else {
    // What createDb({ kind: 'memory' }) (or 'pglite' with a folder) does, keeping the PGlite
    // handle for the export.
    const lite = await PGlite.create(spec.dataDir === undefined ? {} : { dataDir: spec.dataDir })
    pglite = lite
    db = new Kysely<Database>({ dialect: new PGliteDialect(lite) })
    close = async () => {
      await db.destroy()
      if (!lite.closed) await lite.close()
    }
  }
  try {
    await migrateToLatest(db)
    const timer = new QueryTimer()
    const deps = { db: db.withPlugin(timer), clock: m.clock.fixedClock(Date.UTC(2026, 0, 15)), reporter: 'SRB', keyer: m.recordKey.recordKeyer(Buffer.alloc(32, 7)), crosswalk: m.crosswalk.EMPTY_CROSSWALK }
    const sampler = new Sampler()
    const rssBefore = process.memoryUsage().rss
    sampler.start()
    const cpu0 = process.cpuUsage()
    const t0 = now()
    const report: ImportReport = await importFile(deps, { kind: 'victims', path: spec.csv })
    const t1 = now()
    const cpu = process.cpuUsage(cpu0)
    sampler.stop()
    const maxRss = process.resourceUsage().maxRSS * 1024
    if (report.status !== 'applied' || report.rejected !== 0) {
      throw new Error(`import not applied: ${report.status}, ${report.rejected} rejected, first issues ${JSON.stringify(report.issues.slice(0, 3))}`)
    }
    const { phases, detail } = nodePhases(timer.events, t0, t1)
    const sum = (await sql<Checksum>`${sql.raw(cellsChecksum('indicator_cell'))}`.execute(db)).rows[0]!
    const backend = spec.engine === 'postgres' ? await backendUsage(spec.url!) : {}
    if (spec.exportTo !== undefined) {
      const copy = `copy (select ${HARMONISED_COLUMNS} from victim order by year, record_key) to stdout (format csv)`
      if (pglite !== undefined) {
        const r = await pglite.query(copy.replace('to stdout', "to '/dev/blob'"))
        writeFileSync(spec.exportTo, Buffer.from(await r.blob!.arrayBuffer()))
      } else {
        await withClient(spec.url!, c => pipeline(c.query(copyTo(copy)), createWriteStream(spec.exportTo!)))
      }
    }
    return {
      spec,
      totalMs: t1 - t0,
      phases,
      detail,
      rows: report.inserted,
      cells: { count: sum.count, sum: Number(sum.sum), md5: sum.md5 },
      maxRssMiB: maxRss / MiB,
      rssBeforeMiB: rssBefore / MiB,
      peakHeapUsedMiB: sampler.peakHeap / MiB,
      peakExternalMiB: sampler.peakExternal / MiB,
      gcMs: sampler.gcMs,
      gcCount: sampler.gcCount,
      cpuMs: (cpu.user + cpu.system) / 1000,
      ...backend,
    }
  } finally {
    await close()
  }
}

/** Runs `statements` (timed one by one) on either engine; the COPY is given separately. */
interface FloorEngine {
  exec (text: string): Promise<void>
  copy (): Promise<number>
  checksum (): Promise<Checksum>
  close (): Promise<void>
}

async function floorEngine (spec: RunSpec): Promise<FloorEngine> {
  const copyText = `copy floor_victim (${HARMONISED_COLUMNS}) from stdin (format csv)`
  if (spec.engine === 'postgres') {
    const c = new pg.Client({ connectionString: spec.url })
    await c.connect()
    return {
      exec: async text => { await c.query(text) },
      copy: async () => {
        const stream = c.query(copyFrom(copyText))
        await pipeline(createReadStream(spec.csv, { highWaterMark: 1 << 20 }), stream)
        return stream.rowCount
      },
      checksum: async () => (await c.query<Checksum>(cellsChecksum('floor_cell'))).rows[0]!,
      close: () => c.end(),
    }
  }
  const lite = await PGlite.create(spec.dataDir === undefined ? {} : { dataDir: spec.dataDir })
  return {
    exec: async text => { await lite.exec(text) },
    copy: async () => {
      const blob = new Blob([readFileSync(spec.csv)])
      const r = await lite.query(copyText.replace('from stdin', "from '/dev/blob'"), [], { blob })
      return r.affectedRows ?? 0
    },
    checksum: async () => (await lite.query<Checksum>(cellsChecksum('floor_cell'))).rows[0]!,
    close: () => lite.close(),
  }
}

async function runFloor (spec: RunSpec): Promise<RunResult> {
  const e = await floorEngine(spec)
  try {
    const sampler = new Sampler()
    const rssBefore = process.memoryUsage().rss
    sampler.start()
    const cpu0 = process.cpuUsage()
    const t0 = now()
    await e.exec('begin')
    for (const ddl of FLOOR_DDL) await e.exec(ddl)
    const tCopy = now()
    const rows = await e.copy()
    const tAnalyze = now()
    if (spec.analyze === true) await e.exec('analyze floor_victim')
    const tAgg = now()
    const detail: Record<string, number> = {}
    for (const [id, text] of FLOOR_QUERIES) {
      const s = now()
      await e.exec(text)
      detail[`aggregate ${id}`] = now() - s
    }
    const tCommit = now()
    await e.exec('commit')
    const t1 = now()
    const cpu = process.cpuUsage(cpu0)
    sampler.stop()
    const maxRss = process.resourceUsage().maxRSS * 1024
    const sum = await e.checksum()
    const backend = spec.engine === 'postgres' ? await backendUsage(spec.url!) : {}
    return {
      spec,
      totalMs: t1 - t0,
      phases: [
        { name: 'begin + create tables', ms: tCopy - t0 },
        { name: 'COPY', ms: tAnalyze - tCopy },
        ...(spec.analyze === true ? [{ name: 'ANALYZE', ms: tAgg - tAnalyze }] : []),
        { name: 'aggregate (5 queries)', ms: tCommit - tAgg },
        { name: 'commit', ms: t1 - tCommit },
      ],
      detail,
      rows,
      cells: { count: sum.count, sum: Number(sum.sum), md5: sum.md5 },
      maxRssMiB: maxRss / MiB,
      rssBeforeMiB: rssBefore / MiB,
      peakHeapUsedMiB: sampler.peakHeap / MiB,
      peakExternalMiB: sampler.peakExternal / MiB,
      gcMs: sampler.gcMs,
      gcCount: sampler.gcCount,
      cpuMs: (cpu.user + cpu.system) / 1000,
      ...backend,
    }
  } finally {
    await e.close()
  }
}

const spec = JSON.parse(process.argv[2] ?? '{}') as RunSpec
const result = spec.mode === 'node' ? await runNode(spec) : await runFloor(spec)
process.stdout.write(JSON.stringify(result) + '\n')
