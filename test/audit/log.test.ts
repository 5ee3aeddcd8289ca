import { createHash } from 'node:crypto'
import canonicalize from 'canonicalize'
import { sql, type Kysely } from 'kysely'
import t from 'tap'
import { appendAudit, AUDIT_EVENTS, auditHash, GENESIS_HASH, listAudit, verifyAuditLog, type AuditEntryInput, type AuditEvent } from '../../src/audit/log.js'
import type { Database } from '../../src/db/types.js'
import { cli, openForCommands } from '../helpers/cli.js'
import { testDb } from '../helpers/db.js'
import { makeHome, testClock, TEST_NOW } from '../helpers/node.js'

const ALTERED = 'hash does not match the entry\'s contents (the entry was altered)'

function entry (i: number, event: AuditEvent = 'publish'): AuditEntryInput {
  return { at: new Date(TEST_NOW + i * 1000), event, actor: i % 2 === 0 ? 'SRB' : 'HRV', detail: { n: i, release: `r${i}`, nested: { ok: true, list: [i, null, 'x'] } } }
}

async function appendMany (db: Kysely<Database>, from: number, to: number): Promise<void> {
  for (let i = from; i <= to; i++) await appendAudit(db, entry(i, i % 3 === 0 ? 'pull_served' : 'publish'))
}

