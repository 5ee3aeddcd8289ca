/** `dcimx serve`: runs the node until SIGINT or SIGTERM, then shuts down gracefully. */
import { createLogger } from '../../logger.js'
import { startNode } from '../../node/start-node.js'
import { line, pathFor, type CliIo } from '../io.js'
import type { AdminChannel } from '../admin/server.js'

export interface ServeArgs {
  home: string
  host?: string
  port?: number
}

export async function serveCommand (args: ServeArgs, io: CliIo): Promise<number> {
  const running = await startNode({
    home: pathFor(io, args.home),
    env: io.env,
    clock: io.clock,
    host: args.host,
    port: args.port,
    logger: config => createLogger({ level: config.log.level, node: config.node.id }),
  })
  // The embedded database is locked to this process: the home's other commands run here,
  // through the admin channel (src/cli/admin/). PostgreSQL has no such lock.
  let channel: AdminChannel | undefined
  if (running.node.db.engine === 'pglite') {
    try {
      const [{ openAdminChannel }, { runCli }] = await Promise.all([import('../admin/server.js'), import('../main.js')])
      const opened = await openAdminChannel({ node: running.node, clock: io.clock, run: runCli })
      if ('unavailable' in opened) line(io.stderr, `dcimx: ${opened.unavailable}: commands on this home cannot run while it serves (docs/operator-guide.md, "Commands while serving")`)
      else channel = opened
    } catch (err) {
      await running.close()
      throw err
    }
  }
  line(io.stderr, `dcimx: node ${running.node.config.node.id} listening on ${running.address} (database: ${running.node.db.engine})${channel === undefined ? '' : `; commands on this home run through ${channel.path}`}`)
  await new Promise<void>(resolve => {
    const stop = (signal: string): void => {
      line(io.stderr, `dcimx: ${signal} received, shutting down`)
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
      resolve()
    }
    process.on('SIGINT', stop)
    process.on('SIGTERM', stop)
  })
  // A command running through the channel finishes before the database closes.
  await channel?.close()
  await running.close()
  line(io.stderr, 'dcimx: stopped')
  return 0
}
