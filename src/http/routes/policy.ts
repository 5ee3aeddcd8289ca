/**
 * The node's agreements for legal officers, read-only (the files stay under the operator's
 * change control): GET /v1/policy/agreements lists every agreement file the node holds, each
 * explained in plain language; GET /v1/policy/diff says what changed between two versions of
 * one agreement; GET /v1/policy/preview shows exactly what a peer would receive now; GET
 * /v1/policy/matrix says who shares what with whom; GET /v1/policy/lint lists the files'
 * problems with file and line. They are the CLI's `dcimx policy explain`, `diff`, `preview`,
 * `matrix` and `lint` over HTTP.
 */
import { basename } from 'node:path'
import { Type } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import { yearClosesOn } from '../../config.js'
import { AppError, isAppError } from '../../errors.js'
import { diffAgreements, explainAgreement, localDate, sharingMatrix } from '../../policy/explain.js'
import { inForce } from '../../policy/grants.js'
import { formatProblem, lintAgreementFiles, nodeAgreements, policyFolderFiles, type LoadedAgreement } from '../../policy/load.js'
import { previewForPeer } from '../../stats/peer-preview.js'
import { ROUTE_ROLES } from '../../users/users.js'

const ErrorBody = Type.Object({ statusCode: Type.Integer(), code: Type.String(), error: Type.String(), message: Type.String() })
const Denied = { 401: ErrorBody, 403: ErrorBody }

/**
 * The node's agreements, or, when a file in its policies folder is invalid or two are in
 * conflict (CONFIG_INVALID), 503 AGREEMENTS_INVALID saying so: how many problems, the first one
 * as GET /v1/policy/lint names it (the file by its name, and its line), and where to read them
 * all. The node uses none of its agreements until the files are fixed.
 */
export function agreementsOrExplain (home: string): LoadedAgreement[] {
  try {
    return nodeAgreements(home)
  } catch (err) {
    if (!isAppError(err, 'CONFIG_INVALID')) throw err
    const problems = lintAgreementFiles(policyFolderFiles(home), basename)
    const what = problems.length === 0
      ? 'the node\'s agreement files could not be loaded'
      : `the node's agreement files have ${problems.length} problem(s), the first: ${formatProblem(problems[0]!)}`
    throw new AppError('AGREEMENTS_INVALID', `${what}. The node uses none of its agreements until they are fixed: see every problem with GET /v1/policy/lint (the console's Agreement checks screen) or dcimx policy lint`, { cause: err })
  }
}

const Unavailable = { 503: ErrorBody }
const BROKEN = '503 AGREEMENTS_INVALID while an agreement file in the node\'s policies folder is invalid or two are in conflict: the message names the first problem (GET /v1/policy/lint lists them all).'

