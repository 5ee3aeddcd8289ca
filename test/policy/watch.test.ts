// The node's agreements read again only after the policies folder changed (src/policy/watch.ts),
// and read on every call where the folder cannot be watched.
import { copyFileSync, mkdirSync, readFileSync, renameSync, rmSync, watch, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { SAMPLE_AGREEMENTS_DIR } from '../../src/demo/federation.js'
import { POLICIES_DIR } from '../../src/policy/load.js'
import { watchAgreements } from '../../src/policy/watch.js'
import { tempDir } from '../helpers/node.js'

/** Resolves once the folder reports a change (the watcher under test saw the same batch of events). */
function changeIn (dir: string): Promise<void> {
  return new Promise(resolve => {
    const w = watch(dir, () => { w.close(); setImmediate(resolve) })
  })
}

t.test('read once, again after a change, and without a watch where the folder is absent', async t => {
  const home = tempDir(t)
  const dir = join(home, POLICIES_DIR)
  const watched = watchAgreements(home)
  t.teardown(() => watched.close())

  t.same(watched.current(), { version: undefined, agreements: [] }, 'no folder: nothing held, nothing watched')

  mkdirSync(dir)
  copyFileSync(join(SAMPLE_AGREEMENTS_DIR, 'srb-europol.yaml'), join(dir, 'srb-europol.yaml'))
  const first = watched.current()
  t.type(first.version, 'number', 'the folder is watched once it exists')
  t.same(first.agreements.map(l => l.agreement.agreement), ['srb-europol'])
  t.equal(watched.current().agreements, first.agreements, 'no change: the very same list, not read again')

  let changed = changeIn(dir)
  const text = readFileSync(join(dir, 'srb-europol.yaml'), 'utf8').replace('version: 1', 'version: 2')
  writeFileSync(join(dir, 'srb-europol.yaml'), text)
  await changed
  const second = watched.current()
  t.not(second.version, first.version, 'a new version after the file changed')
  t.same(second.agreements.map(l => l.agreement.version), [2])
  t.not(second.agreements[0]!.hash, first.agreements[0]!.hash)

  changed = changeIn(dir)
  writeFileSync(join(dir, 'broken.yaml'), 'agreement: broken\nversion: x\n')
  await changed
  t.throws(() => watched.current(), { code: 'CONFIG_INVALID' }, 'an invalid file is reported, not cached over')
  t.throws(() => watched.current(), { code: 'CONFIG_INVALID' }, 'and reported again on the next call')
  changed = changeIn(dir)
  rmSync(join(dir, 'broken.yaml'))
  await changed
  t.same(watched.current().agreements.map(l => l.agreement.version), [2], 'fixed: read again')

  // The folder removed: no more events can come from it, so it is read on every call.
  changed = changeIn(dir)
  rmSync(dir, { recursive: true })
  await changed
  t.same(watched.current(), { version: undefined, agreements: [] })
  mkdirSync(dir)
  copyFileSync(join(SAMPLE_AGREEMENTS_DIR, 'srb-europol.yaml'), join(dir, 'srb-europol.yaml'))
  const back = watched.current()
  t.type(back.version, 'number', 'watched again once it is back')
  t.same(back.agreements.map(l => l.agreement.version), [1])

  // Another folder swapped in under the same name: no event speaks of it, its inode does.
  renameSync(dir, `${dir}.old`)
  mkdirSync(dir)
  writeFileSync(join(dir, 'srb-europol.yaml'), text.replace('version: 2', 'version: 3'))
  const swapped = watched.current()
  t.same(swapped.agreements.map(l => l.agreement.version), [3], 'the new folder is read at the next call')
  t.not(swapped.version, back.version)

  watched.close()
  t.equal(watched.current().version, undefined, 'closed: read on every call')
})