t.test('appending and verifying the chain', async t => {
  const { db } = await testDb(t)
  t.same(await verifyAuditLog(db), { entries: 0, head: null, broken: null }, 'an empty log is intact')

  const first = await appendAudit(db, { at: new Date(TEST_NOW), event: 'agreement_change', actor: 'SRB', detail: { agreement: 'srb-hrv', version: 2, hash: 'abc' } })
  t.equal(first.seq, 1)
  // Recomputed here without src/: canonical JSON of the hashed object, SHA-256, base64url.
  const text = '{"actor":"SRB","at":1795608000000,"detail":{"agreement":"srb-hrv","hash":"abc","version":2},"event":"agreement_change","prev":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","seq":1}'
  t.equal(canonicalize({ seq: 1, at: TEST_NOW, event: 'agreement_change', actor: 'SRB', detail: { version: 2, agreement: 'srb-hrv', hash: 'abc' }, prev: 'A'.repeat(43) }), text)
  t.equal(first.hash, createHash('sha256').update(text, 'utf8').digest('base64url'), 'the hash of the first entry')
  t.equal(first.hash, 'huXTetlEDcZgIhv3UolWnIUuj23-A8zUpdH8-vh9YAU', 'a fixed test vector')
  t.equal(GENESIS_HASH, Buffer.alloc(32).toString('base64url'))

  await appendMany(db, 2, 6)
  const rows = await db.selectFrom('audit_log').selectAll().orderBy('seq').execute()
  t.same(rows.map(r => r.seq), [1, 2, 3, 4, 5, 6])
  t.same(rows.map(r => r.prev_hash), [GENESIS_HASH, ...rows.slice(0, -1).map(r => r.hash)], 'each entry links to the one before')
  t.same(rows[1]!.detail, entry(2).detail, 'detail is stored as given')
  t.equal(rows[1]!.at.getTime(), TEST_NOW + 2000)
  t.equal(rows[5]!.hash, auditHash({ seq: 6, at: new Date(TEST_NOW + 6000), event: 'pull_served', actor: 'SRB', detail: entry(6).detail, prev: rows[4]!.hash }))
  const intact = { entries: 6, head: { seq: 6, hash: rows[5]!.hash }, broken: null }
  t.same(await verifyAuditLog(db), intact)
  t.same(await verifyAuditLog(db, { batchSize: 2 }), intact, 'the same across pages')

  t.test('an altered field is reported at its entry', async t => {
    const tamperings: Array<[string, string, string]> = [
      ['detail', 'detail = jsonb_set(detail, \'{nested,ok}\', \'false\')', 'detail = jsonb_set(detail, \'{nested,ok}\', \'true\')'],
      ['event', 'event = \'refusal\'', 'event = \'pull_served\''],
      ['actor', 'actor = \'SRB\'', 'actor = \'HRV\''],
      ['at', 'at = at + interval \'1 second\'', 'at = at - interval \'1 second\''],
      ['at by a microsecond', 'at = at + interval \'1 microsecond\'', 'at = at - interval \'1 microsecond\''],
      ['hash', 'hash = \'x\' || hash', 'hash = substr(hash, 2)'],
    ]
    for (const [what, change, undo] of tamperings) {
      await sql.raw(`update audit_log set ${change} where seq = 3`).execute(db)
      t.same(await verifyAuditLog(db), { ...intact, broken: { seq: 3, reason: ALTERED } }, `${what} altered`)
      await sql.raw(`update audit_log set ${undo} where seq = 3`).execute(db)
      t.same(await verifyAuditLog(db), intact, `${what} restored`)
    }
    // Only the first break is reported.
    await sql`update audit_log set actor = 'MNE' where seq in (2, 5)`.execute(db)
    t.same((await verifyAuditLog(db)).broken, { seq: 2, reason: ALTERED })
    await sql`update audit_log set actor = 'SRB' where seq = 2`.execute(db)
    await sql`update audit_log set actor = 'HRV' where seq = 5`.execute(db)
    // A float slipped into a row cannot even be hashed: still reported as altered.
    await sql`update audit_log set detail = '{"n":1.5}'::jsonb where seq = 4`.execute(db)
    t.same((await verifyAuditLog(db)).broken, { seq: 4, reason: ALTERED })
    await sql`update audit_log set detail = ${JSON.stringify(entry(4).detail)}::jsonb where seq = 4`.execute(db)
    t.same(await verifyAuditLog(db), intact)
  })

  t.test('a rewritten entry with a recomputed hash breaks the next link', async t => {
    const r3 = rows[2]!
    const forged = auditHash({ seq: 3, at: r3.at, event: r3.event, actor: r3.actor, detail: { forged: 1 }, prev: r3.prev_hash })
    await sql`update audit_log set detail = '{"forged":1}'::jsonb, hash = ${forged} where seq = 3`.execute(db)
    t.same((await verifyAuditLog(db)).broken, { seq: 4, reason: 'prev_hash does not match the hash of #3' })
    await sql`update audit_log set detail = ${JSON.stringify(r3.detail)}::jsonb, hash = ${r3.hash} where seq = 3`.execute(db)

    await sql`update audit_log set prev_hash = ${rows[1]!.hash} where seq = 5`.execute(db)
    t.same((await verifyAuditLog(db)).broken, { seq: 5, reason: 'prev_hash does not match the hash of #4' })
    await sql`update audit_log set prev_hash = ${rows[3]!.hash} where seq = 5`.execute(db)

    await sql`update audit_log set prev_hash = ${rows[0]!.hash} where seq = 1`.execute(db)
    t.same((await verifyAuditLog(db)).broken, { seq: 1, reason: 'prev_hash is not the genesis value' })
    await sql`update audit_log set prev_hash = ${GENESIS_HASH} where seq = 1`.execute(db)
    t.same(await verifyAuditLog(db), intact)
  })

  t.test('a removed entry leaves a gap at its seq', async t => {
    const reinsert = async (seqs: number[]): Promise<void> => {
      await db.insertInto('audit_log').values(rows.filter(r => seqs.includes(r.seq)).map(r => ({ ...r, detail: JSON.stringify(r.detail) }))).execute()
    }
    await sql`delete from audit_log where seq = 3`.execute(db)
    t.same(await verifyAuditLog(db), { entries: 5, head: intact.head, broken: { seq: 3, reason: 'entry #3 is missing (the log jumps from #2 to #4)' } })
    t.same((await verifyAuditLog(db, { batchSize: 2 })).broken, { seq: 3, reason: 'entry #3 is missing (the log jumps from #2 to #4)' }, 'also at a page boundary')
    await sql`delete from audit_log where seq = 4`.execute(db)
    t.same((await verifyAuditLog(db)).broken, { seq: 3, reason: 'entries #3 to #4 are missing (the log jumps from #2 to #5)' })
    await reinsert([3, 4])
    await sql`delete from audit_log where seq = 1`.execute(db)
    t.same((await verifyAuditLog(db)).broken, { seq: 1, reason: 'entry #1 is missing (the log starts at #2)' })
    await reinsert([1])
    await db.insertInto('audit_log').values({ ...rows[0]!, seq: 0, detail: '{}' }).execute()
    t.same((await verifyAuditLog(db)).broken, { seq: 0, reason: 'entry #0 is out of sequence: the log starts at #1' })
    await sql`delete from audit_log where seq = 0`.execute(db)
    t.same(await verifyAuditLog(db), intact)
  })

  t.test('listing', async t => {
    t.same((await listAudit(db)).map(e => e.seq), [1, 2, 3, 4, 5, 6])
    t.same((await listAudit(db, { after: 2, limit: 3 })).map(e => e.seq), [3, 4, 5])
    t.same((await listAudit(db, { limit: 2, newest: true })).map(e => e.seq), [5, 6])
    t.same((await listAudit(db, { event: 'pull_served' })).map(e => e.seq), [3, 6])
    const [e] = await listAudit(db, { after: 5 })
    t.same(e, { seq: 6, at: new Date(TEST_NOW + 6000), event: 'pull_served', actor: 'SRB', detail: entry(6).detail, prevHash: rows[4]!.hash, hash: rows[5]!.hash })
  })
})

