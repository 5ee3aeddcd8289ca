/**
 * One error handler for the node. Every failure is answered as
 * `{ statusCode, code, error, message }`:
 *
 * - an AppError gets the status its code has in HTTP_STATUS (src/errors.ts), 500 when its code
 *   is not registered there: a code nobody classified is a server fault, not the caller's;
 * - an error of the HTTP framework below 500 (validation, media type) keeps its status and its
 *   `FST_ERR_*` code;
 * - anything else is 500 `INTERNAL`.
 *
 * Answers of 500 and above carry the code (INTERNAL for what is not an AppError) and a fixed
 * message naming the request id: the error itself (its message, paths on the server, the
 * cause) goes to the node's log only. The codes of MESSAGE_SENT_5XX are the exception: their
 * message is written for the caller (a broken agreement file, named as the lint route names it).
 */
import { STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import type { FastifyError, FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { httpStatus, isAppError, MESSAGE_SENT_5XX } from '../../errors.js'

/** The reason phrase of a status, as the `error` member. */
export function reasonPhrase (status: number): string {
  return STATUS_CODES[status] ?? (status >= 500 ? 'Internal Server Error' : 'Bad Request')
}

/** Status and code of any error thrown while serving a request. */
export function classify (err: FastifyError): { status: number, code: string } {
  if (isAppError(err)) return { status: httpStatus(err.code), code: err.code }
  const status = typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500
  if (status >= 500) return { status, code: 'INTERNAL' }
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return { status: 413, code: 'BODY_TOO_LARGE' }
  return { status, code: typeof err.code === 'string' && err.code !== '' ? err.code : 'REQUEST_MALFORMED' }
}

/**
 * Answers what Node's HTTP parser refuses before any route sees it (a malformed request line,
 * headers over the size limit, a request that never finishes arriving) in the same JSON shape,
 * with a code: 400 REQUEST_MALFORMED, 431 HEADERS_TOO_LARGE, 408 REQUEST_TIMEOUT. The
 * connection is closed after it. Fastify's `clientErrorHandler`.
 */
export function clientErrorHandler (this: FastifyInstance, err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return
  const [status, code, message] = err.code === 'HPE_HEADER_OVERFLOW'
    ? [431, 'HEADERS_TOO_LARGE', 'the request headers are larger than the node accepts']
    : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'REQUEST_TIMEOUT', 'the request did not arrive in time']
      : [400, 'REQUEST_MALFORMED', 'the request is not well-formed HTTP/1.1']
  this.log.info({ code, parserCode: err.code }, 'request refused by the HTTP parser')
  const body = JSON.stringify({ statusCode: status, code, error: reasonPhrase(status), message })
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${status} ${reasonPhrase(status)}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json; charset=utf-8\r\nConnection: close\r\n\r\n${body}`)
  }
  socket.destroy(err)
}

export default fp(async function errorHandler (app: FastifyInstance) {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    const { status, code } = classify(err)
    if (status >= 500) {
      request.log.error({ err, reqId: request.id, code }, 'request failed')
      const message = isAppError(err) && MESSAGE_SENT_5XX.has(err.code) ? err.message : `internal error; see the node log for request ${request.id}`
      return reply.code(status).send({ statusCode: status, code, error: reasonPhrase(status), message })
    }
    request.log.info({ reqId: request.id, code, msg: err.message }, 'request refused')
    if (status === 401) reply.header('www-authenticate', 'Bearer realm="dcim-exchange"')
    return reply.code(status).send({ statusCode: status, code, error: reasonPhrase(status), message: err.message })
  })
  app.setNotFoundHandler((request, reply) => {
    return reply.code(404).send({ statusCode: 404, code: 'NOT_FOUND', error: 'Not Found', message: `no route ${request.method} ${request.url.split('?')[0]}` })
  })
}, { name: 'error-handler' })
