/**
 * One error handler for the node: logs every failure with the request id, hides the message
 * of server errors, and returns client errors as `{ statusCode, code, error, message }`.
 */
import type { FastifyError, FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { isAppError, type ErrorCode } from '../../errors.js'

/** HTTP status of node errors that are not plain bad requests. */
const STATUS: Partial<Record<ErrorCode, number>> = {
  TOKEN_MISSING: 401,
  TOKEN_INVALID: 401,
  TOKEN_REPLAYED: 401,
  PEER_UNKNOWN: 401,
  AGREEMENT_MISMATCH: 409,
  LOGIN_FAILED: 401,
  LOGIN_THROTTLED: 429,
  USER_TOKEN_MISSING: 401,
  USER_TOKEN_INVALID: 401,
  ROLE_FORBIDDEN: 403,
}
const ERROR: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 409: 'Conflict', 429: 'Too Many Requests' }

export default fp(async function errorHandler (app: FastifyInstance) {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    const status = isAppError(err) ? (STATUS[err.code] ?? 400) : (err.statusCode ?? 500)
    if (status >= 500) {
      request.log.error({ err, reqId: request.id }, 'request failed')
      return reply.code(status).send({ statusCode: status, code: 'INTERNAL', error: 'Internal Server Error', message: 'internal error; see the node log for request ' + request.id })
    }
    request.log.info({ reqId: request.id, code: err.code, msg: err.message }, 'request refused')
    if (status === 401) reply.header('www-authenticate', 'Bearer realm="dcim-exchange"')
    return reply.code(status).send({ statusCode: status, code: err.code ?? 'BAD_REQUEST', error: ERROR[status] ?? 'Bad Request', message: err.message })
  })
  app.setNotFoundHandler((request, reply) => {
    return reply.code(404).send({ statusCode: 404, code: 'NOT_FOUND', error: 'Not Found', message: `no route ${request.method} ${request.url.split('?')[0]}` })
  })
}, { name: 'error-handler' })
