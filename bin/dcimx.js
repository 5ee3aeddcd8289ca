#!/usr/bin/env node
// The dcimx command. Runs the compiled code in dist/ when it has been built (npm run build,
// as the container image does); otherwise runs the TypeScript sources through tsx.
import { existsSync } from 'node:fs'

// Output piped into a command that stops reading (dcimx ... | head) ends quietly.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', err => { if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0) })
}

const compiled = new URL('../dist/src/cli/main.js', import.meta.url)
let mod
if (existsSync(compiled) && process.env.DCIMX_FROM_SOURCE !== '1') {
  mod = await import(compiled.href)
} else {
  const { register } = await import('tsx/esm/api')
  register()
  mod = await import('../src/cli/main.ts')
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
