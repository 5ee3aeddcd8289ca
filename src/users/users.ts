/**
 * The node's human users: an operator, a legal officer, a liaison officer, an auditor. Each has
 * one role; the role decides which HTTP routes the user may call (ROUTE_ROLES). Passwords are
 * kept only as scrypt hashes, `scrypt$N$r$p$salt$hash` with salt and hash in base64url.
 *
 * Every change is audited in the same transaction: `user_added`, `user_removed`; every login
 * attempt too: `login`, `login_refused` (with why, for the auditor; the caller only learns that
 * it failed).
 */
import { createHash, randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto'
import type { Kysely } from 'kysely'
import { appendAudit } from '../audit/log.js'
import type { Clock } from '../clock.js'
import type { Database } from '../db/types.js'
import { AppError } from '../errors.js'

export const ROLES = ['operator', 'legal', 'liaison', 'auditor'] as const
export type Role = typeof ROLES[number]

/**
 * Who may call which HTTP route, in one place: the routes, the tests and the operator guide
 * read this table. `GET /v1/regional/*` covers every route under /v1/regional.
 */
export const ROUTE_ROLES = {
  'GET /v1/me': ROLES,
  'GET /v1/status': ['operator', 'auditor'],
  'POST /v1/alerts/ack': ['operator'],
  'GET /v1/audit': ['auditor', 'operator'],
  'GET /v1/audit/verify': ['auditor', 'operator'],
  'GET /v1/policy/matrix': ['legal', 'operator'],
  'GET /v1/policy/agreements': ['legal', 'operator'],
  'GET /v1/policy/diff': ['legal', 'operator'],
  'GET /v1/policy/preview': ['legal', 'operator'],
  'GET /v1/policy/lint': ['legal', 'operator'],
  'GET /v1/users': ['operator'],
  'POST /v1/users': ['operator'],
  'POST /v1/users/*': ['operator'],
  'GET /v1/regional/*': ['liaison', 'operator'],
  'POST /v1/import/*': ['operator'],
} as const satisfies Record<string, readonly Role[]>

export type GuardedRoute = keyof typeof ROUTE_ROLES

/** The guarded routes `role` may call, in ROUTE_ROLES order (what GET /v1/me tells the console). */
export function routesOf (role: Role): GuardedRoute[] {
  return (Object.keys(ROUTE_ROLES) as GuardedRoute[]).filter(r => (ROUTE_ROLES[r] as readonly Role[]).includes(role))
}

export const USER_NAME_PATTERN = /^[a-z][a-z0-9._-]{1,31}$/
export const MIN_PASSWORD_LENGTH = 12
/** Longer passwords are refused (and never hashed): no unbounded work per login. */
export const MAX_PASSWORD_LENGTH = 1024

/** scrypt cost: N=2^15, r=8, p=1 (32 MiB, tens of milliseconds), a 16-byte salt, a 32-byte hash. */
export const SCRYPT = { N: 32768, r: 8, p: 1, saltBytes: 16, keyBytes: 32 } as const

export interface User {
  name: string
  role: Role
  /** ISO 8601. */
  createdAt: string
  /** ISO 8601, or null while the user may log in. */
  disabledAt: string | null
}

/** A user whose password was checked. `version` changes whenever the user is added again. */
export interface VerifiedUser {
  name: string
  role: Role
  version: string
}

function isRole (value: unknown): value is Role {
  return (ROLES as readonly unknown[]).includes(value)
}

function scrypt (password: string, salt: Buffer, keyBytes: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scryptCallback(password.normalize('NFC'), salt, keyBytes, options, (err, key) => { if (err === null) resolve(key); else reject(err) })
  })
}

function memoryFor (N: number, r: number): number {
  return 128 * N * r * 2
}

