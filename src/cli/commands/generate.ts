/** `dcimx generate victims|offenders`: seeded synthetic national exports (tests, benchmarks, demo). */
import { createWriteStream } from 'node:fs'
import { finished } from 'node:stream/promises'
import { AppError } from '../../errors.js'
import { writeSyntheticCsv } from '../../ingest/synthetic.js'
import { line, type CliIo } from '../io.js'

export interface GenerateArgs {
  kind: string
  country: string
  years: string
  perYear?: string
  seed?: string
  out: string
}

/** "2015-2024" or "2019,2021,2023" to a list of years. */
export function parseYears (value: string): number[] {
  const range = /^(\d{4})-(\d{4})$/.exec(value)
  if (range !== null) {
    const [a, b] = [Number(range[1]), Number(range[2])]
    if (b < a || b - a > 100) throw new AppError('USAGE', `--years ${value}: the range must run forwards, at most 100 years`)
    return Array.from({ length: b - a + 1 }, (_, i) => a + i)
  }
  if (/^\d{4}(,\d{4})*$/.test(value)) return value.split(',').map(Number)
  throw new AppError('USAGE', `--years must be a range like 2015-2024 or a list like 2019,2021 (got "${value}")`)
}

export async function generateCommand (args: GenerateArgs, io: CliIo): Promise<number> {
  if (args.kind !== 'victims' && args.kind !== 'offenders') throw new AppError('USAGE', `generate what: "victims" or "offenders" (got "${args.kind}")`)
  const count = args.perYear === undefined ? undefined : Number(args.perYear)
  if (count !== undefined && (!Number.isInteger(count) || count < 0)) throw new AppError('USAGE', `--per-year must be a whole number (got "${args.perYear}")`)
  const seed = args.seed === undefined ? 1 : Number(args.seed)
  if (!Number.isInteger(seed)) throw new AppError('USAGE', `--seed must be a whole number (got "${args.seed}")`)
  const options = { country: args.country, years: parseYears(args.years), seed, ...(args.kind === 'victims' ? { victimsPerYear: count } : { offendersPerYear: count }) }
  const out = createWriteStream(args.out, { flags: 'wx' })
  const opened = new Promise<void>((resolve, reject) => { out.once('open', () => resolve()).once('error', reject) })
  try {
    await opened
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    throw new AppError('FILE_UNREADABLE', `${args.out}: ${code === 'EEXIST' ? 'already exists (choose a new file)' : (err as Error).message}`)
  }
  const rows = await writeSyntheticCsv(args.kind, options, out)
  out.end()
  await finished(out)
  line(io.stdout, `wrote ${rows} synthetic ${args.kind} row(s) for ${args.country}, ${args.years}, seed ${seed}, to ${args.out}`)
  return 0
}
