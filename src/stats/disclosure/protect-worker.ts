/**
 * Worker-thread entry of {@link protectMany}: protects the problems it is sent, one at a time,
 * with its own HiGHS instance. Messages: in `{ id, problem, options }`, out `{ id, result }` or
 * `{ id, error }`.
 */
import { parentPort } from 'node:worker_threads'
import type { ProtectionProblem } from './problem.js'
import { protect, type ProtectOptions } from './protect.js'

parentPort?.on('message', (message: { id: number, problem: ProtectionProblem, options?: ProtectOptions }) => {
  protect(message.problem, message.options).then(
    result => parentPort?.postMessage({ id: message.id, result }),
    (err: unknown) => parentPort?.postMessage({ id: message.id, error: err instanceof Error ? err.message : String(err) })
  )
})
