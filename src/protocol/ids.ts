/** Identifiers used across the protocol. */
import { createHash } from 'node:crypto'

/** A node id: a country's AREA code (SRB) or a liaison's name (EUROPOL). */
export const NODE_ID_PATTERN = '^[A-Z][A-Z0-9_]{1,15}$'

/** A content id: base64url SHA-256, 43 characters. */
export const CONTENT_ID_PATTERN = '^[A-Za-z0-9_-]{43}$'

/** The id of a signed object: base64url SHA-256 of its payload bytes. */
export function contentId (payloadBytes: Uint8Array): string {
  return createHash('sha256').update(payloadBytes).digest('base64url')
}
