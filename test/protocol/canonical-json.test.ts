import t from 'tap'
import { canonicalJson, jsonDepth, parseCanonical, MAX_DEPTH, MAX_PAYLOAD_BYTES } from '../../src/protocol/canonical-json.js'
import { decodeBase64url, encodeBase64url } from '../../src/protocol/base64url.js'
import { AppError } from '../../src/errors.js'

const code = (fn: () => unknown): string | undefined => {
  try {
    fn()
    return undefined
  } catch (err) {
    return (err as AppError).code
  }
}

t.test('RFC 8785 ordering and escaping', async t => {
  // Members sort by UTF-16 code units (RFC 8785 section 3.2.3), strings use minimal escapes.
  t.equal(canonicalJson({ b: 1, a: [true, null, 'x'], A: { z: 0, '€': 2, '\r': 3 } }),
    '{"A":{"\\r":3,"z":0,"€":2},"a":[true,null,"x"],"b":1}')
  t.equal(canonicalJson({ s: '\u0000\u001f"\\/é😀' }), '{"s":"\\u0000\\u001f\\"\\\\/é😀"}')
  t.equal(canonicalJson(Object.fromEntries([['\u{1F600}', 1], ['\uFB33', 2]])), '{"\u{1F600}":1,"\uFB33":2}', 'surrogate pairs sort by code unit, before U+FB33')
  t.equal(canonicalJson(-0), '0')
  t.equal(canonicalJson(Number.MAX_SAFE_INTEGER), '9007199254740991')
})

t.test('numbers must be safe integers', async t => {
  t.equal(code(() => canonicalJson({ a: 1.5 })), 'PAYLOAD_NOT_CANONICAL')
  t.equal(code(() => canonicalJson([1, [2, [Number.MAX_SAFE_INTEGER + 1]]])), 'PAYLOAD_NOT_CANONICAL')
  t.equal(code(() => canonicalJson({ a: Number.NaN })), 'PAYLOAD_NOT_CANONICAL')
  t.equal(code(() => canonicalJson({ a: '\ud800' })), 'PAYLOAD_NOT_CANONICAL', 'lone surrogate')
  t.equal(code(() => canonicalJson(undefined)), 'PAYLOAD_NOT_CANONICAL')
  const cyclic: Record<string, unknown> = { a: 1 }
  cyclic.self = cyclic
  t.equal(code(() => canonicalJson(cyclic)), 'PAYLOAD_NOT_CANONICAL', 'a cycle is refused, not looped over')
  t.match((() => { try { canonicalJson({ a: [0, 2.5] }) } catch (e) { return (e as Error).message } })(), '$.a[1]: numbers must be safe integers (got 2.5)')
})

t.test('parseCanonical accepts exactly the canonical bytes', async t => {
  t.same(parseCanonical(Buffer.from('{"a":1,"b":[2]}')), { a: 1, b: [2] })
  const cases: Array<[string, string | Buffer]> = [
    ['PAYLOAD_NOT_CANONICAL', '{"b":1,"a":1}'],
    ['PAYLOAD_NOT_CANONICAL', '{"a": 1}'],
    ['PAYLOAD_NOT_CANONICAL', '{"a":1,"a":1}'],
    ['PAYLOAD_NOT_CANONICAL', '{"a":1.0}'],
    ['PAYLOAD_NOT_CANONICAL', '{"a":"\\u0041"}'],
    ['PAYLOAD_NOT_CANONICAL', '{"a":1}\n'],
    ['PAYLOAD_INVALID_JSON', '{"a":'],
    ['PAYLOAD_INVALID_JSON', Buffer.from([0x22, 0xc3, 0x28, 0x22])],
    ['PAYLOAD_INVALID_JSON', Buffer.from([0xef, 0xbb, 0xbf, 0x31])],
    ['PAYLOAD_TOO_LARGE', '['.repeat(MAX_DEPTH + 1) + ']'.repeat(MAX_DEPTH + 1)],
  ]
  for (const [expected, input] of cases) {
    t.equal(code(() => parseCanonical(typeof input === 'string' ? Buffer.from(input) : input)), expected, JSON.stringify(input.toString()))
  }
  t.equal(code(() => parseCanonical(new Uint8Array(MAX_PAYLOAD_BYTES + 1))), 'PAYLOAD_TOO_LARGE')
  t.equal(code(() => parseCanonical(Buffer.from('['.repeat(MAX_DEPTH) + ']'.repeat(MAX_DEPTH)))), undefined, 'exactly the depth limit is accepted')
})

t.test('jsonDepth ignores brackets inside strings', async t => {
  t.equal(jsonDepth('{"a":"[[[[\\"{{{"}'), 1)
  t.equal(jsonDepth('[[],[[]]]'), 3)
  t.equal(jsonDepth('1'), 0)
})

t.test('base64url is strict', async t => {
  t.equal(encodeBase64url(Buffer.from([0xfb, 0xff])), '-_8')
  t.same(decodeBase64url('-_8'), Buffer.from([0xfb, 0xff]))
  t.equal(decodeBase64url('-_8='), undefined, 'padding')
  t.equal(decodeBase64url('+/8'), undefined, 'standard alphabet')
  t.equal(decodeBase64url('-_9'), undefined, 'non-zero trailing bits')
  t.equal(decodeBase64url('A'), undefined, 'impossible length')
  t.same(decodeBase64url(''), Buffer.alloc(0))
  // Every 1- and 2-byte value round-trips, and every non-canonical final character is refused.
  const wrong: string[] = []
  let refused = 0
  for (let n = 0; n < 65536; n += 7) {
    const bytes = n < 256 ? Buffer.from([n]) : Buffer.from([n >> 8, n & 255])
    const text = bytes.toString('base64url')
    if (!bytes.equals(decodeBase64url(text) ?? Buffer.alloc(0))) wrong.push(text)
    for (const c of 'BCDFHJ_') {
      const other = text.slice(0, -1) + c
      if (other === text || Buffer.from(other, 'base64url').toString('base64url') === other) continue
      refused++
      if (decodeBase64url(other) !== undefined) wrong.push(other)
    }
  }
  t.same(wrong, [], 'canonical forms decode, non-canonical ones are refused')
  t.ok(refused > 10000, `non-canonical forms tried: ${refused}`)
})
