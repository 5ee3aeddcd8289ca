/**
 * The embedded database template: an empty PGlite data folder with every migration applied,
 * kept beside the compiled code (dist/db-template, written by `npm run build`). `dcimx init`
 * copies it into the new home and opens it, instead of creating a database (initdb, 2-3 s) and
 * migrating it (2-3 s more). It is used only when its key matches: the PGlite version and
 * the migrations the running code would apply, by name and content, so a template made by
 * other code (another PGlite, an edited or added migration, the sources run over an older
 * build) is never used; init then creates the database as before.
 */
import { createHash } from 'node:crypto'
import { cpSync, existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { PGlite } from '@electric-sql/pglite'
import { Kysely } from 'kysely'
import { PGliteDialect } from 'kysely-pglite-dialect'
import { packageRoot } from '../package-root.js'
import { MIGRATIONS_DIR, migrateToLatest } from './migrate.js'

const KEY_FILE = 'dcimx-template-key'

/** Where the build keeps the template: dist/db-template under the package root. */
export function defaultTemplateDir (): string {
  return join(packageRoot(import.meta.url) ?? fileURLToPath(new URL('../../..', import.meta.url)), 'dist', 'db-template')
}

/** The PGlite version installed (a data folder does not open under another PostgreSQL build). */
export function pgliteVersion (): string {
  let dir = dirname(fileURLToPath(import.meta.resolve('@electric-sql/pglite')))
  for (;;) {
    const manifest = join(dir, 'package.json')
    if (existsSync(manifest)) {
      const m = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string, version?: string }
      if (m.name === '@electric-sql/pglite' && m.version !== undefined) return m.version
    }
    const up = dirname(dir)
    if (up === dir) throw new Error('cannot find the version of @electric-sql/pglite')
    dir = up
  }
}

/** What a template must have been made with: the PGlite version and the migrations, by content. */
export function templateKey (migrationsDir = MIGRATIONS_DIR): string {
  const h = createHash('sha256').update(`pglite ${pgliteVersion()}\n`)
  const files = readdirSync(migrationsDir).filter(f => /\.(ts|js)$/.test(f) && !f.endsWith('.d.ts')).sort()
  for (const f of files) h.update(f).update('\0').update(readFileSync(join(migrationsDir, f))).update('\0')
  return h.digest('hex')
}

/** The template folder when it exists and matches the running code, else undefined. */
export function usableTemplate (dir = defaultTemplateDir()): string | undefined {
  try {
    return readFileSync(join(dir, KEY_FILE), 'utf8').trim() === templateKey() ? dir : undefined
  } catch {
    return undefined
  }
}

/** Makes the template in `dir` (replacing any), written to a side folder first and renamed. */
export async function buildTemplate (dir = defaultTemplateDir()): Promise<void> {
  const building = `${dir}.building-${process.pid}`
  rmSync(building, { recursive: true, force: true })
  const pglite = await PGlite.create({ dataDir: building })
  const db = new Kysely<any>({ dialect: new PGliteDialect(pglite) })
  try {
    await migrateToLatest(db)
  } finally {
    await db.destroy()
    if (!pglite.closed) await pglite.close()
  }
  writeFileSync(join(building, KEY_FILE), templateKey() + '\n')
  rmSync(dir, { recursive: true, force: true })
  renameSync(building, dir)
}

/** Copies the template's data into the (empty) folder `dataDir`. */
export function copyTemplate (templateDir: string, dataDir: string): void {
  cpSync(templateDir, dataDir, { recursive: true, filter: src => !src.endsWith(KEY_FILE) })
}
