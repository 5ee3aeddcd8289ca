/** `dcimx serve`: runs the node until SIGINT or SIGTERM, then shuts down gracefully. */
import { createLogger } from '../../logger.js'
import { startNode } from '../../node/start-node.js'
import { line, type CliIo } from '../io.js'

export interface ServeArgs {
  home: string
  host?: string
  port?: number
}

export async function serveCommand (args: ServeArgs, io: CliIo): Promise<number> {
  const running = await startNode({
    home: args.home,
    env: io.env,
    clock: io.clock,
    host: args.host,
    port: args.port,
    logger: config => createLogger({ level: config.log.level, node: config.node.id }),
  })
  line(io.stderr, `dcimx: node ${running.node.config.node.id} listening on ${running.address} (database: ${running.node.db.engine})`)
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
  await running.close()
  line(io.stderr, 'dcimx: stopped')
  return 0
}
