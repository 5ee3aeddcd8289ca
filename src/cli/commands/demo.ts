/** `dcimx demo`: runs the demo federation on this machine until Ctrl-C (or once, with --once). */
import { resolve } from 'node:path'
import { DEMO_NODES, DEMO_YEARS, demoLogin, startDemoFederation } from '../../demo/federation.js'
import { describeSync } from '../../exchange/sync.js'
import { nodeAgreements } from '../../policy/load.js'
import { formatTable } from '../../totals/format.js'
import { regionalTotals } from '../../totals/regional.js'
import { AppError } from '../../errors.js'
import { line, pathFor, type CliIo } from '../io.js'

export interface DemoArgs {
  dir: string
  nodes?: string
  once?: boolean
}

export async function demoCommand (args: DemoArgs, io: CliIo): Promise<number> {
  const nodes = args.nodes === undefined ? DEMO_NODES : args.nodes.split(',').map(s => s.trim()).filter(s => s !== '')
  if (nodes.length === 0) throw new AppError('USAGE', '--nodes needs at least one node id')
  const dir = resolve(pathFor(io, args.dir))
  const started = io.clock.now()
  line(io.stdout, `dcim-exchange demo federation: ${nodes.join(', ')} (homes in ${dir})`)
  const fed = await startDemoFederation({ dir, nodes, clock: io.clock, progress: s => line(io.stdout, `  ${s}`) })
  try {
    line(io.stdout)
    line(io.stdout, 'Each node\'s signed descriptor, fetched over HTTP and verified against its JWKS:')
    for (const c of fed.checks) line(io.stdout, `  ${c.node.padEnd(8)} ${c.url.padEnd(24)} ${c.ok ? 'valid, key ' : 'INVALID '}${c.detail}`)
    line(io.stdout)
    line(io.stdout, `What each country node holds (synthetic records, ${DEMO_YEARS[0]}-${DEMO_YEARS.at(-1)}; they never leave the node):`)
    line(io.stdout, `  node      victims  offenders  victims in ${DEMO_YEARS.at(-1)}`)
    for (const h of fed.held) line(io.stdout, `  ${h.node.padEnd(8)} ${String(h.victims).padStart(8)} ${String(h.offenders).padStart(10)} ${String(h.victimsLastYear).padStart(16)}`)
    line(io.stdout)
    line(io.stdout, 'Protected releases signed under the sample agreements (docs/agreements), and pulled by each recipient:')
    for (const p of fed.published) line(io.stdout, `  ${p.node.padEnd(8)} ${String(p.issued).padStart(4)} issued, ${String(p.unchanged).padStart(4)} unchanged${p.refused > 0 ? `, ${p.refused} refused` : ''}`)
    const failed = fed.syncs.filter(r => !r.ok)
    line(io.stdout, `  ${fed.syncs.length} pulls, ${fed.syncs.length - failed.length} ok: ${fed.syncs.reduce((a, r) => a + r.applied, 0)} release(s) applied, ${fed.syncs.reduce((a, r) => a + r.retracted, 0)} retraction(s)`)
    for (const r of failed) line(io.stdout, `  ${describeSync(r)}`)

    const liaison = fed.nodes.find(n => n.node.config.node.kind === 'liaison')
    if (liaison !== undefined) {
      const { config, db } = liaison.node
      const deps = { db: db.db, node: config.node.id, kind: config.node.kind, agreements: nodeAgreements(config.home), nowMs: io.clock.now() }
      const last = DEMO_YEARS.at(-1)!
      for (const query of [
        { indicator: 'V1', years: DEMO_YEARS.slice(-5), by: [] },
        { indicator: 'V2', years: [last], by: ['EXPLOIT'] },
        { indicator: 'V3', years: [last], by: [] },
      ]) {
        const result = await regionalTotals(deps, query)
        line(io.stdout)
        const lines = formatTable(result)
        // V3 is shown for its mirror statistics; its totals table is long.
        for (const l of query.indicator === 'V3' ? lines.slice(lines.findIndex(l => l.startsWith('Mirror statistics'))) : lines) line(io.stdout, `  ${l}`.trimEnd())
      }
    }
    const bad = fed.checks.filter(c => !c.ok).length + failed.length
    line(io.stdout)
    const t = fed.timings
    line(io.stdout, `First round in ${((io.clock.now() - started) / 1000).toFixed(1)} s (peers ${t.peers?.toFixed(1)} s, publish ${t.publish?.toFixed(1)} s, pull ${t.sync?.toFixed(1)} s).`)
    if (args.once === true) return bad === 0 ? 0 : 1
    const first = fed.nodes[0]!
    line(io.stdout)
    line(io.stdout, 'The federation is running. Try:')
    line(io.stdout, `  curl ${first.address}/health`)
    line(io.stdout, `  node bin/dcimx.js verify ${first.address}/.well-known/dcim-node --jwks ${first.address}/.well-known/jwks.json`)
    line(io.stdout, `  open ${first.address}/docs for the API`)
    if (liaison !== undefined) {
      const login = await demoLogin(liaison)
      line(io.stdout, `  the web console of ${liaison.node.config.node.id}: open ${liaison.address}/console/ and log in as ${login.user} with password ${login.password} (kept in ${login.file})`)
      line(io.stdout, '  the same liaison officer\'s token, valid for an hour:')
      line(io.stdout, `  TOKEN=${login.token}`)
      line(io.stdout, `  curl -H "Authorization: Bearer $TOKEN" '${liaison.address}/v1/regional/totals?indicator=V2&years=${DEMO_YEARS.at(-5)}-${DEMO_YEARS.at(-1)}&by=EXPLOIT'`)
      line(io.stdout, `  curl -H "Authorization: Bearer $TOKEN" '${liaison.address}/v1/regional/totals?indicator=V1&years=${DEMO_YEARS.at(-1)}&by=SEX&format=sdmx-json'`)
    }
    line(io.stdout, `  after Ctrl-C: node bin/dcimx.js totals --home ${liaison?.node.config.home ?? first.node.config.home} --indicator V2 --years ${DEMO_YEARS.at(-5)}-${DEMO_YEARS.at(-1)} --by EXPLOIT --bundle totals.json`)
    line(io.stdout, 'Press Ctrl-C to stop.')
    await new Promise<void>(resolve => {
      const stop = (): void => {
        process.off('SIGINT', stop)
        process.off('SIGTERM', stop)
        resolve()
      }
      process.on('SIGINT', stop)
      process.on('SIGTERM', stop)
    })
    line(io.stdout, 'stopping the federation')
    return bad === 0 ? 0 : 1
  } finally {
    await fed.close()
  }
}
