// The commands of README.md and docs/*.md as a reader runs them, one script per document: the
// scripted environment each command needs (homes, the files the docs name, peers), the
// substitutions that put it there (stated per document, minimal), and what each command must
// do (exit status, and the sample output the document shows). A script yields its commands
// in the document's order and gets each one's result back; whoever runs it decides how
// (test/docs/run-commands.test.ts runs them in-process, in bash or as a process), so the same
// scripts can be run against a serving home once commands work beside `dcimx serve`.
import { copyFileSync, createWriteStream, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { finished } from 'node:stream/promises'
import type { Test } from 'tap'
import { fixedClock, type Clock } from '../../src/clock.js'
import { addPeer } from '../../src/exchange/peers.js'
import { writeSyntheticCsv } from '../../src/ingest/synthetic.js'
import { createLogger } from '../../src/logger.js'
import { startNode, type RunningNode } from '../../src/node/start-node.js'
import { POLICIES_DIR } from '../../src/policy/load.js'
import { startTestNode, testClock as adjustableClock, type TestNode } from '../helpers/federation.js'
import { POSTGRES_URL, withClient } from '../helpers/db.js'
import { makeHome, tempDir, TEST_NOW } from '../helpers/node.js'
import { blockAfter, commentSample, docCommands, lineOf, ROOT } from './doc-commands.js'

export const AGREEMENTS = join(ROOT, 'docs', 'agreements')

/** How a command is run. */
export type Via = 'cli' | 'bash' | 'serve'

/** One documented command, ready to run. */
export interface Step {
  file: string
  /** Its line in the document. */
  line: number
  /** As the document shows it. */
  shown: string
  /** What runs: `shown` with the document's substitutions applied (and optional parts chosen). */
  text: string
  /**
   * `cli`: a plain `dcimx ...` (or `node bin/dcimx.js ...`) line, run in-process through runCli;
   * `bash`: a line with shell syntax (pipes, `$(...)`, variables) or another program, run by
   * bash with `dcimx` on the PATH as the real command; `serve`: `dcimx serve`, started as a
   * process and waited for until it listens.
   */
  via: Via
  cwd: string
  clock: Clock
  /** `bash` and `serve`: environment variables for the process. */
  env?: Record<string, string>
  /** `cli` only: the shell variable piped into the command (`printf '%s\n' "$PW" | dcimx ...`). */
  stdinVar?: string
  /** `cli` only: the shell variable its output is assigned to (`TOKEN=$(...)`), without the final newline. */
  assignTo?: string
  /** The exit status the command must end with. */
  status: number
  /** Sample output the document shows, as a pattern the output (stdout then stderr) must match. */
  sample?: RegExp
  /** Further checks on the result: each returns a problem, or undefined. */
  checks?: Array<(r: StepResult) => string | undefined>
}

export interface StepResult {
  status: number
  stdout: string
  stderr: string
  /** For `serve`: the address it listens on, and how to stop it (resolves to its exit code). */
  url?: string
  stop?: () => Promise<number | null>
}

export interface ScriptEnv {
  t: Test
  /** Shell variables the document's commands use or set (PW, TOKEN, ...), shared by its bash lines. */
  vars: Record<string, string>
}

export interface DocScript {
  file: string
  /** The substitutions made, in words, for the report. */
  substitutions: string[]
  run: (env: ScriptEnv) => AsyncGenerator<Step, void, StepResult>
}

const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/**
 * A document's sample output as a pattern: `...` stands for anything, runs of spaces for any
 * white space (columns and wrapping differ), `subs` replace literal text by literal text (a
 * home path, a thumbprint) and `holes` literal text by a pattern (a count that is not
 * deterministic). `whole`: the output is exactly the sample, not only a part of it.
 */
export function samplePattern (sample: string, options: { subs?: Array<[string, string]>, holes?: Array<[string, string]>, whole?: boolean } = {}): RegExp {
  const pieces: Array<[string, string]> = [...(options.subs ?? []).map(([a, b]): [string, string] => [a, esc(b)]), ...(options.holes ?? []), ['...', '[\\s\\S]*?']]
  pieces.sort((a, b) => b[0].length - a[0].length)
  let out = ''
  let rest = sample.trim()
  while (rest.length > 0) {
    let best: [number, [string, string]] | undefined
    for (const p of pieces) {
      const at = rest.indexOf(p[0])
      if (at >= 0 && (best === undefined || at < best[0])) best = [at, p]
    }
    const literal = best === undefined ? rest : rest.slice(0, best[0])
    out += literal.split(/\s+/).map(esc).join('\\s+')
    if (best === undefined) break
    out += best[1][1]
    rest = rest.slice(best[0] + best[1][0].length)
  }
  return options.whole === true ? new RegExp(`^\\s*${out}\\s*$`) : new RegExp(out)
}

/**
 * The steps of one document: `step(shown)` finds the command the document shows, applies the
 * substitutions in force (in order), and chooses the optional `[...]` parts: kept (brackets
 * removed) unless `dropOptional` names them.
 */
function documentSteps (file: string, cwd: string, clock: Clock) {
  const commands = docCommands(file)
  const subs: Array<[string, string]> = []
  let lastLine = 0
  return {
    subs,
    sub (from: string, to: string): void {
      const i = subs.findIndex(([f]) => f === from)
      if (i >= 0) subs[i] = [from, to]
      else subs.push([from, to])
    },
    /** A command that sets the scene (not one the document shows), run the same way. */
    setup (text: string, options: Partial<Pick<Step, 'status' | 'sample' | 'checks' | 'clock'>> = {}): Step {
      return { file, line: 0, shown: '', text, via: 'cli', cwd, clock: options.clock ?? clock, status: options.status ?? 0, sample: options.sample, checks: options.checks }
    },
    step (shown: string, options: Partial<Omit<Step, 'file' | 'line' | 'shown' | 'text'>> & { dropOptional?: string[], after?: number } = {}): Step {
      const found = commands.find(c => c.text === shown && c.line >= (options.after ?? lastLine))
      if (found === undefined) throw new Error(`${file}: no command ${JSON.stringify(shown)} after line ${lastLine}`)
      lastLine = found.line
      let text = shown
      for (const part of options.dropOptional ?? []) text = text.replace(` [${part}]`, '')
      text = text.replace(/\[([^\]]*)\]/g, '$1')
      for (const [from, to] of subs) text = text.split(from).join(to)
      // The two shell forms the docs use around dcimx, a variable piped in and the output
      // assigned to a variable, are done in-process: what the shell does for them is that.
      const piped = /^(?:([A-Z_]+)=\$\()?printf '%s\\n' "\$([A-Z_]+)" \| (dcimx [^|$;&<>\\()]*?)(\))?$/.exec(text)
      if (piped !== null && (piped[1] === undefined) === (piped[4] === undefined)) {
        return { file, line: found.line, shown, text: piped[3]!, via: 'cli', stdinVar: piped[2], assignTo: piped[1], cwd: options.cwd ?? cwd, clock: options.clock ?? clock, status: options.status ?? 0, sample: options.sample, checks: options.checks }
      }
      const program = /^(?:[A-Z_]+=\S+\s+)*(\S+)/.exec(text)?.[1]
      // `node bin/dcimx.js ...` is a process by its words: run as one (bin/ is linked into the working folder).
      const shell = /[|$;&<>\\]/.test(text) || program !== 'dcimx'
      const via: Via = options.via ?? (/^(?:node bin\/dcimx\.js|dcimx) serve\s/.test(text) ? 'serve' : shell ? 'bash' : 'cli')
      return { file, line: found.line, shown, text, via, cwd: options.cwd ?? cwd, clock: options.clock ?? clock, status: options.status ?? 0, sample: options.sample, checks: options.checks, env: options.env }
    },
  }
}

