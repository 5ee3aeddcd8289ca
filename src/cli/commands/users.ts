/** `dcimx user add|remove|disable|enable|list` and `dcimx login`: the node's human users, for operators. */
import { AppError } from '../../errors.js'
import { buildApp } from '../../http/build-app.js'
import { createLogger } from '../../logger.js'
import { addUser, generatePassword, listUsers, removeUser, setUserDisabled } from '../../users/users.js'
import { line, type CliIo } from '../io.js'
import { withNode } from '../with-node.js'

/** Longest standard input read for a password (bytes). */
const MAX_STDIN = 8192

/** The password on standard input: one line, its line ending removed. */
export async function readPasswordFromStdin (io: CliIo): Promise<string> {
  if (io.stdin === undefined) throw new AppError('USAGE', '--password-stdin: there is no standard input to read the password from')
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of io.stdin) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk)
    size += b.byteLength
    if (size > MAX_STDIN) throw new AppError('USAGE', `--password-stdin: standard input holds more than ${MAX_STDIN} bytes; give the password alone on one line`)
    chunks.push(b)
  }
  const password = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '')
  if (password === '') throw new AppError('USAGE', '--password-stdin: standard input is empty; give the password on one line')
  if (/[\r\n]/.test(password)) throw new AppError('USAGE', '--password-stdin: give the password alone on one line')
  return password
}

export async function userAddCommand (args: { name: string, role: string, home: string, passwordStdin?: boolean }, io: CliIo): Promise<number> {
  const generated = args.passwordStdin !== true
  const password = generated ? generatePassword() : await readPasswordFromStdin(io)
  return await withNode(args.home, io, async node => {
    const user = await addUser(node.db.db, io.clock, { name: args.name, role: args.role, password })
    line(io.stdout, `user ${user.name} added with role ${user.role}`)
    if (generated) line(io.stdout, `password for ${user.name} (shown once): ${password}`)
    return 0
  })
}

export async function userRemoveCommand (args: { name: string, home: string }, io: CliIo): Promise<number> {
  return await withNode(args.home, io, async node => {
    const user = await removeUser(node.db.db, io.clock, args.name)
    line(io.stdout, `user ${user.name} (${user.role}) removed; tokens issued to ${user.name} are refused from now on`)
    return 0
  })
}

export async function userDisableCommand (args: { name: string, home: string, enable?: boolean }, io: CliIo): Promise<number> {
  return await withNode(args.home, io, async node => {
    const disable = args.enable !== true
    const { user, changed } = await setUserDisabled(node.db.db, io.clock, args.name, disable)
    if (!changed) line(io.stdout, `user ${user.name} (${user.role}) is already ${disable ? 'disabled' : 'enabled'}`)
    else if (disable) line(io.stdout, `user ${user.name} (${user.role}) disabled: no login, and tokens issued to ${user.name} are refused from now on`)
    else line(io.stdout, `user ${user.name} (${user.role}) enabled: may log in again`)
    return 0
  })
}

export async function userListCommand (args: { home: string, json?: boolean }, io: CliIo): Promise<number> {
  return await withNode(args.home, io, async node => {
    const users = await listUsers(node.db.db)
    if (args.json === true) {
      line(io.stdout, JSON.stringify(users.map(u => ({ name: u.name, role: u.role, created_at: u.createdAt, disabled_at: u.disabledAt })), null, 2))
    } else {
      const width = Math.max(4, ...users.map(u => u.name.length))
      for (const u of users) line(io.stdout, `${u.name.padEnd(width)}  ${u.role.padEnd(8)}  added ${u.createdAt}${u.disabledAt === null ? '' : `, disabled ${u.disabledAt}`}`)
      line(io.stdout, `${users.length} user(s)`)
    }
    return 0
  })
}

/**
 * Logs in exactly as POST /v1/login does (same checks, same audit entry, same token), in this
 * process, and prints the token alone on stdout.
 */
export async function loginCommand (args: { name: string, home: string, passwordStdin?: boolean }, io: CliIo): Promise<number> {
  if (args.passwordStdin !== true) throw new AppError('USAGE', 'dcimx login reads the password from standard input: add --password-stdin')
  const password = await readPasswordFromStdin(io)
  return await withNode(args.home, io, async node => {
    const app = await buildApp({ ...node, clock: io.clock, logger: createLogger({ level: 'silent' }) })
    try {
      const res = await app.inject({ method: 'POST', url: '/v1/login', payload: { user: args.name, password } })
      const body = res.json() as { token?: string, message?: string }
      if (res.statusCode !== 200 || body.token === undefined) throw new AppError('LOGIN_FAILED', body.message ?? `login failed (HTTP ${res.statusCode})`)
      line(io.stdout, body.token)
      return 0
    } finally {
      await app.close()
    }
  })
}
