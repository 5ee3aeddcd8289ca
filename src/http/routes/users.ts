/**
 * The node's users for operators over HTTP: list, add, disable, enable. The same functions as
 * `dcimx user list|add|disable|enable` (src/users/users.ts), audited the same way, with the
 * operator who did it recorded as `by`. A password is never sent back, logged or audited; one
 * the node generates (when none is given, as `dcimx user add` does) is in the answer to the
 * add only, once.
 */
import { Type } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import { addUser, generatePassword, listUsers, MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, ROLES, ROUTE_ROLES, setUserDisabled, USER_NAME_PATTERN, type User } from '../../users/users.js'
import { LOGIN_BODY_BYTES } from './session.js'

const ErrorBody = Type.Object({ statusCode: Type.Integer(), code: Type.String(), error: Type.String(), message: Type.String() })
const Denied = { 401: ErrorBody, 403: ErrorBody }
const RoleSchema = Type.Union(ROLES.map(r => Type.Literal(r)))
const UserSchema = Type.Object({
  name: Type.String(),
  role: RoleSchema,
  created_at: Type.String({ format: 'date-time' }),
  disabled_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'when the user was disabled; null while they may log in' }),
})

function userBody (u: User): { name: string, role: string, created_at: string, disabled_at: string | null } {
  return { name: u.name, role: u.role, created_at: u.createdAt, disabled_at: u.disabledAt }
}

function rolesText (roles: readonly string[]): string {
  return `Authorization: Bearer <user token from POST /v1/login>; roles: ${roles.join(', ')}.`
}

export default async function userRoutes (app: FastifyInstance): Promise<void> {
  const { db, clock } = app.node

  app.get('/v1/users', {
    schema: {
      summary: 'Every user of the node, by name, as `dcimx user list --json`',
      description: `${rolesText(ROUTE_ROLES['GET /v1/users'])} No password or hash, ever.`,
      tags: ['users'],
      response: { 200: Type.Object({ users: Type.Array(UserSchema) }), ...Denied },
    },
    preHandler: app.requireRole(...ROUTE_ROLES['GET /v1/users']),
  }, async (_request, reply) => {
    reply.header('cache-control', 'no-store')
    return { users: (await listUsers(db.db)).map(userBody) }
  })

  app.post('/v1/users', {
    bodyLimit: LOGIN_BODY_BYTES,
    schema: {
      summary: 'Adds a user, as `dcimx user add`: with the password given, or a generated one returned once',
      description: `${rolesText(ROUTE_ROLES['POST /v1/users'])} A user name is 2-32 characters: lower-case letters, digits, '.', '_' or '-', starting with a letter (400 USER_NAME_INVALID). A password has at least ${MIN_PASSWORD_LENGTH} characters (400 PASSWORD_WEAK). Without \`password\` the node generates one (20 characters) and answers it in \`password\`, this once: it is stored only as a hash. 409 USER_EXISTS when the name is taken. Audited as \`user_added\`, with the operator as \`by\`.`,
      tags: ['users'],
      body: Type.Object({
        name: Type.String({ minLength: 1, maxLength: 64 }),
        role: RoleSchema,
        password: Type.Optional(Type.String({ minLength: 1, maxLength: MAX_PASSWORD_LENGTH })),
      }, { additionalProperties: false }),
      response: {
        201: Type.Object({
          user: UserSchema,
          password: Type.Optional(Type.String({ description: 'the generated password, shown this once (absent when one was given)' })),
        }),
        400: ErrorBody,
        409: ErrorBody,
        413: ErrorBody,
        ...Denied,
      },
    },
    preHandler: app.requireRole(...ROUTE_ROLES['POST /v1/users']),
  }, async (request, reply) => {
    const body = request.body as { name: string, role: string, password?: string }
    const generated = body.password === undefined ? generatePassword() : undefined
    const user = await addUser(db.db, clock, { name: body.name, role: body.role, password: body.password ?? generated! }, request.user.name)
    reply.header('cache-control', 'no-store')
    reply.code(201)
    return { user: userBody(user), ...(generated === undefined ? {} : { password: generated }) }
  })

  for (const action of ['disable', 'enable'] as const) {
    app.post(`/v1/users/:name/${action}`, {
      schema: {
        summary: action === 'disable'
          ? 'Disables a user, as `dcimx user disable`: no login, and their tokens are refused at once'
          : 'Enables a disabled user, as `dcimx user enable`: they may log in again (tokens from before stay refused)',
        description: `${rolesText(ROUTE_ROLES['POST /v1/users/*'])} \`changed\` is false when the user already was so. 404 USER_UNKNOWN for no such user.${action === 'disable' ? ' 409 USER_IS_SELF: an operator cannot disable their own account (the last one would lock every operator out); another operator can, or `dcimx user disable` on the node.' : ''} Audited as \`user_${action}d\`, with the operator as \`by\`.`,
        tags: ['users'],
        params: Type.Object({ name: Type.String({ pattern: USER_NAME_PATTERN.source }) }),
        response: {
          200: Type.Object({ user: UserSchema, changed: Type.Boolean() }),
          404: ErrorBody,
          ...(action === 'disable' ? { 409: ErrorBody } : {}),
          ...Denied,
        },
      },
      preHandler: app.requireRole(...ROUTE_ROLES['POST /v1/users/*']),
    }, async (request, reply) => {
      const { name } = request.params as { name: string }
      const { user, changed } = await setUserDisabled(db.db, clock, name, action === 'disable', request.user.name)
      reply.header('cache-control', 'no-store')
      return { user: userBody(user), changed }
    })
  }
}