/** Checks that `text` appears in the output. */
const shows = (text: string | RegExp) => (r: StepResult): string | undefined => {
  const out = r.stdout + r.stderr
  return (typeof text === 'string' ? out.includes(text) : text.test(out)) ? undefined : `output lacks ${String(text)}`
}

/** The kid of a home's signing key. */
function kidOf (home: string): string {
  return (JSON.parse(readFileSync(join(home, 'config.json'), 'utf8')) as { signing_key: string }).signing_key
}

/** A home served in-process, as `dcimx serve` serves it (no schedule), until `close`. */
async function serveInProcess (home: string, clock: Clock, env: Record<string, string> = {}): Promise<RunningNode> {
  return await startNode({ home, env, clock, port: 0, schedule: false, logger: () => createLogger({ level: 'silent' }) })
}

async function synthetic (file: string, kind: 'victims' | 'offenders', country: string, years: number[], seed: number): Promise<void> {
  const out = createWriteStream(file)
  await writeSyntheticCsv(kind, { country, years, seed }, out)
  out.end()
  await finished(out)
}

/** Windows-1250 bytes of a text holding only ASCII and the letters below. */
export function windows1250 (text: string): Buffer {
  const map: Record<string, number> = { Ž: 0x8e, ž: 0x9e, Š: 0x8a, š: 0x9a, Č: 0xc8, č: 0xe8, Ć: 0xc6, ć: 0xe6, Đ: 0xd0, đ: 0xf0 }
  return Buffer.from([...text].map(ch => {
    if (ch.charCodeAt(0) < 128) return ch.charCodeAt(0)
    const b = map[ch]
    if (b === undefined) throw new Error(`no windows-1250 byte for ${ch} here`)
    return b
  }))
}

