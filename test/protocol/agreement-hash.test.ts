// The agreement hash as protocol/README.md section 11 defines it, computed here independently
// (the yaml package's YAML 1.2 core schema, the defaults filled in, RFC 8785 by the
// canonicalize package, SHA-256, base64url) for every vector in protocol/vectors/agreements/,
// and by the node's own code.
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import canonicalize from 'canonicalize'
import t from 'tap'
import { parse } from 'yaml'
import { agreementHash, lintAgreementText } from '../../src/policy/load.js'

const dir = join(import.meta.dirname, '..', '..', 'protocol', 'vectors', 'agreements')
const files = readdirSync(dir).filter(f => f.endsWith('.json')).sort()

t.ok(files.length >= 4, `agreement vectors (found ${files.length})`)

for (const file of files) {
  t.test(file, async t => {
    const v = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { description: string, yaml: string, canonical: string, hash: string }
    const parsed = parse(v.yaml, { version: '1.2', schema: 'core', uniqueKeys: true }) as Record<string, unknown>
    const filled = { onward_sharing: false, prohibitions: [], ...parsed }
    const canonical = canonicalize(filled)!
    t.equal(canonical, v.canonical, 'the canonical form')
    t.equal(createHash('sha256').update(Buffer.from(canonical, 'utf8')).digest('base64url'), v.hash, 'the hash, independently')
    t.equal(agreementHash(lintAgreementText(v.yaml, file).agreement!), v.hash, 'the hash, by the node')
  })
}

t.test('layout, quoting, comments and written defaults do not change the hash', async t => {
  const hashes = files.slice(0, 3).map(f => (JSON.parse(readFileSync(join(dir, f), 'utf8')) as { hash: string }).hash)
  t.equal(new Set(hashes).size, 1)
})