/** Hashes a password with a fresh random salt: `scrypt$N$r$p$salt$hash`. */
export async function hashPassword (password: string): Promise<string> {
  const { N, r, p, saltBytes, keyBytes } = SCRYPT
  const salt = randomBytes(saltBytes)
  const key = await scrypt(password, salt, keyBytes, { N, r, p, maxmem: memoryFor(N, r) })
  return `scrypt$${N}$${r}$${p}$${salt.toString('base64url')}$${key.toString('base64url')}`
}

interface ParsedHash { N: number, r: number, p: number, salt: Buffer, key: Buffer }

/** Parses a stored hash; undefined when it is not one this node would write (nothing is then accepted). */
function parseHash (encoded: string): ParsedHash | undefined {
  const m = /^scrypt\$(\d{1,7})\$(\d{1,2})\$(\d{1,2})\$([A-Za-z0-9_-]{16,64})\$([A-Za-z0-9_-]{22,128})$/.exec(encoded)
  if (m === null) return undefined
  const [N, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])]
  // Bounded, so that an altered row cannot make a login cost minutes or gigabytes.
  if (N < 1024 || N > 1048576 || (N & (N - 1)) !== 0 || r < 1 || r > 16 || p < 1 || p > 4) return undefined
  return { N, r, p, salt: Buffer.from(m[4]!, 'base64url'), key: Buffer.from(m[5]!, 'base64url') }
}

/**
 * Used when the user does not exist (or their hash is unreadable): the same scrypt work is done
 * against it, so the time a login takes does not tell whether the name exists.
 */
const DUMMY_HASH: ParsedHash = { N: SCRYPT.N, r: SCRYPT.r, p: SCRYPT.p, salt: Buffer.alloc(SCRYPT.saltBytes), key: Buffer.alloc(SCRYPT.keyBytes) }

/** True when `password` matches the stored hash; compared in constant time. */
export async function checkPassword (encoded: string, password: string): Promise<boolean> {
  const parsed = parseHash(encoded)
  const h = parsed ?? DUMMY_HASH
  const key = await scrypt(password, h.salt, h.key.byteLength, { N: h.N, r: h.r, p: h.p, maxmem: memoryFor(h.N, h.r) })
  return timingSafeEqual(key, h.key) && parsed !== undefined
}

/** A random password for a new user: 20 base64url characters (120 bits). */
export function generatePassword (): string {
  return randomBytes(15).toString('base64url')
}

/** A short fingerprint of the stored hash: tokens carry it, so a user removed and added again starts afresh. */
export function userVersion (passwordHash: string, tokensAfter: Date | null = null): string {
  const basis = tokensAfter === null ? passwordHash : `${passwordHash}|${tokensAfter.toISOString()}`
  return createHash('sha256').update(basis, 'utf8').digest('base64url').slice(0, 16)
}

export function checkUserName (name: string): void {
  if (!USER_NAME_PATTERN.test(name)) {
    throw new AppError('USER_NAME_INVALID', `invalid user name ${JSON.stringify(name.slice(0, 40))}: 2-32 characters, lower-case letters, digits, '.', '_' or '-', starting with a letter`)
  }
}

export function checkRole (role: string): asserts role is Role {
  if (!isRole(role)) throw new AppError('ROLE_INVALID', `invalid role ${JSON.stringify(role.slice(0, 40))}: one of ${ROLES.join(', ')}`)
}

export function checkPasswordStrength (password: string): void {
  const length = [...password].length
  if (length < MIN_PASSWORD_LENGTH) throw new AppError('PASSWORD_WEAK', `password too short: at least ${MIN_PASSWORD_LENGTH} characters (got ${length})`)
  if (password.length > MAX_PASSWORD_LENGTH) throw new AppError('PASSWORD_WEAK', `password too long: at most ${MAX_PASSWORD_LENGTH} characters`)
  if (password.trim() !== password) throw new AppError('PASSWORD_WEAK', 'password must not begin or end with white space')
}

function toUser (row: { name: string, role: string, created_at: Date, disabled_at: Date | null }): User {
  return { name: row.name, role: row.role as Role, createdAt: new Date(row.created_at).toISOString(), disabledAt: row.disabled_at === null ? null : new Date(row.disabled_at).toISOString() }
}