const README: DocScript = {
  file: 'README.md',
  substitutions: [
    'run in a temporary working folder (./srb is created there) where bin/ links to the repository\'s bin/; node bin/dcimx.js runs as a process, as written',
    '--port 7300 -> --port 0 (the OS chooses a free port), and http://127.0.0.1:7300 -> the address serve printed',
    'with DATABASE_URL set: dcimx_srb -> a database of a random name on that server (dropped after), postgres://user:pass@127.0.0.1:5432/dcimx_srb -> its URL, createdb reaching the server through PGHOST, PGPORT, PGUSER, PGPASSWORD; in another temporary working folder; serve with DCIMX_PORT=0 (init left the port at 7300)',
  ],
  async * run ({ t, vars }) {
    const cwd = tempDir(t, 'dcimx-readme-')
    symlinkSync(join(ROOT, 'bin'), join(cwd, 'bin'))
    const d = documentSteps('README.md', cwd, fixedClock(TEST_NOW))
    d.sub('--port 7300', '--port 0')
    yield d.step('node bin/dcimx.js init --country SRB --home ./srb --port 7300', { checks: [shows(`created node SRB (Serbia) in ${join(cwd, 'srb')}`)] })
    const served = yield d.step('node bin/dcimx.js serve --home ./srb')
    d.sub('http://127.0.0.1:7300', served.url!)
    yield d.step('curl http://127.0.0.1:7300/health', { checks: [shows(/^\{"status":"ok","live":true,"ready":true,/)] })
    t.equal(await served.stop!(), 0, 'README.md: serve stops cleanly on SIGTERM')

    // Against PostgreSQL, when the suite runs with DATABASE_URL (else listed in NOT_RUN_HERE).
    if (POSTGRES_URL === undefined) return
    const server = new URL(POSTGRES_URL)
    const name = `dcimx_srb_${randomBytes(4).toString('hex')}`
    Object.assign(vars, { PGHOST: server.hostname, PGPORT: server.port || '5432', PGUSER: decodeURIComponent(server.username) || 'postgres', PGPASSWORD: decodeURIComponent(server.password) })
    t.teardown(async () => { await withClient(POSTGRES_URL!, c => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)) })
    const url = new URL(POSTGRES_URL)
    url.pathname = `/${name}`
    const pgCwd = tempDir(t, 'dcimx-readme-pg-')
    symlinkSync(join(ROOT, 'bin'), join(pgCwd, 'bin'))
    const pg = documentSteps('README.md', pgCwd, fixedClock(TEST_NOW))
    pg.sub('dcimx_srb', name)
    pg.sub(`postgres://user:pass@127.0.0.1:5432/${name}`, url.toString())
    yield pg.step('createdb dcimx_srb')
    yield pg.step('node bin/dcimx.js init --country SRB --home ./srb --database-url postgres://user:pass@127.0.0.1:5432/dcimx_srb', { checks: [shows('database     PostgreSQL')] })
    const pgServed = yield pg.step('node bin/dcimx.js serve --home ./srb', { env: { DCIMX_PORT: '0' } })
    t.equal(await pgServed.stop!(), 0, 'README.md: serve on PostgreSQL stops cleanly on SIGTERM')
  },
}

const OPERATOR = 'docs/operator-guide.md'
/** The operator guide's clock: a day before the tests' "now", so that `verify --at 2026-11-25T00:00:00Z` falls in a release's life. */
const OPERATOR_NOW = TEST_NOW - 86400_000

