/**
 * The message types of protocol v1, as TypeBox schemas. protocol/schemas/*.json are generated
 * from these (`npm run protocol:build`); a test keeps them equal. Every payload is a closed
 * object: unknown members are errors, so a `__proto__` or misspelt member never slips through.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox'
import { CONTENT_ID_PATTERN, NODE_ID_PATTERN } from './ids.js'
import { INDICATOR_IDS } from './indicators.js'

export const PROTOCOL = 'dcim-exchange/1'
export const PROTOCOL_VERSION = 1

/**
 * The optional members of this revision of protocol v1 that a recipient must announce before a
 * publisher may send them (section 1): `release.version`, the version of the population-year a
 * release is cut from. This node accepts every one of them, and announces them in its descriptor.
 */
export const OPTIONAL_MEMBERS = ['release.version'] as const

const NodeId = Type.String({ pattern: NODE_ID_PATTERN, description: 'Node id: AREA code of a country (SRB) or a liaison name (EUROPOL).' })
const ContentId = Type.String({ pattern: CONTENT_ID_PATTERN, description: 'base64url SHA-256 of a signed payload (43 characters).' })
const Seconds = Type.Integer({ minimum: 0, maximum: 253402300799, description: 'Seconds since 1970-01-01T00:00:00Z.' })
const Code = Type.String({ pattern: '^[A-Za-z0-9_]{1,32}$' })

/** Members every signed payload carries. */
function envelope<T extends string> (type: T) {
  return {
    protocol: Type.Literal(PROTOCOL, { description: 'Protocol name and major version.' }),
    type: Type.Literal(type),
    issuer: NodeId,
    issued_at: Seconds,
    expires_at: Seconds,
  }
}

export const PublicJwkSchema = Type.Object({
  kty: Type.Literal('OKP'),
  crv: Type.Literal('Ed25519'),
  x: Type.String({ pattern: '^[A-Za-z0-9_-]{43}$' }),
  kid: Type.String({ pattern: '^[A-Za-z0-9_-]{43}$', description: 'RFC 7638 thumbprint of the key.' }),
  alg: Type.Literal('EdDSA'),
  use: Type.Literal('sig'),
  node: NodeId,
}, { additionalProperties: false, title: 'Public JWK' })

export const NodeDescriptorSchema = Type.Object({
  ...envelope('node-descriptor'),
  node: Type.Object({
    id: NodeId,
    kind: Type.Union([Type.Literal('country'), Type.Literal('liaison')]),
    name: Type.String({ minLength: 1, maxLength: 200 }),
    url: Type.String({ pattern: '^https?://[^\\s]+$', maxLength: 2000 }),
  }, { additionalProperties: false }),
  keys: Type.Array(PublicJwkSchema, { minItems: 1, maxItems: 16 }),
  accepts: Type.Optional(Type.Array(Type.String({ pattern: '^[a-z][a-z-]{0,31}\\.[a-z][a-z_]{0,31}$' }), {
    maxItems: 32,
    uniqueItems: true,
    description: 'Optional members (message-type.member) the node accepts in what is sent to it; a publisher sends such a member only to a recipient that lists it. Names it does not know are ignored.',
  })),
}, { additionalProperties: false, title: 'Node descriptor' })

const AgreementRef = Type.Object({
  id: Type.String({ pattern: '^[A-Za-z0-9._-]{1,100}$' }),
  hash: ContentId,
}, { additionalProperties: false })

const Dataset = Type.Object({
  indicator: Type.Union(INDICATOR_IDS.map(id => Type.Literal(id))),
  years: Type.Array(Type.Integer({ minimum: 1900, maximum: 2200 }), { minItems: 1, maxItems: 100, uniqueItems: true }),
}, { additionalProperties: false })

const Cell = Type.Object({
  key: Type.Record(Type.String({ pattern: '^[A-Z][A-Z_]{0,31}$' }), Code, { maxProperties: 12, additionalProperties: false }),
  value: Type.Optional(Type.Integer({ minimum: 0, maximum: 100000000 })),
  obs_status: Type.Union([Type.Literal('A'), Type.Literal('Q'), Type.Literal('M')], { description: 'SDMX OBS_STATUS: A normal, Q suppressed, M missing.' }),
  conf_status: Type.Union([Type.Literal('F'), Type.Literal('C')], { description: 'SDMX CONF_STATUS: F free, C confidential.' }),
}, { additionalProperties: false })