/**
 * Adds a user. Throws USER_NAME_INVALID, ROLE_INVALID, PASSWORD_WEAK or USER_EXISTS. `by`: the
 * user who did it (over HTTP), recorded in the audit entry; the password never is.
 */
export async function addUser (db: Kysely<Database>, clock: Clock, user: { name: string, role: string, password: string }, by?: string): Promise<User> {
  checkUserName(user.name)
  checkRole(user.role)
  checkPasswordStrength(user.password)
  const role = user.role
  const passwordHash = await hashPassword(user.password)
  const createdAt = new Date(clock.now())
  return await db.transaction().execute(async trx => {
    const inserted = await trx.insertInto('app_user')
      .values({ name: user.name, role, password_hash: passwordHash, created_at: createdAt, disabled_at: null })
      .onConflict(oc => oc.column('name').doNothing())
      .returning(['name', 'role', 'created_at', 'disabled_at'])
      .executeTakeFirst()
    if (inserted === undefined) throw new AppError('USER_EXISTS', `user ${user.name} already exists; remove it first to add it again`)
    await appendAudit(trx, { at: createdAt, event: 'user_added', actor: user.name, detail: by === undefined ? { role } : { role, by } })
    return toUser(inserted)
  })
}

/**
 * Removes a user: they can no longer log in, and every token issued to them is refused from
 * now on (also after the name is added again). Throws USER_UNKNOWN.
 */
export async function removeUser (db: Kysely<Database>, clock: Clock, name: string): Promise<User> {
  return await db.transaction().execute(async trx => {
    const removed = await trx.deleteFrom('app_user').where('name', '=', name).returning(['name', 'role', 'created_at', 'disabled_at']).executeTakeFirst()
    if (removed === undefined) throw new AppError('USER_UNKNOWN', `no user ${JSON.stringify(name.slice(0, 40))}; dcimx user list shows the users`)
    await appendAudit(trx, { at: new Date(clock.now()), event: 'user_removed', actor: name, detail: { role: removed.role } })
    return toUser(removed)
  })
}

/**
 * Disables a user (`disabled: true`): no login, and every token issued before is refused from
 * now on, also after the user is enabled again (the user's version changes); or enables a
 * disabled user, who may log in again. Audited; a no-op when the user is already so. Throws
 * USER_UNKNOWN. `by`: the user who does it (over HTTP), recorded in the audit entry; a user
 * may not disable themself (USER_IS_SELF): that would end their session, and the last operator
 * would lock every operator out of the node's API (whoever holds the node's home folder can
 * still use dcimx user).
 */
export async function setUserDisabled (db: Kysely<Database>, clock: Clock, name: string, disabled: boolean, by?: string): Promise<{ user: User, changed: boolean }> {
  if (disabled && by === name) throw new AppError('USER_IS_SELF', `${name} cannot disable their own account; another operator can, or dcimx user disable on the node`)
  return await db.transaction().execute(async trx => {
    const row = await trx.selectFrom('app_user').select(['name', 'role', 'created_at', 'disabled_at']).where('name', '=', name).forUpdate().executeTakeFirst()
    if (row === undefined) throw new AppError('USER_UNKNOWN', `no user ${JSON.stringify(name.slice(0, 40))}; dcimx user list shows the users`)
    if ((row.disabled_at !== null) === disabled) return { user: toUser(row), changed: false }
    const at = new Date(clock.now())
    // Disabling also moves the user's version on: tokens issued before stay refused once enabled.
    const updated = await trx.updateTable('app_user').set(disabled ? { disabled_at: at, tokens_after: at } : { disabled_at: null }).where('name', '=', name)
      .returning(['name', 'role', 'created_at', 'disabled_at']).executeTakeFirstOrThrow()
    await appendAudit(trx, { at, event: disabled ? 'user_disabled' : 'user_enabled', actor: name, detail: by === undefined ? { role: row.role } : { role: row.role, by } })
    return { user: toUser(updated), changed: true }
  })
}