const OPERATOR_GUIDE: DocScript = {
  file: OPERATOR,
  substitutions: [
    'run in a temporary working folder where bin/ links to the repository\'s bin/ (node bin/dcimx.js runs as a process, as written), which holds the files the guide names (victims-2024.csv, offenders-2024.csv, zrtve-2024.csv, zrtve.csv, descriptor.json, release.json, hrv-jwks.json)',
    '/srv/dcimx/srb and DIR -> one SRB home in that folder (created by the guide\'s init); --port 7300 -> --port 0',
    'https://dcim.example.hr -> the address of a real HRV node on a loopback port; NpUnjX9b... -> its key thumbprint',
    'http://127.0.0.1:7300 -> the address of the SRB home served in-process (by startNode, as dcimx serve does)',
    '$PW: a password of the scripted user; optional parts [...] are run, except [--id N] (no alert to name)',
  ],
  async * run ({ t, vars }) {
    const cwd = tempDir(t, 'dcimx-operator-')
    symlinkSync(join(ROOT, 'bin'), join(cwd, 'bin'))
    const clock = fixedClock(OPERATOR_NOW)
    const d = documentSteps(OPERATOR, cwd, clock)
    const home = join(cwd, 'srv-dcimx-srb')
    d.sub('/srv/dcimx/srb', home)
    d.sub('--home DIR', `--home ${home}`)
    d.sub('--port 7300', '--port 0')

    // Set up a node.
    yield d.step('node bin/dcimx.js init --country SRB --home /srv/dcimx/srb --url https://dcim.example.rs --port 7300', { checks: [shows('public URL   https://dcim.example.rs')] })
    const served = yield d.step('node bin/dcimx.js serve --home /srv/dcimx/srb')
    t.equal(await served.stop!(), 0, `${OPERATOR}: serve stops cleanly on SIGTERM`)

    // Commands while serving: a command beside a running serve runs in it (admin channel).
    const serving = yield d.step('dcimx serve --home DIR', { via: 'serve' })
    yield d.step('dcimx status --home DIR', { checks: [shows('Serbia (SRB), 0 peer(s)')] })
    t.equal(await serving.stop!(), 0, `${OPERATOR}: serve stops cleanly on SIGTERM`)

    // Import national records: the year's exports (seeded synthetic records of 2023 and 2024).
    await synthetic(join(cwd, 'victims-2024.csv'), 'victims', 'SRB', [2024], 3)
    await synthetic(join(cwd, 'offenders-2024.csv'), 'offenders', 'SRB', [2024], 3)
    yield d.step('dcimx import victims victims-2024.csv --home /srv/dcimx/srb --dry-run', { checks: [shows('dry run, valid')] })
    yield d.step('dcimx import victims victims-2024.csv --home /srv/dcimx/srb', { checks: [shows(/80 inserted/)] })
    yield d.step('dcimx import offenders offenders-2024.csv --home /srv/dcimx/srb', { checks: [shows(/50 inserted/)] })
    // zrtve-2024.csv, as the register writes it: semicolons, Windows-1250.
    writeFileSync(join(cwd, 'zrtve-2024.csv'), windows1250([
      'record_id;registered_on;status;sex;age;citizenship;country_of_exploitation;exploitation;identified_by;assistance',
      'Šabac-2024-1;2024-02-11;IDENT;F;17;SRB;SRB;SEX;POL;SHELTER',
      'Čačak-2024-2;2024-03;;M;;UNK;DEU;LAB|BEG;NGO;',
    ].join('\r\n') + '\r\n'))
    yield d.step('dcimx import victims zrtve-2024.csv --home /srv/dcimx/srb --delimiter \';\' --encoding windows-1250 --dry-run', { checks: [shows('dry run, valid')] })
    // The same export from a register without record ids: a case number instead.
    writeFileSync(join(cwd, 'zrtve-2024.csv'), [
      'case_no,registered_on,status,sex,age,citizenship,country_of_exploitation,exploitation,identified_by,assistance',
      '2024/001,2024-02-11,IDENT,F,17,SRB,SRB,SEX,POL,SHELTER',
      '2024/002,2024-03,,M,,UNK,DEU,LAB|BEG,NGO,',
    ].join('\n') + '\n')
    yield d.step('dcimx import victims zrtve-2024.csv --home /srv/dcimx/srb --id-columns case_no,registered_on --dry-run', { checks: [shows('dry run, valid')] })

    // Importing a real export: the guide's crosswalk and the register's lines, as shown.
    const crosswalk = blockAfter(OPERATOR, lineOf(OPERATOR, '1. **Write the crosswalk**'))
    writeFileSync(join(home, 'crosswalk.yaml'), crosswalk.text)
    const exported = blockAfter(OPERATOR, lineOf(OPERATOR, 'A walk through, end to end'))
    writeFileSync(join(cwd, 'zrtve.csv'), windows1250(exported.text.trimEnd().split('\n').join('\r\n') + '\r\n'))
    yield d.step('dcimx import victims zrtve.csv --home /srv/dcimx/srb --encoding windows-1250 --id-columns case_no,registered_on --dry-run', { checks: [shows('dry run, valid')] })
    yield d.step('dcimx import victims zrtve.csv --home /srv/dcimx/srb --encoding windows-1250 --id-columns case_no,registered_on', {
      checks: [
        shows('defaults applied (docs/operator-guide.md, "Unknowns"): status empty on 1 row(s), counted as PRES'),
        shows('age bands straddling 18: 1 row(s) counted in age group UNK'),
      ],
    })
    yield d.step('dcimx tables --home /srv/dcimx/srb --indicator V2 --year 2021', { checks: [shows(/^MIX\s+_T\s+_T\s+1$/m), shows(/^OTH\s+_T\s+_T\s+1$/m)] })

    // The node's own tables.
    yield d.step('dcimx tables --home DIR --indicator V2 --year 2023')
    yield d.step('dcimx tables --home DIR --indicator V2 --year 2023 --format csv')
    yield d.step('dcimx tables --home DIR')
    yield d.step('dcimx tables --home DIR --indicator V1,V4 --year 2020-2024 --format json', { checks: [r => Array.isArray(JSON.parse(r.stdout)) ? undefined : 'not a JSON array'] })

    // Agreements and publishing: Serbia's agreement with Croatia, from docs/agreements.
    for (const f of ['srb-hrv.yaml']) copyFileSync(join(AGREEMENTS, f), join(home, POLICIES_DIR, f))
    yield d.step('dcimx policy lint --home DIR')
    yield d.step('dcimx policy preview --home DIR --peer HRV', { checks: [shows('(agreement srb-hrv)')] })
    yield d.step('dcimx publish --home DIR')
    // A late registration of 2024, imported after 2024 was released: the guide's sample line.
    writeFileSync(join(cwd, 'late-2024.csv'), windows1250(`${exported.text.split('\n')[0]!}\r\n2024/00099;2024-12;identificirana;Ž;Adult;Srbija;Srbija;isSexualExploit;policija;sklonište\r\n`))
    const revision = blockAfter(OPERATOR, lineOf(OPERATOR, '**Revisions go out only when they can be protected.**'))
    yield d.setup(`dcimx import victims late-2024.csv --home ${home} --encoding windows-1250 --id-columns case_no,registered_on`, { sample: samplePattern(revision.text, { subs: [['2023 victims', '2024 victims'], ['2026-01-10', '2026-11-24'], ['(3 person(s) added', '(1 person(s) added'], ['3 person(s) added since', '1 person(s) added since'], ['threshold 5', 'threshold 3'], ['at least 5', 'at least 3']] }) })

    // Peers: Croatia's node, on a loopback port.
    const hrv = await startTestNode(t, 'HRV', clock, [join(AGREEMENTS, 'hrv-srb.yaml')])
    await hrv.importSyntheticVictims([2024], 5)
    await hrv.publish()
    d.sub('https://dcim.example.hr', hrv.url)
    d.sub('NpUnjX9b...', hrv.kid)
    const first = lineOf(OPERATOR, 'dcimx peer add HRV https://dcim.example.hr --home DIR')
    yield d.step('dcimx peer add HRV https://dcim.example.hr --home DIR', { status: 1, sample: samplePattern(commentSample(OPERATOR, first), { subs: [['https://dcim.example.hr', hrv.url], ['NpUnjX9b...', hrv.kid]] }) })
    yield d.step('dcimx peer add HRV https://dcim.example.hr --thumbprint NpUnjX9b... --home DIR')
    yield d.step('dcimx peer list --home DIR', { checks: [shows(hrv.kid)] })
    yield d.step('dcimx peer refresh HRV --home DIR', { checks: [shows(/^HRV: descriptor [A-Za-z0-9_-]{43}; nothing changed\n1 of 1 peer\(s\) refreshed\n$/)] })
    yield d.step('dcimx peer remove HRV --home DIR')

    // Pulling: Croatia set up again, both ways, under the agreement both hold (hrv-srb).
    copyFileSync(join(AGREEMENTS, 'hrv-srb.yaml'), join(home, POLICIES_DIR, 'hrv-srb.yaml'))
    // Served with DCIMX_URL on port 0, so that its descriptor names the loopback address it listens on.
    const srbServed = await serveInProcess(home, clock, { DCIMX_URL: 'http://127.0.0.1:0' })
    await addPeer(hrv.running.node.db.db, clock, 'HRV', { id: 'SRB', url: srbServed.address, thumbprint: kidOf(home) })
    await addPeer(srbServed.node.db.db, clock, 'SRB', { id: 'HRV', url: hrv.url, thumbprint: hrv.kid })
    await srbServed.close()
    yield d.step('dcimx sync --home DIR [--peer HRV] [--json]', { checks: [r => (JSON.parse(r.stdout) as Array<{ applied: number }>)[0]!.applied > 0 ? undefined : 'nothing applied'] })
    yield d.step('dcimx status --home DIR [--json]')
    yield d.step('dcimx alerts ack --home DIR [--peer HRV] [--id N]', { dropOptional: ['--id N'] })

    // Verify a signed object: Croatia's descriptor, a release it sent Serbia, and its key set.
    writeFileSync(join(cwd, 'descriptor.json'), await (await fetch(`${hrv.url}/.well-known/dcim-node`)).text())
    writeFileSync(join(cwd, 'hrv-jwks.json'), await (await fetch(`${hrv.url}/.well-known/jwks.json`)).text())
    const release = await hrv.running.node.db.db.selectFrom('outgoing').select('signed').where('recipient', '=', 'SRB').orderBy('feed_seq').executeTakeFirstOrThrow()
    writeFileSync(join(cwd, 'release.json'), typeof release.signed === 'string' ? release.signed : JSON.stringify(release.signed))
    yield d.step('dcimx verify descriptor.json --jwks https://dcim.example.hr/.well-known/jwks.json', { checks: [shows('valid')] })
    yield d.step('dcimx verify release.json --jwks hrv-jwks.json --at 2026-11-25T00:00:00Z --json', { checks: [r => (JSON.parse(r.stdout) as { valid: boolean }).valid ? undefined : 'not valid'] })

    // Audit log.
    const verifyLine = lineOf(OPERATOR, 'dcimx audit verify --home DIR')
    const verifySample = /#\s*(.*)$/.exec(readFileSync(join(ROOT, OPERATOR), 'utf8').split('\n')[verifyLine - 1]!)![1]!
    yield d.step('dcimx audit verify --home DIR', { sample: samplePattern(verifySample, { holes: [['1,234', '[\\d,]+'], ['#1234', '#\\d+'], ['<hash>', '\\S+']] }) })
    yield d.step('dcimx audit list --home DIR --limit 50')

    // Users and roles.
    vars.PW = 'a long test password, 2026'
    yield d.step('dcimx user add ana --role liaison --home DIR', { checks: [shows(/password/)] })
    yield d.step('printf \'%s\\n\' "$PW" | dcimx user add marko --role auditor --home DIR --password-stdin')
    yield d.step('dcimx user list --home DIR [--json]', { checks: [shows('"marko"')] })
    yield d.step('dcimx user remove ana --home DIR')
    yield d.step('dcimx user disable marko --home DIR')
    yield d.step('dcimx user enable marko --home DIR')
    yield d.step('TOKEN=$(printf \'%s\\n\' "$PW" | dcimx login marko --home DIR --password-stdin)', { checks: [() => /^eyJ/.test(vars.TOKEN ?? '') ? undefined : 'no token'] })
    const live = await serveInProcess(home, clock)
    d.sub('http://127.0.0.1:7300', live.address)
    try {
      yield d.step('curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:7300/v1/audit?limit=20', { checks: [r => Array.isArray((JSON.parse(r.stdout) as { entries?: unknown }).entries) ? undefined : `not the audit entries: ${r.stdout}`] })
    } finally {
      await live.close()
    }
  },
}

