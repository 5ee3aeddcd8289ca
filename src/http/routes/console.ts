/**
 * The web console (src/console/app), built into dist/console by `npm run build`, served under
 * /console: the hashed assets cached for a year, every other path answered with the app's
 * index.html (the app routes in the browser), always under a Content-Security-Policy that lets
 * the page load scripts, styles and data from this node only and run no inline code. The
 * console talks only to the node's own API, whose routes check every role; it adds no rule.
 *
 * The build writes each text file compressed beside it (NAME.br, NAME.gz: bin/build-console.js);
 * a browser that accepts brotli or gzip gets that, with Content-Encoding, its own ETag and
 * `Vary: Accept-Encoding`, under the same headers. Nothing is compressed per request.
 */
import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { extname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { brotliDecompressSync, gunzipSync } from 'node:zlib'
import { negotiate } from '@fastify/accept-negotiator'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { AppError } from '../../errors.js'
import { packageRoot } from '../../package-root.js'

/** Where `npm run build` puts the console (bin/build-console.js). */
export const CONSOLE_DIR = join(packageRoot(import.meta.url) ?? fileURLToPath(new URL('../../..', import.meta.url)), 'dist', 'console')

/** Scripts, styles, images and API calls from this origin only; no inline code, no framing. */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "font-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ')

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
}

/** The encodings the build writes, in the order the node prefers them (brotli is smaller). */
const ENCODINGS = [
  { name: 'br', ext: '.br', unpack: brotliDecompressSync },
  { name: 'gzip', ext: '.gz', unpack: gunzipSync },
] as const
type EncodingName = typeof ENCODINGS[number]['name']

interface Representation { body: Buffer, etag: string }
interface ConsoleFile extends Representation {
  type: string
  /** The file compressed, by encoding (those the build wrote). */
  encoded: Partial<Record<EncodingName, Representation>>
  /** The encodings of `encoded`, preferred first. */
  encodings: EncodingName[]
}

function etagOf (body: Buffer, suffix = ''): string {
  return `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}${suffix}"`
}

/** The built console's files by path under /console/ (read once: they change only with a new build). */
function readConsole (dir: string): Map<string, ConsoleFile> | undefined {
  if (!existsSync(join(dir, 'index.html'))) return undefined
  const files = new Map<string, ConsoleFile>()
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue
    const path = relative(dir, join(entry.parentPath, entry.name)).split('\\').join('/')
    const type = TYPES[extname(path)]
    if (type === undefined) continue
    const body = readFileSync(join(dir, path))
    const encoded: ConsoleFile['encoded'] = {}
    for (const e of ENCODINGS) {
      const packed = join(dir, path + e.ext)
      if (!existsSync(packed)) continue
      const bytes = readFileSync(packed)
      // Only a compressed file that is exactly this file (not one left from another build).
      if (e.unpack(bytes).equals(body)) encoded[e.name] = { body: bytes, etag: etagOf(body, `-${e.ext.slice(1)}`) }
    }
    files.set(path, { body, type, etag: etagOf(body), encoded, encodings: ENCODINGS.map(e => e.name).filter(n => encoded[n] !== undefined) })
  }
  return files
}

export default async function consoleRoutes (app: FastifyInstance): Promise<void> {
  let files = readConsole(CONSOLE_DIR)

  function send (request: FastifyRequest, reply: FastifyReply, file: ConsoleFile, immutable: boolean): FastifyReply {
    reply.header('content-security-policy', CONSOLE_CSP)
    reply.header('x-content-type-options', 'nosniff')
    reply.header('referrer-policy', 'no-referrer')
    reply.header('x-frame-options', 'DENY')
    reply.header('cross-origin-opener-policy', 'same-origin')
    // Hashed file names change with their contents; index.html is checked on every visit.
    reply.header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
    const accept = request.headers['accept-encoding']
    // Not cached by header value: the header is the caller's, and choosing is cheap.
    const encoding = file.encodings.length === 0 || accept === undefined ? null : negotiate(accept, file.encodings) as EncodingName | null
    const sent = encoding === null ? file : file.encoded[encoding]!
    if (file.encodings.length > 0) reply.header('vary', 'accept-encoding')
    reply.header('etag', sent.etag)
    if (request.headers['if-none-match'] === sent.etag) return reply.code(304).send()
    if (encoding !== null) reply.header('content-encoding', encoding)
    return reply.type(file.type).send(sent.body)
  }

  app.get('/console', { schema: { hide: true } }, async (_request, reply) => await reply.redirect('/console/', 308))

  app.get('/console/*', { schema: { hide: true } }, async (request, reply) => {
    files ??= readConsole(CONSOLE_DIR)
    if (files === undefined) throw new AppError('NOT_FOUND', 'the console is not built on this node: run `npm run build`')
    const path = (request.params as { '*': string })['*']
    const file = files.get(path)
    if (file !== undefined && path !== 'index.html') return send(request, reply, file, path.startsWith('assets/'))
    // A file that is not there is not answered with the page: a script tag would get HTML.
    if (path.startsWith('assets/') || extname(path) !== '') throw new AppError('NOT_FOUND', `no such console file: /console/${path}`)
    return send(request, reply, files.get('index.html')!, false)
  })
}
