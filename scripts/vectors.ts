/**
 * Generates protocol/vectors/*.json: signed objects with the verdict every implementation must
 * reach. Keys come from fixed seeds and Ed25519 signatures are deterministic, so the files are
 * reproducible byte for byte. Each vector: { description, jwks, signed, valid, reason, now }.
 */
import { createHash, createHmac, sign as cryptoSign } from 'node:crypto'
import canonicalize from 'canonicalize'
import { jwksOf, signingKeyFromSeed, type SigningKey } from '../src/protocol/keys.js'
import { signMessage } from '../src/protocol/jws.js'
import { PROTOCOL, type MessageType, type MessageTypes } from '../src/protocol/messages.js'
import type { ProtocolErrorCode } from '../src/errors.js'
import { agreementHash, lintAgreementText } from '../src/policy/load.js'
import { canonicalJson } from '../src/protocol/canonical-json.js'

/** Evaluation time of every vector: 2026-11-25T00:00:00Z. */
export const VECTOR_NOW = 1795564800
const ISSUED = VECTOR_NOW - 3600
const EXPIRES = VECTOR_NOW + 7 * 86400

export function vectorKey (label: string, node: string): SigningKey {
  return signingKeyFromSeed(createHash('sha256').update(`dcim-exchange test vector key ${label}`).digest(), node)
}

const SRB = vectorKey('SRB-1', 'SRB')
const HRV = vectorKey('HRV-1', 'HRV')
const ATTACKER = vectorKey('ATTACKER', 'SRB')

const b64 = (s: string | Buffer): string => Buffer.from(s).toString('base64url')
const canon = (v: unknown): string => canonicalize(v)!

interface Vector {
  description: string
  jwks: unknown
  signed: unknown
  valid: boolean
  reason?: ProtocolErrorCode
  now: number
}

/** Signs arbitrary header and payload text with Ed25519, bypassing every check. */
function rawSign (header: unknown, payload: string | Buffer, key: SigningKey): { protected: string, payload: string, signature: string } {
  const p = b64(typeof header === 'string' ? header : canon(header))
  const pl = b64(payload)
  return { protected: p, payload: pl, signature: b64(cryptoSign(null, Buffer.from(`${p}.${pl}`), key.privateKey)) }
}

function env<T extends MessageType> (type: T, issuer = 'SRB'): { protocol: typeof PROTOCOL, type: T, issuer: string, issued_at: number, expires_at: number } {
  return { protocol: PROTOCOL, type, issuer, issued_at: ISSUED, expires_at: EXPIRES }
}

const AGREEMENT = { id: 'srb-hrv-2026', hash: createHash('sha256').update('agreement srb-hrv-2026 v1').digest('base64url') }
const PREV = createHash('sha256').update('previous release').digest('base64url')

export function sampleDescriptor (): MessageTypes['node-descriptor'] {
  return { ...env('node-descriptor'), node: { id: 'SRB', kind: 'country', name: 'Serbia', url: 'https://dcim.example.rs' }, keys: [SRB.publicJwk] }
}

export function sampleRelease (): MessageTypes['release'] {
  return {
    ...env('release'),
    audience: 'HRV',
    feed_seq: 2,
    prev: PREV,
    agreement: AGREEMENT,
    dataset: { indicator: 'V1', years: [2025] },
    supersedes: null,
    cells: [
      { key: { TIME_PERIOD: '2025', VICT_STATUS: '_T', SEX: 'F', AGE_GROUP: '_T', CITIZEN_GRP: '_T' }, value: 41, obs_status: 'A', conf_status: 'F' },
      { key: { TIME_PERIOD: '2025', VICT_STATUS: '_T', SEX: 'M', AGE_GROUP: '_T', CITIZEN_GRP: '_T' }, value: 12, obs_status: 'A', conf_status: 'F' },
      { key: { TIME_PERIOD: '2025', VICT_STATUS: '_T', SEX: 'O', AGE_GROUP: '_T', CITIZEN_GRP: '_T' }, obs_status: 'Q', conf_status: 'C' },
      { key: { TIME_PERIOD: '2025', VICT_STATUS: '_T', SEX: 'U', AGE_GROUP: '_T', CITIZEN_GRP: '_T' }, obs_status: 'Q', conf_status: 'C' },
      { key: { TIME_PERIOD: '2025', VICT_STATUS: '_T', SEX: '_T', AGE_GROUP: '_T', CITIZEN_GRP: '_T' }, value: 55, obs_status: 'A', conf_status: 'F' },
      { key: { TIME_PERIOD: '2025', VICT_STATUS: 'PRES', SEX: '_T', AGE_GROUP: '_T', CITIZEN_GRP: '_T' }, value: 0, obs_status: 'A', conf_status: 'F' },
    ],
  }
}

