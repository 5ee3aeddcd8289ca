/**
 * The database handle: kysely over pg when a PostgreSQL URL is given, otherwise an embedded
 * PGlite database (in a folder, or in memory for tests). The same migrations and queries run
 * on both. A PGlite folder is locked against a second process, since PGlite has no lock of
 * its own and two writers corrupt it.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { PGlite } from '@electric-sql/pglite'
import { Kysely, PostgresDialect, sql } from 'kysely'
import { PGliteDialect } from 'kysely-pglite-dialect'
import lockfile from 'proper-lockfile'
import { AppError } from '../errors.js'
import { changeCounter, trackChanges, type Changes } from './changes.js'
import { copyTemplate } from './template.js'
import type { Database } from './types.js'

export type Engine = 'postgres' | 'pglite'

export interface Db {
  readonly db: Kysely<Database>
  readonly engine: Engine
  /** Where the data lives: the URL without password, a folder, or "memory". */
  readonly location: string
  /** Tells whether anything has been written since (src/db/changes.ts). */
  readonly changes: Changes
  /** Closes the handle (and releases the folder lock); safe to call more than once. */
  close(): Promise<void>
}

export type DbTarget =
  | { kind: 'postgres', url: string }
  /** `template`: a data folder dump to start a new, empty folder from (see {@link pgliteTemplate}). */
  /** `templateDir`: a migrated data folder to copy into a new, empty one (src/db/template.ts). */
  | { kind: 'pglite', dataDir: string, template?: Blob, templateDir?: string }
  | { kind: 'memory', template?: Blob }

const INT8_OID = 20

/** pg returns int8 (count(*), sums) as strings and PGlite as numbers: make both numbers. */
function parseInt8 (value: string): number {
  const n = Number(value)
  if (!Number.isSafeInteger(n)) throw new AppError('DATABASE_UNAVAILABLE', `int8 value ${value} is beyond the safe integer range`)
  return n
}

/** The URL with any password replaced, for logs and messages. */
export function redactUrl (url: string): string {
  try {
    const u = new URL(url)
    if (u.password !== '') u.password = '***'
    return u.toString()
  } catch {
    return '(unparseable database URL)'
  }
}

/** Closing twice is harmless: the second call waits for the first. */
function once (fn: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined
  return () => (done ??= fn())
}

/** Opens the database; throws DATABASE_LOCKED or DATABASE_UNAVAILABLE with a reason. */
/** Whether the lock owner named in `file` is a process of this machine that no longer runs. */
function ownerDead (file: string): boolean {
  let owner: string[]
  try {
    owner = readFileSync(file, 'utf8').trim().split(' ')
  } catch {
    return false
  }
  const pid = Number(owner[0])
  if (!Number.isInteger(pid) || pid <= 0 || owner[1] !== hostname() || pid === process.pid) return false
  try {
    process.kill(pid, 0)
    return false
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH'
  }
}

