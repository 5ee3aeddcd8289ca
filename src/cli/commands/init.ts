/** `dcimx init`: creates a node home. */
import { usableTemplate } from '../../db/template.js'
import { initHome } from '../../node/home.js'
import { keyFile } from '../../node/key-store.js'
import { line, pathFor, type CliIo } from '../io.js'

export interface InitArgs {
  home: string
  country: string
  name?: string
  url?: string
  host?: string
  port?: number
  databaseUrl?: string
}

export async function initCommand (args: InitArgs, io: CliIo): Promise<number> {
  // DCIMX_DB_TEMPLATE names a migrated template folder other than the build's (dist/db-template),
  // used only when its key matches this code; otherwise the database is created and migrated.
  const given = io.env.DCIMX_DB_TEMPLATE
  const templateDir = given === undefined || given === '' ? undefined : usableTemplate(given) ?? null
  const r = await initHome({ ...args, home: pathFor(io, args.home), databaseUrl: args.databaseUrl ?? io.env.DATABASE_URL, clock: io.clock, templateDir })
  line(io.stdout, `created node ${r.config.node.id} (${r.config.node.name}) in ${r.home}`)
  line(io.stdout, `  signing key  ${r.kid} (${keyFile(r.home, r.kid)}, owner-only)`)
  line(io.stdout, `  database     ${r.config.database.url === null ? 'embedded, in ' + r.home + '/db' : 'PostgreSQL'}`)
  line(io.stdout, `  public URL   ${r.config.url}`)
  line(io.stdout, `start it with: dcimx serve --home ${r.home}`)
  return 0
}
