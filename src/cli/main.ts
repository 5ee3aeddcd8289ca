/**
 * The `dcimx` command line: a thin adapter over the domain functions. Every failure ends in a
 * one-line `dcimx: ...` message on stderr and a non-zero exit status, never a stack trace
 * (set DCIMX_DEBUG=1 to see one).
 */
import { resolve } from 'node:path'
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander'
import { AppError, isAppError } from '../errors.js'
import { ROUTED_COMMANDS } from './admin/protocol.js'
import { line, type CliIo } from './io.js'

/**
 * The audit events and the user roles, as src/audit/log.ts and src/users/users.ts define them
 * (a test holds them equal). Written out here because --help must not import those modules:
 * they load kysely and more, and every command's module is imported only when it runs, so
 * that `dcimx --help` starts in a fraction of a second (docs/benchmarks.md).
 */
export const HELP_AUDIT_EVENTS = ['publish', 'pull_served', 'pull_applied', 'pull_skipped', 'refusal', 'agreement_change', 'peer_added', 'peer_refreshed', 'peer_removed', 'evidence', 'user_added', 'user_removed', 'user_disabled', 'user_enabled', 'login', 'login_refused', 'refusals_counted'] as const
export const HELP_ROLES = ['operator', 'legal', 'liaison', 'auditor'] as const

/** Exit statuses: 0 success, 1 failure or invalid object, 2 usage error. */
export const EXIT_USAGE = 2

function parsePort (value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 65535) throw new InvalidArgumentError('must be a whole number from 0 to 65535')
  return Number(value)
}

