/**
 * Builds the node's HTTP application from explicit dependencies. Starting the process
 * (listen, signals, logger destination) lives in the CLI; tests build the same app and use
 * `app.inject`.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { Clock } from '../clock.js'
import type { NodeConfig } from '../config.js'
import type { Db } from '../db/create-db.js'
import type { Logger } from '../logger.js'
import { descriptorCache } from '../node/descriptor.js'
import type { SignedObject } from '../protocol/jws.js'
import type { SigningKey } from '../protocol/keys.js'
import type { NodeDescriptor } from '../protocol/messages.js'
import auth from './plugins/auth.js'
import errorHandler, { clientErrorHandler } from './plugins/error-handler.js'
import jsonBody, { MAX_BODY_BYTES } from './plugins/json-body.js'
import strangers from './plugins/strangers.js'
import feedRoutes from './routes/feed.js'
import consoleRoutes from './routes/console.js'
import healthRoutes from './routes/health.js'
import importRoutes from './routes/import.js'
import policyRoutes from './routes/policy.js'
import regionalRoutes from './routes/regional.js'
import sessionRoutes from './routes/session.js'
import userRoutes from './routes/users.js'
import wellKnownRoutes from './routes/well-known.js'

export interface AppDeps {
  config: NodeConfig
  db: Db
  signingKey: SigningKey
  keys: SigningKey[]
  clock: Clock
  logger: Logger
}

export interface NodeServices extends AppDeps {
  /** The current signed descriptor (cached, re-signed before it gets old). */
  descriptor: () => SignedObject<NodeDescriptor>
}

declare module 'fastify' {
  interface FastifyInstance {
    node: NodeServices
  }
}

/** Largest request body the node accepts (bytes): the node takes no large bodies (src/http/plugins/json-body.ts). */
export const BODY_LIMIT = MAX_BODY_BYTES

/** `http.trust_proxy` as Fastify takes it: a number of hops becomes the function proxy-addr runs. */
function trustProxy (setting: boolean | number | string[] | undefined): boolean | string[] | ((address: string, hop: number) => boolean) {
  if (typeof setting === 'number') return (_address, hop) => hop < setting
  return setting ?? false
}

export async function buildApp (deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: BODY_LIMIT,
    // Slow-drip clients are cut off rather than holding a connection forever.
    connectionTimeout: 60_000,
    requestTimeout: 120_000,
    return503OnClosing: true,
    // What the HTTP parser refuses is answered in the node's error shape, with a code.
    clientErrorHandler,
    // Which address a request comes from: the connection's, unless a proxy the operator named forwards it.
    trustProxy: trustProxy(deps.config.http.trust_proxy),
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
  })
  app.decorate('node', { ...deps, descriptor: descriptorCache(deps.config, deps.signingKey, deps.keys, deps.clock) })

  await app.register(errorHandler)
  await app.register(jsonBody)
  // Refusals of unauthenticated callers counted, not chained; requests limited per address.
  await app.register(strangers)
  // User tokens and app.requireRole, for the routes of the node's human users.
  await app.register(auth)
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'dcim-exchange node API',
        version: '1',
        description: `Node ${deps.config.node.id} (${deps.config.node.name}). Messages exchanged between nodes are signed objects defined in protocol/README.md.`,
      },
      tags: [{ name: 'discovery' }, { name: 'exchange' }, { name: 'regional' }, { name: 'operations' }, { name: 'users' }],
    },
  })
  await app.register(swaggerUi, { routePrefix: '/docs' })
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger())

  await app.register(healthRoutes)
  await app.register(wellKnownRoutes)
  await app.register(feedRoutes)
  await app.register(sessionRoutes)
  await app.register(regionalRoutes)
  await app.register(policyRoutes)
  await app.register(userRoutes)
  await app.register(importRoutes)
  await app.register(consoleRoutes)
  return app
}
