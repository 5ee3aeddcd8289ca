// Node homes for tests: a temporary folder per node, with a fresh database of its own.
import { mkdtempSync, rmSync, statfsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Test } from 'tap'
import { fixedClock, type Clock } from '../../src/clock.js'
import { initHome, type InitResult } from '../../src/node/home.js'
import { freshDatabaseUrl, pgTemplateDir } from './db.js'

/** 2026-11-25T12:00:00Z, the tests' default "now". */
export const TEST_NOW = Date.UTC(2026, 10, 25, 12, 0, 0)
export const testClock: Clock = fixedClock(TEST_NOW)

const TMPFS_MAGIC = 0x01021994

/**
 * Where test folders go: /dev/shm when it is a RAM disk with a gigabyte free, else the OS's
 * temporary folder. A node home holds an embedded database of ~1100 files that PGlite fsyncs as
 * it writes; on a disk (ext4 mounted with discard on the project's machines) copying, syncing and
 * removing them made up much of the wall time of the multi-node tests.
 */
const TEMP_ROOT = ((): string => {
  try {
    const fs = statfsSync('/dev/shm')
    if (fs.type === TMPFS_MAGIC && fs.bavail * fs.bsize >= 2 ** 30) return '/dev/shm'
  } catch {}
  return tmpdir()
})()

/** A temporary folder removed when `t` ends. */
export function tempDir (t: Test, prefix = 'dcimx-'): string {
  const dir = mkdtempSync(join(TEMP_ROOT, prefix))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** A new node home for `country`, on its own fresh database. */
export async function makeHome (t: Test, country: string, options: { port?: number } = {}): Promise<InitResult & { databaseUrl: string | undefined }> {
  const databaseUrl = await freshDatabaseUrl(t)
  const home = join(tempDir(t), country.toLowerCase())
  // Embedded databases are copied from one migrated template folder per run, as `dcimx init`
  // copies the build's (dist/db-template).
  const r = await initHome({ home, country, port: options.port ?? 0, databaseUrl, clock: testClock, templateDir: databaseUrl === undefined ? await pgTemplateDir() : undefined })
  return { ...r, databaseUrl }
}