export default async function policyRoutes (app: FastifyInstance): Promise<void> {
  const { clock, config } = app.node

  app.get('/v1/policy/agreements', {
    schema: {
      summary: 'Every agreement file the node holds, each version explained in plain language',
      description: `Roles: ${ROUTE_ROLES['GET /v1/policy/agreements'].join(', ')}. Authorization: Bearer <token from POST /v1/login>. Sorted by agreement id, then version. \`in_force\`: whether the version is in force now (its dates read in its own time zone). ${BROKEN}`,
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
        ...Unavailable,
      },
    },
    preHandler: app.requireRole(...ROUTE_ROLES['GET /v1/policy/agreements']),
  }, async (_request, reply) => {
    const now = clock.now()
    const held = agreementsOrExplain(config.home)
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
      description: `Roles: ${ROUTE_ROLES['GET /v1/policy/diff'].join(', ')}. Authorization: Bearer <token from POST /v1/login>. As \`dcimx policy diff\`; 404 NOT_FOUND when the node holds no such version. ${BROKEN}`,
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
        ...Unavailable,
      },
    },
    preHandler: app.requireRole(...ROUTE_ROLES['GET /v1/policy/diff']),
  }, async (request, reply) => {
    const q = request.query as { agreement: string, from: string, to: string }
    const held = agreementsOrExplain(config.home).filter(l => l.agreement.agreement === q.agreement)
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

  app.get('/v1/policy/preview', {
    schema: {
      summary: 'Exactly the protected tables a peer would receive now for one year, as publishing would cut them',
      description: `Roles: ${ROUTE_ROLES['GET /v1/policy/preview'].join(', ')}. Authorization: Bearer <token from POST /v1/login>. As \`dcimx policy preview\`: nothing is signed or recorded. A confidential cell has no value (OBS_STATUS Q, CONF_STATUS C); a cell not listed is 0. \`granted\` is false when no agreement in force grants the peer what was asked. The protection is computed on each request (every peer's grants of the year's populations together). ${BROKEN}`,
      tags: ['operations'],
      querystring: Type.Object({
        peer: Type.String({ pattern: '^[A-Z][A-Z0-9_]{1,15}$', description: 'the recipient, e.g. EUROPOL' }),
        year: Type.String({ pattern: '^[0-9]{4}$' }),
        indicator: Type.Optional(Type.String({ pattern: '^[VC][1-5]$', description: 'only this indicator (default: every one granted)' })),
      }, { additionalProperties: false }),
      response: {
        200: Type.Object({
          peer: Type.String(),
          year: Type.Integer(),
          granted: Type.Boolean(),
          tables: Type.Array(Type.Object({
            agreement: Type.String(),
            indicator: Type.String(),
            year: Type.Integer(),
            by: Type.Array(Type.String()),
            cells: Type.Array(Type.Object({
              key: Type.Record(Type.String(), Type.String()),
              value: Type.Optional(Type.Integer()),
              obs_status: Type.String(),
              conf_status: Type.String(),
            })),
          })),
          refused: Type.Array(Type.Object({ indicator: Type.String(), year: Type.Integer(), unsafe: Type.Array(Type.String()) }), { description: 'indicator-years that cannot be protected: sent to nobody' }),
          held: Type.Array(Type.Object({ population: Type.String(), year: Type.Integer(), added: Type.Integer(), withdrawn: Type.Integer(), released_at: Type.String({ format: 'date-time' }), reason: Type.String() }), { description: 'released years whose records changed since their last release and whose change cannot go out yet (reason): peers keep the released figures' }),
          revisions: Type.Array(Type.Object({ population: Type.String(), year: Type.Integer(), version: Type.Integer({ minimum: 1 }), added: Type.Integer(), withdrawn: Type.Integer() }), { description: 'revisions of released years that would go out, protected together with every earlier release' }),
        }),
        ...Denied,
        ...Unavailable,
      },
    },
    preHandler: app.requireRole(...ROUTE_ROLES['GET /v1/policy/preview']),
  }, async (request, reply) => {
    const q = request.query as { peer: string, year: string, indicator?: string }
    const year = Number(q.year)
    const preview = await previewForPeer(
      { db: app.node.db.db, node: config.node.id, agreements: agreementsOrExplain(config.home), nowMs: clock.now(), yearClosesOn: yearClosesOn(config) },
      { peer: q.peer, year, ...(q.indicator === undefined ? {} : { indicator: q.indicator }) }
    )
    reply.header('cache-control', 'no-store')
    return {
      peer: q.peer,
      year,
      granted: preview.granted,
      tables: preview.tables.map(t => ({ agreement: t.agreement, indicator: t.indicator, year: t.year, by: t.by, cells: t.cells })),
      refused: preview.refused.map(r => ({ indicator: r.indicator, year: r.year, unsafe: r.unsafe })),
      held: preview.held.map(h => ({ population: h.population, year: h.year, added: h.added, withdrawn: h.withdrawn, released_at: h.releasedAt.toISOString(), reason: h.reason })),
      revisions: preview.revisions.map(r => ({ population: r.population, year: r.year, version: r.version, added: r.added, withdrawn: r.withdrawn })),
    }
  })

  app.get('/v1/policy/matrix', {
    schema: {
      summary: 'Who shares what with whom under the node\'s agreements: each one\'s version in force today, or its latest',
      description: `Roles: ${ROUTE_ROLES['GET /v1/policy/matrix'].join(', ')}. Authorization: Bearer <token from POST /v1/login>. As \`dcimx policy matrix\`: one row per agreement, the version in force today (the highest of those in force), or the latest version when none is; sorted by provider, recipient, agreement. ${BROKEN}`,
      tags: ['operations'],
      response: {
        200: Type.Object({
          matrix: Type.Array(Type.Object({
            provider: Type.String(),
            recipient: Type.String(),
            indicators: Type.Array(Type.String()),
            agreement: Type.String(),
            version: Type.Integer(),
            in_force: Type.Boolean(),
          })),
        }),
        ...Denied,
        ...Unavailable,
      },
    },
    preHandler: app.requireRole(...ROUTE_ROLES['GET /v1/policy/matrix']),
  }, async (_request, reply) => {
    const now = clock.now()
    const rows = sharingMatrix(agreementsOrExplain(config.home).map(l => l.agreement), tz => localDate(now, tz))
    reply.header('cache-control', 'no-store')
    return { matrix: rows.map(r => ({ provider: r.provider, recipient: r.recipient, indicators: r.indicators, agreement: r.agreement, version: r.version, in_force: r.inForce })) }
  })

  app.get('/v1/policy/lint', {
    schema: {
      summary: 'Every problem of the agreement files in the node\'s policies folder, with its file and line',
      description: `Roles: ${ROUTE_ROLES['GET /v1/policy/lint'].join(', ')}. Authorization: Bearer <token from POST /v1/login>. As \`dcimx policy lint --home\`: each file checked on its own, then the valid ones together, as the node loads them. \`file\` is the file's name in the policies folder, \`line\` its line (1 for the file as a whole), \`field\` the member the problem is about (null when it is about no member, e.g. not valid YAML). While a file has a problem the node holds no agreements it can use: the other /v1/policy routes answer 503 AGREEMENTS_INVALID, naming the first problem and pointing here.`,
      tags: ['operations'],
      response: {
        200: Type.Object({
          files: Type.Array(Type.String(), { description: 'the agreement files checked (*.yaml, *.yml), in name order' }),
          problems: Type.Array(Type.Object({
            file: Type.String(),
            line: Type.Integer({ minimum: 1 }),
            field: Type.Union([Type.String(), Type.Null()]),
            message: Type.String({ description: 'what is wrong, without the field' }),
          })),
        }),
        ...Denied,
      },
    },
    preHandler: app.requireRole(...ROUTE_ROLES['GET /v1/policy/lint']),
  }, async (_request, reply) => {
    const files = policyFolderFiles(config.home)
    const problems = lintAgreementFiles(files, basename)
    reply.header('cache-control', 'no-store')
    return { files: files.map(f => basename(f)), problems: problems.map(p => ({ file: p.file, line: p.line, field: p.field ?? null, message: p.message })) }
  })
}
