// Every committed vector in protocol/vectors/ gets its stated verdict from the node's verifier,
// and the committed vectors and generated files are exactly what the generator produces.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { isAppError } from '../../src/errors.js'
import { protocolArtifacts } from '../../src/protocol/artifacts.js'
import { keySetFromJwks } from '../../src/protocol/keys.js'
import { verifySigned } from '../../src/protocol/verify.js'
import { buildVectors } from '../../scripts/vectors.js'

const root = join(import.meta.dirname, '..', '..', 'protocol')
const dir = join(root, 'vectors')
const files = readdirSync(dir).filter(f => f.endsWith('.json')).sort()

t.ok(files.length >= 50, `at least 50 vectors (found ${files.length})`)

for (const file of files) {
  const v = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { description: string, jwks: unknown, signed: unknown, valid: boolean, reason?: string, now: number }
  t.test(file, async t => {
    t.type(v.description, 'string')
    t.type(v.now, 'number')
    const keys = keySetFromJwks(v.jwks)
    let outcome: { valid: true } | { valid: false, reason: string }
    try {
      verifySigned(v.signed, keys, { now: v.now })
      outcome = { valid: true }
    } catch (err) {
      if (!isAppError(err)) throw err
      outcome = { valid: false, reason: err.code }
    }
    t.same(outcome, v.valid ? { valid: true } : { valid: false, reason: v.reason }, v.description)
  })
}

t.test('committed protocol files are current (npm run protocol:build)', async t => {
  const expected = { ...protocolArtifacts(), ...buildVectors() }
  for (const [rel, content] of Object.entries(expected)) {
    t.equal(readFileSync(join(root, rel), 'utf8'), content, rel)
  }
  const agreementFiles = readdirSync(join(dir, 'agreements')).filter(f => f.endsWith('.json')).map(f => `vectors/agreements/${f}`)
  const committedVectors = [...files.map(f => `vectors/${f}`), ...agreementFiles].sort()
  t.same(committedVectors, Object.keys(expected).filter(k => k.startsWith('vectors/')).sort(), 'no stale vector files')
})