/** Members shared by the objects of a recipient's feed. */
const feedEntry = {
  audience: NodeId,
  feed_seq: Type.Integer({ minimum: 1 }),
  prev: Type.Union([ContentId, Type.Null()], { description: 'id of the previous object in this feed, null for the first.' }),
  agreement: AgreementRef,
}

export const ReleaseSchema = Type.Object({
  ...envelope('release'),
  ...feedEntry,
  dataset: Dataset,
  supersedes: Type.Union([ContentId, Type.Null()]),
  version: Type.Optional(Type.Integer({
    minimum: 0,
    maximum: 1000000,
    description: 'The version of the population-year the table is cut from: 0 for its first release, 1, 2, ... after revisions. Only with one year in dataset.years, and only to a recipient that accepts release.version.',
  })),
  cells: Type.Array(Cell, { maxItems: 200000 }),
}, { additionalProperties: false, title: 'Release' })

export const RetractionSchema = Type.Object({
  ...envelope('retraction'),
  ...feedEntry,
  dataset: Dataset,
  retracts: ContentId,
  reason: Type.Union([
    Type.Literal('records_withdrawn'), Type.Literal('agreement_ended'), Type.Literal('grant_changed'), Type.Literal('other'),
  ]),
}, { additionalProperties: false, title: 'Retraction' })

export const FeedSchema = Type.Object({
  ...envelope('feed'),
  audience: NodeId,
  after_seq: Type.Integer({ minimum: 0 }),
  head_seq: Type.Integer({ minimum: 0 }),
  head_id: Type.Union([ContentId, Type.Null()]),
  entries: Type.Array(Type.Object({
    seq: Type.Integer({ minimum: 1 }),
    id: ContentId,
    type: Type.Union([Type.Literal('release'), Type.Literal('retraction')]),
  }, { additionalProperties: false }), { maxItems: 10000 }),
}, { additionalProperties: false, title: 'Feed page' })

export type NodeDescriptor = Static<typeof NodeDescriptorSchema>
export type Release = Static<typeof ReleaseSchema>
export type Retraction = Static<typeof RetractionSchema>
export type Feed = Static<typeof FeedSchema>

export interface MessageTypes {
  'node-descriptor': NodeDescriptor
  release: Release
  retraction: Retraction
  feed: Feed
}
export type MessageType = keyof MessageTypes
export type Message = MessageTypes[MessageType]

export const MESSAGE_SCHEMAS: Readonly<Record<MessageType, TSchema>> = {
  'node-descriptor': NodeDescriptorSchema,
  release: ReleaseSchema,
  retraction: RetractionSchema,
  feed: FeedSchema,
}

export const MESSAGE_TYPES = Object.keys(MESSAGE_SCHEMAS) as MessageType[]

export function isMessageType (value: unknown): value is MessageType {
  return typeof value === 'string' && Object.hasOwn(MESSAGE_SCHEMAS, value)
}

/** The envelope every signed object travels in (flattened JWS JSON serialization, RFC 7515 7.2.2). */
export const FlattenedJwsSchema = Type.Object({
  protected: Type.String({ pattern: '^[A-Za-z0-9_-]+$', description: 'base64url of the protected header {alg, kid, typ}.' }),
  payload: Type.String({ pattern: '^[A-Za-z0-9_-]+$', description: 'base64url of the RFC 8785 canonical JSON payload.' }),
  signature: Type.String({ pattern: '^[A-Za-z0-9_-]{86}$', description: 'base64url of the 64-byte Ed25519 signature.' }),
}, { additionalProperties: false, title: 'Signed object (flattened JWS)' })

export const JwksSchema = Type.Object({
  keys: Type.Array(PublicJwkSchema, { minItems: 1 }),
}, { additionalProperties: false, title: 'JWK Set of a node' })
