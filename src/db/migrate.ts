/** Applies the migrations in migrations/ (kysely Migrator); the same files on both engines. */
import { promises as fs, readdirSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { FileMigrationProvider, Migrator, sql, type Kysely, type MigrationResultSet } from 'kysely'
import { AppError } from '../errors.js'

/** migrations/ sits at the project root, both from src/db and from dist/src/db. */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations', import.meta.url))

function migrator (db: Kysely<any>): Migrator {
  return new Migrator({ db, provider: new FileMigrationProvider({ fs, path, migrationFolder: MIGRATIONS_DIR }) })
}

export interface MigrationReport {
  applied: string[]
  latest: string | null
}

/**
 * Brings the schema to the latest migration; on both engines kysely runs the pending
 * migrations in one transaction, so a failure leaves the schema as it was. Throws
 * MIGRATION_FAILED naming the migration that failed (kysely's migrateToLatest does not throw).
 */
export async function migrateToLatest (db: Kysely<any>): Promise<MigrationReport> {
  const current = await upToDate(db)
  if (current !== undefined) return { applied: [], latest: current }
  const m = migrator(db)
  const { error, results }: MigrationResultSet = await m.migrateToLatest()
  const failed = results?.find(r => r.status === 'Error')
  if (error !== undefined) {
    const name = failed?.migrationName ?? '(before any migration ran)'
    throw new AppError('MIGRATION_FAILED', `migration ${name} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error })
  }
  const all = await m.getMigrations()
  const executed = all.filter(x => x.executedAt !== undefined)
  return {
    applied: (results ?? []).filter(r => r.status === 'Success').map(r => r.migrationName),
    latest: executed.at(-1)?.name ?? null,
  }
}

/** The migrations in MIGRATIONS_DIR, by name (file name without extension), in order. */
export function migrationNames (): string[] {
  return readdirSync(MIGRATIONS_DIR).filter(f => /\.(ts|js)$/.test(f) && !f.endsWith('.d.ts')).map(f => f.replace(/\.(ts|js)$/, '')).sort()
}

/**
 * The latest migration's name when the database has exactly the migrations of MIGRATIONS_DIR
 * applied, else undefined. One query, where kysely's Migrator takes about ten (introspection,
 * a lock, a transaction) and more than a second on the embedded database: every command that
 * opens a node runs this, so a migrated database opens without the Migrator.
 */
async function upToDate (db: Kysely<any>): Promise<string | null | undefined> {
  let applied: string[]
  try {
    const { rows } = await sql<{ name: string }>`select name from kysely_migration`.execute(db)
    applied = rows.map(r => r.name).sort()
  } catch {
    // No migration table yet (a new database): the Migrator creates it.
    return undefined
  }
  const files = migrationNames()
  if (applied.length !== files.length || applied.some((name, i) => name !== files[i])) return undefined
  return files.at(-1) ?? null
}
