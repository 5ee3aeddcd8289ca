/** Applies the migrations in migrations/ (kysely Migrator); the same files on both engines. */
import { promises as fs } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { FileMigrationProvider, Migrator, type Kysely, type MigrationResultSet } from 'kysely'
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
