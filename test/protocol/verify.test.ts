import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import fc from 'fast-check'
import { flattenedVerify, importJWK } from 'jose'
import t from 'tap'
import { AppError, isAppError } from '../../src/errors.js'
import { generateSigningKey, jwksOf, keySetFromJwks } from '../../src/protocol/keys.js'
import { signMessage } from '../../src/protocol/jws.js'
import { verifySigned } from '../../src/protocol/verify.js'
import { sampleRelease, sampleDescriptor, VECTOR_NOW, vectorKey } from '../../scripts/vectors.js'

const SRB = vectorKey('SRB-1', 'SRB')
const keys = keySetFromJwks(jwksOf([SRB]))

/** An independent RFC 8785 serialiser for integer-only JSON, sharing no code with the node. */
function jcs (v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(jcs).join(',')}]`
  if (v !== null && typeof v === 'object') {
    return `{${Object.keys(v).sort().map(k => `${JSON.stringify(k)}:${jcs((v as Record<string, unknown>)[k])}`).join(',')}}`
  }
  return JSON.stringify(v)
}

t.test('a signed object verifies and carries its content id', async t => {
  const release = sampleRelease()
  const s = signMessage('release', release, SRB)
  const v = verifySigned(s.jws, keys, { now: VECTOR_NOW, expectedType: 'release' })
  t.same(v.payload, release)
  t.equal(v.id, s.id)
  t.equal(v.id, createHash('sha256').update(Buffer.from(s.jws.payload, 'base64url')).digest('base64url'))
  t.same(v.header, { alg: 'EdDSA', kid: SRB.kid, typ: 'release' })
  t.equal(v.key.node, 'SRB')
  t.throws(() => verifySigned(s.jws, keys, { now: VECTOR_NOW, expectedType: 'feed' }), new AppError('TYPE_MISMATCH', 'expected a feed, got a release'))
})

t.test('the node refuses to sign what it would refuse to receive', async t => {
  t.throws(() => signMessage('release', { ...sampleRelease(), feed_seq: 0 }, SRB), { code: 'SCHEMA_INVALID', message: 'release: /feed_seq must be >= 1' })
  t.throws(() => signMessage('release', { ...sampleRelease(), extra: 1 } as never, SRB), { code: 'SCHEMA_INVALID', message: 'release: (root) must NOT have additional properties "extra"' })
  t.throws(() => signMessage('node-descriptor', { ...sampleDescriptor(), issued_at: 1.5 }, SRB), { code: 'SCHEMA_INVALID' })
  t.throws(() => signMessage('release', { ...sampleRelease(), expires_at: VECTOR_NOW - 7200 }, SRB), new AppError('SCHEMA_INVALID', 'release: expires_at must be after issued_at'))
  // The message rules of step 13 as well as the schema.
  t.throws(() => signMessage('release', { ...sampleRelease(), version: 2, dataset: { indicator: 'V1', years: [2024, 2025] } }, SRB), new AppError('SCHEMA_INVALID', 'release: a release with a version covers one year'))
  t.throws(() => signMessage('node-descriptor', { ...sampleDescriptor(), node: { ...sampleDescriptor().node, id: 'HRV' } }, SRB), new AppError('SCHEMA_INVALID', 'node-descriptor: node.id must equal issuer'))
  t.equal(signMessage('release', { ...sampleRelease(), version: 2 }, SRB).payload.version, 2)
})

t.test('expiry and clock skew edges', async t => {
  const r = sampleRelease()
  const at = (issued: number, expires: number): AppError | undefined => {
    try {
      verifySigned(signMessage('release', { ...r, issued_at: issued, expires_at: expires }, SRB).jws, keys, { now: VECTOR_NOW, skew: 300 })
      return undefined
    } catch (err) {
      return err as AppError
    }
  }
  t.equal(at(VECTOR_NOW + 300, VECTOR_NOW + 900), undefined, 'issued exactly 5 minutes ahead is accepted')
  t.equal(at(VECTOR_NOW + 301, VECTOR_NOW + 900)?.code, 'NOT_YET_VALID')
  t.equal(at(VECTOR_NOW - 900, VECTOR_NOW - 299), undefined, 'expired 299 s ago is within skew')
  t.equal(at(VECTOR_NOW - 900, VECTOR_NOW - 300)?.code, 'EXPIRED')
  t.equal(at(VECTOR_NOW - 7200, VECTOR_NOW - 3600)?.message, 'expired at 2026-11-24T23:00:00Z (now 2026-11-25T00:00:00Z)')
})

t.test('every valid vector also verifies with jose and an independent canonical check', async t => {
  const dir = join(import.meta.dirname, '..', '..', 'protocol', 'vectors')
  for (const file of readdirSync(dir).filter(f => f.endsWith('.json'))) {
    const v = JSON.parse(readFileSync(join(dir, file), 'utf8'))
    if (v.valid !== true) continue
    const header = JSON.parse(Buffer.from(v.signed.protected, 'base64url').toString())
    const jwk = v.jwks.keys.find((k: { kid: string }) => k.kid === header.kid)
    const { payload } = await flattenedVerify(v.signed, await importJWK(jwk, 'EdDSA'), { algorithms: ['EdDSA'] })
    const text = new TextDecoder().decode(payload)
    t.equal(jcs(JSON.parse(text)), text, `${file}: payload is canonical`)
    t.equal(JSON.parse(text).issuer, jwk.node, `${file}: issuer matches the key's node`)
  }
})

t.test('hostile mutations of a signed object never crash the verifier', async t => {
  const good = signMessage('release', sampleRelease(), SRB).jws
  const other = keySetFromJwks(jwksOf([SRB, generateSigningKey('HRV')]))
  const part = fc.constantFrom('protected', 'payload', 'signature')
  const mutation = fc.oneof(
    fc.record({ part, at: fc.nat(), char: fc.constantFrom('A', '-', '_', '=', '+', '/', '.', ' ', '\u0000') }),
    fc.record({ part, text: fc.string({ maxLength: 200 }) }),
    fc.record({ part, json: fc.jsonValue({ maxDepth: 6 }) })
  )
  let checked = 0
  fc.assert(fc.property(mutation, m => {
    const signed: Record<string, unknown> = { ...good }
    const current = String(signed[m.part])
    if ('char' in m) signed[m.part] = current.slice(0, m.at % current.length) + m.char + current.slice(m.at % current.length + 1)
    else if ('text' in m) signed[m.part] = Buffer.from(m.text).toString('base64url')
    else signed[m.part] = m.json
    try {
      verifySigned(signed, other, { now: VECTOR_NOW })
      // Only a no-op mutation may still verify.
      return JSON.stringify(signed) === JSON.stringify(good)
    } catch (err) {
      checked++
      return isAppError(err) && /^[A-Z_]+$/.test(err.code)
    }
  }), { numRuns: 2000, seed: 20261125 })
  t.ok(checked > 1900, `mutations rejected with a protocol error code (${checked})`)
})
