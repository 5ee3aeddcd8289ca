/** `dcimx init`: creates a node home. */
import { initHome } from '../../node/home.js'
import { keyFile } from '../../node/key-store.js'
import { line, type CliIo } from '../io.js'

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
  const r = await initHome({ ...args, databaseUrl: args.databaseUrl ?? io.env.DATABASE_URL, clock: io.clock })
  line(io.stdout, `created node ${r.config.node.id} (${r.config.node.name}) in ${r.home}`)
  line(io.stdout, `  signing key  ${r.kid} (${keyFile(r.home, r.kid)}, owner-only)`)
  line(io.stdout, `  database     ${r.config.database.url === null ? 'embedded, in ' + r.home + '/db' : 'PostgreSQL'}`)
  line(io.stdout, `  public URL   ${r.config.url}`)
  line(io.stdout, `start it with: dcimx serve --home ${r.home}`)
  return 0
}