const LEGAL = 'docs/legal-guide.md'

const LEGAL_GUIDE: DocScript = {
  file: LEGAL,
  substitutions: [
    'run in a temporary working folder holding the agreement files the guide names: srb-hrv.yaml is the guide\'s example agreement (for lint, with the two mistakes its sample output reports: a day that does not exist, and an unknown key on line 16 in place of onward_sharing), srb-hrv-v1.yaml that example and srb-hrv-v2.yaml its version 2 as the diff describes it; docs/agreements links to the repository\'s samples',
    '/srv/dcimx/srb -> an SRB home holding docs/agreements/srb-hrv.yaml and srb-europol.yaml and seeded synthetic victims of 2023-2024',
    'preview is run with its optional parts [--indicator V1] [--year 2023], not [--json] (the sample shows the text)',
  ],
  async * run ({ t }) {
    const cwd = tempDir(t, 'dcimx-legal-')
    const clock = fixedClock(TEST_NOW)
    const d = documentSteps(LEGAL, cwd, clock)
    const example = blockAfter(LEGAL, lineOf(LEGAL, '## Writing an agreement'))
    writeFileSync(join(cwd, 'srb-hrv.yaml'), example.text)
    const explained = blockAfter(LEGAL, lineOf(LEGAL, 'dcimx policy explain srb-hrv.yaml'))
    yield d.step('dcimx policy explain srb-hrv.yaml', { sample: samplePattern(explained.text, { whole: true }) })

    const lines = example.text.split('\n')
    const broken = [...lines.slice(0, 15), 'colour: blue', ...lines.slice(16)].join('\n').replace('until: 2028-12-31 ', 'until: 2028-02-30 ')
    writeFileSync(join(cwd, 'srb-hrv.yaml'), broken)
    const lintLine = lineOf(LEGAL, 'dcimx policy lint srb-hrv.yaml')
    yield d.step('dcimx policy lint srb-hrv.yaml', { status: 1, sample: samplePattern(blockAfter(LEGAL, lintLine).text, { whole: true }) })

    const made = await makeHome(t, 'SRB')
    d.sub('/srv/dcimx/srb', made.home)
    for (const f of ['srb-hrv.yaml', 'srb-europol.yaml']) copyFileSync(join(AGREEMENTS, f), join(made.home, POLICIES_DIR, f))
    yield d.step('dcimx policy lint --home /srv/dcimx/srb', { after: lintLine, checks: [shows('2 agreement file(s), no problems')] })

    writeFileSync(join(cwd, 'srb-hrv-v1.yaml'), example.text)
    writeFileSync(join(cwd, 'srb-hrv-v2.yaml'), example.text
      .replace('version: 1   ', 'version: 2   ')
      .replace('threshold: 3   ', 'threshold: 5   ')
      .replace('by: [SEX, AGE_GROUP]      # the finest', 'by: [SEX]                 # the finest')
      .replace('prohibitions:', '  - indicator: C3\n    by: [SEX, OFFENCE]\n    years: [2023, 2024]\nprohibitions:'))
    const diffLine = lineOf(LEGAL, 'dcimx policy diff srb-hrv-v1.yaml srb-hrv-v2.yaml')
    yield d.step('dcimx policy diff srb-hrv-v1.yaml srb-hrv-v2.yaml', { sample: samplePattern(blockAfter(LEGAL, diffLine).text, { whole: true }) })

    symlinkSync(join(ROOT, 'docs'), join(cwd, 'docs'))
    const matrixLine = lineOf(LEGAL, 'dcimx policy matrix --home /srv/dcimx/srb')
    yield d.step('dcimx policy matrix --home /srv/dcimx/srb', { sample: samplePattern(blockAfter(LEGAL, matrixLine).text, { whole: true }) })
    yield d.step('dcimx policy matrix docs/agreements/*.yaml', { checks: [shows(/Serbia -> Croatia\s+V1 V2 V3 C2 C3\s+in force \(srb-hrv v1\)/), shows(/Kosovo -> Albania/)] })

    const victims = join(cwd, 'victims.csv')
    await synthetic(victims, 'victims', 'SRB', [2023, 2024], 11)
    yield d.setup(`dcimx import victims ${victims} --home ${made.home} --no-publish`)
    const previewLine = lineOf(LEGAL, 'dcimx policy preview --home /srv/dcimx/srb --peer HRV')
    yield d.step('dcimx policy preview --home /srv/dcimx/srb --peer HRV [--indicator V1] [--year 2023] [--json]', { dropOptional: ['--json'], sample: samplePattern(blockAfter(LEGAL, previewLine).text, { whole: true }) })
  },
}