/** The command tree (exported for the test that checks every command the docs show). */
export function program (io: CliIo, setStatus: (status: number) => void): Command {
  const cmd = new Command('dcimx')
    .description('dcim-exchange node: federated exchange of protected THB statistics')
    .exitOverride()
    .configureOutput({
      writeOut: s => io.stdout.write(s),
      writeErr: s => io.stderr.write(s),
      outputError: (s, write) => write(s.startsWith('error: ') ? `dcimx: ${s.slice(7)}` : s),
    })
    .showHelpAfterError('(run dcimx --help for usage)')

  /** --home, whose default is $DCIMX_HOME when set (the container image sets it to /data). */
  const homeOption = (description: string, required: boolean): Option => {
    const option = new Option('--home <dir>', `${description} (default: $DCIMX_HOME)`)
    const fromEnv = io.env.DCIMX_HOME
    if (fromEnv !== undefined && fromEnv !== '') option.default(fromEnv)
    return required ? option.makeOptionMandatory() : option
  }

  cmd.command('init')
    .description('create a node home: configuration, an Ed25519 signing key and the database')
    .addOption(homeOption('folder for the new node (must not exist or be empty)', true))
    .requiredOption('--country <code>', 'a country\'s ISO 3166-1 alpha-3 code (SRB, AUT, DEU ...; XKX for Kosovo), or a liaison id (EUROPOL, SELEC)')
    .option('--name <name>', 'display name (defaults to the country or organisation name)')
    .option('--url <url>', 'public URL peers use to reach this node (default http://HOST:PORT)')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on', parsePort, 7300)
    .option('--database-url <url>', 'PostgreSQL URL (default: DATABASE_URL, else an embedded database)')
    .action(async opts => setStatus(await (await import('./commands/init.js')).initCommand(opts, io)))

  cmd.command('migrate')
    .description('apply database migrations (also done at start-up)')
    .addOption(homeOption('node home', true))
    .action(async opts => setStatus(await (await import('./commands/migrate.js')).migrateCommand(opts, io)))

  cmd.command('serve')
    .description('run the node (HTTP API) until interrupted')
    .addOption(homeOption('node home', true))
    .option('--host <host>', 'address to listen on (default from config)')
    .option('--port <port>', 'port to listen on (default from config; 0 picks a free one)', parsePort)
    .action(async opts => setStatus(await (await import('./commands/serve.js')).serveCommand(opts, io)))

  cmd.command('verify')
    .description('verify a signed object offline; exit status 0 only when valid')
    .argument('<file>', 'the signed object (flattened JWS JSON)')
    .requiredOption('--jwks <file-or-url>', 'the signer\'s keys: a JWKS file or URL')
    .option('--at <time>', 'evaluate expiry at this time (ISO 8601 or epoch seconds) instead of now')
    .option('--json', 'print the verdict as JSON')
    .action(async (file: string, opts) => setStatus(await (await import('./commands/verify.js')).verifyCommand({ file, ...opts }, io)))

  cmd.command('import')
    .description('import national records (victims.csv or offenders.csv); all or nothing')
    .argument('<kind>', 'victims or offenders')
    .argument('<file>', 'the CSV export (or, with --withdraw, a CSV of record_ids)')
    .addOption(homeOption('node home', true))
    .option('--crosswalk <file>', 'national-code crosswalk (default: HOME/crosswalk.yaml when present)')
    .option('--dry-run', 'validate and count only; change nothing')
    .option('--withdraw', 'FILE lists record_ids to withdraw: the tables stop counting them')
    .option('--no-publish', 'do not publish the change at once (serve publishes it on its schedule)')
    .option('--delimiter <char>', 'field separator: one character, or "tab" (default: found from the header: comma, semicolon or tab)')
    .addOption(new Option('--encoding <name>', 'text encoding of the file').choices(['utf8', 'latin1', 'windows-1250']).default('utf8'))
    .option('--id-columns <columns>', 'the file has no record_id: derive it from these columns (comma-separated); see the operator guide for what it costs')
    .option('--json', 'print the import report as JSON')
    .action(async (kind: string, file: string, opts) => setStatus(await (await import('./commands/import.js')).importCommand({ kind, file, ...opts }, io)))

  cmd.command('tables')
    .description('show the node\'s own unprotected indicator tables (operators only): one, or several at once')
    .addOption(homeOption('node home', true))
    .option('--indicator <ids>', 'V1-V5 or C1-C4, or a comma-separated list (default: all)')
    .option('--year <years>', 'a reference year, a range (2015-2024) or a list (default: every year with records)')
    .option('--format <format>', 'table, csv or json', 'table')
    .action(async opts => setStatus(await (await import('./commands/tables.js')).tablesCommand(opts, io)))

  cmd.command('generate')
    .description('write a seeded synthetic national export (for tests, benchmarks and demos)')
    .argument('<kind>', 'victims or offenders')
    .requiredOption('--country <code>', 'reporting country (ALB BIH HRV XKX MNE MKD SRB)')
    .requiredOption('--years <years>', 'a range (2015-2024) or a list (2019,2021)')
    .requiredOption('--out <file>', 'the CSV file to write (must not exist)')
    .option('--per-year <n>', 'rows per year (default 80 victims or 50 offenders)')
    .option('--seed <n>', 'random seed', '1')
    .action(async (kind: string, opts) => setStatus(await (await import('./commands/generate.js')).generateCommand({ kind, ...opts }, io)))

  const policy = cmd.command('policy').description('data-sharing agreements: check, explain, compare, overview')
  policy.command('lint')
    .description('check agreement files; every problem with its file and line')
    .argument('[files...]', 'agreement files (default: every file in HOME/policies)')
    .addOption(homeOption('node home whose policies folder to check', false))
    .action(async (files: string[], opts) => setStatus(await (await import('./commands/policy.js')).policyLintCommand({ files, ...opts }, io)))
  policy.command('explain')
    .description('an agreement in plain English')
    .argument('<file>', 'agreement file')
    .action(async (file: string) => setStatus(await (await import('./commands/policy.js')).policyExplainCommand({ file }, io)))
  policy.command('diff')
    .description('what changed between two versions of an agreement, in plain English')
    .argument('<before>', 'the earlier agreement file')
    .argument('<after>', 'the later agreement file')
    .action(async (before: string, after: string) => setStatus(await (await import('./commands/policy.js')).policyDiffCommand({ before, after }, io)))
  policy.command('matrix')
    .description('who shares what with whom, across the agreements')
    .argument('[files...]', 'agreement files (default: every file in HOME/policies)')
    .addOption(homeOption('node home whose policies folder to read', false))
    .action(async (files: string[], opts) => setStatus(await (await import('./commands/policy.js')).policyMatrixCommand({ files, ...opts }, io)))

  policy.command('preview')
    .description('exactly the protected tables a peer would receive now under the agreements in force')
    .addOption(homeOption('node home (its policies folder and records)', true))
    .requiredOption('--peer <id>', 'the recipient, e.g. HRV or EUROPOL')
    .option('--indicator <id>', 'only this indicator')
    .option('--year <year>', 'only this year')
    .option('--json', 'print the tables as JSON')
    .action(async opts => setStatus(await (await import('./commands/policy.js')).policyPreviewCommand(opts, io)))

  cmd.command('publish')
    .description('sign the releases (and retractions) the agreements in force call for now')
    .addOption(homeOption('node home (its policies folder and records)', true))
    .option('--json', 'print the report as JSON')
    .action(async opts => setStatus(await (await import('./commands/publish.js')).publishCommand(opts, io)))

  const peer = cmd.command('peer').description('the peers this node serves and pulls from, with their pinned keys')
  peer.command('add')
    .description('set up a peer from its signed descriptor; pins its keys once you confirm the thumbprint')
    .argument('<id>', 'the peer\'s node id, e.g. HRV or EUROPOL')
    .argument('<url>', 'the peer\'s base URL')
    .addOption(homeOption('node home', true))
    .option('--thumbprint <kid>', 'the key thumbprint the peer\'s operator gave you out of band (without it, the command shows what the peer presents and stores nothing)')
    .action(async (id: string, url: string, opts) => setStatus(await (await import('./commands/exchange.js')).peerAddCommand({ id, url, ...opts }, io)))
  peer.command('list')
    .description('the peers set up, with their pinned keys')
    .addOption(homeOption('node home', true))
    .option('--json', 'print as JSON')
    .action(async opts => setStatus(await (await import('./commands/exchange.js')).peerListCommand(opts, io)))
  peer.command('refresh')
    .description('fetch a peer\'s descriptor again (every peer\'s without an id): the keys its pinned key vouches for, and the optional protocol members it accepts')
    .argument('[id]', 'the peer\'s node id (default: every peer)')
    .addOption(homeOption('node home', true))
    .option('--json', 'print as JSON')
    .action(async (id: string | undefined, opts) => setStatus(await (await import('./commands/exchange.js')).peerRefreshCommand({ ...(id === undefined ? {} : { id }), ...opts }, io)))
  peer.command('remove')
    .description('stop serving and pulling a peer (what was received is kept)')
    .argument('<id>', 'the peer\'s node id')
    .addOption(homeOption('node home', true))
    .action(async (id: string, opts) => setStatus(await (await import('./commands/exchange.js')).peerRemoveCommand({ id, ...opts }, io)))
  peer.command('skip')
    .description('move past an object of a peer\'s feed that this node refused (see dcimx status): it is never applied, the evidence is kept, the skip is audited')
    .argument('<id>', 'the peer\'s node id')
    .argument('<seq>', 'the refused entry\'s feed_seq')
    .addOption(homeOption('node home', true))
    .requiredOption('--object <content-id>', 'the refused object\'s id, as dcimx status shows it')
    .option('--reason <text>', 'why, for the audit log')
    .action(async (id: string, seq: string, opts) => setStatus(await (await import('./commands/exchange.js')).peerSkipCommand({ id, seq, ...opts }, io)))

  cmd.command('sync')
    .description('pull once from every country peer (or one): verify and apply what their feeds hold for this node')
    .addOption(homeOption('node home', true))
    .option('--peer <id>', 'only this peer')
    .option('--json', 'print the import reports as JSON')
    .action(async opts => setStatus(await (await import('./commands/exchange.js')).syncCommand(opts, io)))

  cmd.command('status')
    .description('per-peer exchange status: feed position, freshness, failures and alerts; exit status 0 only when all are ok')
    .addOption(homeOption('node home', true))
    .option('--json', 'print as JSON')
    .action(async opts => setStatus(await (await import('./commands/exchange.js')).statusCommand(opts, io)))

  cmd.command('alerts')
    .description('alerts raised by evidence of a peer\'s misbehaviour')
    .command('ack')
    .description('acknowledge alerts (the evidence is kept)')
    .addOption(homeOption('node home', true))
    .option('--peer <id>', 'only this peer\'s alerts')
    .option('--id <n>', 'only this alert')
    .action(async opts => setStatus(await (await import('./commands/exchange.js')).alertsAckCommand(opts, io)))

  const audit = cmd.command('audit').description('the hash-chained audit log of publishes, pulls, refusals and agreement changes')
  audit.command('verify')
    .description('check the whole chain; exit status 0 only when intact, else the first broken entry')
    .addOption(homeOption('node home', true))
    .option('--json', 'print the result as JSON')
    .action(async opts => setStatus(await (await import('./commands/audit.js')).auditVerifyCommand(opts, io)))
  audit.command('list')
    .description('show audit entries, oldest first (the newest ones, or those after --after)')
    .addOption(homeOption('node home', true))
    .option('--event <event>', `only this event: ${HELP_AUDIT_EVENTS.slice(0, -1).join(', ')} or ${HELP_AUDIT_EVENTS.at(-1)!}`)
    .option('--limit <n>', 'at most this many entries (default 20)')
    .option('--after <seq>', 'the entries after this seq instead of the newest')
    .option('--json', 'print the entries as JSON')
    .action(async opts => setStatus(await (await import('./commands/audit.js')).auditListCommand(opts, io)))

  cmd.command('totals')
    .description('regional totals across the countries that share with this node: contributions, suppressions, missing countries')
    .addOption(homeOption('node home', true))
    .requiredOption('--indicator <id>', 'V1-V5 or C1-C4')
    .requiredOption('--years <years>', 'a range (2020-2024) or a list (2019,2021)')
    .option('--by <dims>', 'break down by these dimensions, comma-separated (e.g. EXPLOIT,SEX)')
    .option('--as-of <date>', 'as this node held the data on that date (ISO 8601)')
    .option('--format <format>', 'table, csv, json or sdmx-json', 'table')
    .option('--bundle <file>', 'also write the signed releases the result was computed from (a new file)')
    .action(async opts => setStatus(await (await import('./commands/totals.js')).totalsCommand(opts, io)))

  cmd.command('verify-bundle')
    .description('verify a provenance bundle offline: signatures, and the totals recomputed from the releases')
    .argument('<file>', 'a bundle written by dcimx totals --bundle')
    .option('--jwks <file...>', 'publishers\' key sets to trust instead of those in the bundle')
    .option('--json', 'print the verdict as JSON')
    .action(async (file: string, opts) => setStatus(await (await import('./commands/totals.js')).verifyBundleCommand({ file, ...opts }, io)))

  const user = cmd.command('user').description('the node\'s human users (operator, legal, liaison, auditor) and their roles')
  user.command('add')
    .description('add a user; without --password-stdin a password is generated and shown once')
    .argument('<name>', 'user name: 2-32 lower-case letters, digits, ".", "_" or "-", starting with a letter')
    .addOption(new Option('--role <role>', 'what the user may do (docs/operator-guide.md, "Users and roles")').choices(HELP_ROLES).makeOptionMandatory())
    .addOption(homeOption('node home', true))
    .option('--password-stdin', 'read the password (at least 12 characters) from standard input')
    .action(async (name: string, opts) => setStatus(await (await import('./commands/users.js')).userAddCommand({ name, ...opts }, io)))
  user.command('remove')
    .description('remove a user: no more logins, and tokens already issued are refused')
    .argument('<name>', 'user name')
    .addOption(homeOption('node home', true))
    .action(async (name: string, opts) => setStatus(await (await import('./commands/users.js')).userRemoveCommand({ name, ...opts }, io)))
  user.command('disable')
    .description('disable a user: no login, and tokens issued before are refused at once')
    .argument('<name>', 'user name')
    .addOption(homeOption('node home', true))
    .action(async (name: string, opts) => setStatus(await (await import('./commands/users.js')).userDisableCommand({ name, ...opts }, io)))
  user.command('enable')
    .description('let a disabled user log in again')
    .argument('<name>', 'user name')
    .addOption(homeOption('node home', true))
    .action(async (name: string, opts) => setStatus(await (await import('./commands/users.js')).userDisableCommand({ name, ...opts, enable: true }, io)))
  user.command('list')
    .description('the users, with their roles')
    .addOption(homeOption('node home', true))
    .option('--json', 'print as JSON')
    .action(async opts => setStatus(await (await import('./commands/users.js')).userListCommand(opts, io)))

  cmd.command('login')
    .description('log in as a user and print a token for the HTTP API (Authorization: Bearer TOKEN), valid for an hour')
    .argument('<name>', 'user name')
    .addOption(homeOption('node home', true))
    .option('--password-stdin', 'read the password from standard input (required)')
    .action(async (name: string, opts) => setStatus(await (await import('./commands/users.js')).loginCommand({ name, ...opts }, io)))

  cmd.command('demo')
    .description('run the demo federation: seven country nodes and a liaison node on this machine')
    .option('--dir <dir>', 'folder for the nodes\' homes (reused on the next run)', '.demo')
    .option('--nodes <ids>', 'comma-separated node ids (default: ALB,BIH,HRV,XKX,MNE,MKD,SRB,EUROPOL)')
    .option('--once', 'stop after the first round instead of running until Ctrl-C')
    .action(async opts => setStatus(await (await import('./commands/demo.js')).demoCommand(opts, io)))

  return cmd
}

