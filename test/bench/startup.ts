/**
 * Benchmark for issue 13 ("Start-up"): how long the dcimx command takes to answer `--help`, to
 * `init` a node home on the embedded database, and to run one `tables` query, each as a whole
 * child process timed from outside, side by side with a baseline (`node -e ''`) so that the
 * ratio stays meaningful on a loaded machine.
 *
 *   npm run build && node --import tsx test/bench/startup.ts      (npm run bench:startup)
 *
 * Each round runs, in turn: the baseline, `--help` compiled, `--help` from the sources
 * (DCIMX_FROM_SOURCE=1, as the tests run it), `init` compiled (a new home each time), and
 * `tables --indicator V1 --year 2020` compiled on a home holding one seeded year of records.
 * The order rotates from round to round. Reported per command: median, min and max wall time,
 * and the median of the ratios to the baseline run of the same round.
 *
 * Refuses to run unless dist/ is fresh (bin/stamp.js), since it would otherwise time the
 * sources. Environment: BENCH_ROUNDS (default 7). Prints a markdown table on stdout.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { freshness } from '../../bin/stamp.js'

const ROOT = join(import.meta.dirname, '..', '..')
const BIN = join(ROOT, 'bin', 'dcimx.js')
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7)

const state = (freshness as (root?: string) => string)(ROOT)
if (state !== 'fresh') {
  process.stderr.write(`dist/ is not usable (${state}): run npm run build first\n`)
  process.exit(1)
}

const env: NodeJS.ProcessEnv = { ...process.env }
delete env.NODE_OPTIONS
delete env.DCIMX_FROM_SOURCE
delete env.DATABASE_URL

/** Runs node with `args`; wall seconds; throws on a non-zero exit. */
function time (args: string[], extra: NodeJS.ProcessEnv = {}): number {
  const start = process.hrtime.bigint()
  const r = spawnSync(process.execPath, args, { env: { ...env, ...extra }, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' })
  const s = Number(process.hrtime.bigint() - start) / 1e9
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}: ${r.stderr}`)
  if (r.stderr.includes('not running dist/')) throw new Error(`ran the sources: ${r.stderr}`)
  return s
}

const work = mkdtempSync(join(os.tmpdir(), 'dcimx-bench-startup-'))
process.on('exit', () => rmSync(work, { recursive: true, force: true }))

// The home the tables query reads: one year of seeded victims.
const queried = join(work, 'queried')
time([BIN, 'init', '--country', 'SRB', '--home', queried])
time([BIN, 'generate', 'victims', '--country', 'SRB', '--years', '2020', '--out', join(work, 'victims.csv')])
time([BIN, 'import', 'victims', join(work, 'victims.csv'), '--home', queried, '--no-publish'])

let homes = 0
const contenders: Array<{ name: string, run: () => number }> = [
  { name: "baseline: node -e ''", run: () => time(['-e', '']) },
  { name: 'dcimx --help (compiled)', run: () => time([BIN, '--help']) },
  { name: 'dcimx --help (sources, DCIMX_FROM_SOURCE=1)', run: () => time([BIN, '--help'], { DCIMX_FROM_SOURCE: '1' }) },
  { name: 'dcimx init (compiled, embedded database)', run: () => time([BIN, 'init', '--country', 'SRB', '--home', join(work, `home${++homes}`)]) },
  { name: 'dcimx tables --indicator V1 --year 2020 (compiled)', run: () => time([BIN, 'tables', '--home', queried, '--indicator', 'V1', '--year', '2020']) },
]

// Warm-up (file cache), not counted.
for (const c of contenders) c.run()
const samples = contenders.map(() => [] as number[])
for (let round = 0; round < ROUNDS; round++) {
  for (let k = 0; k < contenders.length; k++) {
    const i = (k + round) % contenders.length
    samples[i]!.push(contenders[i]!.run())
  }
  process.stderr.write(`round ${round + 1}/${ROUNDS}\n`)
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}
const base = samples[0]!
console.log(`node ${process.version}, ${os.cpus().length} cores, load average ${os.loadavg().map(x => x.toFixed(1)).join(' ')}, ${ROUNDS} rounds\n`)
console.log('| command | median wall (s) | min | max | median ratio to baseline |')
console.log('| :-- | --: | --: | --: | --: |')
contenders.forEach((c, i) => {
  const xs = samples[i]!
  const ratios = xs.map((x, r) => x / base[r]!)
  console.log(`| ${c.name} | ${median(xs).toFixed(3)} | ${Math.min(...xs).toFixed(3)} | ${Math.max(...xs).toFixed(3)} | ${median(ratios).toFixed(1)} |`)
})