const LIAISON = 'docs/liaison-guide.md'

const LIAISON_GUIDE: DocScript = {
  file: LIAISON,
  substitutions: [
    'DIR -> a EUROPOL home holding alb-europol, bih-europol and srb-europol (docs/agreements), with ALB, BIH and SRB as peers: real nodes on loopback ports, each with seeded synthetic victims of 2024, published and pulled',
    'run in a temporary working folder, which holds alb-jwks.json, bih-jwks.json and srb-jwks.json (each publisher\'s /.well-known/jwks.json)',
    'https://node.example -> the EUROPOL home served in-process (by startNode, as dcimx serve does); NAME -> nadia, a liaison user, and "..." -> the password user add printed',
  ],
  async * run ({ t, vars }) {
    const cwd = tempDir(t, 'dcimx-liaison-')
    const clock = fixedClock(TEST_NOW)
    const d = documentSteps(LIAISON, cwd, clock)
    const eu = await makeHome(t, 'EUROPOL')
    d.sub('--home DIR', `--home ${eu.home}`)
    const fedClock = adjustableClock()
    const publishers: TestNode[] = []
    for (const [i, id] of ['ALB', 'BIH', 'SRB'].entries()) {
      const agreement = join(AGREEMENTS, `${id.toLowerCase()}-europol.yaml`)
      copyFileSync(agreement, join(eu.home, POLICIES_DIR, `${id.toLowerCase()}-europol.yaml`))
      const p = await startTestNode(t, id, fedClock, [agreement])
      await p.importSyntheticVictims([2024], 20 + i)
      publishers.push(p)
      writeFileSync(join(cwd, `${id.toLowerCase()}-jwks.json`), await (await fetch(`${p.url}/.well-known/jwks.json`)).text())
    }
    const euServed = await serveInProcess(eu.home, clock)
    for (const p of publishers) {
      await addPeer(p.running.node.db.db, clock, p.id, { id: 'EUROPOL', url: euServed.address, thumbprint: eu.kid })
      await addPeer(euServed.node.db.db, clock, 'EUROPOL', { id: p.id, url: p.url, thumbprint: p.kid })
      await p.publish()
    }
    await euServed.close()
    // Europol pulls (the operator guide's command, run here to set the node up).
    yield d.setup(`dcimx sync --home ${eu.home}`)

    const answer = blockAfter(LIAISON, lineOf(LIAISON, '## Reading the answer'))
    yield d.step('dcimx totals --home DIR --indicator V2 --years 2020-2024 --by EXPLOIT', { checks: [shows(/^V2 regional totals, 2020-2024, by EXPLOIT; as held at 2026-11-25T12:00:00.000Z by EUROPOL/)] })
    yield d.step('dcimx totals --home DIR --indicator V1 --years 2024 --by SEX,AGE_GROUP --format csv', { checks: [shows(/OBS_STATUS/)] })
    yield d.step('dcimx totals --home DIR --indicator V3 --years 2024 --format json', { checks: [r => typeof JSON.parse(r.stdout) === 'object' ? undefined : 'not JSON'] })
    yield d.step('dcimx totals --home DIR --indicator V1 --years 2020-2024 --format sdmx-json', { checks: [shows('"structure"')] })
    yield d.step('dcimx totals --home DIR --indicator V2 --years 2024 --as-of 2026-06-30', { checks: [shows('as held on 2026-06-30T23:59:59.999Z')] })

    // Over HTTP, as a liaison user.
    const user = yield d.setup(`dcimx user add nadia --role liaison --home ${eu.home}`)
    const password = /\(shown once\): (\S+)/.exec(user.stdout)?.[1]
    if (password === undefined) throw new Error(`no password in ${user.stdout}`)
    const live = await serveInProcess(eu.home, clock)
    try {
      d.sub('https://node.example', live.address)
      d.sub('"user":"NAME"', '"user":"nadia"')
      d.sub('"password":"..."', `"password":"${password}"`)
      yield d.step('TOKEN=$(curl -s -X POST https://node.example/v1/login -H \'content-type: application/json\' \\\n-d \'{"user":"NAME","password":"..."}\' | jq -r .token)', { checks: [() => /^eyJ/.test(vars.TOKEN ?? '') ? undefined : 'no token'] })
      yield d.step('curl -H "Authorization: Bearer $TOKEN" \\\n\'https://node.example/v1/regional/totals?indicator=V2&years=2020-2024&by=EXPLOIT&format=csv\'', { checks: [shows(/OBS_STATUS/)] })
    } finally {
      await live.close()
    }

    // Proving a figure.
    yield d.step('dcimx totals --home DIR --indicator V2 --years 2024 --by EXPLOIT --bundle v2-2024.json', { sample: samplePattern(answer.text, { holes: [] }) })
    const verifyLine = lineOf(LIAISON, 'dcimx verify-bundle v2-2024.json --jwks')
    yield d.step(readFileSync(join(ROOT, LIAISON), 'utf8').split('\n')[verifyLine - 1]!.trim(), { sample: samplePattern(commentSample(LIAISON, verifyLine), { holes: [['D4K6Huqk...', '\\S+'], ['9TqzWm1c...', '\\S+'], ['RjsX3W2f...', '\\S+']] }) })
    yield d.step('dcimx verify-bundle v2-2024.json', { checks: [shows('bundle verified')] })
  },
}

