/**
 * RFC 8785 (JCS) canonical JSON, restricted as the protocol requires: every number is a safe
 * integer. Serialisation is delegated to `canonicalize` (by one of the RFC's authors); this file
 * adds the protocol's restrictions and the bounded, strict parsing of received bytes.
 */
import canonicalize from 'canonicalize'
import { AppError } from '../errors.js'

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json }

/** Largest signed payload a node accepts or produces (bytes). */
export const MAX_PAYLOAD_BYTES = 32 * 1024 * 1024
/** Deepest nesting of arrays and objects accepted in a payload. */
export const MAX_DEPTH = 32

/**
 * Canonical JSON text of `value`. Throws PAYLOAD_NOT_CANONICAL for anything that has no
 * canonical form under the protocol: non-integer or unsafe numbers, lone surrogates,
 * undefined values, cycles.
 */
export function canonicalJson (value: unknown): string {
  assertIntegers(value, '$')
  let text: string | undefined
  try {
    text = canonicalize(value)
  } catch (err) {
    throw new AppError('PAYLOAD_NOT_CANONICAL', `value has no canonical JSON form: ${(err as Error).message}`)
  }
  if (text === undefined) throw new AppError('PAYLOAD_NOT_CANONICAL', 'value has no JSON form')
  return text
}

/** Canonical JSON of `value` as UTF-8 bytes. */
export function canonicalBytes (value: unknown): Buffer {
  return Buffer.from(canonicalJson(value), 'utf8')
}

/** Deepest nesting canonicalJson serialises; deeper values (or cycles) are refused. */
const MAX_SERIALISE_DEPTH = 1000

/** Cheap check without paths; the slow walk below runs only to describe a failure. */
function integersOnly (value: unknown): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]]
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!
    if (typeof v === 'number') {
      if (!Number.isSafeInteger(v)) return false
    } else if (v !== null && typeof v === 'object') {
      if (depth >= MAX_SERIALISE_DEPTH) return false
      for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, depth + 1])
    }
  }
  return true
}

function assertIntegers (value: unknown, path: string): void {
  if (integersOnly(value)) return
  // Iterative walk: hostile input must not be able to overflow the stack.
  const stack: Array<[unknown, string, number]> = [[value, path, 0]]
  while (stack.length > 0) {
    const [v, p, depth] = stack.pop()!
    if (typeof v === 'number') {
      if (!Number.isSafeInteger(v)) {
        throw new AppError('PAYLOAD_NOT_CANONICAL', `${p}: numbers must be safe integers (got ${String(v)})`)
      }
    } else if (v !== null && typeof v === 'object') {
      if (depth >= MAX_SERIALISE_DEPTH) throw new AppError('PAYLOAD_NOT_CANONICAL', `${p}: nested more than ${MAX_SERIALISE_DEPTH} levels deep (or a cycle)`)
      if (Array.isArray(v)) {
        for (let i = v.length - 1; i >= 0; i--) stack.push([v[i], `${p}[${i}]`, depth + 1])
      } else {
        for (const [k, child] of Object.entries(v)) stack.push([child, `${p}.${k}`, depth + 1])
      }
    }
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/**
 * Maximum nesting depth of a JSON text, found by a linear scan that skips string contents.
 * Runs before JSON.parse so that a deeply nested bomb is refused without being parsed.
 */
export function jsonDepth (text: string): number {
  let depth = 0
  let max = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 0x5c) i++ // backslash: skip the escaped character
      else if (c === 0x22) inString = false
    } else if (c === 0x22) {
      inString = true
    } else if (c === 0x5b || c === 0x7b) {
      depth++
      if (depth > max) max = depth
    } else if (c === 0x5d || c === 0x7d) {
      depth--
    }
  }
  return max
}

/**
 * Parses received payload bytes strictly: valid UTF-8, JSON, within size and depth limits,
 * and byte-identical to its own canonical form. Duplicate member names, insignificant
 * whitespace, unsorted members, escaped forms other than JCS's and non-integer numbers all
 * fail the last test.
 */
export function parseCanonical (bytes: Uint8Array): Json {
  if (bytes.byteLength > MAX_PAYLOAD_BYTES) {
    throw new AppError('PAYLOAD_TOO_LARGE', `payload is ${bytes.byteLength} bytes; the limit is ${MAX_PAYLOAD_BYTES}`)
  }
  let text: string
  try {
    text = utf8.decode(bytes)
  } catch {
    throw new AppError('PAYLOAD_INVALID_JSON', 'payload is not valid UTF-8')
  }
  const depth = jsonDepth(text)
  if (depth > MAX_DEPTH) {
    throw new AppError('PAYLOAD_TOO_LARGE', `payload nests ${depth} levels deep; the limit is ${MAX_DEPTH}`)
  }
  let value: Json
  try {
    value = JSON.parse(text) as Json
  } catch (err) {
    throw new AppError('PAYLOAD_INVALID_JSON', `payload is not JSON: ${(err as Error).message}`)
  }
  if (canonicalJson(value) !== text) {
    throw new AppError('PAYLOAD_NOT_CANONICAL', 'payload is not in RFC 8785 canonical form (member order, whitespace, escapes, duplicate names or numbers)')
  }
  return value
}
