import { chmodSync, existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { AppError } from '../../src/errors.js'
import { createRecordSecret, loadRecordSecret, recordKeyer, recordSecretFingerprint } from '../../src/ingest/record-key.js'
import { openNode } from '../../src/node/home.js'
import { cli } from '../helpers/cli.js'
import { makeHome, tempDir, testClock } from '../helpers/node.js'

const FIXTURES = join(import.meta.dirname, '..', 'fixtures')

t.test('the record-id secret is created once, owner-only, and keys ids deterministically', async t => {
  const home = tempDir(t)
  const file = join(home, 'keys', 'record-key.secret')
  t.throws(() => loadRecordSecret(home), { code: 'RECORD_KEY_MISSING' }, 'reading never creates it')
  t.notOk(existsSync(file))
  const secret = createRecordSecret(home)
  t.equal(secret.byteLength, 32)
  t.same(loadRecordSecret(home), secret, 'reused, not regenerated')
  t.same(createRecordSecret(home), secret, 'creating again keeps the one there')
  const key = recordKeyer(secret)
  t.equal(key('SRB-V-2023-000001'), key('SRB-V-2023-000001'))
  t.not(key('SRB-V-2023-000001'), recordKeyer(Buffer.alloc(32))('SRB-V-2023-000001'), 'another node\'s secret gives another key')
  t.match(key('x'), /^[A-Za-z0-9_-]{43}$/)
  chmodSync(file, 0o640)
  t.throws(() => loadRecordSecret(home), new AppError('KEY_FILE_INSECURE', `${file}: secret is readable by group or others (mode 640); run chmod 600 on it`))
  chmodSync(file, 0o600)
  writeFileSync(file, readFileSync(file, 'utf8').slice(0, 10))
  t.throws(() => loadRecordSecret(home), new AppError('KEY_FILE_INVALID', `${file}: the secret must be at least 32 bytes`))
})

t.test('a lost or swapped record-key secret cannot double the counts of a re-import', async t => {
  const home = await makeHome(t, 'SRB')
  const env = home.databaseUrl === undefined ? {} : { DATABASE_URL: home.databaseUrl }
  const file = join(home.home, 'keys', 'record-key.secret')
  const secret = readFileSync(file, 'utf8')
  const bound = async (): Promise<string | null> => {
    const node = await openNode({ home: home.home, env, clock: testClock })
    try {
      return (await node.db.db.selectFrom('node_identity').select('record_key_fingerprint').executeTakeFirstOrThrow()).record_key_fingerprint
    } finally {
      await node.db.close()
    }
  }
  t.equal(await bound(), recordSecretFingerprint(loadRecordSecret(home.home)), 'init binds the database to the secret it created')
  const victims = join(FIXTURES, 'victims-small.csv')
  const total = async (): Promise<string> => (await cli(['tables', '--home', home.home, '--indicator', 'V1', '--year', '2023', '--format', 'csv'], { env })).stdout.split('\n').find(l => l.startsWith('_T,_T,_T'))!
  t.equal((await cli(['import', 'victims', victims, '--home', home.home, '--no-publish'], { env })).status, 0)
  const before = await total()

  // The file is lost (a volume not restored): the import is refused, nothing is created.
  renameSync(file, `${file}.away`)
  const missing = await cli(['import', 'victims', victims, '--home', home.home, '--no-publish'], { env })
  t.same([missing.status, missing.stderr], [1, `dcimx: ${file} is missing: it keys every national record id this node holds, and a new one would count every re-imported record twice. Restore it from your backup of the home's keys folder (docs/operator-guide.md, "Backups"); it is never created again after dcimx init\n`])
  t.notOk(existsSync(file), 'not regenerated')
  t.equal((await cli(['status', '--home', home.home], { env })).stderr.includes('record-key'), false, 'other commands run without it')

  // Another secret in its place: refused too.
  writeFileSync(file, Buffer.alloc(32, 1).toString('base64url') + '\n', { mode: 0o600 })
  const other = await cli(['import', 'victims', victims, '--home', home.home, '--no-publish'], { env })
  t.equal(other.status, 1)
  t.equal(other.stderr, `dcimx: ${file} is not the secret this database's records were keyed with (fingerprint ${recordSecretFingerprint(Buffer.alloc(32, 1))}, the database's ${recordSecretFingerprint(Buffer.from(secret.trim(), 'base64url'))}): importing with it would count every record again. Restore the right file from your backup (docs/operator-guide.md, "Backups")\n`)
  t.equal(await total(), before, 'the counts are unchanged')

  // The backup restored: the same export again changes nothing.
  rmSync(file)
  renameSync(`${file}.away`, file)
  const again = await cli(['import', 'victims', victims, '--home', home.home, '--no-publish'], { env })
  t.equal(again.stdout, 'victims-small.csv: nothing to change: 7 row(s) already held as they are\n')
  t.equal(await total(), before)
})
