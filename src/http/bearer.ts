/**
 * The credentials of an `Authorization` header (RFC 7235 section 2.1, RFC 6750 section 2.1):
 * `auth-scheme 1*SP token68`, the scheme matched case-insensitively (`Bearer`, `bearer`,
 * `BEARER` are one scheme). Peer routes (/v1/feed, /v1/objects) and user routes read the header
 * through this one function, so both accept exactly the same forms.
 */

/** `scheme`, then optionally one or more spaces and the credentials. */
const CREDENTIALS = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+)(?: +(\S+))? *$/
/** Longest Authorization header read (characters); a longer one is not read at all. */
export const MAX_AUTHORIZATION_LENGTH = 16_384

export type Credentials =
  /** No Authorization header, or an empty one. */
  | { kind: 'absent' }
  /** A header of another scheme (Basic, ...), a scheme without credentials, or no `scheme credentials` at all. */
  | { kind: 'other' }
  /** The Bearer scheme (any case) and its credentials, as sent: the caller checks their form. */
  | { kind: 'bearer', token: string }

export function bearerCredentials (header: string | string[] | undefined): Credentials {
  if (header === undefined || header === '') return { kind: 'absent' }
  if (typeof header !== 'string' || header.length > MAX_AUTHORIZATION_LENGTH) return { kind: 'other' }
  const m = CREDENTIALS.exec(header)
  if (m === null || m[1]!.toLowerCase() !== 'bearer' || m[2] === undefined) return { kind: 'other' }
  return { kind: 'bearer', token: m[2] }
}
