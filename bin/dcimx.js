#!/usr/bin/env node
// The dcimx command. Runs the compiled code in dist/ (built by `npm run build`, which `npm ci`
// runs through the prepare script) when it was compiled from the sources as they are now
// (bin/stamp.js), or when there are no sources (the container image ships dist/ alone);
// otherwise, or with DCIMX_FROM_SOURCE=1, the TypeScript sources through tsx.
import { existsSync } from 'node:fs'
import { freshness } from './stamp.js'

// Output piped into a command that stops reading (dcimx ... | head) ends quietly.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', err => { if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0) })
}

const compiled = new URL('../dist/src/cli/main.js', import.meta.url)
const source = new URL('../src/cli/main.ts', import.meta.url)
let mod
if (process.env.DCIMX_FROM_SOURCE !== '1' && existsSync(compiled)) {
  const state = existsSync(source) ? freshness() : 'fresh'
  if (state === 'fresh') {
    mod = await import(compiled.href)
  } else {
    process.stderr.write(`dcimx: not running dist/ (${state}); running the sources, which starts slowly: npm run build\n`)
  }
}
if (mod === undefined) {
  const { register } = await import('tsx/esm/api')
  register()
  mod = await import(source.href)
}
const status = await mod.runCli(process.argv.slice(2), {
  // Only touched by commands that read it (--password-stdin).
  get stdin () { return process.stdin },
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  clock: { now: () => Date.now() },
})
process.exitCode = status
