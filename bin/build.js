// `npm run build`: compiles src/ and migrations/ to dist/ (tsc -p tsconfig.build.json), writes
// the build stamp (bin/stamp.js) that lets bin/dcimx.js run dist/, makes the embedded
// database template dist/db-template (src/db/template.ts) that `dcimx init` copies, and builds
// the web console (src/console/app) into dist/console (bin/build-console.js).
//
//   node bin/build.js              fails (exit 1) when anything fails
//   node bin/build.js --prepare    what `npm ci` runs (the prepare script): never fails the
//                                  install; without a build bin/dcimx.js runs the sources
import { spawnSync } from 'node:child_process'
import { existsSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { ROOT, snapshot, STAMP, writeStamp } from './stamp.js'

const prepare = process.argv.includes('--prepare')
const give = (why) => {
  console.error(`dcimx build: ${why}`)
  process.exit(prepare ? 0 : 1)
}

let tsc
try {
  tsc = createRequire(join(ROOT, 'package.json')).resolve('typescript/bin/tsc')
} catch {
  // npm ci --omit=dev: no compiler; the container image builds before pruning.
  give('typescript is not installed; not built (bin/dcimx.js runs the sources)')
}
if (!existsSync(join(ROOT, 'src'))) give('no src/ to build')

// A stamp left from an earlier build must not vouch for what this one may fail to write.
rmSync(join(ROOT, STAMP), { force: true })
// A clean build: nothing compiled from a source since removed is left behind.
for (const dir of ['src', 'migrations', 'db-template']) rmSync(join(ROOT, 'dist', dir), { recursive: true, force: true })
const before = snapshot()
const compiled = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' })
if (compiled.status !== 0) give('tsc failed; dist/ is not used (bin/dcimx.js runs the sources)')

let template = 'with the database template'
try {
  const { buildTemplate, defaultTemplateDir } = await import(pathToFileURL(join(ROOT, 'dist/src/db/template.js')).href)
  await buildTemplate(defaultTemplateDir())
} catch (err) {
  // Not fatal to the build's use: init then creates and migrates its database itself.
  console.error(`dcimx build: the database template was not made: ${err.message}`)
  if (!prepare) process.exit(1)
  template = 'without the database template'
}
let consoleBuilt = 'the console'
try {
  const { buildConsole } = await import('./build-console.js')
  await buildConsole()
} catch (err) {
  // The node runs without it (/console answers 404 saying so); the browser tests build it again.
  console.error(`dcimx build: the console was not built: ${err.message}`)
  if (!prepare) process.exit(1)
  consoleBuilt = 'no console'
}
// Sources edited while the compiler ran: what dist/ holds is not known, so it is not vouched for.
if (snapshot().hash !== before.hash) give('the sources changed during the build; dist/ is not used (build again)')
writeStamp(ROOT, before)
console.log(`dcimx build: dist/ compiled from ${before.files.length} source files (${before.hash.slice(0, 12)}), ${template} and ${consoleBuilt}`)
