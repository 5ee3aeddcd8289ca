// Each test file gets its own fresh database: an in-memory PGlite by default, or a new
// PostgreSQL database (created and dropped here) when DATABASE_URL is set.
import { randomBytes } from 'node:crypto'
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import pg from 'pg'
import type { Test } from 'tap'
import { createDb, pgliteTemplate, type Db } from '../../src/db/create-db.js'
import { MIGRATIONS_DIR, migrateToLatest } from '../../src/db/migrate.js'
import { buildTemplate, templateKey, usableTemplate } from '../../src/db/template.js'

export const POSTGRES_URL = process.env.DATABASE_URL === '' ? undefined : process.env.DATABASE_URL

/** Runs `fn` with a client connected to `url`, then closes it. */
export async function withClient<T> (url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return await fn(client)
  } finally {
    await client.end()
  }
}

/**
 * Creates an empty database `<prefix>_<random>` on the PostgreSQL server of `server`: its URL,
 * and how to drop it.
 */
export async function createDatabase (prefix: string, server: string): Promise<{ url: string, drop: () => Promise<void> }> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`
  await withClient(server, c => c.query(`CREATE DATABASE ${name}`))
  const url = new URL(server)
  url.pathname = `/${name}`
  return { url: url.toString(), drop: async () => { await withClient(server, c => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)) } }
}

/**
 * A fresh, empty PostgreSQL database URL when DATABASE_URL is set (dropped when `t` ends),
 * otherwise undefined (callers then use the embedded database).
 */
export async function freshDatabaseUrl (t: Test): Promise<string | undefined> {
  if (POSTGRES_URL === undefined) return undefined
  const fresh = await createDatabase('dcimx_test', POSTGRES_URL)
  t.teardown(fresh.drop)
  return fresh.url
}

let template: Promise<Blob> | undefined

/**
 * Where test processes keep the migrated template between them: under node_modules/.cache,
 * which `npm ci` empties, so every CI run makes it afresh once.
 */
export const TEMPLATE_CACHE_DIR = join(import.meta.dirname, '..', '..', 'node_modules', '.cache', 'dcimx-test')

/**
 * The migrated template for this PGlite version and these migrations (by content: the key of
 * src/db/template.ts), made by the first test process that needs it and read back by the others:
 * creating it (initdb, every migration, a dump) costs seconds of CPU in each of some fifty test files.
 * Written to a side file and renamed, so a reader never sees half a file.
 */
async function cachedTemplate (): Promise<Blob> {
  const file = join(TEMPLATE_CACHE_DIR, `pglite-template-${templateKey()}.tar`)
  try {
    return new Blob([readFileSync(file)])
  } catch {}
  const blob = await pgliteTemplate(migrateToLatest)
  mkdirSync(TEMPLATE_CACHE_DIR, { recursive: true })
  const side = `${file}.${process.pid}`
  writeFileSync(side, Buffer.from(await blob.arrayBuffer()))
  renameSync(side, file)
  return blob
}

/** One migrated, empty embedded database (shared by the test processes), to start every other one from. */
export async function pgTemplate (): Promise<Blob> {
  template ??= cachedTemplate()
  return await template
}

let templateDir: Promise<string> | undefined

async function cachedTemplateDir (): Promise<string> {
  const dir = join(TEMPLATE_CACHE_DIR, 'pglite-template')
  if (usableTemplate(dir) !== undefined) return dir
  mkdirSync(TEMPLATE_CACHE_DIR, { recursive: true })
  const mine = `${dir}.${process.pid}`
  await buildTemplate(mine)
  // A template of other code (an older run's) is replaced.
  if (usableTemplate(dir) === undefined) rmSync(dir, { recursive: true, force: true })
  try {
    renameSync(mine, dir)
  } catch (err) {
    // Another test process put its own there first: the same content, keep that one.
    rmSync(mine, { recursive: true, force: true })
    if (usableTemplate(dir) === undefined) throw err
  }
  return dir
}

/**
 * The migrated template as a data folder (src/db/template.ts, as `npm run build` makes it
 * for `dcimx init`), made once per run beside {@link pgTemplate}'s dump: a node home copies it
 * (cpSync) in a fraction of the time and CPU that loading the dump into a folder takes.
 */
export async function pgTemplateDir (): Promise<string> {
  templateDir ??= cachedTemplateDir()
  return await templateDir
}

/** A fresh, migrated database for this test, closed when `t` ends. */
export async function testDb (t: Test): Promise<Db> {
  const url = await freshDatabaseUrl(t)
  const db = await createDb(url === undefined ? { kind: 'memory', template: await pgTemplate() } : { kind: 'postgres', url })
  t.teardown(() => db.close())
  await migrateToLatest(db.db)
  return db
}

/** Name of the newest migration (file name without extension). */
export const LATEST_MIGRATION = readdirSync(MIGRATIONS_DIR).filter(f => /\.(ts|js)$/.test(f) && !f.endsWith('.d.ts')).sort().at(-1)!.replace(/\.(ts|js)$/, '')