t.test('appending inside transactions, concurrently, and refusals', async t => {
  const { db } = await testDb(t)
  await appendAudit(db, entry(1))

  await t.rejects(db.transaction().execute(async trx => {
    const r = await appendAudit(trx, entry(2))
    t.equal(r.seq, 2, 'seen inside the transaction')
    throw new Error('the audited action failed')
  }), { message: 'the audited action failed' })
  t.same((await listAudit(db)).map(e => e.seq), [1], 'rolled back with the transaction')

  const inTrx = await db.transaction().execute(async trx => {
    await trx.insertInto('node_identity').values({ id: 1, node_id: 'SRB', created_at: new Date(TEST_NOW) }).onConflict(oc => oc.doNothing()).execute()
    return await appendAudit(trx, entry(2))
  })
  t.equal(inTrx.seq, 2, 'committed with the transaction')

  const results = await Promise.all(Array.from({ length: 20 }, (_, i) => db.transaction().execute(trx => appendAudit(trx, entry(10 + i, 'pull_applied')))))
  t.same(results.map(r => r.seq).sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i + 3), 'twenty distinct seqs, no gaps')
  const v = await verifyAuditLog(db)
  t.same([v.entries, v.head?.seq, v.broken], [22, 22, null], 'one consistent chain')

  const refused: Array<[string, AuditEntryInput, string]> = [
    ['a fraction', { ...entry(1), detail: { ratio: 0.5 } }, 'publish entry has no canonical JSON form: $.ratio: numbers must be safe integers (got 0.5)'],
    ['an unsafe integer', { ...entry(1), detail: { big: 2 ** 53 } }, 'publish entry has no canonical JSON form: $.big: numbers must be safe integers (got 9007199254740992)'],
    ['a lone surrogate', { ...entry(1), detail: { s: '\ud800' } }, 'publish entry has no canonical JSON form: value has no canonical JSON form: Lone surrogate is not allowed'],
    ['U+0000', { ...entry(1), detail: { s: 'a\u0000b' } }, 'detail must not contain U+0000'],
    ['U+0000 in a member name', { ...entry(1), detail: { list: [{ 'a\u0000': 1 }] } }, 'detail must not contain U+0000'],
    ['an array', { ...entry(1), detail: [] as unknown as Record<string, unknown> }, 'detail must be a JSON object'],
    ['an unknown event', { ...entry(1), event: 'shrug' as AuditEvent }, `unknown audit event "shrug"; one of ${AUDIT_EVENTS.join(', ')}`],
    ['an empty actor', { ...entry(1), actor: '' }, 'actor must be a non-empty string without U+0000'],
    ['an invalid time', { ...entry(1), at: new Date(Number.NaN) }, 'at must be a valid Date'],
  ]
  for (const [what, e, message] of refused) {
    await t.rejects(appendAudit(db, e), { code: 'AUDIT_ENTRY_INVALID', message }, what)
  }
  t.equal((await verifyAuditLog(db)).entries, 22, 'nothing written')
})

t.test('verifying a long log in pages', async t => {
  const { db } = await testDb(t)
  const n = 12_345
  let prev = GENESIS_HASH
  const all = []
  for (let seq = 1; seq <= n; seq++) {
    const e = { seq, at: new Date(TEST_NOW + seq), event: 'pull_served', actor: 'HRV', detail: { seq } }
    const hash = auditHash({ ...e, prev })
    all.push({ ...e, detail: JSON.stringify(e.detail), prev_hash: prev, hash })
    prev = hash
  }
  for (let i = 0; i < n; i += 1000) await db.insertInto('audit_log').values(all.slice(i, i + 1000)).execute()
  t.same(await verifyAuditLog(db), { entries: n, head: { seq: n, hash: prev }, broken: null })
  t.equal((await appendAudit(db, entry(1))).seq, n + 1, 'appends continue the chain')
  await sql`update audit_log set actor = 'SRB' where seq = 10001`.execute(db)
  t.same((await verifyAuditLog(db)).broken, { seq: 10001, reason: ALTERED }, 'found in the third page')
})

