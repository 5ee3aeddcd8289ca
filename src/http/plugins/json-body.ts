/**
 * Request bodies: small, and JSON nested no deeper than MAX_JSON_DEPTH. The node is pulled
 * from, never pushed to: the only JSON body it takes is a login's, so every route gets a small
 * limit (MAX_BODY_BYTES, smaller per route where it can be) and a body over it is refused as it
 * arrives (413 BODY_TOO_LARGE), before it is read whole. The one larger body is an operator's
 * CSV upload, with a limit of its own on its one route (routes/import.ts). The nesting depth is counted on the
 * text in one pass before JSON.parse runs (400 JSON_TOO_DEEP): a body of brackets costs a scan
 * of its bytes, not a parser's stack or heap.
 */
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { AppError } from '../../errors.js'

/** Largest body any route accepts (bytes). */
export const MAX_BODY_BYTES = 64 * 1024
/** Deepest nesting of arrays and objects in a JSON body (the payload limit of protocol/README.md). */
export const MAX_JSON_DEPTH = 32

/** Deepest nesting of `[` and `{` in `text`, outside strings, stopping once past `max`. */
export function jsonDepth (text: string, max = Number.POSITIVE_INFINITY): number {
  let depth = 0
  let deepest = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 0x5c) i++ // a backslash: the next character is escaped
      else if (c === 0x22) inString = false
    } else if (c === 0x22) {
      inString = true
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > deepest) {
        deepest = depth
        if (deepest > max) return deepest
      }
    } else if (c === 0x5d || c === 0x7d) {
      depth--
    }
  }
  return deepest
}

export default fp(async function jsonBody (app: FastifyInstance) {
  const parse = app.getDefaultJsonParser('error', 'error')
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string
    if (jsonDepth(text, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) {
      done(new AppError('JSON_TOO_DEEP', `the JSON body is nested deeper than ${MAX_JSON_DEPTH} levels`), undefined)
      return
    }
    parse(request, text, done)
  })
}, { name: 'json-body' })
