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
  | 'HOME_NOT_FOUND'
  | 'HOME_EXISTS'
  | 'COUNTRY_INVALID'
  | 'KEY_FILE_INVALID'
  | 'KEY_FILE_INSECURE'
  | 'DATABASE_LOCKED'
  | 'DATABASE_UNAVAILABLE'
  | 'MIGRATION_FAILED'
  | 'PORT_IN_USE'
  | 'LISTEN_FAILED'
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
  | 'CELL_INVALID'
  | 'RESPONSE_TOO_LARGE'
  | 'HTTP_ERROR'
  | 'TIMEOUT'

/** Codes of the node's human users: accounts, login and roles (src/users, src/http/plugins/auth.ts). */
export type UserErrorCode =
  | 'USER_EXISTS'
  | 'USER_UNKNOWN'
  | 'USER_NAME_INVALID'
  | 'ROLE_INVALID'
  | 'PASSWORD_WEAK'
  | 'LOGIN_FAILED'
  | 'LOGIN_THROTTLED'
  | 'USER_TOKEN_MISSING'
  | 'USER_TOKEN_INVALID'
  | 'ROLE_FORBIDDEN'

export type ErrorCode = ProtocolErrorCode | NodeErrorCode | ExchangeErrorCode | UserErrorCode

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
