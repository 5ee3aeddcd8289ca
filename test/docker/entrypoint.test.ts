// What the container runs, exercised outside a container (no Docker engine on our machines):
// the compiled build (npm run build layout: bin/ beside dist/) driven by docker/entrypoint.sh.
// The build is dist/ as `npm run build` made it (npm ci's prepare script makes it) when it was
// compiled from the sources as they are now, copied whole as the Dockerfile copies it; otherwise
// it is compiled here (the compiler's output alone: init then migrates its database itself).
import { execFile } from 'node:child_process'
import { copyFileSync, cpSync, mkdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import t from 'tap'
import { freshness } from '../../bin/stamp.js'
import { freshDatabaseUrl, LATEST_MIGRATION } from '../helpers/db.js'
import { tempDir } from '../helpers/node.js'

const run = promisify(execFile)
const root = join(import.meta.dirname, '..', '..')

t.test('the container entrypoint creates a node on first start and runs commands on the build', async t => {
  // Build as the Dockerfile does, into a private folder laid out like /app.
  const app = join(root, '.tap', `docker-app-${process.pid}`)
  t.teardown(() => rmSync(app, { recursive: true, force: true }))
  const built = freshness(root)
  t.comment(built === 'fresh' ? 'dist/ matches the sources: copied' : `dist/ not used (${built}): compiling`)
  if (built === 'fresh') cpSync(join(root, 'dist'), join(app, 'dist'), { recursive: true })
  else await run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.build.json'), '--outDir', join(app, 'dist')])
  mkdirSync(join(app, 'bin'), { recursive: true })
  // The Dockerfile copies bin/ whole: dcimx.js and the build-stamp check it imports.
  for (const file of ['dcimx.js', 'stamp.js']) copyFileSync(join(root, 'bin', file), join(app, 'bin', file))

  const home = join(tempDir(t), 'data')
  const databaseUrl = await freshDatabaseUrl(t)
  const env = { PATH: process.env.PATH, DCIMX_HOME: home, DCIMX_BIN: `${process.execPath} ${join(app, 'bin', 'dcimx.js')}`, ...(databaseUrl === undefined ? {} : { DATABASE_URL: databaseUrl }) }
  const entrypoint = join(root, 'docker', 'entrypoint.sh')

  const refused = await run('sh', [entrypoint], { env }).catch(err => err as { code: number, stderr: string })
  t.same([(refused as { code: number }).code, (refused as { stderr: string }).stderr], [1, `dcimx-entrypoint: ${home} has no node yet; set DCIMX_COUNTRY (e.g. SRB) to create one\n`])

  const first = await run('sh', [entrypoint, 'migrate'], { env: { ...env, DCIMX_COUNTRY: 'SRB', DCIMX_URL: 'https://dcim.example.rs' } })
  t.match(first.stdout, /^created node SRB \(Serbia\) in /)
  t.match(first.stdout, new RegExp(`database \\((pglite|postgres)\\) is up to date at ${LATEST_MIGRATION}\\n$`))
  const config = JSON.parse(readFileSync(join(home, 'config.json'), 'utf8'))
  t.same([config.url, config.http], ['https://dcim.example.rs', { host: '0.0.0.0', port: 7300 }])

  const again = await run('sh', [entrypoint, 'migrate'], { env: { ...env, DCIMX_COUNTRY: 'SRB' } })
  t.notMatch(again.stdout, /created node/, 'an existing home is reused')
  t.match(again.stdout, /is up to date/)

  // Subcommands and their arguments pass through (dcimx reads the home from DCIMX_HOME), as an
  // operator of a container needs for peers, agreements and users.
  copyFileSync(join(root, 'docs', 'agreements', 'srb-hrv.yaml'), join(home, 'policies', 'srb-hrv.yaml'))
  t.equal((await run('sh', [entrypoint, 'policy', 'lint'], { env })).stdout, '1 agreement file(s), no problems\n')
  t.equal((await run('sh', [entrypoint, 'peer', 'list'], { env })).stdout, '0 peer(s)\n')
  t.equal((await run('sh', [entrypoint, 'policy', 'explain', join(home, 'policies', 'srb-hrv.yaml')], { env })).stdout.split('\n')[0], 'Serbia shares with Croatia (agreement "srb-hrv", version 1).', 'a command without a home works too')
})
