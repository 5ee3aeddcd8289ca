// Node homes for tests: a temporary folder per node, with a fresh database of its own.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Test } from 'tap'
import { fixedClock, type Clock } from '../../src/clock.js'
import { initHome, type InitResult } from '../../src/node/home.js'
import { freshDatabaseUrl, pgTemplate } from './db.js'

/** 2026-11-25T12:00:00Z, the tests' default "now". */
export const TEST_NOW = Date.UTC(2026, 10, 25, 12, 0, 0)
export const testClock: Clock = fixedClock(TEST_NOW)

/** A temporary folder removed when `t` ends. */
export function tempDir (t: Test, prefix = 'dcimx-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** A new node home for `country`, on its own fresh database. */
export async function makeHome (t: Test, country: string, options: { port?: number } = {}): Promise<InitResult & { databaseUrl: string | undefined }> {
  const databaseUrl = await freshDatabaseUrl(t)
  const home = join(tempDir(t), country.toLowerCase())
  // Embedded databases start from one migrated template per test process, as the demo's do.
  const r = await initHome({ home, country, port: options.port ?? 0, databaseUrl, clock: testClock, template: databaseUrl === undefined ? await pgTemplate() : undefined })
  return { ...r, databaseUrl }
}
