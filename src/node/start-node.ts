/**
 * Starts a node: opens its home, builds the HTTP app and listens. Used by `dcimx serve` and by
 * multi-node tests, which listen on port 0 and read the chosen port back.
 */
import type { FastifyInstance } from 'fastify'
import type { Clock } from '../clock.js'
import { EXCHANGE_DEFAULTS } from '../config.js'
import { startScheduler, type Scheduler } from '../exchange/scheduler.js'
import { nodeAgreements } from '../policy/load.js'
import { AppError } from '../errors.js'
import { buildApp } from '../http/build-app.js'
import type { Logger } from '../logger.js'
import { openNode, type OpenNode } from './home.js'

export interface StartOptions {
  home: string
  env: Record<string, string | undefined>
  clock: Clock
  /** Builds the logger once the node's configuration (id, level) is known. */
  logger: (config: OpenNode['config']) => Logger
  host?: string
  port?: number
  /** Pull and publish on the configured schedule (default true). */
  schedule?: boolean
}

export interface RunningNode {
  node: OpenNode
  app: FastifyInstance
  /** The address the server listens on, e.g. http://127.0.0.1:7300. */
  address: string
  /** The pull and publish schedule, when it runs. */
  scheduler?: Scheduler
  /** Stops accepting requests, finishes those in flight, and closes the database. */
  close(): Promise<void>
}

export async function startNode (options: StartOptions): Promise<RunningNode> {
  const node = await openNode(options)
  const host = options.host ?? node.config.http.host
  const port = options.port ?? node.config.http.port
  const logger = options.logger(node.config)
  let app: FastifyInstance | undefined
  try {
    // Follow writes by other processes (PostgreSQL), so that cached answers stay exact.
    await node.db.changes.listen()
    app = await buildApp({ ...node, clock: options.clock, logger })
    await app.listen({ host, port })
  } catch (err) {
    await app?.close()
    await node.db.close()
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'EADDRINUSE') throw new AppError('PORT_IN_USE', `port ${port} on ${host} is already in use; choose another with --port`)
    if (code === 'EADDRNOTAVAIL' || code === 'EACCES' || code === 'ENOTFOUND') {
      throw new AppError('LISTEN_FAILED', `cannot listen on ${host}:${port} (${code})`)
    }
    throw err
  }
  const addr = app.server.address()
  const bound = typeof addr === 'object' && addr !== null ? addr : { address: host, port }
  const address = `http://${bound.address.includes(':') ? `[${bound.address}]` : bound.address}:${bound.port}`
  // A node configured on port 0 (tests, demos) advertises the port the OS chose.
  if (new URL(node.config.url).port === '0') node.config.url = address
  let closing: Promise<void> | undefined
  const running = app
  const exchange = { ...EXCHANGE_DEFAULTS, ...node.config.exchange }
  const scheduler = options.schedule === false
    ? undefined
    : startScheduler({
      db: node.db.db,
      clock: options.clock,
      node: node.config.node.id,
      kind: node.config.node.kind,
      signingKey: node.signingKey,
      agreements: () => nodeAgreements(node.config.home),
      logger,
      syncIntervalMs: exchange.sync_interval_s * 1000,
      publishIntervalMs: exchange.publish_interval_s * 1000,
      yearClosesOn: exchange.year_closes_on,
    })
  return {
    node,
    app: running,
    address,
    scheduler,
    close: () => {
      closing ??= (async () => {
        await scheduler?.stop()
        await running.close()
        await node.db.close()
      })()
      return closing
    },
  }
}
