/**
 * Benchmark for issue 14 (the web console): the bundle's size (each file as it is, and the
 * brotli and gzip copies the build writes and the node sends), what Chromium's first view
 * transfers (its Accept-Encoding, the encoding and bytes of each file) and the time to first view on loopback, in
 * Debian's headless Chromium: from navigation to the login form on screen, with an empty
 * browser cache (a new context each round) and with a warm one (the same page reloaded);
 * and from pressing "Log in" to the first screen of a liaison officer.
 *
 *   node --import tsx test/bench/console.ts      (npm run bench:console)
 *
 * Builds the console first when dist/console is older than its sources. One node (EUROPOL,
 * embedded database) in this process. Environment: BENCH_ROUNDS (default 9), CHROMIUM_PATH.
 * Prints markdown on stdout.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import os from 'node:os'
import { join, relative } from 'node:path'
import { chromium, type Request } from 'playwright-core'
import { ensureConsole } from '../../bin/build-console.js'
import { systemClock } from '../../src/clock.js'
import { createLogger } from '../../src/logger.js'
import { initHome } from '../../src/node/home.js'
import { startNode } from '../../src/node/start-node.js'
import { addUser } from '../../src/users/users.js'
import { CHROMIUM, CHROMIUM_FLAGS } from '../helpers/browser.js'

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9)
const PASSWORD = 'a long benchmark password'

const out = await ensureConsole()
const files = readdirSync(out, { recursive: true, withFileTypes: true })
  .filter(e => e.isFile() && e.name !== 'source-hash.txt' && !/\.(br|gz)$/.test(e.name))
  .map(e => relative(out, join(e.parentPath, e.name)))
  .sort()

const work = mkdtempSync(join(os.tmpdir(), 'dcimx-bench-console-'))
process.on('exit', () => { rmSync(work, { recursive: true, force: true }) })
const home = join(work, 'europol')
await initHome({ home, country: 'EUROPOL', port: 0, clock: systemClock })
const node = await startNode({ home, env: {}, clock: systemClock, port: 0, schedule: false, logger: () => createLogger({ level: 'silent' }) })
await addUser(node.node.db.db, systemClock, { name: 'liaison1', role: 'liaison', password: PASSWORD })
const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS, headless: true })

const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]! }
const ms = (x: number): string => x.toFixed(0)
const cold: number[] = []
const warm: number[] = []
const login: number[] = []
/** The first round's console files as Chromium received them: path, Content-Encoding, bytes on the wire. */
const received: Array<{ path: string, encoding: string, bytes: number }> = []
let acceptEncoding = ''
const pending: Array<Promise<void>> = []
try {
  for (let i = 0; i < ROUNDS; i++) {
    const context = await browser.newContext()
    const page = await context.newPage()
    const onFinished = (r: Request): void => {
      const path = new URL(r.url()).pathname
      if (!path.startsWith('/console/')) return
      pending.push(Promise.all([r.sizes(), r.response(), r.allHeaders()]).then(([sizes, res, headers]) => {
        acceptEncoding = headers['accept-encoding'] ?? ''
        received.push({ path, encoding: res?.headers()['content-encoding'] ?? 'none', bytes: sizes.responseBodySize })
      }))
    }
    // The first round's empty-cache view only: what goes over the wire.
    if (i === 0) page.on('requestfinished', onFinished)
    const form = page.getByLabel('User name')
    let start = performance.now()
    await page.goto(`${node.address}/console/`)
    await form.waitFor()
    cold.push(performance.now() - start)
    page.off('requestfinished', onFinished)
    start = performance.now()
    await page.reload()
    await form.waitFor()
    warm.push(performance.now() - start)
    await form.fill('liaison1')
    await page.getByLabel('Password').fill(PASSWORD)
    start = performance.now()
    await page.getByRole('button', { name: 'Log in' }).click()
    await page.getByRole('heading', { name: 'Regional totals' }).waitFor()
    login.push(performance.now() - start)
    await Promise.all(pending)
    await context.close()
  }
} finally {
  await browser.close()
  await node.close()
}

let raw = 0
let gz = 0
let br = 0
const size = (f: string): number => { try { return statSync(join(out, f)).size } catch { return 0 } }
console.log('| file | bytes | gzip bytes | brotli bytes |')
console.log('| :-- | --: | --: | --: |')
for (const f of files) {
  const [b, z, r] = [size(f), size(`${f}.gz`) || size(f), size(`${f}.br`) || size(f)]
  raw += b
  gz += z
  br += r
  console.log(`| ${f.replace(/-[A-Za-z0-9_-]{8}\./, '-[hash].')} | ${b} | ${z} | ${r} |`)
}
console.log(`| total | ${raw} | ${gz} | ${br} |`)
console.log()
console.log(`Chromium's first view (empty cache), Accept-Encoding: ${acceptEncoding}`)
console.log()
console.log('| file | Content-Encoding | bytes received |')
console.log('| :-- | :-- | --: |')
for (const r of received.sort((a, b) => a.path.localeCompare(b.path))) console.log(`| ${r.path.replace(/-[A-Za-z0-9_-]{8}\./, '-[hash].')} | ${r.encoding} | ${r.bytes} |`)
console.log(`| total | | ${received.reduce((a, r) => a + r.bytes, 0)} |`)
console.log()
// What the login page loads (index.html and the files it names); the rest loads on demand (the chart chunk).
const html = readFileSync(join(out, 'index.html'), 'utf8')
const named = [...html.matchAll(/(?:src|href)="\/console\/([^"]+)"/g)].map(m => m[1]!).filter(f => files.includes(f))
/** Bytes of `list` as they are, as sent with gzip and as sent with brotli (the build's copies). */
const sizes = (list: string[]): [number, number, number] => list.reduce<[number, number, number]>(([r, z, b], f) =>
  [r + size(f), z + (size(`${f}.gz`) || size(f)), b + (size(`${f}.br`) || size(f))], [0, 0, 0])
const [loginRaw, loginGz, loginBr] = sizes(['index.html', ...named])
const lazy = files.filter(f => f !== 'index.html' && !named.includes(f) && f.startsWith('assets/'))
const [lazyRaw, lazyGz, lazyBr] = sizes(lazy)
console.log(`The login page loads ${loginRaw} bytes (${loginGz} gzip, ${loginBr} brotli): index.html, ${named.map(f => f.replace(/-[A-Za-z0-9_-]{8}\./, '-[hash].')).join(', ')}.`)
console.log(`Loaded on demand: ${lazyRaw} bytes (${lazyGz} gzip, ${lazyBr} brotli): ${lazy.map(f => f.replace(/-[A-Za-z0-9_-]{8}\./, '-[hash].')).join(', ') || 'nothing'}.`)
console.log()
console.log(`${ROUNDS} rounds, ms: median (min-max)`)
console.log()
console.log('| view | median | min | max |')
console.log('| :-- | --: | --: | --: |')
for (const [name, xs] of [['first view, empty cache (navigation to login form)', cold], ['first view, warm cache (reload to login form)', warm], ['login to the first screen (2 API calls)', login]] as const) {
  console.log(`| ${name} | ${ms(median(xs))} | ${ms(Math.min(...xs))} | ${ms(Math.max(...xs))} |`)
}
