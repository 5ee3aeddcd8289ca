/** `dcimx policy lint|explain|diff|matrix`: agreements for legal officers. */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { AppError } from '../../errors.js'
import { loadConfig } from '../../config.js'
import { diffAgreements, explainAgreement, localDate, nodeName, sharingMatrix } from '../../policy/explain.js'
import { formatProblem, lintAgreementText, loadAgreement } from '../../policy/load.js'
import { line, type CliIo } from '../io.js'

export const POLICIES_DIR = 'policies'

/** The agreement files named, or every *.yaml / *.yml in HOME/policies. */
function policyFiles (files: string[], home: string | undefined, io: CliIo): string[] {
  if (files.length > 0) return files
  if (home === undefined) throw new AppError('USAGE', 'name agreement files, or give --home to use the node\'s policies folder')
  const dir = join(loadConfig(home, io.env).home, POLICIES_DIR)
  let names: string[]
  try {
    names = readdirSync(dir).filter(n => /\.ya?ml$/.test(n)).sort()
  } catch {
    throw new AppError('FILE_UNREADABLE', `${dir}: no policies folder; put agreement files there`)
  }
  return names.map(n => join(dir, n))
}

export async function policyLintCommand (args: { files: string[], home?: string }, io: CliIo): Promise<number> {
  const files = policyFiles(args.files, args.home, io)
  let count = 0
  for (const file of files) {
    let text: string
    try {
      text = readFileSync(file, 'utf8')
    } catch (err) {
      line(io.stdout, `${file}:1: cannot read the file (${(err as NodeJS.ErrnoException).code ?? 'error'})`)
      count++
      continue
    }
    const { problems } = lintAgreementText(text, file)
    for (const p of problems) line(io.stdout, formatProblem(p))
    count += problems.length
  }
  line(io.stdout, `${files.length} agreement file(s), ${count === 0 ? 'no problems' : `${count} problem(s)`}`)
  return count === 0 ? 0 : 1
}

export async function policyExplainCommand (args: { file: string }, io: CliIo): Promise<number> {
  const { agreement, hash } = loadAgreement(args.file)
  for (const l of explainAgreement(agreement)) line(io.stdout, l)
  line(io.stdout, `(agreement hash ${hash}: both parties must hold an agreement with this hash)`)
  return 0
}

export async function policyDiffCommand (args: { before: string, after: string }, io: CliIo): Promise<number> {
  const before = loadAgreement(args.before)
  const after = loadAgreement(args.after)
  if (before.hash === after.hash) {
    line(io.stdout, 'The two files hold the same agreement (same hash); only layout or comments differ.')
    return 0
  }
  for (const l of diffAgreements(before.agreement, after.agreement)) line(io.stdout, l)
  return 0
}

export async function policyMatrixCommand (args: { files: string[], home?: string }, io: CliIo): Promise<number> {
  const loaded = policyFiles(args.files, args.home, io).map(f => loadAgreement(f))
  const rows = sharingMatrix(loaded.map(l => l.agreement), tz => localDate(io.clock.now(), tz))
  if (rows.length === 0) {
    line(io.stdout, 'No agreements: nothing is shared.')
    return 0
  }
  const title = 'who shares with whom'
  const width = Math.max(title.length, ...rows.map(r => `${nodeName(r.provider)} -> ${nodeName(r.recipient)}`.length))
  line(io.stdout, `${title.padEnd(width)}  ${'indicators'.padEnd(26)}  status`)
  for (const r of rows) {
    line(io.stdout, `${`${nodeName(r.provider)} -> ${nodeName(r.recipient)}`.padEnd(width)}  ${r.indicators.join(' ').padEnd(26)}  ${r.inForce ? 'in force' : 'not in force today'} (${r.agreement} v${r.version})`)
  }
  return 0
}
