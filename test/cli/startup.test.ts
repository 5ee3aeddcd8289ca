// Start-up of the dcimx command: bin/dcimx.js runs dist/ only when it was compiled from the
// sources as they are now (bin/stamp.js), `npm ci` builds it (the prepare script) without
// ever failing the install, and --help imports none of the heavy modules. Timings are in
// test/bench/startup.ts, not here.
import { spawnSync } from 'node:child_process'
import { copyFileSync, mkdirSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { AUDIT_EVENTS } from '../../src/audit/log.js'
import { HELP_AUDIT_EVENTS, HELP_ROLES } from '../../src/cli/main.js'
import { ROLES } from '../../src/users/users.js'
import { BIN } from './../helpers/cli.js'
import { tempDir } from '../helpers/node.js'

const ROOT = join(import.meta.dirname, '..', '..')

/** The environment of a plain shell: none of tap's loaders or coverage, no DCIMX_FROM_SOURCE. */
function plainEnv (extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env }
  for (const name of Object.keys(env)) if (name.startsWith('_TAPJS') || name.startsWith('TAP')) delete env[name]
  delete env.NODE_OPTIONS
  delete env.NODE_V8_COVERAGE
  delete env.DCIMX_FROM_SOURCE
  return { ...env, ...extra }
}

function run (args: string[], env: NodeJS.ProcessEnv = plainEnv()): { status: number | null, stdout: string, stderr: string } {
  const r = spawnSync(process.execPath, args, { env, encoding: 'utf8' })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

/** A project laid out like this one, whose "compiled" and "source" CLIs say which they are. */
function fakeProject (t: Test): string {
  const dir = tempDir(t)
  mkdirSync(join(dir, 'bin'))
  for (const f of ['dcimx.js', 'stamp.js', 'build.js']) copyFileSync(join(ROOT, 'bin', f), join(dir, 'bin', f))
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'fake', type: 'module' }))
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'))
  mkdirSync(join(dir, 'src', 'cli'), { recursive: true })
  mkdirSync(join(dir, 'migrations'))
  writeFileSync(join(dir, 'src', 'cli', 'main.ts'), 'export async function runCli (argv: string[], io: { stdout: { write (s: string): void } }): Promise<number> {\n  io.stdout.write("source " + argv.join(" ") + "\\n")\n  return 0\n}\n')
  writeFileSync(join(dir, 'migrations', '0001_first.ts'), 'export const up = 1\n')
  writeFileSync(join(dir, 'tsconfig.json'), '{}\n')
  mkdirSync(join(dir, 'dist', 'src', 'cli'), { recursive: true })
  writeFileSync(join(dir, 'dist', 'src', 'cli', 'main.js'), 'export async function runCli (argv, io) {\n  io.stdout.write("compiled " + argv.join(" ") + "\\n")\n  return 0\n}\n')
  return dir
}

const NOTE = (why: string): string => `dcimx: not running dist/ (${why}); running the sources, which starts slowly: npm run build\n`

t.test('bin/dcimx.js runs dist/ only when it was compiled from the sources as they are now', async t => {
  const dir = fakeProject(t)
  const bin = join(dir, 'bin', 'dcimx.js')
  const main = join(dir, 'src', 'cli', 'main.ts')

  t.same(run([bin, 'x']), { status: 0, stdout: 'source x\n', stderr: NOTE('no build stamp (npm run build writes one)') }, 'never built: the sources')
  t.same(run([join(dir, 'bin', 'stamp.js')]).status, 0)
  t.same(run([bin, 'x']), { status: 0, stdout: 'compiled x\n', stderr: '' }, 'built from these sources: dist/')
  t.same(run([bin, 'x'], plainEnv({ DCIMX_FROM_SOURCE: '1' })), { status: 0, stdout: 'source x\n', stderr: '' }, 'DCIMX_FROM_SOURCE=1: the sources, quietly (the tests)')

  const later = new Date(Date.now() + 60_000)
  utimesSync(main, later, later)
  t.same(run([bin, 'x']), { status: 0, stdout: 'compiled x\n', stderr: '' }, 'a source saved unchanged (newer time, same content): still dist/')

  const text = readFileSync(main, 'utf8')
  writeFileSync(main, text.replace('"source "', '"edited "'))
  t.same(run([bin, 'x']), { status: 0, stdout: 'edited x\n', stderr: NOTE('sources changed since the build') }, 'an edited source: the sources')
  writeFileSync(main, text)
  t.same(run([bin, 'x']), { status: 0, stdout: 'compiled x\n', stderr: '' }, 'edited back: dist/ again')

  writeFileSync(join(dir, 'migrations', '0002_second.ts'), 'export const up = 2\n')
  t.same(run([bin, 'x']), { status: 0, stdout: 'source x\n', stderr: NOTE('source files were added or removed since the build') }, 'a new migration: the sources')
  t.same(run([join(dir, 'bin', 'stamp.js')]).status, 0)
  writeFileSync(join(dir, 'tsconfig.json'), '{ "compilerOptions": {} }\n')
  t.same(run([bin, 'x']).stdout, 'source x\n', 'a changed compiler configuration: the sources')
})

