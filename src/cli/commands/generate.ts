/** `dcimx generate victims|offenders`: seeded synthetic national exports (tests, benchmarks, demo). */
import { createWriteStream } from 'node:fs'
import { finished } from 'node:stream/promises'
import { AppError } from '../../errors.js'
import { parseYearSpec } from '../../year-spec.js'
import { writeSyntheticCsv } from '../../ingest/synthetic.js'
import { line, pathFor, type CliIo } from '../io.js'

export interface GenerateArgs {
  kind: string
  country: string
  years: string
  perYear?: string
  seed?: string
  out: string
}

export async function generateCommand (args: GenerateArgs, io: CliIo): Promise<number> {
  if (args.kind !== 'victims' && args.kind !== 'offenders') throw new AppError('USAGE', `generate what: "victims" or "offenders" (got "${args.kind}")`)
  const count = args.perYear === undefined ? undefined : Number(args.perYear)
  if (count !== undefined && (!Number.isInteger(count) || count < 0)) throw new AppError('USAGE', `--per-year must be a whole number (got "${args.perYear}")`)
  const seed = args.seed === undefined ? 1 : Number(args.seed)
  if (!Number.isInteger(seed)) throw new AppError('USAGE', `--seed must be a whole number (got "${args.seed}")`)
  const options = { country: args.country, years: parseYearSpec(args.years, '--years'), seed, ...(args.kind === 'victims' ? { victimsPerYear: count } : { offendersPerYear: count }) }
  const out = createWriteStream(pathFor(io, args.out), { flags: 'wx' })
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
