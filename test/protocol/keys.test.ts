import { sign as cryptoSign } from 'node:crypto'
import { calculateJwkThumbprint } from 'jose'
import t from 'tap'
import { AppError } from '../../src/errors.js'
import { generateSigningKey, importPrivateJwk, jwksOf, keySetFromJwks, thumbprint, exportPrivateJwk, signingKeyFromSeed } from '../../src/protocol/keys.js'
import { signingInput } from '../../src/protocol/jws.js'

// RFC 8037 appendix A: the Ed25519 key, its thumbprint (A.3) and the JWS of A.4.
const RFC8037 = {
  d: 'nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A',
  x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo',
  thumbprint: 'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k',
  protected: 'eyJhbGciOiJFZERTQSJ9',
  payload: 'RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc',
  signature: 'hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg',
}

t.test('RFC 8037 test vectors', async t => {
  t.equal(thumbprint(RFC8037.x), RFC8037.thumbprint)
  const key = importPrivateJwk({ kty: 'OKP', crv: 'Ed25519', d: RFC8037.d, x: RFC8037.x, node: 'SRB' }, 'rfc8037')
  t.equal(key.kid, RFC8037.thumbprint)
  const sig = cryptoSign(null, signingInput(RFC8037.protected, RFC8037.payload), key.privateKey)
  t.equal(sig.toString('base64url'), RFC8037.signature)
})

t.test('kid is the RFC 7638 thumbprint, as jose computes it', async t => {
  for (let i = 0; i < 5; i++) {
    const key = generateSigningKey('HRV')
    t.equal(key.kid, await calculateJwkThumbprint(key.publicJwk, 'sha256'))
    t.same(Object.keys(key.publicJwk).sort(), ['alg', 'crv', 'kid', 'kty', 'node', 'use', 'x'], 'public JWK has no private member')
  }
})

t.test('private JWK round trip and seeds', async t => {
  const key = generateSigningKey('SRB')
  const back = importPrivateJwk(exportPrivateJwk(key), 'file')
  t.equal(back.kid, key.kid)
  t.equal(signingKeyFromSeed(Buffer.alloc(32, 1), 'SRB').kid, signingKeyFromSeed(Buffer.alloc(32, 1), 'SRB').kid)
  t.throws(() => signingKeyFromSeed(Buffer.alloc(31), 'SRB'), { code: 'KEY_FILE_INVALID' })
  t.throws(() => importPrivateJwk({ kty: 'RSA' }, 'k.jwk'), { code: 'KEY_FILE_INVALID', message: 'k.jwk: not an Ed25519 private JWK with a node' })
  const other = generateSigningKey('SRB')
  t.throws(() => importPrivateJwk({ ...exportPrivateJwk(key), x: other.publicJwk.x }, 'k.jwk'), { code: 'KEY_FILE_INVALID', message: 'k.jwk: public part does not match the private key' })
})

t.test('keySetFromJwks refuses anything but well-formed Ed25519 public keys', async t => {
  const key = generateSigningKey('SRB')
  const good = key.publicJwk
  t.equal(keySetFromJwks(jwksOf([key])).get(key.kid)?.node, 'SRB')
  const bad: Array<[unknown, string]> = [
    [null, 'a JWKS is an object with a "keys" array'],
    [[good], 'a JWKS is an object with a "keys" array'],
    [{ keys: [1] }, 'keys[0] is not an object'],
    [{ keys: [{ ...good, kty: 'RSA' }] }, 'keys[0] is not an Ed25519 (OKP) key'],
    [{ keys: [{ ...good, crv: 'X25519' }] }, 'keys[0] is not an Ed25519 (OKP) key'],
    [{ keys: [{ ...good, d: 'secret' }] }, 'keys[0] contains private key material'],
    [{ keys: [{ ...good, x: 'short' }] }, 'keys[0].x is not a 32-byte base64url key'],
    [{ keys: [{ ...good, alg: 'HS256' }] }, 'keys[0].alg must be EdDSA'],
    [{ keys: [{ ...good, use: 'enc' }] }, 'keys[0].use must be sig'],
    [{ keys: [{ ...good, kid: 'my-key' }] }, 'keys[0].kid is not the RFC 7638 thumbprint of the key'],
    [{ keys: [{ ...good, node: undefined }] }, 'keys[0].node must name the node the key speaks for'],
    [{ keys: [{ ...good, node: 'srb' }] }, 'keys[0].node must name the node the key speaks for'],
  ]
  for (const [jwks, message] of bad) {
    t.throws(() => keySetFromJwks(jwks), new AppError('JWKS_INVALID', message), message)
  }
})