/** The documents' scripts, in the order they run. */
export const SCRIPTS: DocScript[] = [README, OPERATOR_GUIDE, LEGAL_GUIDE, LIAISON_GUIDE]

/**
 * Commands the documents show that no script runs, each with the reason and where it is
 * covered. The test fails when a documented command is neither run nor listed here, and when
 * an entry here no longer names a documented command.
 */
export const NOT_RUN_HERE: Array<{ file: string, text: string | RegExp, reason: string }> = [
  ...POSTGRES_URL === undefined
    ? [{ file: 'README.md', text: /^(createdb dcimx_srb|node bin\/dcimx\.js init .*--database-url .*)$|^node bin\/dcimx\.js serve --home \.\/srb$/, reason: 'PostgreSQL: run above when the suite runs with DATABASE_URL (CI\'s PostgreSQL run); the serve of ./srb on the embedded database runs above' }]
    : [],
  { file: 'README.md', text: 'npm ci && npm run demo', reason: 'npm ci installs from the registry; the demo is run by test/demo/demo.test.ts' },
  { file: 'README.md', text: 'npm ci && npm test', reason: 'the install and the whole suite: what CI runs (.ci/run)' },
  { file: 'README.md', text: 'DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npm test', reason: 'the whole suite on PostgreSQL: what CI runs (.ci/run)' },
  { file: 'docs/operator-guide.md', text: 'npm ci', reason: 'installs from the registry (CI runs it, .ci/run)' },
  { file: 'docs/operator-guide.md', text: /^(cd docker|docker |for f in |for n in |done$)/, reason: 'Docker: no engine runs here; the entrypoint and the commands it runs are tested outside containers (test/docker/entrypoint.test.ts)' },
  { file: 'docs/operator-guide.md', text: /^dcimx (status --home DIR$|peer skip SRB 13 )/, reason: 'needs a peer that signs an object the node refuses: test/exchange/agreement-lifecycle.test.ts builds one and runs these commands, checking the status line the guide shows' },
  { file: 'docs/benchmarks.md', text: /(^|\s)(npm run bench:|node --cpu-prof)|^BENCH_|^DATABASE_URL=.* npm run bench:|^npm ci$|^npm run build$/, reason: 'the benchmarks run for minutes and are excluded from the suite (.taprc); run by hand, their results are in docs/benchmarks.md' },
]
