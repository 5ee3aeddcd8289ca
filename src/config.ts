/**
 * The node's configuration: one validated object read from `config.json` in the node's home
 * folder, overridable by environment variables. This is the only module that reads
 * process.env (callers pass `env` explicitly; the CLI passes process.env).
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Type, type Static } from '@sinclair/typebox'
import { Ajv, type ValidateFunction } from 'ajv'
import { AppError } from './errors.js'
import { NODE_ID_PATTERN } from './protocol/ids.js'

export const CONFIG_FILE = 'config.json'

const LogLevel = Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map(l => Type.Literal(l)))

export const ConfigSchema = Type.Object({
  node: Type.Object({
    id: Type.String({ pattern: NODE_ID_PATTERN }),
    kind: Type.Union([Type.Literal('country'), Type.Literal('liaison')]),
    name: Type.String({ minLength: 1, maxLength: 200 }),
  }, { additionalProperties: false }),
  url: Type.String({ pattern: '^https?://[^\\s/]+(/[^\\s]*)?$', description: 'Public base URL peers use to reach this node.' }),
  http: Type.Object({
    host: Type.String({ minLength: 1 }),
    port: Type.Integer({ minimum: 0, maximum: 65535 }),
    trust_proxy: Type.Optional(Type.Union([
      Type.Boolean(),
      Type.Integer({ minimum: 1, maximum: 10 }),
      Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { minItems: 1, maxItems: 32 }),
    ], { description: 'Whose X-Forwarded-For to believe for the client address (rate limits, login throttling): the proxies\' addresses or CIDR ranges (a list), the number of proxy hops, or true for any (only when nothing reaches the node but through the proxy). Default: nobody\'s.' })),
    session_lifetime_s: Type.Optional(Type.Integer({ minimum: 60, maximum: 86400, description: 'How long a user token lives (default 3600); a token claiming a longer life is refused, whoever signed it.' })),
  }, { additionalProperties: false }),
  database: Type.Object({
    url: Type.Union([Type.String({ pattern: '^postgres(ql)?://' }), Type.Null()], { description: 'PostgreSQL URL; null for the embedded database in the home folder.' }),
  }, { additionalProperties: false }),
  log: Type.Object({ level: LogLevel }, { additionalProperties: false }),
  signing_key: Type.String({ pattern: '^[A-Za-z0-9_-]{43}$', description: 'kid of the active signing key in keys/.' }),
  exchange: Type.Optional(Type.Object({
    sync_interval_s: Type.Optional(Type.Integer({ minimum: 1, maximum: 86400, description: 'How often `serve` pulls from each peer (default 300); failures back off from this, doubling, up to an hour.' })),
    publish_interval_s: Type.Optional(Type.Integer({ minimum: 1, maximum: 86400, description: 'How often `serve` publishes (default 3600); this also re-signs releases before they expire.' })),
    year_closes_on: Type.Optional(Type.String({ pattern: '^(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$', description: 'MM-DD of the following year from which a year is released (default 03-31): a released year is final, so late registrations should be in by then.' })),
  }, { additionalProperties: false })),
}, { additionalProperties: false })

/** Defaults of the optional `exchange` settings. */
export const EXCHANGE_DEFAULTS = { sync_interval_s: 300, publish_interval_s: 3600, year_closes_on: '03-31' } as const

export type Config = Static<typeof ConfigSchema>

/** The day (MM-DD of the following year) from which this node releases a year. */
export function yearClosesOn (config: Pick<Config, 'exchange'>): string {
  return config.exchange?.year_closes_on ?? EXCHANGE_DEFAULTS.year_closes_on
}

/** A loaded configuration together with where it came from. */
export interface NodeConfig extends Config {
  /** Absolute path of the node's home folder. */
  home: string
}

