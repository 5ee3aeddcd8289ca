// Commands while serving (issue 13): every command the README and the guides show on a node
// home, run while a real `dcimx serve` (a child process) serves that home. With the embedded
// database, which serve locks, they run inside the serving process through the home's admin
// channel (src/cli/admin/); with PostgreSQL they open the database themselves. Then the
// channel itself: input, exit codes, waiting its turn, callers that leave, commands it refuses,
// a serve killed with SIGKILL and one stopped while a command waits.
import { copyFileSync, existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createServer as createHttpServer } from 'node:http'
import { createServer, connect, type AddressInfo, type Socket } from 'node:net'
import { dirname, join } from 'node:path'
import type { Command } from 'commander'
import t, { type Test } from 'tap'
import { ADMIN_SOCKET, frame, frameReader, ROUTED_COMMANDS, type ClientFrame, type ServerFrame } from '../../src/cli/admin/protocol.js'
import { openAdminChannel } from '../../src/cli/admin/server.js'
import { program, runCli } from '../../src/cli/main.js'
import type { NodeConfig } from '../../src/config.js'
import { signDescriptor } from '../../src/node/descriptor.js'
import { initHome, openNode } from '../../src/node/home.js'
import { resolveNodeIdentity } from '../../src/node/identity.js'
import { generateSigningKey, jwksOf } from '../../src/protocol/keys.js'
import { cli, serve, spawnCli, type CliResult } from '../helpers/cli.js'
import { freshDatabaseUrl } from '../helpers/db.js'
import { blockAfter, DOC_FILES, invocations, lineOf } from '../docs/doc-commands.js'
import { windows1250 } from '../docs/scripts.js'
import { SAMPLE_AGREEMENTS } from '../helpers/federation.js'
import { tempDir } from '../helpers/node.js'

const clock = { now: () => Date.now() }
/** More than MAX_FRAME_BYTES (1 MiB), in one write. */
const OUTPUT_BYTES = 3 * 1024 * 1024
const PASSWORD = 'correct horse battery'

interface Expected {
  status: number
  stdout?: RegExp | string
  stderr?: RegExp | string
}

/**
 * What each documented command line that uses a node home gives on the test's home (SRB, with
 * 2023 victims imported, a sample agreement with HRV, and HRV's node running), in the order the
 * documents show them. Keyed by the command line as documented (optional parts included).
 */
