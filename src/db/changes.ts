/**
 * Knowing, without a query, that nothing in the database has changed: what lets the regional
 * route and the user check answer from memory and still never serve data or a user that a
 * committed change has replaced.
 *
 * - In this process: the dialect's driver is wrapped ({@link trackChanges}) so that every
 *   committed transaction that wrote something, and every write outside a transaction, bumps a
 *   counter once it has committed. Exact: a change this process made is seen by the very next
 *   request.
 * - Other processes (PostgreSQL only; an embedded database is locked to one process): the
 *   migration 2026-11-25T2300 has the tables that totals and sessions read notify the channel
 *   `dcimx_changed` when a transaction that wrote them commits. {@link Changes.listen} keeps one
 *   connection listening and bumps the counter on each notification from a server process that
 *   is not one of this handle's own connections; it arrives within milliseconds of the commit.
 *
 * `version()` is undefined while changes could be missed (PostgreSQL before `listen()` has
 * connected, or while its connection is lost): callers must then read the database.
 */
import type { CompiledQuery, DatabaseConnection, Dialect, Driver, QueryCompiler, QueryResult, TransactionSettings } from 'kysely'
import { randomUUID } from 'node:crypto'
import type pg from 'pg'

/** The channel the triggers notify (migrations/2026-11-25T2300_change-notify.ts). */
export const CHANGE_CHANNEL = 'dcimx_changed'
/** The listening connection's application_name. */
export const LISTENER_NAME = 'dcimx-change-listener'

export interface Changes {
  /** A number that changes after every committed write, or undefined while one could be missed. */
  version(): number | undefined
  /** Resolves at the next change counted (for tests and tools that wait on one). */
  nextChange(): Promise<void>
  /** Starts following other processes' writes (PostgreSQL); resolves once the first attempt is done. */
  listen(): Promise<void>
  /** Stops listening. */
  close(): Promise<void>
}

/**
 * Statements that do not write: what a raw query starting with one of these does not change
 * (a function called by a select that writes is not seen: this code base calls none).
 */
const READ_ONLY = /^\s*(select|show|begin|start|commit|rollback|savepoint|release|set|values|listen|unlisten)\b/i

function writes (query: CompiledQuery): boolean {
  const node = query.query
  // A select with common table expressions may insert, update or delete in one of them.
  if (node.kind === 'SelectQueryNode') return node.with !== undefined
  if (node.kind === 'RawNode') return !READ_ONLY.test(query.sql)
  return true
}

class TrackedConnection implements DatabaseConnection {
  inTransaction = false
  dirty = false
  constructor (readonly inner: DatabaseConnection, private readonly changed: () => void) {}

  async executeQuery<R> (query: CompiledQuery): Promise<QueryResult<R>> {
    const write = writes(query)
    try {
      return await this.inner.executeQuery<R>(query)
    } finally {
      // A failed statement may still have written (a lost connection after the commit): count it.
      if (write) {
        if (this.inTransaction) this.dirty = true
        else this.changed()
      }
    }
  }

  async * streamQuery<R> (query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    const write = writes(query)
    try {
      yield * this.inner.streamQuery<R>(query, chunkSize)
    } finally {
      // Counted once the statement is done, as executeQuery does.
      if (write) {
        if (this.inTransaction) this.dirty = true
        else this.changed()
      }
    }
  }
}