// Compiled on first use, not at import: every command imports this module, and compiling the
// schema costs a noticeable part of a short command's start-up.
let validateConfig: ValidateFunction<Config> | undefined
function configValidator (): ValidateFunction<Config> {
  validateConfig ??= new Ajv({ allErrors: true, strict: true, allowUnionTypes: true }).compile<Config>(ConfigSchema)
  return validateConfig
}

/** Environment variables that override the file, and the setting each overrides. */
export const ENV_OVERRIDES = {
  DCIMX_HOST: 'http.host',
  DCIMX_PORT: 'http.port',
  DCIMX_URL: 'url',
  DATABASE_URL: 'database.url',
  DCIMX_LOG_LEVEL: 'log.level',
} as const

function setPath (obj: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.')
  let cur = obj
  for (const p of parts.slice(0, -1)) {
    if (cur[p] === null || typeof cur[p] !== 'object') cur[p] = {}
    cur = cur[p] as Record<string, unknown>
  }
  cur[parts[parts.length - 1]!] = value
}

/**
 * Validates a raw configuration object. The error names the setting, what it must be and
 * the value found, e.g. `config.json: http.port must be <= 65535 (got 70000)`.
 */
export function parseConfig (raw: unknown, source: string): Config {
  const validate = configValidator()
  if (!validate(raw)) {
    const e = validate.errors![0]!
    const path = e.instancePath.replace(/^\//, '').replaceAll('/', '.')
    let found: unknown = raw
    for (const p of e.instancePath.split('/').slice(1)) found = (found as Record<string, unknown> | undefined)?.[p]
    const allowed = validate.errors!
      .filter(x => x.keyword === 'const' && x.instancePath === e.instancePath)
      .map(x => JSON.stringify((x.params as { allowedValue: unknown }).allowedValue))
    const detail = allowed.length > 0
      ? `must be one of ${allowed.join(', ')} (got ${JSON.stringify(found)})`
      : e.keyword === 'additionalProperties'
        ? `has an unknown setting "${String((e.params as { additionalProperty: string }).additionalProperty)}"`
        : e.keyword === 'required'
          ? `is missing "${String((e.params as { missingProperty: string }).missingProperty)}"`
          : `${e.message ?? 'is invalid'} (got ${JSON.stringify(found)})`
    throw new AppError('CONFIG_INVALID', `${source}: ${path === '' ? 'configuration' : path} ${detail}`)
  }
  return raw
}

/**
 * Reads `HOME/config.json`, applies environment overrides and validates the result.
 * Throws HOME_NOT_FOUND when there is no node home, CONFIG_INVALID naming the bad setting.
 */
export function loadConfig (home: string, env: Record<string, string | undefined> = {}): NodeConfig {
  const file = join(home, CONFIG_FILE)
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') throw new AppError('HOME_NOT_FOUND', `${home} is not a node home (no ${CONFIG_FILE}); create one with "dcimx init"`)
    throw new AppError('FILE_UNREADABLE', `${file}: ${(err as Error).message}`)
  }
  let raw: Record<string, unknown>
  try {
    raw = JSON.parse(text) as Record<string, unknown>
  } catch (err) {
    throw new AppError('CONFIG_INVALID', `${file}: not valid JSON: ${(err as Error).message}`)
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new AppError('CONFIG_INVALID', `${file}: not a JSON object`)
  parseConfig(raw, file)
  const sources: string[] = []
  for (const [name, path] of Object.entries(ENV_OVERRIDES)) {
    const value = env[name]
    if (value === undefined || value === '') continue
    setPath(raw, path, path === 'http.port' && /^\d+$/.test(value) ? Number(value) : value)
    sources.push(name)
  }
  const config = parseConfig(raw, sources.length > 0 ? `${file} with ${sources.join(', ')} from the environment` : file)
  return { ...config, home }
}

/** Writes a configuration file (used by `dcimx init`). */
export function writeConfig (home: string, config: Config): void {
  parseConfig(config, CONFIG_FILE)
  writeFileSync(join(home, CONFIG_FILE), JSON.stringify(config, null, 2) + '\n', { mode: 0o644 })
}