t.test('with no sources at all (the container image ships dist/ alone) dist/ runs', async t => {
  const dir = fakeProject(t)
  spawnSync('rm', ['-r', join(dir, 'src')])
  t.same(run([join(dir, 'bin', 'dcimx.js'), 'y']), { status: 0, stdout: 'compiled y\n', stderr: '' })
})

t.test('the prepare script never fails npm ci; npm run build fails when it cannot build', async t => {
  const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
  t.equal(manifest.scripts.build, 'node bin/build.js')
  t.match(manifest.scripts.prepare, /import\('\.\/bin\/build\.js'\)" -- --prepare$/)

  // A folder with this package's bin/ but no compiler installed (npm ci --omit=dev).
  const dir = tempDir(t)
  mkdirSync(join(dir, 'bin'))
  for (const f of ['stamp.js', 'build.js']) copyFileSync(join(ROOT, 'bin', f), join(dir, 'bin', f))
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'fake', type: 'module' }))
  const why = 'dcimx build: typescript is not installed; not built (bin/dcimx.js runs the sources)\n'
  t.same(run([join(dir, 'bin', 'build.js'), '--prepare']), { status: 0, stdout: '', stderr: why })
  t.same(run([join(dir, 'bin', 'build.js')]), { status: 1, stdout: '', stderr: why })

  // The prepare script as npm runs it (sh -c, in the package folder): with no bin/build.js
  // (the container's first npm ci copies package.json alone) it does nothing.
  const empty = tempDir(t)
  const r = spawnSync('sh', ['-c', manifest.scripts.prepare!], { cwd: empty, env: plainEnv(), encoding: 'utf8' })
  t.same([r.status, r.stdout, r.stderr], [0, '', ''])
  const withBin = spawnSync('sh', ['-c', manifest.scripts.prepare!], { cwd: dir, env: plainEnv(), encoding: 'utf8' })
  t.same([withBin.status, withBin.stderr], [0, why], 'with bin/build.js: the build, in --prepare mode')
})

t.test('--help imports no command module and none of fastify, PGlite, HiGHS, kysely, pg or ajv', async t => {
  const dir = tempDir(t)
  const log = join(dir, 'resolved.log')
  // A resolve hook that writes down every module the process loads.
  writeFileSync(join(dir, 'hook.mjs'), `import { appendFileSync } from 'node:fs'\nexport async function resolve (specifier, context, next) {\n  const r = await next(specifier, context)\n  appendFileSync(${JSON.stringify(log)}, r.url + '\\n')\n  return r\n}\n`)
  writeFileSync(join(dir, 'register.mjs'), `import { register } from 'node:module'\nregister(${JSON.stringify('file://' + join(dir, 'hook.mjs'))})\n`)
  const heavy = /node_modules\/(fastify|@fastify|@electric-sql\/pglite|highs|kysely|pg|ajv|jose|pino)\/|\/src\/cli\/commands\//

  const help = run(['--import', join(dir, 'register.mjs'), BIN, '--help'], plainEnv({ DCIMX_FROM_SOURCE: '1' }))
  t.equal(help.status, 0)
  t.match(help.stdout, /^Usage: dcimx \[options\] \[command\]/)
  const loaded = readFileSync(log, 'utf8').split('\n')
  t.ok(loaded.some(u => u.endsWith('/src/cli/main.ts')), 'the hook saw the CLI load')
  t.same(loaded.filter(u => heavy.test(u)), [], 'nothing heavy')

  // The same hook sees them when a command runs (it fails at once: no such home).
  writeFileSync(log, '')
  const tables = run(['--import', join(dir, 'register.mjs'), BIN, 'tables', '--home', join(dir, 'none'), '--indicator', 'V1', '--year', '2020'], plainEnv({ DCIMX_FROM_SOURCE: '1' }))
  t.equal(tables.status, 1)
  const loadedByTables = readFileSync(log, 'utf8').split('\n')
  t.ok(loadedByTables.some(u => u.includes('/src/cli/commands/tables.ts')), 'the command module loads when it runs')
  t.ok(loadedByTables.some(u => u.includes('node_modules/@electric-sql/pglite/')), 'and with it the database')
})

t.test('the audit events and roles --help lists are those the code defines', async t => {
  t.same(HELP_AUDIT_EVENTS, AUDIT_EVENTS)
  t.same(HELP_ROLES, ROLES)
})
