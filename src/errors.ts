/**
 * One error class for the whole node. Callers switch on `code`; tests assert the exact
 * `{ code, message }`. Protocol verification codes are listed in protocol/README.md and are
 * part of the contract between implementations.
 */
export type ProtocolErrorCode =
  | 'JWS_MALFORMED'
  | 'JWS_HEADER_INVALID'
  | 'ALG_NOT_ALLOWED'
  | 'CRIT_UNSUPPORTED'
  | 'KEY_UNKNOWN'
  | 'KEY_NOT_AUTHORIZED'
  | 'SIGNATURE_INVALID'
  | 'PAYLOAD_INVALID_JSON'
  | 'PAYLOAD_NOT_CANONICAL'
  | 'PAYLOAD_TOO_LARGE'
  | 'TYPE_UNKNOWN'
  | 'TYPE_MISMATCH'
  | 'VERSION_UNSUPPORTED'
  | 'SCHEMA_INVALID'
  | 'NOT_YET_VALID'
  | 'EXPIRED'
  | 'JWKS_INVALID'

export type NodeErrorCode =
  | 'CONFIG_INVALID'
  | 'AGREEMENTS_INVALID'
  | 'HOME_NOT_FOUND'
  | 'HOME_EXISTS'
  | 'COUNTRY_INVALID'
  | 'KEY_FILE_INVALID'
  | 'KEY_FILE_INSECURE'
  | 'RECORD_KEY_MISSING'
  | 'RECORD_KEY_MISMATCH'
  | 'DATABASE_LOCKED'
  | 'DATABASE_UNAVAILABLE'
  | 'MIGRATION_FAILED'
  | 'PORT_IN_USE'
  | 'LISTEN_FAILED'
  | 'ADMIN_CHANNEL_UNAVAILABLE'
  | 'FILE_UNREADABLE'
  | 'FETCH_FAILED'
  | 'AUDIT_ENTRY_INVALID'
  | 'USAGE'

/** Codes of the exchange between nodes (protocol/README.md section 8, exchange codes). */
export type ExchangeErrorCode =
  | 'PEER_UNKNOWN'
  | 'PEER_EXISTS'
  | 'THUMBPRINT_REQUIRED'
  | 'THUMBPRINT_MISMATCH'
  | 'TOKEN_MISSING'
  | 'TOKEN_INVALID'
  | 'TOKEN_REPLAYED'
  | 'WRONG_ISSUER'
  | 'WRONG_AUDIENCE'
  | 'FEED_MALFORMED'
  | 'FEED_MISMATCH'
  | 'ID_MISMATCH'
  | 'SEQ_GAP'
  | 'SEQ_ROLLBACK'
  | 'EQUIVOCATION'
  | 'AGREEMENT_MISMATCH'
  | 'GRANT_EXCEEDED'
  | 'THRESHOLD_BROKEN'
  | 'CELL_INVALID'
  | 'RESPONSE_TOO_LARGE'
  | 'HTTP_ERROR'
  | 'TIMEOUT'

/** Codes of the node's human users: accounts, login and roles (src/users, src/http/plugins/auth.ts). */
export type UserErrorCode =
  | 'USER_EXISTS'
  | 'USER_UNKNOWN'
  | 'USER_IS_SELF'
  | 'USER_NAME_INVALID'
  | 'ROLE_INVALID'
  | 'PASSWORD_WEAK'
  | 'LOGIN_FAILED'
  | 'LOGIN_THROTTLED'
  | 'USER_TOKEN_MISSING'
  | 'USER_TOKEN_INVALID'
  | 'ROLE_FORBIDDEN'

/** Codes of the HTTP layer itself (src/http): limits and requests that never reach a route. */
export type HttpErrorCode =
  | 'NOT_FOUND'
  | 'BODY_TOO_LARGE'
  | 'JSON_TOO_DEEP'
  | 'REQUEST_MALFORMED'
  | 'HEADERS_TOO_LARGE'
  | 'REQUEST_TIMEOUT'
  | 'RATE_LIMITED'
  | 'INTERNAL'

export type ErrorCode = ProtocolErrorCode | NodeErrorCode | ExchangeErrorCode | UserErrorCode | HttpErrorCode

/**
 * The one registry of HTTP statuses: the status a node answers when a request fails with an
 * AppError of that code. A code not listed here is a server fault: 500, its message kept in
 * the node's log, never sent (docs/operator-guide.md, "HTTP errors"). Listed 5xx codes are sent
 * with their code but, like every 5xx, without their message, except those in MESSAGE_SENT_5XX.
 */
export const HTTP_STATUS: Readonly<Partial<Record<ErrorCode, number>>> = {
  // The caller's request is wrong.
  USAGE: 400,
  USER_NAME_INVALID: 400,
  ROLE_INVALID: 400,
  PASSWORD_WEAK: 400,
  JSON_TOO_DEEP: 400,
  REQUEST_MALFORMED: 400,
  // Who is calling.
  TOKEN_MISSING: 401,
  TOKEN_INVALID: 401,
  TOKEN_REPLAYED: 401,
  PEER_UNKNOWN: 401,
  LOGIN_FAILED: 401,
  USER_TOKEN_MISSING: 401,
  USER_TOKEN_INVALID: 401,
  ROLE_FORBIDDEN: 403,
  NOT_FOUND: 404,
  USER_UNKNOWN: 404,
  REQUEST_TIMEOUT: 408,
  AGREEMENT_MISMATCH: 409,
  USER_EXISTS: 409,
  USER_IS_SELF: 409,
  BODY_TOO_LARGE: 413,
  LOGIN_THROTTLED: 429,
  RATE_LIMITED: 429,
  HEADERS_TOO_LARGE: 431,
  // The node cannot serve now; the details are in its log.
  INTERNAL: 500,
  DATABASE_LOCKED: 503,
  DATABASE_UNAVAILABLE: 503,
  // The node's agreement files have a problem the operator must fix; said in full (below).
  AGREEMENTS_INVALID: 503,
}

/**
 * The 5xx codes whose message is sent: it is written for the caller (names only files of the
 * policies folder by name, as GET /v1/policy/lint does, and what to do), never an error's own
 * message carried up from below.
 */
export const MESSAGE_SENT_5XX: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['AGREEMENTS_INVALID'])

/** The HTTP status of a code (HTTP_STATUS): 500 for any code not registered. */
export function httpStatus (code: string): number {
  return (HTTP_STATUS as Record<string, number | undefined>)[code] ?? 500
}

export class AppError extends Error {
  override readonly name = 'AppError'
  readonly code: ErrorCode

  constructor (code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
  }
}

/** True when `err` is an AppError, optionally with the given code. */
export function isAppError (err: unknown, code?: ErrorCode): err is AppError {
  return err instanceof AppError && (code === undefined || err.code === code)
}
