/**
 * The node's signing keys on disk: one private JWK per file in HOME/keys, readable by the
 * owner only. A key file that group or others can read is refused rather than used.
 */
import { randomBytes } from 'node:crypto'
import { chmodSync, existsSync, linkSync, mkdirSync, readdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { AppError } from '../errors.js'
import { exportPrivateJwk, importPrivateJwk, type SigningKey } from '../protocol/keys.js'

export const KEYS_DIR = 'keys'

export function keyFile (home: string, kid: string): string {
  return join(home, KEYS_DIR, `${kid}.jwk`)
}

/** Writes a private key file with mode 0600 (in a 0700 folder). */
export function writeKeyFile (home: string, key: SigningKey): string {
  const dir = join(home, KEYS_DIR)
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  const file = keyFile(home, key.kid)
  writeFileSync(file, JSON.stringify(exportPrivateJwk(key)) + '\n', { mode: 0o600, flag: 'wx' })
  chmodSync(file, 0o600)
  return file
}

/**
 * Reads a file that must be readable by its owner only (keys, secrets): KEY_FILE_INVALID when
 * it cannot be read ("cannot read <what>"), KEY_FILE_INSECURE when group or others may read it.
 */
export function readOwnerOnlyFile (file: string, what: { reading: string, insecure: string }): string {
  let mode: number
  let text: string
  try {
    mode = statSync(file).mode
    text = readFileSync(file, 'utf8')
  } catch (err) {
    throw new AppError('KEY_FILE_INVALID', `${file}: cannot read ${what.reading} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`)
  }
  if ((mode & 0o077) !== 0) {
    throw new AppError('KEY_FILE_INSECURE', `${file}: ${what.insecure} is readable by group or others (mode ${(mode & 0o777).toString(8)}); run chmod 600 on it`)
  }
  return text
}

/**
 * A node secret in HOME/keys (at least 32 bytes, base64url), created with 32 random bytes and
 * mode 0600 on first use. It is written aside and linked into place, so a process starting at
 * the same time reads either no file or the whole one, and the first link wins.
 */
export function ownerOnlySecret (home: string, name: string, reading: string): Buffer {
  const dir = join(home, KEYS_DIR)
  const file = join(dir, name)
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`
    writeFileSync(tmp, randomBytes(32).toString('base64url') + '\n', { mode: 0o600, flag: 'wx' })
    try {
      linkSync(tmp, file)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    } finally {
      unlinkSync(tmp)
    }
  }
  const secret = Buffer.from(readOwnerOnlyFile(file, { reading, insecure: 'secret' }).trim(), 'base64url')
  if (secret.byteLength < 32) throw new AppError('KEY_FILE_INVALID', `${file}: the secret must be at least 32 bytes`)
  return secret
}

/** Reads one key file, refusing it when others can read it or it is not a valid key. */
export function readKeyFile (file: string): SigningKey {
  const text = readOwnerOnlyFile(file, { reading: 'key file', insecure: 'key file' })
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    throw new AppError('KEY_FILE_INVALID', `${file}: not a JSON key file`)
  }
  return importPrivateJwk(json, file)
}

/** All keys in HOME/keys, sorted by kid; the active one is chosen by the configuration. */
export function readKeyStore (home: string): SigningKey[] {
  const dir = join(home, KEYS_DIR)
  let names: string[]
  try {
    names = readdirSync(dir).filter(n => n.endsWith('.jwk')).sort()
  } catch (err) {
    throw new AppError('KEY_FILE_INVALID', `${dir}: cannot read the key folder (${(err as NodeJS.ErrnoException).code ?? 'error'})`)
  }
  return names.map(n => readKeyFile(join(dir, n)))
}