t.test('dcimx audit verify and list', async t => {
  const r = await makeHome(t, 'SRB')
  const env = r.databaseUrl === undefined ? {} : { DATABASE_URL: r.databaseUrl }

  // The first and the last commands open the home themselves; the others run on the home opened
  // once (`attached`), as `dcimx serve` runs a command routed through its admin channel: the same
  // command code, without the embedded database's start-up each time.
  t.same(await cli(['audit', 'verify', '--home', r.home], { env }), { status: 0, stdout: 'audit log intact: 0 entries\n', stderr: '' })
  t.same(await cli(['audit', 'list', '--home', r.home], { env }), { status: 0, stdout: 'no audit entries\n', stderr: '' })

  const node = await openForCommands(t, r.home, env, testClock)
  const opts = { env, attached: node }
  const db = node.db.db
  const heads = [
    await appendAudit(db, { at: new Date(TEST_NOW), event: 'agreement_change', actor: 'SRB', detail: { agreement: 'srb-hrv', version: 1 } }),
    await appendAudit(db, { at: new Date(TEST_NOW + 1500), event: 'publish', actor: 'SRB', detail: { recipient: 'HRV', seq: 1 } }),
    await appendAudit(db, { at: new Date(TEST_NOW + 60_000), event: 'pull_served', actor: 'HRV', detail: { after: 0, agreement_hash: 'h1', objects: 1 } }),
  ]

  t.same(await cli(['audit', 'verify', '--home', r.home], opts), { status: 0, stdout: `audit log intact: 3 entries, head #3 ${heads[2]!.hash}\n`, stderr: '' })
  const json = await cli(['audit', 'verify', '--home', r.home, '--json'], opts)
  t.same([json.status, JSON.parse(json.stdout)], [0, { intact: true, entries: 3, head: heads[2], broken: null }])

  t.same(await cli(['audit', 'list', '--home', r.home], opts), {
    status: 0,
    stdout: '#1 2026-11-25T12:00:00Z agreement_change SRB {"agreement":"srb-hrv","version":1}\n' +
      '#2 2026-11-25T12:00:01.500Z publish SRB {"recipient":"HRV","seq":1}\n' +
      '#3 2026-11-25T12:01:00Z pull_served HRV {"after":0,"agreement_hash":"h1","objects":1}\n',
    stderr: '',
  })
  t.equal((await cli(['audit', 'list', '--home', r.home, '--limit', '1'], opts)).stdout, '#3 2026-11-25T12:01:00Z pull_served HRV {"after":0,"agreement_hash":"h1","objects":1}\n', 'the newest')
  t.equal((await cli(['audit', 'list', '--home', r.home, '--after', '1', '--limit', '1'], opts)).stdout, '#2 2026-11-25T12:00:01.500Z publish SRB {"recipient":"HRV","seq":1}\n')
  t.equal((await cli(['audit', 'list', '--home', r.home, '--event', 'publish'], opts)).stdout, '#2 2026-11-25T12:00:01.500Z publish SRB {"recipient":"HRV","seq":1}\n')
  t.equal((await cli(['audit', 'list', '--home', r.home, '--event', 'refusal'], opts)).stdout, 'no audit entries for refusal\n')
  t.equal((await cli(['audit', 'list', '--home', r.home, '--after', '3'], opts)).stdout, 'no audit entries after #3\n')
  const listed = await cli(['audit', 'list', '--home', r.home, '--json', '--limit', '1'], opts)
  t.same(JSON.parse(listed.stdout), [{ seq: 3, at: '2026-11-25T12:01:00.000Z', event: 'pull_served', actor: 'HRV', detail: { after: 0, agreement_hash: 'h1', objects: 1 }, prev_hash: heads[1]!.hash, hash: heads[2]!.hash }])

  t.same(await cli(['audit', 'list', '--home', r.home, '--event', 'bogus'], { env }), { status: 2, stdout: '', stderr: `dcimx: --event "bogus" is not an audit event; one of ${AUDIT_EVENTS.join(', ')}\n` })
  t.same(await cli(['audit', 'list', '--home', r.home, '--limit', '0'], { env }), { status: 2, stdout: '', stderr: 'dcimx: --limit must be a whole number from 1 to 10,000\n' })
  t.same(await cli(['audit', 'list', '--home', r.home, '--after', '-1'], { env }), { status: 2, stdout: '', stderr: 'dcimx: --after must be a whole number\n' })

  await sql`update audit_log set detail = '{"ratio":0.5,"recipient":"MNE"}'::jsonb where seq = 2`.execute(db)
  t.equal((await cli(['audit', 'list', '--home', r.home, '--after', '1', '--limit', '1'], opts)).stdout, '#2 2026-11-25T12:00:01.500Z publish SRB {"ratio":0.5,"recipient":"MNE"}\n', 'shown as stored, even when not canonical')
  t.same(await cli(['audit', 'verify', '--home', r.home], opts), { status: 1, stdout: `audit log broken at #2: ${ALTERED}\n`, stderr: '' })
  const broken = await cli(['audit', 'verify', '--home', r.home, '--json'], opts)
  t.same([broken.status, JSON.parse(broken.stdout)], [1, { intact: false, entries: 3, head: heads[2], broken: { seq: 2, reason: ALTERED } }])

  await sql`delete from audit_log where seq = 2`.execute(db)
  await node.db.close()
  t.same(await cli(['audit', 'verify', '--home', r.home], { env }), { status: 1, stdout: 'audit log broken at #2: entry #2 is missing (the log jumps from #1 to #3)\n', stderr: '' })
})
