/**
 * The node's agreements for legal officers, read-only (the files stay under the operator's
 * change control): GET /v1/policy/agreements lists every agreement file the node holds, each
 * explained in plain language; GET /v1/policy/diff says what changed between two versions of
 * one agreement. Both are the CLI's `dcimx policy explain` and `dcimx policy diff` over HTTP.
 */
import { basename } from 'node:path'
import { Type } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import { AppError } from '../../errors.js'
import { diffAgreements, explainAgreement } from '../../policy/explain.js'
import { inForce } from '../../policy/grants.js'
import { nodeAgreements } from '../../policy/load.js'
import { ROUTE_ROLES } from '../../users/users.js'

const ErrorBody = Type.Object({ statusCode: Type.Integer(), code: Type.String(), error: Type.String(), message: Type.String() })
const Denied = { 401: ErrorBody, 403: ErrorBody }

export default async function policyRoutes (app: FastifyInstance): Promise<void> {
  const { clock, config } = app.node

  app.get('/v1/policy/agreements', {
    schema: {
      summary: 'Every agreement file the node holds, each version explained in plain language',
      description: `Roles: ${ROUTE_ROLES['GET /v1/policy/agreements'].join(', ')}. Authorization: Bearer <token from POST /v1/login>. Sorted by agreement id, then version. \`in_force\`: whether the version is in force now (its dates read in its own time zone).`,
      tags: ['operations'],
      response: {
        200: Type.Object({
          agreements: Type.Array(Type.Object({
            agreement: Type.String(),
            version: Type.Integer(),
            title: Type.Union([Type.String(), Type.Null()]),
            provider: Type.String(),
            recipient: Type.String(),
            file: Type.String({ description: 'the file name in the node\'s policies folder' }),
            hash: Type.String({ description: 'the canonical hash both parties must hold' }),
            validity: Type.Object({ from: Type.String(), until: Type.String(), timezone: Type.String() }),
            in_force: Type.Boolean(),
            indicators: Type.Array(Type.String()),
            explanation: Type.Array(Type.String(), { description: 'as `dcimx policy explain` prints it, one sentence or list item per entry' }),
          })),
        }),
        ...Denied,
      },
    },
    preHandler: app.requireRole(...ROUTE_ROLES['GET /v1/policy/agreements']),
  }, async (_request, reply) => {
    const now = clock.now()
    const held = nodeAgreements(config.home)
      .sort((a, b) => a.agreement.agreement.localeCompare(b.agreement.agreement) || a.agreement.version - b.agreement.version)
    reply.header('cache-control', 'no-store')
    return {
      agreements: held.map(({ file, agreement: a, hash }) => ({
        agreement: a.agreement,
        version: a.version,
        title: a.title ?? null,
        provider: a.provider,
        recipient: a.recipient,
        file: basename(file),
        hash,
        validity: a.validity,
        in_force: inForce(a, now),
        indicators: a.grants.map(g => g.indicator),
        explanation: explainAgreement(a),
      })),
    }
  })

  app.get('/v1/policy/diff', {
    schema: {
      summary: 'What changed between two versions of one agreement the node holds, in plain language',
      description: `Roles: ${ROUTE_ROLES['GET /v1/policy/diff'].join(', ')}. Authorization: Bearer <token from POST /v1/login>. As \`dcimx policy diff\`; 404 NOT_FOUND when the node holds no such version.`,
      tags: ['operations'],
      querystring: Type.Object({
        agreement: Type.String({ pattern: '^[a-z0-9][a-z0-9._-]{0,99}$' }),
        from: Type.String({ pattern: '^[1-9][0-9]{0,5}$', description: 'the earlier version' }),
        to: Type.String({ pattern: '^[1-9][0-9]{0,5}$', description: 'the later version' }),
      }, { additionalProperties: false }),
      response: {
        200: Type.Object({
          agreement: Type.String(),
          from: Type.Integer(),
          to: Type.Integer(),
          same_hash: Type.Boolean({ description: 'the two versions hold the same agreement' }),
          changes: Type.Array(Type.String()),
        }),
        404: ErrorBody,
        ...Denied,
      },
    },
    preHandler: app.requireRole(...ROUTE_ROLES['GET /v1/policy/diff']),
  }, async (request, reply) => {
    const q = request.query as { agreement: string, from: string, to: string }
    const held = nodeAgreements(config.home).filter(l => l.agreement.agreement === q.agreement)
    const find = (version: number) => {
      const found = held.find(l => l.agreement.version === version)
      if (found === undefined) throw new AppError('NOT_FOUND', `this node holds no version ${version} of agreement "${q.agreement}"${held.length === 0 ? '' : ` (it holds ${held.map(l => l.agreement.version).sort((a, b) => a - b).join(', ')})`}`)
      return found
    }
    const before = find(Number(q.from))
    const after = find(Number(q.to))
    reply.header('cache-control', 'no-store')
    const same = before.hash === after.hash
    return {
      agreement: q.agreement,
      from: before.agreement.version,
      to: after.agreement.version,
      same_hash: same,
      changes: same ? ['The two versions hold the same agreement (same hash).'] : diffAgreements(before.agreement, after.agreement),
    }
  })
}
