/**
 * Benchmark for issue 13: the demo federation's first round, from the command to its exit, as a
 * new user runs it (`node bin/dcimx.js demo --once` on a fresh folder): wall time, CPU time of
 * the whole process tree (user + system, children included: worker threads and any child
 * process), and peak resident memory (of the largest process), by GNU time. Side by side, the
 * floor: `node bin/dcimx.js --help` (start-up alone), and the demo's own timing line (the
 * phases inside the first round).
 *
 *   node --import tsx test/bench/demo.ts          (BENCH_RUNS=3 for three runs, default 1)
 *
 * Prints a markdown table on stdout; progress on stderr. Needs /usr/bin/time (Debian: time).
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'

const ROOT = join(import.meta.dirname, '..', '..')
const RUNS = Number(process.env.BENCH_RUNS ?? 1)

interface Run { wall: number, cpu: number, rssMb: number, line: string }

/** Runs `args` under GNU time; throws when the command fails. */
function timed (args: string[]): Run {
  const dir = mkdtempSync(join(os.tmpdir(), 'dcimx-bench-'))
  const out = join(dir, 'time.txt')
  const env = { ...process.env }
  delete env.DATABASE_URL
  const r = spawnSync('/usr/bin/time', ['-o', out, '-f', '%e %U %S %M', process.execPath, join(ROOT, 'bin', 'dcimx.js'), ...args.map(a => a.replace('{dir}', join(dir, 'demo')))], { cwd: ROOT, env, encoding: 'utf8', maxBuffer: 64 << 20 })
  try {
    if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr.slice(-2000)}`)
    const [wall, user, sys, rssKb] = readFileSync(out, 'utf8').trim().split('\n').at(-1)!.split(' ').map(Number) as [number, number, number, number]
    return { wall, cpu: user + sys, rssMb: rssKb / 1024, line: r.stdout.split('\n').find(l => l.startsWith('First round in')) ?? '' }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const median = (v: number[]): number => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!
const f1 = (v: number): string => v.toFixed(1)

const floor: Run[] = []
const demo: Run[] = []
for (let i = 0; i < RUNS; i++) {
  process.stderr.write(`run ${i + 1}/${RUNS}: --help\n`)
  floor.push(timed(['--help']))
  process.stderr.write(`run ${i + 1}/${RUNS}: demo --once\n`)
  demo.push(timed(['demo', '--once', '--dir', '{dir}']))
  process.stderr.write(`  ${demo.at(-1)!.line}\n`)
}
const cpus = os.cpus()
console.log(`Machine: ${cpus.length} CPUs (${cpus[0]?.model ?? '?'}), Node ${process.version}, load average at the end ${os.loadavg().map(l => l.toFixed(2)).join(' ')}; ${RUNS} run(s), medians.`)
console.log()
console.log('| what | wall | CPU, whole tree (user + system) | peak RSS (largest process) |')
console.log('| :-- | --: | --: | --: |')
console.log(`| floor: \`dcimx --help\` | ${f1(median(floor.map(r => r.wall)))} s | ${f1(median(floor.map(r => r.cpu)))} s | ${Math.round(median(floor.map(r => r.rssMb)))} MB |`)
console.log(`| \`dcimx demo --once\`, fresh folder | ${f1(median(demo.map(r => r.wall)))} s | ${f1(median(demo.map(r => r.cpu)))} s | ${Math.round(median(demo.map(r => r.rssMb)))} MB |`)
console.log()
for (const r of demo) console.log(`- ${r.line} (wall ${f1(r.wall)} s, CPU ${f1(r.cpu)} s, ${Math.round(r.rssMb)} MB)`)
