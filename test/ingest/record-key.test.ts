import { chmodSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { AppError } from '../../src/errors.js'
import { loadRecordSecret, recordKeyer } from '../../src/ingest/record-key.js'
import { tempDir } from '../helpers/node.js'

t.test('the record-id secret is created once, owner-only, and keys ids deterministically', async t => {
  const home = tempDir(t)
  const secret = loadRecordSecret(home)
  t.equal(secret.byteLength, 32)
  t.same(loadRecordSecret(home), secret, 'reused, not regenerated')
  const key = recordKeyer(secret)
  t.equal(key('SRB-V-2023-000001'), key('SRB-V-2023-000001'))
  t.not(key('SRB-V-2023-000001'), recordKeyer(Buffer.alloc(32))('SRB-V-2023-000001'), 'another node\'s secret gives another key')
  t.match(key('x'), /^[A-Za-z0-9_-]{43}$/)
  const file = join(home, 'keys', 'record-key.secret')
  chmodSync(file, 0o640)
  t.throws(() => loadRecordSecret(home), new AppError('KEY_FILE_INSECURE', `${file}: secret is readable by group or others (mode 640); run chmod 600 on it`))
  chmodSync(file, 0o600)
  writeFileSync(file, readFileSync(file, 'utf8').slice(0, 10))
  t.throws(() => loadRecordSecret(home), new AppError('KEY_FILE_INVALID', `${file}: the secret must be at least 32 bytes`))
})