export async function createDb (target: DbTarget): Promise<Db> {
  if (target.kind === 'postgres') {
    // Loaded only for PostgreSQL: an embedded node's commands start faster without it.
    const { default: pg } = await import('pg')
    const pool = new pg.Pool({
      connectionString: target.url,
      max: 10,
      connectionTimeoutMillis: 10_000,
      types: { getTypeParser: ((oid: number, format?: 'text' | 'binary') => oid === INT8_OID ? parseInt8 : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser },
    })
    // An idle client losing its connection (server restart) must not crash the node.
    pool.on('error', () => {})
    // The pool's own server processes: their commits are counted as they happen, not when notified.
    const own = new Set<number>()
    pool.on('connect', client => { const pid = (client as unknown as { processID?: number }).processID; if (pid !== undefined) own.add(pid) })
    pool.on('remove', client => { const pid = (client as unknown as { processID?: number }).processID; if (pid !== undefined) own.delete(pid) })
    const changes = changeCounter({ local: false, url: target.url, own: pid => own.has(pid) })
    const db = new Kysely<Database>({ dialect: trackChanges(new PostgresDialect({ pool }), changes.bump) })
    try {
      await sql`select 1`.execute(db)
    } catch (err) {
      await db.destroy()
      throw new AppError('DATABASE_UNAVAILABLE', `cannot connect to ${redactUrl(target.url)}: ${(err as Error).message}`)
    }
    return {
      db,
      engine: 'postgres',
      location: redactUrl(target.url),
      changes,
      close: once(async () => {
        await changes.close()
        await db.destroy()
      }),
    }
  }

  let release: (() => Promise<void>) | undefined
  let dataDir: string | undefined
  if (target.kind === 'pglite') {
    dataDir = target.dataDir
    mkdirSync(dataDir, { recursive: true, mode: 0o700 })
    const lockOptions = {
      lockfilePath: `${dataDir}.lock`,
      // Generous: opening PGlite can block the event loop for seconds on a loaded machine,
      // and a lock whose refresh is late must not be taken over by a second process.
      stale: 60_000,
      update: 10_000,
      retries: 0,
      realpath: false,
      onCompromised: () => {},
    }
    const ownerFile = `${dataDir}.lock.pid`
    try {
      try {
        release = await lockfile.lock(dataDir, lockOptions)
      } catch (err) {
        // A lock left by a process that died (killed, crashed) on this machine is taken over
        // at once instead of after the stale period.
        if ((err as NodeJS.ErrnoException).code !== 'ELOCKED' || !ownerDead(ownerFile)) throw err
        rmSync(`${dataDir}.lock`, { recursive: true, force: true })
        release = await lockfile.lock(dataDir, lockOptions)
      }
      writeFileSync(ownerFile, `${process.pid} ${hostname()}\n`)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ELOCKED') {
        throw new AppError('DATABASE_LOCKED', `the database in ${dataDir} is in use by another dcimx process`)
      }
      throw new AppError('DATABASE_UNAVAILABLE', `cannot lock ${dataDir}: ${(err as Error).message}`)
    }
  }
  let pglite: PGlite
  try {
    const empty = target.kind === 'pglite' && readdirSync(target.dataDir).length === 0
    const template = target.kind === 'memory' ? target.template : empty ? target.template : undefined
    // A dump (Blob) is loaded by PGlite itself; a template folder is copied in before opening.
    if (empty && template === undefined && target.kind === 'pglite' && target.templateDir !== undefined) copyTemplate(target.templateDir, target.dataDir)
    pglite = await PGlite.create({ ...(dataDir === undefined ? {} : { dataDir }), ...(template === undefined ? {} : { loadDataDir: template }) })
  } catch (err) {
    await release?.()
    throw new AppError('DATABASE_UNAVAILABLE', `cannot open the embedded database${dataDir === undefined ? '' : ` in ${dataDir}`}: ${(err as Error).message}`)
  }
  // Locked to this process: every write is one this process makes, so the counter is exact.
  const changes = changeCounter({ local: true })
  const db = new Kysely<Database>({ dialect: trackChanges(new PGliteDialect(pglite), changes.bump) })
  return {
    db,
    engine: 'pglite',
    location: dataDir ?? 'memory',
    changes,
    close: once(async () => {
      await db.destroy()
      if (!pglite.closed) await pglite.close()
      await release?.()
    }),
  }
}

/**
 * A dump of an empty embedded database with every migration applied: creating many node homes
 * from it (the demo) skips initialising and migrating each one, which takes seconds apiece.
 */
export async function pgliteTemplate (migrate: (db: Kysely<Database>) => Promise<unknown>): Promise<Blob> {
  const pglite = await PGlite.create()
  const db = new Kysely<Database>({ dialect: new PGliteDialect(pglite) })
  try {
    await migrate(db)
    return await pglite.dumpDataDir('none')
  } finally {
    await db.destroy()
    if (!pglite.closed) await pglite.close()
  }
}