function sampleRetraction (): MessageTypes['retraction'] {
  return { ...env('retraction'), audience: 'HRV', feed_seq: 3, prev: PREV, agreement: AGREEMENT, dataset: { indicator: 'V1', years: [2025] }, retracts: PREV, reason: 'records_withdrawn' }
}

function sampleFeed (): MessageTypes['feed'] {
  // A feed page lives 600 seconds (section 6): signed a minute before the evaluation time.
  return { ...env('feed'), issued_at: VECTOR_NOW - 60, expires_at: VECTOR_NOW + 540, audience: 'HRV', after_seq: 1, head_seq: 2, head_id: PREV, entries: [{ seq: 2, id: PREV, type: 'release' }] }
}

const JWKS_SRB = jwksOf([SRB])
const JWKS_BOTH = jwksOf([SRB, HRV])
const header = (typ: string, key: SigningKey = SRB, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ alg: 'EdDSA', kid: key.kid, typ, ...extra })

function valid (description: string, type: MessageType, payload: MessageTypes[MessageType], key = SRB, jwks: unknown = JWKS_SRB): Vector {
  return { description, jwks, signed: signMessage(type, payload as never, key).jws, valid: true, now: VECTOR_NOW }
}

function invalid (description: string, reason: ProtocolErrorCode, signed: unknown, jwks: unknown = JWKS_SRB, now = VECTOR_NOW): Vector {
  return { description, jwks, signed, valid: false, reason, now }
}

function flipChar (s: string, index: number): string {
  const c = s[index]!
  return s.slice(0, index) + (c === 'A' ? 'B' : 'A') + s.slice(index + 1)
}

