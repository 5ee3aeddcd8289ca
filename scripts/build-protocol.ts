// Writes the generated files of protocol/ (schemas, codelists, indicators) and the test
// vectors. Run after changing src/protocol: npm run protocol:build
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { protocolArtifacts } from '../src/protocol/artifacts.js'
import { buildVectors } from './vectors.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', 'protocol')
const files = { ...protocolArtifacts(), ...buildVectors() }
for (const [rel, content] of Object.entries(files)) {
  const path = join(root, rel)
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, content)
}
console.log(`wrote ${Object.keys(files).length} files under protocol/`)
