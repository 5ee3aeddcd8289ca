/**
 * What a revision costs: one victims population-year of the synthetic export (80 a year, the
 * small volume of bench:protect) released to 8 peers, then late registrations of that year, cut
 * and protected as a candidate revision together with the release (issue 11; docs/disclosure.md,
 * "Revisions"). Prints, side by side in one process: the first release, the candidate revision
 * (sent or held, and why), and the steady state after it (every later publish protects all
 * versions together).
 *
 *   BENCH_SEED     the generator's seed (default 2026, as bench:protect)
 *   BENCH_ADDED    late registrations, comma-separated, one candidate each (default 3,8,16,24)
 *
 *   node --import tsx test/bench/protect-revision.ts      (npm run bench:revision)
 */
import { Writable } from 'node:stream'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import type { Clock } from '../../src/clock.js'
import { createDb } from '../../src/db/create-db.js'
import { migrateToLatest } from '../../src/db/migrate.js'
import { EMPTY_CROSSWALK } from '../../src/ingest/crosswalk.js'
import { importFile, type ImportDeps } from '../../src/ingest/import-file.js'
import { recordKeyer } from '../../src/ingest/record-key.js'
import { writeSyntheticCsv } from '../../src/ingest/synthetic.js'
import type { ActiveGrant } from '../../src/policy/grants.js'
import { findIndicator } from '../../src/protocol/indicators.js'
import { protectGrants, type ProtectedGrants } from '../../src/stats/protect-grants.js'
import { recordRound } from '../helpers/release.js'

const YEAR = 2020
const SEED = Number(process.env.BENCH_SEED ?? 2026)
const ADDED = (process.env.BENCH_ADDED ?? '3,8,16,24').split(',').map(Number)
const clock: Clock = { now: () => Date.UTC(2026, 10, 25) }
const log = (text: string): void => { process.stderr.write(text + '\n') }

/** The 8 peers of bench:protect (which dimensions each is granted), victims indicators only. */
const PEERS: Array<[string, (d: string[]) => string[], number]> = [
  ['ALB', d => [d[0]!], 3], ['BIH', d => d.slice(0, 2), 3], ['HRV', d => [...d], 3], ['XKX', d => [d.at(-1)!], 3],
  ['MNE', d => [...new Set([d[0]!, d.at(-1)!])], 3], ['MKD', d => [d[1] ?? d[0]!], 3], ['EUROPOL', d => [...d], 5], ['SELEC', d => d.slice(0, 2), 3],
]
const grants: ActiveGrant[] = PEERS.flatMap(([recipient, pick, threshold]) => ['V1', 'V2', 'V3', 'V4', 'V5'].map(indicator => {
  const by = pick(findIndicator(indicator)!.dimensions.map(d => d.id))
  return { recipient, agreement: `srb-${recipient.toLowerCase()}`, version: 1, hash: recipient.padEnd(43, 'h'), indicator, by, years: [YEAR], threshold }
}))

async function csvText (): Promise<string[]> {
  let text = ''
  const sink = new Writable({ write (chunk: Buffer, _enc, done) { text += chunk.toString(); done() } })
  await writeSyntheticCsv('victims', { country: 'SRB', years: [YEAR], victimsPerYear: 80, offendersPerYear: 0, seed: SEED }, sink)
  return text.trimEnd().split('\n')
}

async function timed<T> (fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now()
  const out = await fn()
  return [out, performance.now() - t0]
}

const hidden = (out: ProtectedGrants): string => {
  const cells = out.tables.flatMap(t => t.cells)
  return `${cells.filter(c => c.value === undefined).length} of ${cells.length} peer cells hidden`
}

async function main (): Promise<void> {
  const dir = mkdtempSync(join(os.tmpdir(), 'dcimx-revision-'))
  const [header, ...rows] = await csvText()
  const rowsOut: string[] = []
  try {
    for (const added of ADDED) {
      const handle = await createDb({ kind: 'memory' })
      try {
        await migrateToLatest(handle.db)
        const db = handle.db
        await db.insertInto('agreement_version').values(PEERS.map(([r]) => ({ hash: r.padEnd(43, 'h'), agreement: `srb-${r.toLowerCase()}`, version: 1, provider: 'SRB', recipient: r, body: '{}', first_seen_at: new Date(0) }))).execute()
        const deps: ImportDeps = { db, clock, reporter: 'SRB', keyer: recordKeyer(Buffer.alloc(32, 1)), crosswalk: EMPTY_CROSSWALK }
        const load = async (name: string, lines: string[]): Promise<void> => {
          const path = join(dir, name)
          writeFileSync(path, [header, ...lines].join('\n') + '\n')
          const report = await importFile(deps, { kind: 'victims', path })
          if (report.status !== 'applied') throw new Error(`import failed: ${report.status}`)
        }
        // The first release counts every record but the last `added`; those come late.
        await load('first.csv', rows.slice(0, rows.length - added))
        const [first, firstMs] = await timed(async () => await protectGrants(db, grants, { workers: 0 }))
        await recordRound(db, first, 0, new Date(clock.now()))
        await load('late.csv', rows.slice(rows.length - added))
        const [candidate, candidateMs] = await timed(async () => await protectGrants(db, grants, { workers: 0 }))
        let steady = ''
        if (candidate.revisions.length > 0) {
          await recordRound(db, candidate, 1, new Date(clock.now() + 1))
          const [after, afterMs] = await timed(async () => await protectGrants(db, grants, { workers: 0 }))
          steady = `${(afterMs / 1000).toFixed(1)} s`
          if (after.revisions.length + after.held.length > 0) throw new Error('the steady state should send nothing new')
        }
        const outcome = candidate.revisions.length > 0 ? `sent, ${hidden(candidate)}` : `held: ${candidate.held[0]?.reason ?? '?'}`
        const line = `| ${rows.length - added} + ${added} | ${(firstMs / 1000).toFixed(1)} s (${hidden(first)}) | ${(candidateMs / 1000).toFixed(1)} s | ${outcome} | ${steady === '' ? '–' : steady} |`
        log(line)
        rowsOut.push(line)
      } finally {
        await handle.close()
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  process.stdout.write(`victims ${YEAR} (seed ${SEED}), 8 peers (V1-V5), one thread:\n\n| records: released + late | first release | candidate revision | outcome | every later publish |\n|---|--:|--:|---|--:|\n${rowsOut.join('\n')}\n`)
}

await main()
