/** `dcimx policy lint|explain|diff|matrix`: agreements for legal officers. */
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { AppError } from '../../errors.js'
import { loadConfig } from '../../config.js'
import { diffAgreements, explainAgreement, localDate, nodeName, sharingMatrix } from '../../policy/explain.js'
import { formatProblem, lintAgreementFiles, loadAgreement, loadAgreements, POLICIES_DIR } from '../../policy/load.js'
import { previewForPeer } from '../../stats/peer-preview.js'
import { yearClosesOn } from '../../config.js'
import { revisionLines } from '../held-line.js'
import { line, pathFor, type CliIo } from '../io.js'
import { withNode } from '../with-node.js'

export { POLICIES_DIR }

/** The agreement files named, or every *.yaml / *.yml in HOME/policies. */
export function policyFiles (files: string[], home: string | undefined, io: CliIo): string[] {
  if (files.length > 0) return files.map(f => pathFor(io, f))
  if (home === undefined) throw new AppError('USAGE', 'name agreement files, or give --home to use the node\'s policies folder')
  const dir = join(loadConfig(pathFor(io, home), io.env).home, POLICIES_DIR)
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
  const problems = lintAgreementFiles(files)
  for (const p of problems) line(io.stdout, formatProblem(p))
  line(io.stdout, `${files.length} agreement file(s), ${problems.length === 0 ? 'no problems' : `${problems.length} problem(s)`}`)
  return problems.length === 0 ? 0 : 1
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
  const loaded = loadAgreements(policyFiles(args.files, args.home, io))
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

export interface PreviewArgs {
  home: string
  peer: string
  indicator?: string
  year?: string
  json?: boolean
}

/** Exactly the tables `peer` would receive now, protected, as they would be sent. */
export async function policyPreviewCommand (args: PreviewArgs, io: CliIo): Promise<number> {
  return await withNode(args.home, io, async node => {
    const agreements = loadAgreements(policyFiles([], node.config.home, io))
    const preview = await previewForPeer(
      { db: node.db.db, node: node.config.node.id, agreements, nowMs: io.clock.now(), yearClosesOn: yearClosesOn(node.config) },
      { peer: args.peer, ...(args.indicator === undefined ? {} : { indicator: args.indicator }), ...(args.year === undefined ? {} : { year: Number(args.year) }) }
    )
    if (!preview.granted) {
      line(io.stdout, `No agreement in force grants ${nodeName(args.peer)} anything${args.indicator === undefined ? '' : ` of ${args.indicator}`}: nothing would be sent.`)
      return 0
    }
    const { tables: mine, refused, held, revisions } = preview
    if (args.json === true) {
      line(io.stdout, JSON.stringify({ peer: args.peer, tables: mine, refused, held, revisions }, null, 2))
      return 0
    }
    for (const t of mine) {
      const hidden = t.cells.filter(c => c.conf_status === 'C').length
      line(io.stdout, `${t.indicator} ${t.year}, by ${t.by.length === 0 ? 'nothing (total only)' : t.by.join(', ')} (agreement ${t.agreement}): ${t.cells.length} cells, ${hidden} confidential`)
      for (const c of t.cells) line(io.stdout, `  ${t.by.map(d => c.key[d]!.padEnd(10)).join(' ')} ${c.value === undefined ? 'confidential' : String(c.value)}`)
    }
    for (const r of refused) line(io.stdout, `${r.indicator} ${r.year} would be refused to every peer: it cannot be protected (${r.unsafe.join('; ')})`)
    for (const text of revisionLines(preview, false)) line(io.stdout, text)
    line(io.stdout, `${mine.length} table(s) for ${nodeName(args.peer)}; ${refused.length} refused${held.length === 0 ? '' : `; ${held.length} revision(s) held back`}. Confidential cells carry no value (OBS_STATUS Q, CONF_STATUS C); a cell not listed is 0.`)
    return 0
  })
}