/** Every user, by name. */
export async function listUsers (db: Kysely<Database>): Promise<User[]> {
  const rows = await db.selectFrom('app_user').select(['name', 'role', 'created_at', 'disabled_at']).orderBy('name').execute()
  return rows.map(toUser)
}

/** The user behind a token, when they still exist, are not disabled, and were not added again since. */
export async function activeUser (db: Kysely<Database>, name: string, version: string): Promise<VerifiedUser | undefined> {
  const row = await db.selectFrom('app_user').select(['name', 'role', 'password_hash', 'tokens_after']).where('name', '=', name).where('disabled_at', 'is', null).executeTakeFirst()
  if (row === undefined || !isRole(row.role) || userVersion(row.password_hash, row.tokens_after) !== version) return undefined
  return { name: row.name, role: row.role, version }
}

/** Why a login was refused; `malformed`: not a possible user name, or a password too long to check. */
export type LoginRefusal = 'unknown_user' | 'disabled' | 'wrong_password' | 'malformed'
type Refusal = LoginRefusal

async function check (db: Kysely<Database>, name: string, password: string): Promise<VerifiedUser | Refusal> {
  const valid = USER_NAME_PATTERN.test(name) && password.length <= MAX_PASSWORD_LENGTH
  const row = valid ? await db.selectFrom('app_user').select(['name', 'role', 'password_hash', 'disabled_at', 'tokens_after']).where('name', '=', name).executeTakeFirst() : undefined
  // The same scrypt work whatever is wrong: an unknown or disabled user is checked against a dummy hash.
  const usable = row !== undefined && row.disabled_at === null && isRole(row.role)
  const matches = await checkPassword(usable ? row.password_hash : '', valid ? password : '')
  if (!valid) return 'malformed'
  if (row === undefined) return 'unknown_user'
  if (!usable) return 'disabled'
  if (!matches) return 'wrong_password'
  return { name: row.name, role: row.role as Role, version: userVersion(row.password_hash, row.tokens_after) }
}

/**
 * Checks a user's password: the user when it matches and the user may log in, else null. Takes
 * the same time whether the user exists or not.
 */
export async function verifyPassword (db: Kysely<Database>, name: string, password: string): Promise<VerifiedUser | null> {
  const r = await check(db, name, password)
  return typeof r === 'string' ? null : r
}

export const LOGIN_FAILED_MESSAGE = 'login failed: unknown user, wrong password or user disabled'

/**
 * A login attempt, audited either way (`login` or `login_refused` with the reason). Throws
 * LOGIN_FAILED with one message whatever was wrong. With `countAnonymous` (the HTTP route), a
 * refusal that concerns no user of the node (`unknown_user`, `malformed`) is handed to it to be
 * counted instead of chained (src/audit/refusal-counter.ts): anybody can send those, as many
 * as they like. Refusals for an existing user (`wrong_password`, `disabled`) are always chained.
 */
export async function login (db: Kysely<Database>, clock: Clock, credentials: { name: string, password: string }, options: { countAnonymous?: (reason: LoginRefusal) => Promise<void> } = {}): Promise<VerifiedUser> {
  const r = await check(db, credentials.name, credentials.password)
  const at = new Date(clock.now())
  if (typeof r === 'string') {
    if ((r === 'unknown_user' || r === 'malformed') && options.countAnonymous !== undefined) {
      await options.countAnonymous(r)
    } else {
      // A name that is not a valid user name is not recorded: it may be a password typed in the wrong field.
      await appendAudit(db, { at, event: 'login_refused', actor: r === 'malformed' ? 'unauthenticated' : credentials.name, detail: { reason: r } })
    }
    throw new AppError('LOGIN_FAILED', LOGIN_FAILED_MESSAGE)
  }
  await appendAudit(db, { at, event: 'login', actor: r.name, detail: { role: r.role } })
  return r
}