export function vectorList (): Array<[string, Vector]> {
  const descriptor = sampleDescriptor()
  const release = sampleRelease()
  const good = signMessage('release', release, SRB).jws
  const releaseText = canon(release)
  // One byte of the payload changed (41 victims becomes 49), re-encoded so that it is still valid base64url.
  const tampered = { ...good, payload: b64(releaseText.replace('"value":41', '"value":49')) }
  const list: Array<[string, Vector]> = [
    ['valid-node-descriptor', valid('A node descriptor signed by the node\'s own key.', 'node-descriptor', descriptor)],
    ['valid-release', valid('A release with free, zero and suppressed cells.', 'release', release)],
    ['valid-retraction', valid('A retraction of an earlier release.', 'retraction', sampleRetraction())],
    ['valid-feed', valid('A feed page listing one release.', 'feed', sampleFeed())],
    ['valid-two-keys-in-jwks', valid('A release verified against a JWKS that also holds another node\'s key.', 'release', release, SRB, JWKS_BOTH)],
    ['valid-within-clock-skew', { ...valid('Issued 4 minutes in the verifier\'s future: within the 5-minute clock skew.', 'release', { ...release, issued_at: VECTOR_NOW + 240 }) }],
    ['unsigned-payload', invalid('A payload with no signature member.', 'JWS_MALFORMED', { protected: good.protected, payload: good.payload })],
    ['not-an-object', invalid('A compact serialization string instead of the flattened JSON form.', 'JWS_MALFORMED', `${good.protected}.${good.payload}.${good.signature}`)],
    ['unprotected-header', invalid('An unprotected "header" member beside the protected one.', 'JWS_MALFORMED', { ...good, header: { kid: SRB.kid } })],
    ['padded-base64', invalid('Payload in padded base64 rather than base64url.', 'JWS_MALFORMED', { ...good, payload: Buffer.from(releaseText).toString('base64') })],
    ['payload-altered-one-byte', invalid('One byte of the payload changed after signing.', 'SIGNATURE_INVALID', tampered)],
    ['signature-altered', invalid('One character of the signature changed.', 'SIGNATURE_INVALID', { ...good, signature: flipChar(good.signature, 10) })],
    ['header-altered', invalid('The protected header re-encoded with a different typ after signing.', 'SIGNATURE_INVALID', { ...good, protected: b64(canon(header('retraction'))) })],
    ['wrong-key', invalid('Signed with another key while naming the publisher\'s kid.', 'SIGNATURE_INVALID', { ...rawSign(header('release'), releaseText, ATTACKER) })],
    ['kid-of-another-key', invalid('Signed with HRV\'s key but naming SRB\'s kid; both keys in the JWKS.', 'SIGNATURE_INVALID', rawSign(header('release', SRB), releaseText, HRV), JWKS_BOTH)],
    ['unknown-key', invalid('Signed with a key the verifier does not hold, named by its own thumbprint.', 'KEY_UNKNOWN', rawSign(header('release', ATTACKER), releaseText, ATTACKER))],
    ['kid-injection', invalid('A kid that is a path and an SQL fragment.', 'KEY_UNKNOWN', rawSign({ alg: 'EdDSA', kid: '../../keys/\' OR 1=1 --', typ: 'release' }, releaseText, SRB))],
    ['key-not-authorised-for-country', invalid('Signed by HRV\'s valid key, but the payload claims SRB as issuer.', 'KEY_NOT_AUTHORIZED', rawSign(header('release', HRV), releaseText, HRV), JWKS_BOTH)],
    ['alg-none', invalid('alg "none" with an empty signature.', 'ALG_NOT_ALLOWED', { protected: b64(canon({ alg: 'none', kid: SRB.kid, typ: 'release' })), payload: good.payload, signature: '' })],
    ['alg-hs256-public-key', invalid('HS256 keyed with the publisher\'s public key bytes (algorithm confusion).', 'ALG_NOT_ALLOWED', (() => {
      const p = b64(canon({ alg: 'HS256', kid: SRB.kid, typ: 'release' }))
      const sig = createHmac('sha256', Buffer.from(SRB.publicJwk.x, 'base64url')).update(`${p}.${good.payload}`).digest()
      return { protected: p, payload: good.payload, signature: b64(sig) }
    })())],
    ['alg-hs256-jwk-text', invalid('HS256 keyed with the text of the publisher\'s public JWK.', 'ALG_NOT_ALLOWED', (() => {
      const p = b64(canon({ alg: 'HS256', kid: SRB.kid, typ: 'release' }))
      const sig = createHmac('sha256', canon(SRB.publicJwk)).update(`${p}.${good.payload}`).digest()
      return { protected: p, payload: good.payload, signature: b64(sig) }
    })())],
    ['alg-rs256', invalid('alg RS256 (not the protocol\'s algorithm).', 'ALG_NOT_ALLOWED', rawSign({ alg: 'RS256', kid: SRB.kid, typ: 'release' }, releaseText, SRB))],
    ['alg-es256', invalid('alg ES256 (not the protocol\'s algorithm).', 'ALG_NOT_ALLOWED', rawSign({ alg: 'ES256', kid: SRB.kid, typ: 'release' }, releaseText, SRB))],
    ['alg-ed25519-name', invalid('alg "Ed25519" (the fully-specified name) is not the protocol\'s "EdDSA".', 'ALG_NOT_ALLOWED', rawSign({ alg: 'Ed25519', kid: SRB.kid, typ: 'release' }, releaseText, SRB))],
    ['crit-unknown', invalid('A crit header naming an extension the protocol does not define.', 'CRIT_UNSUPPORTED', rawSign(header('release', SRB, { crit: ['exp'], exp: EXPIRES }), releaseText, SRB))],
    ['crit-b64-unencoded', invalid('RFC 7797 unencoded payload (b64 false) is not supported.', 'CRIT_UNSUPPORTED', rawSign(header('release', SRB, { crit: ['b64'], b64: false }), releaseText, SRB))],
    ['header-embedded-jwk', invalid('An attacker\'s key embedded in the header (jwk), naming its own kid.', 'JWS_HEADER_INVALID', rawSign(header('release', ATTACKER, { jwk: ATTACKER.publicJwk }), releaseText, ATTACKER))],
    ['header-jku', invalid('A jku header pointing elsewhere for keys.', 'JWS_HEADER_INVALID', rawSign(header('release', SRB, { jku: 'https://attacker.example/jwks.json' }), releaseText, SRB))],
    ['header-no-kid', invalid('A protected header without kid.', 'JWS_HEADER_INVALID', rawSign({ alg: 'EdDSA', typ: 'release' }, releaseText, SRB))],
    ['payload-whitespace', invalid('Validly signed payload with insignificant whitespace (not canonical).', 'PAYLOAD_NOT_CANONICAL', rawSign(header('release'), JSON.stringify(JSON.parse(releaseText), null, 1), SRB))],
    ['payload-member-order', invalid('Validly signed payload with members out of RFC 8785 order.', 'PAYLOAD_NOT_CANONICAL', rawSign(header('release'), JSON.stringify(Object.fromEntries(Object.entries(release).reverse())), SRB))],
    ['payload-duplicate-member', invalid('Validly signed payload naming "issuer" twice.', 'PAYLOAD_NOT_CANONICAL', rawSign(header('release'), releaseText.replace('"issuer":"SRB"', '"issuer":"HRV","issuer":"SRB"'), SRB))],
    ['payload-float', invalid('A non-integer number (issued_at 1.5 seconds past a whole second).', 'PAYLOAD_NOT_CANONICAL', rawSign(header('release'), releaseText.replace(`"issued_at":${ISSUED}`, `"issued_at":${ISSUED}.5`), SRB))],
    ['payload-exponent', invalid('An integer written with an exponent (1e1).', 'PAYLOAD_NOT_CANONICAL', rawSign(header('release'), releaseText.replace('"feed_seq":2', '"feed_seq":2e0'), SRB))],
    ['payload-escaped-ascii', invalid('A string escaping an ASCII letter (\\u0053RB), which RFC 8785 writes plainly.', 'PAYLOAD_NOT_CANONICAL', rawSign(header('release'), releaseText.replace('"issuer":"SRB"', '"issuer":"\\u0053RB"'), SRB))],
    ['payload-not-json', invalid('A validly signed payload that is not JSON.', 'PAYLOAD_INVALID_JSON', rawSign(header('release'), 'issuer=SRB', SRB))],
    ['payload-bad-utf8', invalid('A validly signed payload that is not UTF-8.', 'PAYLOAD_INVALID_JSON', rawSign(header('release'), Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]), SRB))],
    ['payload-deep-nesting', invalid('A payload nested 40 arrays deep.', 'PAYLOAD_TOO_LARGE', rawSign(header('release'), '['.repeat(40) + ']'.repeat(40), SRB))],
    ['type-unknown', invalid('A typ the protocol does not define.', 'TYPE_UNKNOWN', rawSign(header('invoice'), releaseText, SRB))],
    ['type-mismatch', invalid('Header says node-descriptor, payload says release.', 'TYPE_MISMATCH', rawSign(header('node-descriptor'), releaseText, SRB))],
    ['version-unsupported', invalid('A payload of protocol version 2.', 'VERSION_UNSUPPORTED', rawSign(header('release'), canon({ ...release, protocol: 'dcim-exchange/2' }), SRB))],
    ['schema-proto-member', invalid('A "__proto__" member in the payload.', 'SCHEMA_INVALID', rawSign(header('release'), releaseText.replace('{"agreement"', '{"__proto__":{"admin":true},"agreement"'), SRB))],
    ['schema-unknown-member', invalid('A member the schema does not define.', 'SCHEMA_INVALID', rawSign(header('release'), canon({ ...release, note: 'hello' }), SRB))],
    ['schema-missing-member', invalid('A release without its audience.', 'SCHEMA_INVALID', rawSign(header('release'), canon({ ...release, audience: undefined }), SRB))],
    ['schema-negative-count', invalid('A cell with a negative value.', 'SCHEMA_INVALID', rawSign(header('release'), releaseText.replace('"value":12', '"value":-12'), SRB))],
    ['schema-sql-in-code', invalid('A dimension code carrying SQL.', 'SCHEMA_INVALID', rawSign(header('release'), releaseText.replace('"SEX":"M"', '"SEX":"M\'; DROP TABLE cell; --"'), SRB))],
    ['expires-before-issued', invalid('expires_at earlier than issued_at.', 'SCHEMA_INVALID', rawSign(header('release'), canon({ ...release, expires_at: ISSUED - 1 }), SRB))],
    ['descriptor-key-not-listed', invalid('A descriptor signed by a key it does not list.', 'SCHEMA_INVALID', rawSign(header('node-descriptor', SRB), canon({ ...descriptor, keys: [vectorKey('SRB-2', 'SRB').publicJwk] }), SRB))],
    ['expired', invalid('A release whose expiry passed an hour ago.', 'EXPIRED', rawSign(header('release'), canon({ ...release, issued_at: VECTOR_NOW - 86400, expires_at: VECTOR_NOW - 3600 }), SRB))],
    ['not-yet-valid', invalid('A release issued two hours in the verifier\'s future (clock skew beyond 5 minutes).', 'NOT_YET_VALID', rawSign(header('release'), canon({ ...release, issued_at: VECTOR_NOW + 7200 }), SRB))],
    ['valid-descriptor-accepts', valid('A node descriptor announcing the optional member it accepts (section 1), and a name it does not define, which is ignored.', 'node-descriptor', { ...descriptor, accepts: ['release.version', 'retraction.note'] })],
    ['valid-release-version', valid('A release carrying the version of its population-year (a first revision).', 'release', { ...release, version: 1 })],
    ['release-version-two-years', invalid('A release with a version that covers two years.', 'SCHEMA_INVALID', rawSign(header('release'), canon({ ...release, version: 1, dataset: { ...release.dataset, years: [2024, 2025] } }), SRB))],
    ['release-version-two-years-expired', invalid('A release with a version that covers two years and has expired: the message rule (step 13) is reported before expiry (step 15).', 'SCHEMA_INVALID', rawSign(header('release'), canon({ ...release, version: 1, dataset: { ...release.dataset, years: [2024, 2025] }, issued_at: VECTOR_NOW - 86400, expires_at: VECTOR_NOW - 3600 }), SRB))],
  ]
  return list
}

