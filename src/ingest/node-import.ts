/**
 * What an import at this node runs with, the same for `dcimx import` and POST /v1/import:
 * the node's record keyer and its crosswalk (HOME/crosswalk.yaml unless another file is named).
 * A liaison node holds no national records and imports nothing.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { Kysely } from 'kysely'
import type { Clock } from '../clock.js'
import type { NodeConfig } from '../config.js'
import type { Database } from '../db/types.js'
import { AppError } from '../errors.js'
import { EMPTY_CROSSWALK, loadCrosswalk } from './crosswalk.js'
import type { ImportDeps } from './import-file.js'
import { nodeRecordKeyer } from './record-key.js'

/** The node's default crosswalk, used when no other is named and the file exists. */
export const DEFAULT_CROSSWALK = 'crosswalk.yaml'

export async function nodeImportDeps (db: Kysely<Database>, clock: Clock, config: NodeConfig, crosswalkFile?: string): Promise<ImportDeps> {
  if (config.node.kind === 'liaison') {
    throw new AppError('USAGE', `${config.node.id} is a liaison node: it holds no national records of its own`)
  }
  const defaultCrosswalk = join(config.home, DEFAULT_CROSSWALK)
  const file = crosswalkFile ?? (existsSync(defaultCrosswalk) ? defaultCrosswalk : undefined)
  const crosswalk = file === undefined ? EMPTY_CROSSWALK : loadCrosswalk(file)
  return { db, clock, reporter: config.node.id, keyer: await nodeRecordKeyer(db, config.home), crosswalk }
}
