// Builds a node's HTTP app on a fresh home for inject-based tests.
import type { FastifyInstance } from 'fastify'
import type { Test } from 'tap'
import type { Clock } from '../../src/clock.js'
import { buildApp } from '../../src/http/build-app.js'
import { createLogger } from '../../src/logger.js'
import { openNode, type OpenNode } from '../../src/node/home.js'
import { makeHome, testClock } from './node.js'

export async function testApp (t: Test, country: string, clock: Clock = testClock): Promise<{ app: FastifyInstance, node: OpenNode }> {
  const r = await makeHome(t, country)
  const node = await openNode({ home: r.home, env: r.databaseUrl === undefined ? {} : { DATABASE_URL: r.databaseUrl }, clock })
  const app = await buildApp({ ...node, clock, logger: createLogger({ level: 'silent' }) })
  t.teardown(async () => {
    await app.close()
    await node.db.close()
  })
  return { app, node }
}
