/** Strict base64url (RFC 4648 section 5, no padding), as JWS requires. */
const B64URL = /^[A-Za-z0-9_-]*$/

/** Decodes base64url, or returns undefined when `text` is not strict, unpadded, canonical base64url. */
export function decodeBase64url (text: string): Buffer | undefined {
  if (!B64URL.test(text) || text.length % 4 === 1) return undefined
  const bytes = Buffer.from(text, 'base64url')
  // Node's decoder ignores stray trailing bits; re-encoding rejects non-canonical forms.
  if (bytes.toString('base64url') !== text) return undefined
  return bytes
}

export function encodeBase64url (bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url')
}
