// The build stamp: which sources dist/ was compiled from. `npm run build` writes it after the
// compiler succeeds; bin/dcimx.js runs dist/ only when the sources still match it, so compiled
// output never runs over newer sources. Plain JavaScript with no dependencies: it is read on
// every start of the CLI and must cost a few milliseconds.
//
//   node bin/stamp.js          writes dist/build-stamp.json for the sources as they are now
import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

/** What the compiled output is made from (tsconfig.build.json compiles src and migrations). */
export const INPUT_DIRS = ['src', 'migrations']
export const INPUT_FILES = ['tsconfig.json', 'tsconfig.build.json']
export const STAMP = 'dist/build-stamp.json'

/** The project root: the folder above bin/. */
export const ROOT = fileURLToPath(new URL('..', import.meta.url))

/** Every input file, relative to root, sorted, with its size and modification time. */
export function inputs (root = ROOT) {
  const files = []
  for (const dir of INPUT_DIRS) {
    const abs = join(root, dir)
    if (!existsSync(abs)) continue
    for (const entry of readdirSync(abs, { recursive: true, withFileTypes: true })) {
      if (entry.isFile()) files.push(relative(root, join(entry.parentPath ?? entry.path, entry.name)))
    }
  }
  for (const file of INPUT_FILES) if (existsSync(join(root, file))) files.push(file)
  files.sort()
  return files.map(file => {
    const s = statSync(join(root, file))
    return { file, size: s.size, mtimeMs: s.mtimeMs }
  })
}

/** A hash of the inputs' names and contents. */
export function contentHash (root, files) {
  const h = createHash('sha256')
  for (const { file } of files) {
    h.update(file).update('\0').update(readFileSync(join(root, file))).update('\0')
  }
  return h.digest('hex')
}

/** The inputs as they are now: taken before compiling, written by writeStamp after. */
export function snapshot (root = ROOT) {
  const files = inputs(root)
  return { hash: contentHash(root, files), files }
}

/** Records `stamp` (by default the inputs as they are now): call after a successful compile. */
export function writeStamp (root = ROOT, stamp = snapshot(root)) {
  writeFileSync(join(root, STAMP), JSON.stringify(stamp) + '\n')
  return stamp
}

/**
 * Whether dist/ was compiled from the sources as they are now: 'fresh', or why not. Sizes and
 * modification times are compared first; when any differs (a checkout, a touch) the contents
 * decide, so a file saved unchanged does not force the slow path.
 */
export function freshness (root = ROOT) {
  let stamp
  try {
    stamp = JSON.parse(readFileSync(join(root, STAMP), 'utf8'))
  } catch {
    return 'no build stamp (npm run build writes one)'
  }
  const now = inputs(root)
  const before = Array.isArray(stamp.files) ? stamp.files : []
  const same = now.length === before.length &&
    now.every((f, i) => f.file === before[i].file && f.size === before[i].size && f.mtimeMs === before[i].mtimeMs)
  if (same) return 'fresh'
  if (now.length !== before.length || now.some((f, i) => f.file !== before[i].file)) return 'source files were added or removed since the build'
  return contentHash(root, now) === stamp.hash ? 'fresh' : 'sources changed since the build'
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const stamp = writeStamp()
  console.log(`build stamp: ${stamp.files.length} source files, ${stamp.hash.slice(0, 12)}`)
}