/** The same agreement as {@link AGREEMENT_TEXT}, written differently: the same hash. */
const AGREEMENT_TEXT = `# The minimal form: no onward_sharing, no prohibitions (their defaults are filled in).
agreement: srb-hrv
version: 1
title: Exchange of THB statistics, Serbia to Croatia
provider: SRB
recipient: HRV
legal_basis:
  instrument: Memorandum of Understanding on the exchange of THB statistics
  article: Article 5
purposes: [statistics, policy]
validity:
  from: 2026-01-01
  until: 2028-12-31
  timezone: Europe/Belgrade
threshold: 3
retention_years: 5
grants:
  - indicator: V1
    by: [VICT_STATUS, SEX, AGE_GROUP]
    years: { from: 2015 }
`

const AGREEMENT_CASES: Array<[string, string, string]> = [
  ['minimal', 'An agreement without the members that have defaults.', AGREEMENT_TEXT],
  ['layout', 'The same agreement in another layout: members in another order, flow style, quoted dates and strings, comments. Same hash as 01.', `{ provider: "SRB", recipient: 'HRV', agreement: srb-hrv, version: 1,
  # comments, order and quoting do not count
  validity: { timezone: Europe/Belgrade, until: "2028-12-31", from: '2026-01-01' },
  title: "Exchange of THB statistics, Serbia to Croatia",
  legal_basis: { article: "Article 5", instrument: Memorandum of Understanding on the exchange of THB statistics },
  purposes: [ statistics, policy ], threshold: 3, retention_years: 5,
  grants: [ { years: { from: 2015 }, by: [VICT_STATUS, SEX, AGE_GROUP], indicator: V1 } ] }
`],
  ['defaults-written', 'The same agreement with its defaults written out (onward_sharing: false, prohibitions: []). Same hash as 01.', AGREEMENT_TEXT + 'onward_sharing: false\nprohibitions: []\n'],
  ['full', 'Every optional member: a grant with its own threshold and groups of codes, years as a list, onward sharing, prohibitions, and non-ASCII text (hashed as UTF-8).', `agreement: srb-europol
version: 2
title: "Razmena statistike — Srbija i Europol"
provider: SRB
recipient: EUROPOL
legal_basis:
  instrument: Agreement on operational and strategic cooperation
  article: Article 7(2)
purposes: [statistics, research]
validity:
  from: 2026-07-01
  until: 2030-06-30
  timezone: Europe/Belgrade
threshold: 3
retention_years: 10
onward_sharing: true
grants:
  - indicator: V2
    by: [EXPLOIT, SEX]
    years: [2023, 2024, 2025]
    threshold: 5
    groups:
      EXPLOIT:
        SEXUAL: [SEX]
        LABOUR: [LAB, DOM]
        OTHER: rest
prohibitions:
  - indicator: V2
    by: [AGE_GROUP]
`],
]

/** Agreement-hash vectors: each agreement file, its canonical form, and its hash. */
function agreementVectors (): Array<[string, { description: string, yaml: string, canonical: string, hash: string }]> {
  return AGREEMENT_CASES.map(([name, description, yaml]) => {
    const { agreement, problems } = lintAgreementText(yaml, `${name}.yaml`)
    if (agreement === undefined) throw new Error(`agreement vector ${name}: ${problems.map(p => p.message).join('; ')}`)
    return [name, { description, yaml, canonical: canonicalJson(agreement), hash: agreementHash(agreement) }]
  })
}

/** The vector files, by path under protocol/. */
export function buildVectors (): Record<string, string> {
  const files: Record<string, string> = {}
  vectorList().forEach(([name, v], i) => {
    files[`vectors/${String(i + 1).padStart(2, '0')}-${name}.json`] = JSON.stringify(v, null, 2) + '\n'
  })
  agreementVectors().forEach(([name, v], i) => {
    files[`vectors/agreements/${String(i + 1).padStart(2, '0')}-${name}.json`] = JSON.stringify(v, null, 2) + '\n'
  })
  return files
}
