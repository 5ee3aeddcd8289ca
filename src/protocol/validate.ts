/** JSON Schema validation of protocol messages (Ajv, compiled once per message type). */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv'
import { AppError } from '../errors.js'
import { MESSAGE_SCHEMAS, MESSAGE_TYPES, type MessageType, type MessageTypes } from './messages.js'

const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true })
const validators = new Map<MessageType, ValidateFunction>(
  MESSAGE_TYPES.map(t => [t, ajv.compile(MESSAGE_SCHEMAS[t])])
)

/** Human-readable summary of Ajv errors: at most `max` of them, each with its JSON path. */
export function describeSchemaErrors (errors: ErrorObject[] | null | undefined, max = 5): string {
  const list = (errors ?? []).slice(0, max).map(e => {
    const where = e.instancePath === '' ? '(root)' : e.instancePath
    const extra = e.keyword === 'additionalProperties'
      ? ` "${String((e.params as { additionalProperty: string }).additionalProperty)}"`
      : e.keyword === 'const' ? ` ${JSON.stringify((e.params as { allowedValue: unknown }).allowedValue)}` : ''
    return `${where} ${e.message ?? e.keyword}${extra}`
  })
  const more = (errors?.length ?? 0) > max ? ` (and ${(errors?.length ?? 0) - max} more)` : ''
  return list.join('; ') + more
}

/**
 * Validates `payload` against the schema of message type `type`; throws SCHEMA_INVALID with
 * the failing paths. The node calls this on everything it sends as well as what it receives.
 */
export function validateMessage<T extends MessageType> (type: T, payload: unknown): MessageTypes[T] {
  const validate = validators.get(type)!
  if (!validate(payload)) {
    throw new AppError('SCHEMA_INVALID', `${type}: ${describeSchemaErrors(validate.errors)}`)
  }
  const p = payload as MessageTypes[T]
  if (p.expires_at <= p.issued_at) throw new AppError('SCHEMA_INVALID', `${type}: expires_at must be after issued_at`)
  return p
}

/**
 * The message-specific rules (verification step 13) that JSON Schema cannot express, for a
 * payload signed by the key `kid`; throws SCHEMA_INVALID. Checked on what the node signs too.
 */
export function checkMessageRules<T extends MessageType> (type: T, payload: MessageTypes[T], kid: string): void {
  const fail = (message: string): never => { throw new AppError('SCHEMA_INVALID', `${type}: ${message}`) }
  if (type === 'node-descriptor') {
    const d = payload as MessageTypes['node-descriptor']
    if (d.node.id !== d.issuer) fail('node.id must equal issuer')
    if (d.keys.some(k => k.node !== d.issuer)) fail('every key must name the issuer as its node')
    if (!d.keys.some(k => k.kid === kid)) fail('the signing key must be among the keys it lists')
  }
  if (type === 'release') {
    const r = payload as MessageTypes['release']
    if (r.version !== undefined && r.dataset.years.length !== 1) fail('a release with a version covers one year')
  }
}
