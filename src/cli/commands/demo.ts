/** `dcimx demo`: runs the demo federation on this machine until Ctrl-C (or once, with --once). */
import { resolve } from 'node:path'
import { DEMO_NODES, DEMO_YEARS, startDemoFederation } from '../../demo/federation.js'
import { AppError } from '../../errors.js'
import { line, type CliIo } from '../io.js'

export interface DemoArgs {
  dir: string
  nodes?: string
  once?: boolean
}

export async function demoCommand (args: DemoArgs, io: CliIo): Promise<number> {
  const nodes = args.nodes === undefined ? DEMO_NODES : args.nodes.split(',').map(s => s.trim()).filter(s => s !== '')
  if (nodes.length === 0) throw new AppError('USAGE', '--nodes needs at least one node id')
  const dir = resolve(args.dir)
  const started = io.clock.now()
  line(io.stdout, `dcim-exchange demo federation: ${nodes.join(', ')} (homes in ${dir})`)
  const fed = await startDemoFederation({ dir, nodes, clock: io.clock, progress: s => line(io.stdout, `  ${s}`) })
  try {
    line(io.stdout)
    line(io.stdout, 'Each node\'s signed descriptor, fetched over HTTP and verified against its JWKS:')
    for (const c of fed.checks) line(io.stdout, `  ${c.node.padEnd(8)} ${c.url.padEnd(24)} ${c.ok ? 'valid, key ' : 'INVALID '}${c.detail}`)
    line(io.stdout)
    line(io.stdout, `What each country node holds (synthetic records, ${DEMO_YEARS[0]}-${DEMO_YEARS.at(-1)}; kept inside the node, nothing exchanged yet):`)
    line(io.stdout, `  node      victims  offenders  victims in ${DEMO_YEARS.at(-1)}`)
    for (const h of fed.held) line(io.stdout, `  ${h.node.padEnd(8)} ${String(h.victims).padStart(8)} ${String(h.offenders).padStart(10)} ${String(h.victimsLastYear).padStart(16)}`)
    const bad = fed.checks.filter(c => !c.ok).length
    line(io.stdout)
    line(io.stdout, `${fed.checks.length - bad} of ${fed.checks.length} nodes verified in ${((io.clock.now() - started) / 1000).toFixed(1)} s.`)
    line(io.stdout, 'Not in the demo yet: agreements in force between the nodes, protected releases and their exchange, regional totals (issues 4-6).')
    if (args.once === true) return bad === 0 ? 0 : 1
    const first = fed.nodes[0]!
    line(io.stdout)
    line(io.stdout, 'The federation is running. Try:')
    line(io.stdout, `  curl ${first.address}/health`)
    line(io.stdout, `  curl ${first.address}/.well-known/dcim-node`)
    line(io.stdout, `  node bin/dcimx.js verify ${first.address}/.well-known/dcim-node --jwks ${first.address}/.well-known/jwks.json`)
    line(io.stdout, `  open ${first.address}/docs for the API`)
    line(io.stdout, `  node bin/dcimx.js tables --home ${first.node.config.home} --indicator V2 --year ${DEMO_YEARS.at(-1)}   (after Ctrl-C: the database is locked while the node runs)`)
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
