/** `dcimx migrate`: brings the node's database to the latest schema. */
import { loadConfig } from '../../config.js'
import { createDb, type Db } from '../../db/create-db.js'
import { migrateToLatest } from '../../db/migrate.js'
import { dbTarget } from '../../node/home.js'
import { line, pathFor, type CliIo } from '../io.js'

export async function migrateCommand (args: { home: string }, io: CliIo): Promise<number> {
  // Inside a serving node (its admin channel) the database is open already, and was migrated
  // when the node started.
  const attached = io.attached?.db
  const db: Db = attached ?? await createDb(dbTarget(loadConfig(pathFor(io, args.home), io.env)))
  try {
    const r = await migrateToLatest(db.db)
    line(io.stdout, r.applied.length === 0
      ? `database (${db.engine}) is up to date at ${r.latest ?? 'no migrations'}`
      : `applied ${r.applied.length} migration(s) on ${db.engine}: ${r.applied.join(', ')}`)
    return 0
  } finally {
    if (attached === undefined) await db.close()
  }
}
