/**
 * Protects several independent problems at once: the large ones in worker threads (one HiGHS
 * instance each), the small ones in this thread. {@link protect} is a pure function of its
 * problem, so where a problem runs changes nothing in its result (tested byte for byte).
 */
import os from 'node:os'
import { Worker } from 'node:worker_threads'
import type { ProtectionProblem } from './problem.js'
import { protect, type ProtectionResult, type ProtectOptions } from './protect.js'

/**
 * Problems with fewer published cells than this run in this thread: starting a worker (about
 * 0.3-0.6 s, loading the solver again) costs more than they take.
 */
export const WORKER_MIN_CELLS = 150

/** Options of {@link protectMany}. */
export interface ProtectManyOptions {
  /**
   * Worker threads to use at most: default the machine's available parallelism, at most 4.
   * 0 or 1 protects everything in this thread.
   */
  workers?: number
  /** Published cells from which a problem goes to a worker (default {@link WORKER_MIN_CELLS}). */
  minCells?: number
  /** Passed to {@link protect} for every problem. */
  protect?: ProtectOptions
}

/** Worker threads {@link protectMany} uses by default. */
export function defaultWorkers (): number {
  return Math.min(os.availableParallelism(), 4)
}

/**
 * Starts a worker. From the compiled code it is protect-worker.js; from the TypeScript sources
 * (tsx) a worker does not inherit the loader (nor does `--import tsx` in its execArgv take effect
 * on Node 20), so a small bootstrap registers tsx in the worker and then imports the module.
 */
function startWorker (): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./protect-worker.js', import.meta.url))
  const api = JSON.stringify(import.meta.resolve('tsx/esm/api'))
  const entry = JSON.stringify(new URL('./protect-worker.ts', import.meta.url).href)
  return new Worker(`import(${api}).then(m => { m.register(); return import(${entry}) })`, { eval: true })
}

/**
 * Results in the order of `problems`. The large problems are handed out largest first to a pool
 * of workers; the rest are protected here meanwhile. Rejects on the first error (an invalid
 * problem, a worker that could not start), after stopping the workers.
 */
export async function protectMany (problems: readonly ProtectionProblem[], options: ProtectManyOptions = {}): Promise<ProtectionResult[]> {
  const minCells = options.minCells ?? WORKER_MIN_CELLS
  const large = problems.map((p, i) => ({ i, size: p.published.length })).filter(p => p.size >= minCells)
    .sort((a, b) => b.size - a.size || a.i - b.i).map(p => p.i)
  const workers = Math.min(options.workers ?? defaultWorkers(), large.length)
  const results: ProtectionResult[] = new Array(problems.length)
  if (workers < 2) {
    for (const [i, p] of problems.entries()) results[i] = await protect(p, options.protect)
    return results
  }
  const inWorkers = new Set(large)
  const pool: Worker[] = []
  try {
    const queue = [...large]
    const remote = Promise.all(Array.from({ length: workers }, async () => {
      const worker = startWorker()
      pool.push(worker)
      await new Promise<void>((resolve, reject) => {
        const next = (): void => {
          const i = queue.shift()
          if (i === undefined) { resolve(); return }
          worker.postMessage({ id: i, problem: problems[i], options: options.protect })
        }
        worker.on('message', (m: { id: number, result?: ProtectionResult, error?: string }) => {
          if (m.error !== undefined) { reject(new Error(m.error)); return }
          results[m.id] = m.result!
          next()
        })
        worker.on('error', reject)
        worker.on('exit', code => { if (queue.length > 0 || code !== 0) reject(new Error(`disclosure worker stopped (exit code ${code})`)) })
        next()
      })
    }))
    // Handled here so that a worker failing while this thread works is not an unhandled rejection.
    remote.catch(() => undefined)
    for (const [i, p] of problems.entries()) if (!inWorkers.has(i)) results[i] = await protect(p, options.protect)
    await remote
    return results
  } finally {
    await Promise.all(pool.map(async w => await w.terminate()))
  }
}
