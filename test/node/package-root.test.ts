// Files shipped beside the code resolve from the package root, from the sources and from the
// compiled build alike (found from outside, issue 12: `npm run build && dcimx demo` looked for
// dist/docs/agreements). .ci/run also builds and checks the compiled demo's path.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import t from 'tap'
import { SAMPLE_AGREEMENTS_DIR } from '../../src/demo/federation.js'
import { packageRoot } from '../../src/package-root.js'
import { tempDir } from '../helpers/node.js'

t.test('the package root from a module in the sources or in dist/', async t => {
  const root = tempDir(t)
  writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'dcim-exchange' }))
  mkdirSync(join(root, 'dist', 'src', 'demo'), { recursive: true })
  writeFileSync(join(root, 'dist', 'package.json'), '{"type":"module"}')
  const compiled = pathToFileURL(join(root, 'dist', 'src', 'demo', 'federation.js'))
  t.equal(packageRoot(compiled), root, 'a package.json of another name on the way is passed over')
  t.equal(packageRoot(pathToFileURL(join(root, 'src', 'demo', 'federation.ts'))), root)
  t.equal(packageRoot(pathToFileURL('/no/such/package/x.js')), undefined)
  t.ok(existsSync(SAMPLE_AGREEMENTS_DIR) && SAMPLE_AGREEMENTS_DIR.endsWith(join('docs', 'agreements')), SAMPLE_AGREEMENTS_DIR)
})
