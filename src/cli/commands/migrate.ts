/** `dcimx migrate`: brings the node's database to the latest schema. */
import { loadConfig } from '../../config.js'
import { createDb } from '../../db/create-db.js'
import { migrateToLatest } from '../../db/migrate.js'
import { dbTarget } from '../../node/home.js'
import { line, type CliIo } from '../io.js'

export async function migrateCommand (args: { home: string }, io: CliIo): Promise<number> {
  const config = loadConfig(args.home, io.env)
  const db = await createDb(dbTarget(config))
  try {
    const r = await migrateToLatest(db.db)
    line(io.stdout, r.applied.length === 0
      ? `database (${db.engine}) is up to date at ${r.latest ?? 'no migrations'}`
      : `applied ${r.applied.length} migration(s) on ${db.engine}: ${r.applied.join(', ')}`)
    return 0
  } finally {
    await db.close()
  }
}