type SavepointMethod = (connection: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']) => Promise<void>

class TrackedDriver implements Driver {
  private readonly wrapped = new WeakMap<DatabaseConnection, TrackedConnection>()
  // Savepoints exactly as the inner driver has them (the embedded one has none). Rolling back
  // to a savepoint leaves the transaction counted: what came before it is still written.
  savepoint?: SavepointMethod
  rollbackToSavepoint?: SavepointMethod
  releaseSavepoint?: SavepointMethod

  constructor (private readonly inner: Driver, private readonly changed: () => void) {
    for (const method of ['savepoint', 'rollbackToSavepoint', 'releaseSavepoint'] as const) {
      const f = inner[method]?.bind(inner)
      if (f !== undefined) this[method] = async (connection, name, compile) => { await f((connection as TrackedConnection).inner, name, compile) }
    }
  }

  async init (): Promise<void> { await this.inner.init() }

  async acquireConnection (): Promise<DatabaseConnection> {
    const connection = await this.inner.acquireConnection()
    let tracked = this.wrapped.get(connection)
    if (tracked === undefined) {
      tracked = new TrackedConnection(connection, this.changed)
      this.wrapped.set(connection, tracked)
    }
    return tracked
  }

  async beginTransaction (connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    const c = connection as TrackedConnection
    await this.inner.beginTransaction(c.inner, settings)
    c.inTransaction = true
    c.dirty = false
  }

  async commitTransaction (connection: DatabaseConnection): Promise<void> {
    const c = connection as TrackedConnection
    try {
      await this.inner.commitTransaction(c.inner)
    } finally {
      // Counted even when the commit reports a failure: it may have committed all the same.
      const dirty = c.dirty
      c.inTransaction = false
      c.dirty = false
      if (dirty) this.changed()
    }
  }

  async rollbackTransaction (connection: DatabaseConnection): Promise<void> {
    const c = connection as TrackedConnection
    try {
      await this.inner.rollbackTransaction(c.inner)
    } finally {
      c.inTransaction = false
      c.dirty = false
    }
  }

  async releaseConnection (connection: DatabaseConnection): Promise<void> {
    const c = connection as TrackedConnection
    // A connection given back inside a transaction (an error in Kysely's own handling) stays counted.
    if (c.inTransaction && c.dirty) this.changed()
    c.inTransaction = false
    c.dirty = false
    await this.inner.releaseConnection(c.inner)
  }

  async destroy (): Promise<void> { await this.inner.destroy() }
}

/**
 * Wraps a dialect so that `changed` is called after each committed write made through it. The
 * queries themselves are passed through untouched.
 */
export function trackChanges (dialect: Dialect, changed: () => void): Dialect {
  return {
    createAdapter: () => dialect.createAdapter(),
    createDriver: () => new TrackedDriver(dialect.createDriver(), changed),
    createIntrospector: db => dialect.createIntrospector(db),
    createQueryCompiler: () => dialect.createQueryCompiler(),
  }
}

/** Waits between attempts to (re)connect the listener: 0.5 s doubling to 30 s. */
const RETRY_MS = [500, 1000, 2000, 5000, 10_000, 30_000]

/** How often the listening connection is proved alive, and how long its proof may take. */
export const PROBE_EVERY_MS = 30_000
export const PROBE_TIMEOUT_MS = 5_000
const PROBE_PREFIX = 'probe:'

/** Waits for `ms`, or resolves at once when the promise settles first. */
async function within (promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<false>(resolve => { timer = setTimeout(() => { resolve(false) }, ms); timer.unref() })
  try {
    return await Promise.race([promise.then(() => true, () => true), late])
  } finally {
    clearTimeout(timer)
  }
}

/**
 * The change counter of one database handle. `local` is true for an embedded database (this
 * process is the only writer); `url` is the PostgreSQL server to listen on otherwise, and
 * `own(pid)` tells a server process that is one of this handle's own connections, whose
 * commits were counted already.
 */
export function changeCounter (
  target: { local: true } | { local: false, url: string, own: (pid: number) => boolean, probeEveryMs?: number, probeTimeoutMs?: number }
): Changes & { bump: () => void } {
  let counter = 0
  let exact = target.local
  let client: pg.Client | undefined
  let timer: NodeJS.Timeout | undefined
  let closed = false
  let attempt = 0
  let listening: Promise<void> | undefined
  let waiters: Array<() => void> = []
  let heartbeat: NodeJS.Timeout | undefined

  const bump = (): void => {
    counter++
    if (waiters.length > 0) {
      const woken = waiters
      waiters = []
      for (const wake of woken) wake()
    }
  }

  /**
   * Sends a notification through the listening connection and waits for it to come back: it
   * proves that the connection is alive (a connection dropped silently by a firewall raises no
   * error) and that it delivers (a pooler in transaction mode does not).
   */
  async function probe (c: pg.Client): Promise<boolean> {
    if (target.local) return true
    const token = `${PROBE_PREFIX}${randomUUID()}`
    let heard!: () => void
    const back = new Promise<void>(resolve => { heard = resolve })
    const on = (n: pg.Notification): void => { if (n.channel === CHANGE_CHANNEL && n.payload === token) heard() }
    c.on('notification', on)
    try {
      c.query('select pg_notify($1, $2)', [CHANGE_CHANNEL, token]).catch(() => {})
      return await within(back, target.probeTimeoutMs ?? PROBE_TIMEOUT_MS)
    } finally {
      c.off('notification', on)
    }
  }

  async function connect (): Promise<void> {
    if (target.local || closed) return
    // Loaded here, not at the top: an embedded node never loads pg (docs/benchmarks.md, start-up).
    const { default: pgModule } = await import('pg')
    if (closed) return
    // Named, so that operators see it in pg_stat_activity for what it is.
    const c = new pgModule.Client({ connectionString: target.url, connectionTimeoutMillis: 10_000, keepAlive: true, application_name: LISTENER_NAME })
    const lost = (): void => {
      if (client !== c) return
      client = undefined
      exact = false
      clearInterval(heartbeat)
      c.removeAllListeners('notification')
      drop(c)
      retry()
    }
    c.on('error', lost)
    c.on('end', lost)
    c.on('notification', n => { if (n.channel === CHANGE_CHANNEL && n.payload?.startsWith(PROBE_PREFIX) !== true && !target.own(n.processId)) bump() })
    client = c
    try {
      await c.connect()
      await c.query(`LISTEN ${CHANGE_CHANNEL}`)
      if (!await probe(c)) throw new Error('the listening connection does not deliver notifications')
      if (client !== c || closed) return
      attempt = 0
      heartbeat = setInterval(() => {
        probe(c).then(alive => { if (!alive) lost() }, lost)
      }, target.probeEveryMs ?? PROBE_EVERY_MS)
      heartbeat.unref()
      // Whatever was written while nobody listened is unknown: start a new version.
      bump()
      exact = true
    } catch {
      lost()
    }
  }

  /** Ends a client, or destroys its socket when a dead peer keeps `end` from finishing. */
  function drop (c: pg.Client): Promise<void> {
    const socket = (c as unknown as { connection?: { stream?: { destroy: () => void } } }).connection?.stream
    return within(c.end(), 2000).then(ended => { if (!ended) socket?.destroy() })
  }

  function retry (): void {
    if (closed || timer !== undefined) return
    const wait = RETRY_MS[Math.min(attempt++, RETRY_MS.length - 1)]!
    timer = setTimeout(() => { timer = undefined; connect().catch(() => {}) }, wait)
    timer.unref()
  }

  return {
    bump,
    version: () => exact ? counter : undefined,
    nextChange: async () => { await new Promise<void>(resolve => { waiters.push(resolve) }) },
    listen: async () => {
      listening ??= connect()
      await listening
    },
    close: async () => {
      closed = true
      exact = target.local
      if (timer !== undefined) clearTimeout(timer)
      clearInterval(heartbeat)
      const c = client
      client = undefined
      if (c !== undefined) {
        c.removeAllListeners('notification')
        await drop(c)
      }
    },
  }
}
