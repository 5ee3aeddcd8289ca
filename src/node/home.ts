/**
 * A node's home folder: config.json, keys/ (owner-only), and db/ (the embedded database when
 * no PostgreSQL URL is configured). `initHome` creates one; `openNode` loads and checks one.
 */
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { sql } from 'kysely'
import type { Clock } from '../clock.js'
import { loadConfig, writeConfig, type Config, type NodeConfig } from '../config.js'
import { createDb, type Db, type DbTarget } from '../db/create-db.js'
import { migrateToLatest } from '../db/migrate.js'
import { usableTemplate } from '../db/template.js'
import { AppError } from '../errors.js'
import { generateSigningKey, type SigningKey } from '../protocol/keys.js'
import { resolveNodeIdentity } from './identity.js'
import { readKeyStore, writeKeyFile } from './key-store.js'
import { bindRecordSecret, createRecordSecret } from '../ingest/record-key.js'

export const DB_DIR = 'db'
export const DEFAULT_PORT = 7300

export interface InitOptions {
  home: string
  country: string
  name?: string
  url?: string
  host?: string
  port?: number
  /** PostgreSQL URL; when absent the node uses an embedded database in HOME/db. */
  databaseUrl?: string
  clock: Clock
  /** An embedded database dump to start from (pgliteTemplate), to create many homes quickly. */
  template?: Blob
  /**
   * A migrated embedded database folder to copy (src/db/template.ts). Default: the one the build
   * made (dist/db-template) when it matches the running code; null: none.
   */
  templateDir?: string | null
}

export interface InitResult {
  home: string
  config: Config
  kid: string
}

/** Where a node's data lives, from its configuration. */
export function dbTarget (config: NodeConfig): DbTarget {
  return config.database.url === null ? { kind: 'pglite', dataDir: join(config.home, DB_DIR) } : { kind: 'postgres', url: config.database.url }
}

/**
 * Creates a node home: configuration, a fresh Ed25519 signing key, the secret that keys
 * national record ids, and a migrated database bound to the node. Refuses a folder that already holds anything. On failure nothing is
 * left behind, so the command can simply be run again.
 */
export async function initHome (options: InitOptions): Promise<InitResult> {
  const identity = resolveNodeIdentity(options.country, options.name)
  const home = resolve(options.home)
  if (existsSync(home) && readdirSync(home).length > 0) {
    throw new AppError('HOME_EXISTS', `${home} already exists and is not empty; choose a new folder`)
  }
  const port = options.port ?? DEFAULT_PORT
  const host = options.host ?? '127.0.0.1'
  const key = generateSigningKey(identity.id)
  const config: Config = {
    node: identity,
    url: options.url ?? `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    http: { host, port },
    database: { url: options.databaseUrl ?? null },
    log: { level: 'info' },
    signing_key: key.kid,
  }
  const created = !existsSync(home)
  mkdirSync(home, { recursive: true, mode: 0o700 })
  try {
    writeConfig(home, config)
    writeKeyFile(home, key)
    const recordSecret = createRecordSecret(home)
    // Agreement files live here; dcimx policy reads them.
    mkdirSync(join(home, 'policies'), { mode: 0o755 })
    const templateDir = options.template !== undefined || config.database.url !== null ? undefined : options.templateDir === undefined ? usableTemplate() : options.templateDir ?? undefined
    const node = await openNode({ home, env: {}, clock: options.clock, template: options.template, templateDir })
    try {
      await bindRecordSecret(node.db.db, recordSecret, home)
    } finally {
      await node.db.close()
    }
  } catch (err) {
    // Leave no half-made home behind.
    if (created) rmSync(home, { recursive: true, force: true })
    else for (const entry of readdirSync(home)) rmSync(join(home, entry), { recursive: true, force: true })
    throw err
  }
  return { home, config, kid: key.kid }
}

export interface OpenNode {
  config: NodeConfig
  db: Db
  /** The active signing key. */
  signingKey: SigningKey
  /** Every key in the store (the active one included), published in the JWKS. */
  keys: SigningKey[]
}

/**
 * Loads a node home: configuration (with environment overrides), keys, and the database,
 * migrated to the latest schema and checked to belong to this node.
 */
export async function openNode (options: { home: string, env: Record<string, string | undefined>, clock: Clock, template?: Blob, templateDir?: string | undefined }): Promise<OpenNode> {
  const home = resolve(options.home)
  const config = loadConfig(home, options.env)
  const keys = readKeyStore(home)
  const signingKey = keys.find(k => k.kid === config.signing_key)
  if (signingKey === undefined) {
    throw new AppError('KEY_FILE_INVALID', `${join(home, 'keys')}: the signing key ${config.signing_key} named in config.json is missing`)
  }
  const wrongNode = keys.find(k => k.node !== config.node.id)
  if (wrongNode !== undefined) {
    throw new AppError('KEY_FILE_INVALID', `key ${wrongNode.kid} speaks for ${wrongNode.node}, but this node is ${config.node.id}`)
  }
  const target = dbTarget(config)
  const db = await createDb(target.kind === 'pglite' ? { ...target, template: options.template, templateDir: options.templateDir } : target)
  try {
    await migrateToLatest(db.db)
    await bindIdentity(db, config.node.id, options.clock)
  } catch (err) {
    await db.close()
    throw err
  }
  return { config, db, signingKey, keys }
}

/** Records the node id in a new database, or checks that an existing one belongs to this node. */
async function bindIdentity (db: Db, nodeId: string, clock: Clock): Promise<void> {
  await db.db.insertInto('node_identity')
    .values({ id: 1, node_id: nodeId, created_at: new Date(clock.now()) })
    .onConflict(oc => oc.column('id').doNothing())
    .execute()
  const row = await db.db.selectFrom('node_identity').select('node_id').where('id', '=', 1).executeTakeFirstOrThrow()
  if (row.node_id !== nodeId) {
    throw new AppError('DATABASE_UNAVAILABLE', `the database at ${db.location} belongs to node ${row.node_id}, not ${nodeId}`)
  }
}

/** True when the database answers a trivial query. */
export async function databaseHealthy (db: Db): Promise<boolean> {
  try {
    await sql`select 1`.execute(db.db)
    return true
  } catch {
    return false
  }
}