function expectations (home: string): Record<string, Expected> {
  const locked = `dcimx: the database in ${join(home, 'db')} is in use by another dcimx process\n`
  const exists = `dcimx: ${home} already exists and is not empty; choose a new folder\n`
  return {
    'init --country SRB --home ./srb --port 7300': { status: 1, stderr: exists },
    'serve --home ./srb': { status: 1, stderr: locked },
    'init --country SRB --home ./srb --database-url postgres://user:pass@127.0.0.1:5432/dcimx_srb': { status: 1, stderr: exists },
    'policy matrix --home /srv/dcimx/srb': { status: 0, stdout: /^who shares with whom +indicators +status\nSerbia -> Croatia +V1 V2 V3 C2 C3 +in force \(srb-hrv v1\)\n/ },
    'policy preview --home /srv/dcimx/srb --peer HRV --indicator V1 --year 2023 --json': { status: 0, stdout: /^\{\n {2}"peer": "HRV",\n {2}"tables": \[\n {4}\{\n {6}"recipient": "HRV",\n {6}"agreement": "srb-hrv",[^]*"indicator": "V1",\n {6}"year": 2023,[^]*"value": \d+/ },
    'totals --home DIR --indicator V2 --years 2020-2024 --by EXPLOIT': { status: 0, stdout: /^V2 regional totals, 2020-2024, by EXPLOIT; as held at \S+ by SRB\nyear +EXPLOIT +total +countries\n2023 +[A-Z]+ +\d+ +SRB \d+\n/ },
    'totals --home DIR --indicator V1 --years 2024 --by SEX,AGE_GROUP --format csv': { status: 0, stdout: /^TIME_PERIOD,SEX,AGE_GROUP,OBS_VALUE,OBS_LOWER,OBS_UPPER,OBS_STATUS,CONF_STATUS,CONTRIBUTORS,SUPPRESSED_IN\n$/ },
    'totals --home DIR --indicator V3 --years 2024 --format json': { status: 0, stdout: /^\{\n {2}"node": "SRB",\n {2}"query": \{\n {4}"indicator": "V3",/ },
    'totals --home DIR --indicator V1 --years 2020-2024 --format sdmx-json': { status: 0, stdout: /^\{\n {2}"\$schema": "https:\/\/json\.sdmx\.org\/2\.0\.0\/sdmx-json-data-schema\.json",[^]*"id": "DCIMX-SRB-V1-2020_2021_2022_2023_2024-_T"/ },
    'totals --home DIR --indicator V2 --years 2024 --as-of 2026-06-30': { status: 0, stdout: /^V2 regional totals, 2024; as held on 2026-06-30T23:59:59\.999Z by SRB\n/ },
    'totals --home DIR --indicator V2 --years 2024 --by EXPLOIT --bundle v2-2024.json': { status: 0, stdout: /\nprovenance written to v2-2024\.json; check it with: dcimx verify-bundle v2-2024\.json\n$/ },
    // Written by the serving node into the caller's folder: checked there.
    'verify-bundle v2-2024.json': { status: 0, stdout: /^bundle verified: 0 total\(s\) recomputed from 0 signed release\(s\)\n$/ },
    'init --country SRB --home /srv/dcimx/srb --url https://dcim.example.rs --port 7300': { status: 1, stderr: exists },
    'serve --home /srv/dcimx/srb': { status: 1, stderr: locked },
    'serve --home DIR': { status: 1, stderr: locked },
    'import victims victims-2024.csv --home /srv/dcimx/srb --dry-run': { status: 0, stdout: 'victims-2024.csv: dry run, valid; would give: 80 inserted, 0 updated, 0 unchanged, 0 rejected\n', stderr: 'victims-2024.csv: 100% read (0.0 of 0.0 MB)\n' },
    'import victims victims-2024.csv --home /srv/dcimx/srb': { status: 0, stdout: /^victims-2024\.csv: import applied \(run 2\): 80 row\(s\): 80 inserted, 0 updated, 0 unchanged, 0 rejected\ntables recomputed: V1 2024; V2 2024; V3 2024; V4 2024; V5 2024\npublished: \d+ signed object\(s\) issued, \d+ table\(s\) unchanged, 0 refused\n$/ },
    'import offenders offenders-2024.csv --home /srv/dcimx/srb': { status: 0, stdout: /^offenders-2024\.csv: import applied \(run 3\): 50 row\(s\): 50 inserted, 0 updated, 0 unchanged, 0 rejected\ntables recomputed: C1 2024; C2 2024; C3 2024; C4 2024\npublished: \d+ signed object\(s\) issued, \d+ table\(s\) unchanged, 0 refused\n$/ },
    'import victims zrtve-2024.csv --home /srv/dcimx/srb --delimiter ; --encoding windows-1250 --dry-run': { status: 0, stdout: /^zrtve-2024\.csv: dry run, valid; would give: 2 inserted, 0 updated, 0 unchanged, 0 rejected\n/ },
    'import victims zrtve.csv --home /srv/dcimx/srb --encoding windows-1250 --id-columns case_no,registered_on --dry-run': { status: 0, stdout: /^zrtve\.csv: dry run, valid/ },
    'import victims zrtve.csv --home /srv/dcimx/srb --encoding windows-1250 --id-columns case_no,registered_on': { status: 0, stdout: /defaults applied \(docs\/operator-guide\.md, "Unknowns"\): status empty on 1 row\(s\), counted as PRES\nage bands straddling 18: 1 row\(s\) counted in age group UNK\n/ },
    'tables --home /srv/dcimx/srb --indicator V2 --year 2021': { status: 0, stdout: /^MIX +_T +_T +1\n[^]*^OTH +_T +_T +1$/m },
    'import victims zrtve-2024.csv --home /srv/dcimx/srb --id-columns case_no,registered_on --dry-run': { status: 0, stdout: /^zrtve-2024\.csv: dry run, valid; would give: 2 inserted, 0 updated, 0 unchanged, 0 rejected\n/ },
    'tables --home DIR --indicator V2 --year 2023': { status: 0, stdout: /^V2 Victims by form of exploitation, 2023 \(unprotected: for this node's operators only; _T = total; cells not listed are 0\)\nEXPLOIT +SEX +AGE_GROUP +value\n/ },
    'tables --home DIR --indicator V2 --year 2023 --format csv': { status: 0, stdout: /^EXPLOIT,SEX,AGE_GROUP,value\n([A-Z_]+,[A-Z_]+,[A-Z0-9_]+,\d+\n)+$/ },
    'tables --home DIR': { status: 0, stdout: /^V1 Registered victims, 2021 [^]*\nV1 Registered victims, 2023 [^]*\nV1 Registered victims, 2024 [^]*\nC4 [^]*, 2024 / },
    'tables --home DIR --indicator V1,V4 --year 2020-2024 --format json': { status: 0, stdout: /^\[\{\n {2}"indicator": "V1",[^]*"indicator": "V4",\n[^]*"year": 2024,[^]*\}\]\n$/ },
    'policy lint --home DIR': { status: 0, stdout: '1 agreement file(s), no problems\n' },
    'policy preview --home DIR --peer HRV': { status: 0, stdout: /\nV1 2024, by [^\n]*\(agreement srb-hrv\): \d+ cells, \d+ confidential\n[^]*table\(s\) for Croatia; 0 refused\. / },
    'publish --home DIR': { status: 0, stdout: /^0 signed object\(s\) issued, \d+ table\(s\) unchanged, 0 refused\n$/ },
    // Without --thumbprint the command shows the key and stores nothing (exit status 1).
    'peer add HRV https://dcim.example.hr --home DIR': { status: 1, stdout: /^Croatia \(HRV\) at http:\/\/127\.0\.0\.1:\d+ presents key \S+; confirm it with HRV's operator out of band, then repeat with --thumbprint\n$/ },
    'peer add HRV https://dcim.example.hr --thumbprint NpUnjX9b... --home DIR': { status: 0, stdout: /^Croatia \(HRV, country\) added at http:\/\/127\.0\.0\.1:\d+\npinned key \S+; 1 key\(s\) from descriptor \S+\n$/ },
    'peer list --home DIR': { status: 0, stdout: /^HRV +country +http:\/\/127\.0\.0\.1:\d+ +key \S+\n1 peer\(s\)\n$/ },
    'peer refresh HRV --home DIR': { status: 0, stdout: /^HRV: descriptor [A-Za-z0-9_-]{43}; nothing changed\n1 of 1 peer\(s\) refreshed\n$/ },
    'peer remove HRV --home DIR': { status: 0, stdout: 'HRV removed: it is no longer served or pulled; what was received from it is kept\n' },
    // The guide's node pulls from SRB; this one is SRB and has no such peer.
    // HRV was removed just before.
    'sync --home DIR --peer HRV --json': { status: 1, stderr: 'dcimx: HRV is not a peer of this node; add it with dcimx peer add\n' },
    'status --home DIR --json': { status: 0, stdout: '{\n  "node": "SRB",\n  "peers": []\n}\n' },
    // N stands for an alert's number.
    'alerts ack --home DIR --peer HRV --id N': { status: 2, stderr: 'dcimx: --id "N": give an alert\'s number, as dcimx status shows it\n' },
    'status --home DIR': { status: 0, stdout: 'Serbia (SRB), 0 peer(s)\n' },
    'peer skip SRB 13 --object o_eKnr... --reason SRB confirmed the faulty retraction --home DIR': { status: 1, stderr: 'dcimx: SRB is not a peer of this node\n' },
    'audit verify --home DIR': { status: 0, stdout: /^audit log intact: \d+ entries, head #\d+ \S+\n$/ },
    'audit list --home DIR --limit 50': { status: 0, stdout: /^#1 \S+ agreement_change SRB \{"agreement":"srb-hrv",[^]*\n#\d+ \S+ peer_removed / },
    'user add ana --role liaison --home DIR': { status: 0, stdout: /^user ana added with role liaison\npassword for ana \(shown once\): \S{12,}\n$/ },
    'user add marko --role auditor --home DIR --password-stdin': { status: 0, stdout: 'user marko added with role auditor\n' },
    'user list --home DIR --json': { status: 0, stdout: /^\[\n {2}\{\n {4}"name": "ana",\n {4}"role": "liaison",[^]*"name": "marko",\n {4}"role": "auditor",/ },
    'user remove ana --home DIR': { status: 0, stdout: 'user ana (liaison) removed; tokens issued to ana are refused from now on\n' },
    'user disable marko --home DIR': { status: 0, stdout: 'user marko (auditor) disabled: no login, and tokens issued to marko are refused from now on\n' },
    'user enable marko --home DIR': { status: 0, stdout: 'user marko (auditor) enabled: may log in again\n' },
    'login marko --home DIR --password-stdin': { status: 0, stdout: /^eyJ[\w-]+\.[\w-]+\.[\w-]+\n$/ },
  }
}

/** The files a documented command reads, written as the operator guide shows them, just before it runs. */
const BEFORE: Record<string, (work: string, home: string) => void> = {
  // As the register writes it: semicolons, Windows-1250.
  'import victims zrtve-2024.csv --home /srv/dcimx/srb --delimiter ; --encoding windows-1250 --dry-run': work => writeFileSync(join(work, 'zrtve-2024.csv'), windows1250([
    'record_id;registered_on;status;sex;age;citizenship;country_of_exploitation;exploitation;identified_by;assistance',
    'Šabac-2024-1;2024-02-11;IDENT;F;17;SRB;SRB;SEX;POL;SHELTER',
    'Čačak-2024-2;2024-03;;M;;UNK;DEU;LAB|BEG;NGO;',
  ].join('\r\n') + '\r\n')),
  // The same register without record ids: a case number instead.
  'import victims zrtve-2024.csv --home /srv/dcimx/srb --id-columns case_no,registered_on --dry-run': work => writeFileSync(join(work, 'zrtve-2024.csv'), [
    'case_no,registered_on,status,sex,age,citizenship,country_of_exploitation,exploitation,identified_by,assistance',
    '2024/001,2024-02-11,IDENT,F,17,SRB,SRB,SEX,POL,SHELTER',
    '2024/002,2024-03,,M,,UNK,DEU,LAB|BEG,NGO,',
  ].join('\n') + '\n'),
  // The export of "Importing a real export" and its crosswalk, as the guide shows them.
  'import victims zrtve.csv --home /srv/dcimx/srb --encoding windows-1250 --id-columns case_no,registered_on --dry-run': (work, home) => {
    writeFileSync(join(home, 'crosswalk.yaml'), blockAfter(GUIDE, lineOf(GUIDE, '1. **Write the crosswalk**')).text)
    writeFileSync(join(work, 'zrtve.csv'), windows1250(blockAfter(GUIDE, lineOf(GUIDE, 'A walk through, end to end')).text.trimEnd().split('\n').join('\r\n') + '\r\n'))
  },
  // The crosswalk served that register only.
  'tables --home /srv/dcimx/srb --indicator V2 --year 2021': (_work, home) => rmSync(join(home, 'crosswalk.yaml')),
}
const GUIDE = 'docs/operator-guide.md'

/** The arguments on the test's home: the docs' folders are `srb` (relative), HRV is the running peer. */
function onTestHome (args: string[], hrv: { url: string, kid: string }): string[] {
  return args.map(a => ['DIR', './srb', '/srv/dcimx/srb'].includes(a) ? 'srb' : a === 'https://dcim.example.hr' ? hrv.url : a === 'NpUnjX9b...' ? hrv.kid : a)
}

function check (t: Test, r: CliResult, e: Expected, what: string): void {
  t.equal(r.status, e.status, `${what}: exit status (stderr: ${r.stderr})`)
  for (const [name, want] of [['stdout', e.stdout], ['stderr', e.stderr]] as const) {
    if (want === undefined) continue
    if (typeof want === 'string') t.equal(r[name], want, `${what}: ${name}`)
    else t.match(r[name], want, `${what}: ${name}`)
  }
}

/** A caller speaking the channel's protocol by hand, to leave at chosen moments. */
function rawCaller (path: string): { socket: Socket, frames: ServerFrame[], next: (t: ServerFrame['t']) => Promise<ServerFrame>, send: (f: ClientFrame) => void, closed: Promise<void> } {
  const socket = connect(path)
  const frames: ServerFrame[] = []
  const waiters: Array<() => void> = []
  socket.on('data', frameReader(f => { frames.push(f as ServerFrame); for (const w of waiters.splice(0)) w() }, () => {}))
  socket.on('error', () => {})
  const closed = new Promise<void>(resolve => socket.on('close', () => { for (const w of waiters.splice(0)) w(); resolve() }))
  const next = async (type: ServerFrame['t']): Promise<ServerFrame> => {
    for (;;) {
      const f = frames.find(x => x.t === type)
      if (f !== undefined) return f
      if (socket.destroyed) throw new Error(`the channel closed before a ${type} frame; got ${JSON.stringify(frames)}`)
      await new Promise<void>(resolve => waiters.push(resolve))
    }
  }
  return { socket, frames, next, send: f => socket.write(frame(f)), closed }
}

function runFrame (argv: string[], cwd: string, stdin = false): ClientFrame {
  return { t: 'run', v: 1, argv, cwd, env: {}, stdin, tty: { stdout: false, stderr: false, columns: null } }
}

const text = (frames: ServerFrame[], type: 'out' | 'err'): string => frames.map(f => f.t === type ? f.s : '').join('')

/** Croatia's node as `peer add` sees it: its signed descriptor and key set (no database needed). */
async function croatia (t: Test): Promise<{ url: string, kid: string }> {
  const key = generateSigningKey('HRV')
  const server = createHttpServer((req, res) => {
    const config = { node: resolveNodeIdentity('HRV'), url } as NodeConfig
    const body = req.url === '/.well-known/jwks.json' ? jwksOf([key]) : req.url === '/.well-known/dcim-node' ? signDescriptor(config, key, [key], clock).jws : undefined
    res.writeHead(body === undefined ? 404 : 200, { 'content-type': 'application/json' }).end(JSON.stringify(body ?? {}))
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { server.close() })
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return { url, kid: key.kid }
}

t.test('the routed commands are commands of the CLI that take a home; init, serve and demo are not', async t => {
  const root = program({ stdout: { write: () => true }, stderr: { write: () => true }, env: {}, clock }, () => {})
  for (const name of ROUTED_COMMANDS) {
    const command = name.split(' ').reduce<Command | undefined>((c, n) => c?.commands.find(x => x.name() === n), root)
    t.ok(command?.options.some(o => o.long === '--home'), name)
  }
  for (const name of ['init', 'serve', 'demo']) t.notOk(ROUTED_COMMANDS.has(name), name)
})

t.test('a node served by dcimx serve, and the commands its operator runs meanwhile', async t => {
  const started = Date.now()
  const databaseUrl = await freshDatabaseUrl(t)
  const embedded = databaseUrl === undefined
  const env: Record<string, string> = embedded ? {} : { DATABASE_URL: databaseUrl }
  const work = tempDir(t)
  const home = join(work, 'srb')
  // The embedded database starts from the build's migrated template, as `dcimx init` does.
  await initHome({ home, country: 'SRB', port: 0, databaseUrl, clock })
  t.comment(`init ${Date.now() - started} ms`)
  copyFileSync(join(SAMPLE_AGREEMENTS, 'srb-hrv.yaml'), join(home, 'policies', 'srb-hrv.yaml'))
  const hrv = await croatia(t)
  for (const [kind, year] of [['victims', '2023'], ['victims', '2024'], ['offenders', '2024']] as const) {
    t.equal((await cli(['generate', kind, '--country', 'SRB', '--years', year, '--out', `${kind}-${year}.csv`], { cwd: work })).status, 0)
  }
  t.comment(`set up after ${Date.now() - started} ms`)
  const node = await serve(t, ['--home', home], env)
  t.comment(`serving after ${Date.now() - started} ms`)
  // The node holds 2023 already.
  t.equal((await cli(['import', 'victims', 'victims-2023.csv', '--home', 'srb', '--no-publish'], { cwd: work, env, clock })).status, 0)
  const socket = join(home, ADMIN_SOCKET)

  t.test('every command the docs show on a node home works while it serves', async t => {
    const expected = expectations(home)
    let ran = 0
    for (const file of DOC_FILES) {
      for (const [line, shown, args] of invocations(file)) {
        const inv = { line, shown, args }
        const key = args.join(' ')
        const e = expected[key]
        const onHome = inv.args.includes('--home')
        if (e === undefined) {
          if (onHome) t.fail(`${file}:${inv.line}: no expectation for "${key}": add one to this test`)
          continue
        }
        // A second serve on PostgreSQL would simply start: there is no lock to refuse it.
        if (inv.args[0] === 'serve' && !embedded) continue
        BEFORE[key]?.(work, home)
        const stdin = inv.shown.includes('--password-stdin') ? `${PASSWORD}\n` : undefined
        const r = await cli(onTestHome(inv.args, hrv), { env, cwd: work, clock, ...(stdin === undefined ? {} : { stdin }) })
        check(t, r, e, `${file}:${inv.line}: ${inv.shown}`)
        ran++
      }
    }
    t.ok(ran >= 40, `${ran} documented command lines run`)
    t.ok(existsSync(join(work, 'v2-2024.json')), 'the bundle is written in the caller\'s folder')
  })

  t.test('the admin channel', { skip: !embedded && 'PostgreSQL has no lock: commands open the database themselves' }, async t => {
    t.test('is owner-only: a 0700 folder holding a 0600 socket', async t => {
      t.equal(statSync(dirname(socket)).mode & 0o777, 0o700)
      t.equal(statSync(socket).mode & 0o777, 0o600)
      t.ok(statSync(socket).isSocket())
      t.match(node.stderr(), `; commands on this home run through ${socket}\n`)
    })

    t.test('a real dcimx process: relative home, a password on standard input, the exit status', async t => {
      const r = await spawnCli(['user', 'add', 'vera', '--role', 'legal', '--home', 'srb', '--password-stdin'], {}, { cwd: work, input: `${PASSWORD}\n` })
      t.same(r, { status: 0, stdout: 'user vera added with role legal\n', stderr: '' })
      // The same again, in this process: refused in the serving node, exit status 1.
      t.same(await cli(['user', 'add', 'vera', '--role', 'legal', '--home', 'srb', '--password-stdin'], { cwd: work, clock, stdin: `${PASSWORD}\n` }),
        { status: 1, stdout: '', stderr: 'dcimx: user vera already exists; remove it first to add it again\n' })
    })

    t.test('exit status 2 for bad input found by the command, in the serving node', async t => {
      t.same(await cli(['tables', '--home', 'srb', '--format', 'xml'], { cwd: work, clock }),
        { status: 2, stdout: '', stderr: 'dcimx: --format must be table, csv or json (got "xml")\n' })
    })

    t.test('one command at a time: the next waits for the one running', async t => {
      const first = rawCaller(socket)
      first.send(runFrame(['user', 'add', 'wait', '--role', 'auditor', '--home', home, '--password-stdin'], work, true))
      await first.next('stdin')
      // The first command holds the node, reading its input: the second waits its turn.
      const second = cli(['user', 'list', '--home', 'srb'], { cwd: work, clock })
      first.send({ t: 'in', d: Buffer.from(`${PASSWORD}\n`).toString('base64') })
      first.send({ t: 'eof' })
      t.same(await first.next('exit'), { t: 'exit', status: 0 })
      t.equal(text(first.frames, 'out'), 'user wait added with role auditor\n')
      const r = await second
      t.equal(r.status, 0)
      t.match(r.stdout, /^wait +auditor /m)
      t.ok(['', 'dcimx: waiting for another command to finish in the serving node\n'].includes(r.stderr), r.stderr)
    })

    t.test('a second command that arrives while one waits for input is told it waits', async t => {
      const first = rawCaller(socket)
      first.send(runFrame(['user', 'add', 'slow', '--role', 'auditor', '--home', home, '--password-stdin'], work, true))
      await first.next('stdin')
      const second = rawCaller(socket)
      second.send(runFrame(['status', '--home', home], work))
      t.same(await second.next('err'), { t: 'err', s: 'dcimx: waiting for another command to finish in the serving node\n' })
      // The first caller leaves without giving its input: its command fails, adds nothing.
      first.socket.destroy()
      t.same(await second.next('exit'), { t: 'exit', status: 0 })
      t.equal(text(second.frames, 'out'), 'Serbia (SRB), 0 peer(s)\n')
      const users = await cli(['user', 'list', '--home', 'srb', '--json'], { cwd: work, clock })
      t.notMatch(users.stdout, '"slow"')
    })

    t.test('a caller that leaves during an import loses its output, not the import', async t => {
      t.equal((await cli(['generate', 'victims', '--country', 'SRB', '--years', '2022', '--out', 'victims-2022.csv'], { cwd: work })).status, 0)
      const total = (csv: string): number => Number(/^_T,_T,_T,_T,(\d+)$/m.exec(csv)?.[1] ?? 0)
      const before = total((await cli(['tables', '--home', 'srb', '--indicator', 'V1', '--year', '2022', '--format', 'csv'], { cwd: work, clock })).stdout)
      const leaving = rawCaller(socket)
      leaving.send(runFrame(['import', 'victims', 'victims-2022.csv', '--home', 'srb'], work))
      await leaving.next('err')
      leaving.socket.destroy()
      // Queued behind the import: sees it whole.
      const r = await cli(['tables', '--home', 'srb', '--indicator', 'V1', '--year', '2022', '--format', 'csv'], { cwd: work, clock })
      t.equal(r.status, 0)
      t.equal(total(r.stdout), before + 80, 'the 80 records of 2022 are counted')
    })

    t.test('commands that must not run in the serving node are refused; so is another home', async t => {
      for (const argv of [['serve', '--home', home], ['init', '--country', 'MNE', '--home', join(work, 'mne')], ['demo', '--once']]) {
        const c = rawCaller(socket)
        c.send(runFrame(argv, work))
        t.same(await c.next('exit'), { t: 'exit', status: 2 }, argv.join(' '))
        t.equal(text(c.frames, 'err'), `dcimx: dcimx ${argv[0]} does not run through a serving node's admin channel; run it directly\n`)
      }
      const c = rawCaller(socket)
      c.send(runFrame(['status', '--home', 'mne'], work))
      t.same(await c.next('exit'), { t: 'exit', status: 2 })
      t.equal(text(c.frames, 'err'), `dcimx: ${join(work, 'mne')} is not the home this node serves (${home})\n`)
      const bad = rawCaller(socket)
      bad.socket.write('{"t":"run"}\n')
      t.same(await bad.next('exit'), { t: 'exit', status: 2 })
      t.equal(text(bad.frames, 'err'), 'dcimx: the admin channel expects a command first (protocol version 1)\n')
    })

    t.test('killed with SIGKILL: the next command opens the database itself; the next node to serve takes the socket over', async t => {
      t.equal(await node.stop('SIGKILL'), null)
      t.ok(existsSync(socket), 'the socket is left behind')
      const r = await cli(['audit', 'verify', '--home', 'srb'], { cwd: work, clock })
      t.equal(r.status, 0, r.stderr)
      t.match(r.stdout, /^audit log intact: /)

      // The next node to serve the home takes the socket over: here in this process, with the
      // code serve runs (a second serve process would only add its start-up time).
      const opened = await openNode({ home, env: {}, clock })
      t.teardown(() => opened.db.close())
      // `big` stands for a command writing megabytes at once (a JSON export).
      const big = 'x'.repeat(OUTPUT_BYTES - 1) + '\u{1F600}'.repeat(1000)
      const channel = await openAdminChannel({ node: opened, clock, run: async (argv, io) => argv[0] === 'big' ? (io.stdout.write(big), 0) : await runCli(argv, io) })
      if ('unavailable' in channel) throw new Error(channel.unavailable)
      t.same(await cli(['status', '--home', 'srb'], { cwd: work, clock }), { status: 0, stdout: 'Serbia (SRB), 0 peer(s)\n', stderr: '' })
      const large = rawCaller(socket)
      large.send(runFrame(['big'], work))
      t.same(await large.next('exit'), { t: 'exit', status: 0 })
      t.ok(text(large.frames, 'out') === big, 'megabytes written at once arrive whole, in frames of bounded size')
      // Closed (serve stopping) while a command waits for its input: the command ends, exit status 1.
      const waiting = rawCaller(socket)
      waiting.send(runFrame(['user', 'add', 'late', '--role', 'auditor', '--home', home, '--password-stdin'], work, true))
      await waiting.next('stdin')
      const closing = channel.close()
      t.same(await waiting.next('exit'), { t: 'exit', status: 1 })
      t.equal(text(waiting.frames, 'err'), 'dcimx: the serving node is shutting down\n')
      await closing
      t.notOk(existsSync(socket), 'a channel that closes removes its socket')
    })
  })

  t.test('a channel that answers wrongly or goes away is one clear line, exit status 1', async t => {
    const fake = join(tempDir(t), 'fake')
    mkdirSync(join(fake, 'run'), { recursive: true, mode: 0o700 })
    const server = createServer(conn => { conn.on('error', () => {}); conn.once('data', () => conn.end()) })
    await new Promise<void>(resolve => server.listen(join(fake, ADMIN_SOCKET), resolve))
    t.teardown(() => { server.close() })
    const r = await cli(['status', '--home', fake], { clock })
    t.same(r, { status: 1, stdout: '', stderr: 'dcimx: the serving node closed its admin channel before the command ended (it may have stopped); run the command again, or see the node\'s log (docs/operator-guide.md, "Commands while serving")\n' })
  })
})