/** A command that ran in the serving node, with its exit status (thrown to skip the action here). */
class RanInServe {
  constructor (readonly status: number) {}
}

/** `user add` for the command `add` under `user`. */
function commandPath (command: Command): string {
  const names: string[] = []
  for (let c: Command | null = command; c?.parent != null; c = c.parent) names.unshift(c.name())
  return names.join(' ')
}

/**
 * Before a command that opens the home's database runs: when a live `dcimx serve` holds that
 * (embedded) database, the command runs there, through the home's admin channel
 * (src/cli/admin/), instead of failing on the lock. Inside the serving node, only those
 * commands are taken.
 */
async function routeIfServed (action: Command, argv: string[], io: CliIo): Promise<void> {
  const name = commandPath(action)
  if (io.attached !== undefined) {
    if (!ROUTED_COMMANDS.has(name)) throw new AppError('USAGE', `dcimx ${name} does not run through a serving node's admin channel; run it directly`)
    return
  }
  const home = (action.opts() as { home?: unknown }).home
  // With PostgreSQL there is no lock: every process opens the database itself.
  if (!ROUTED_COMMANDS.has(name) || typeof home !== 'string' || (io.env.DATABASE_URL ?? '') !== '') return
  const cwd = io.cwd ?? process.cwd()
  const { routeToServe } = await import('./admin/client.js')
  const status = await routeToServe(resolve(cwd, home), argv, io, cwd)
  if (status !== undefined) throw new RanInServe(status)
}

/** Runs the CLI on `argv` (without node and script) and returns the exit status. */
export async function runCli (argv: string[], io: CliIo): Promise<number> {
  let status = 0
  const cmd = program(io, s => { status = s })
  cmd.hook('preAction', async (_root, action) => { await routeIfServed(action, argv, io) })
  try {
    await cmd.parseAsync(argv, { from: 'user' })
    return status
  } catch (err) {
    if (err instanceof RanInServe) return err.status
    if (err instanceof CommanderError) {
      // Help and version end here with status 0; usage errors were already printed.
      return err.exitCode === 0 ? 0 : EXIT_USAGE
    }
    if (isAppError(err)) {
      line(io.stderr, `dcimx: ${err.message}`)
      return err.code === 'USAGE' ? EXIT_USAGE : 1
    }
    line(io.stderr, `dcimx: unexpected error: ${(err as Error)?.message ?? String(err)}`)
    if (io.env.DCIMX_DEBUG === '1') io.stderr.write(`${(err as Error)?.stack ?? ''}\n`)
    return 1
  }
}
