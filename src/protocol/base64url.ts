/** Strict base64url (RFC 4648 section 5, no padding), as JWS requires. */
const B64URL = /^[A-Za-z0-9_-]*$/

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

/** Decodes base64url, or returns undefined when `text` is not strict, unpadded, canonical base64url. */
export function decodeBase64url (text: string): Buffer | undefined {
  const rem = text.length % 4
  if (rem === 1 || !B64URL.test(text)) return undefined
  // Node's decoder ignores stray trailing bits: the last character of a 2- or 3-character
  // final group must leave its unused low 4 or 2 bits zero, or the form is not canonical.
  if (rem !== 0 && (ALPHABET.indexOf(text[text.length - 1]!) & (rem === 2 ? 0x0f : 0x03)) !== 0) return undefined
  return Buffer.from(text, 'base64url')
}

export function encodeBase64url (bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url')
}
