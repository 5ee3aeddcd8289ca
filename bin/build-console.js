// The web console (src/console/app, Preact) built by Vite into dist/console, which the node
// serves under /console (src/http/routes/console.ts). `npm run build` (bin/build.js) calls
// buildConsole; the browser tests call ensureConsole, which rebuilds only when the sources
// changed since the last build (dist/console/source-hash.txt), so `rm -rf dist` before
// `npm test` costs one build of a few seconds, not a failure.
//
// Each text file of the build is also written compressed, beside it, as NAME.br (brotli at its
// highest quality) and NAME.gz (gzip, level 9), when that is smaller: the node sends those to a
// browser that accepts them. Compressing once here costs the node nothing per request or at
// start, and lets it keep its own headers (CSP, caching, ETag) on every answer.
//
//   node bin/build-console.js      builds dist/console (exit 1 when it fails)
import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { extname, join, relative } from 'node:path'
import { brotliCompressSync, constants, gzipSync } from 'node:zlib'
import { ROOT } from './stamp.js'

/** Where the console's sources are, and where its build goes. */
export const CONSOLE_SRC = join(ROOT, 'src', 'console', 'app')
export const CONSOLE_OUT = join(ROOT, 'dist', 'console')
const HASH_FILE = 'source-hash.txt'
/** The files worth compressing (text); images such as PNG are compressed already. */
const COMPRESSIBLE = new Set(['.html', '.js', '.css', '.svg', '.json', '.txt'])

/**
 * Writes NAME.br and NAME.gz beside each text file under `dir` that they make smaller; returns
 * what was written.
 */
export function precompress (dir) {
  const written = []
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath ?? entry.path, entry.name)
    if (!entry.isFile() || !COMPRESSIBLE.has(extname(entry.name)) || entry.name === HASH_FILE) continue
    const body = readFileSync(path)
    const variants = [
      ['.br', brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY, [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT, [constants.BROTLI_PARAM_SIZE_HINT]: body.length } })],
      ['.gz', gzipSync(body, { level: 9 })],
    ]
    for (const [ext, packed] of variants) {
      if (packed.length >= body.length) continue
      writeFileSync(path + ext, packed)
      written.push(relative(dir, path + ext))
    }
  }
  return written
}

/** A hash of the console's source files (names and contents) and of the build's own inputs. */
export function consoleSourceHash () {
  const h = createHash('sha256')
  const files = readdirSync(CONSOLE_SRC, { recursive: true, withFileTypes: true })
    .filter(e => e.isFile())
    .map(e => relative(CONSOLE_SRC, join(e.parentPath ?? e.path, e.name)))
    .sort()
  for (const f of files) h.update(f).update('\0').update(readFileSync(join(CONSOLE_SRC, f))).update('\0')
  h.update(readFileSync(new URL(import.meta.url)))
  return h.digest('hex')
}

/**
 * Builds the console into dist/console: into a folder beside it first, renamed into place when
 * complete, so a server or another build never sees half of it. Returns the bundle's files.
 */
export async function buildConsole () {
  const { build } = await import('vite')
  const hash = consoleSourceHash()
  const tmp = `${CONSOLE_OUT}.${process.pid}.tmp`
  rmSync(tmp, { recursive: true, force: true })
  await build({
    configFile: false,
    root: CONSOLE_SRC,
    base: '/console/',
    logLevel: 'warn',
    // Preact's automatic JSX runtime; no plugin needed.
    oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
    build: {
      outDir: tmp,
      emptyOutDir: true,
      // No inline scripts or styles: the node's Content-Security-Policy allows only files from /console.
      assetsInlineLimit: 0,
      modulePreload: { polyfill: false },
      target: 'es2022',
      reportCompressedSize: false,
    },
  })
  precompress(tmp)
  writeFileSync(join(tmp, HASH_FILE), hash + '\n')
  rmSync(CONSOLE_OUT, { recursive: true, force: true })
  renameSync(tmp, CONSOLE_OUT)
  return readdirSync(CONSOLE_OUT, { recursive: true, withFileTypes: true }).filter(e => e.isFile()).map(e => relative(CONSOLE_OUT, join(e.parentPath ?? e.path, e.name)))
}

/** Whether dist/console was built from the console's sources as they are now. */
export function consoleFresh () {
  const file = join(CONSOLE_OUT, HASH_FILE)
  return existsSync(file) && readFileSync(file, 'utf8').trim() === consoleSourceHash()
}

/** Builds the console unless dist/console is already built from the current sources. */
export async function ensureConsole () {
  if (!consoleFresh()) await buildConsole()
  return CONSOLE_OUT
}

if (process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  try {
    const files = await buildConsole()
    console.log(`dcimx build: console built into dist/console (${files.length} files)`)
  } catch (err) {
    console.error(`dcimx build: the console was not built: ${err.message}`)
    process.exit(1)
  }
}
