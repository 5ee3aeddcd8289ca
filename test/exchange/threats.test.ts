// Threats from a hostile peer, against the puller and against the server (shared brief,
// exchange-and-threats.md: signatures, replay and freshness, equivocation, resources, and the
// agreement checks). Croatia (HRV) is a real node; "Serbia" is a hostile HTTP server the test
// controls, signing with the genuine Serbian node key (a publisher gone bad, or its key
// stolen), so genuine objects of a real SRB node can be replayed and tampered with beside
// objects crafted from scratch. Every refusal is checked for its exact code, the sequence
// number the puller stands at, the rows stored (none) and the evidence kept.
import { createHmac, randomBytes, sign as cryptoSign } from 'node:crypto'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import t, { type Test } from 'tap'
import { epochSeconds } from '../../src/clock.js'
import { addPeer } from '../../src/exchange/peers.js'
import { signPeerToken } from '../../src/exchange/peer-token.js'
import { peerStatuses } from '../../src/exchange/status.js'
import type { SyncDeps, SyncReport } from '../../src/exchange/sync.js'
import { canonicalJson } from '../../src/protocol/canonical-json.js'
import type { FlattenedJws } from '../../src/protocol/jws.js'
import { generateSigningKey, jwksOf, keySetFromJwks, type SigningKey } from '../../src/protocol/keys.js'
import type { Feed } from '../../src/protocol/messages.js'
import { verifySigned } from '../../src/protocol/verify.js'
import { loadAgreement } from '../../src/policy/load.js'
import { connect, FIXTURES, SAMPLE_AGREEMENTS, startTestNode, testClock } from '../helpers/federation.js'
import {
  b64, feedBody, flipChar, hs256WithPublicKey, idOf, payloadText, rawSign, releasePayload, signFeed, signRelease,
  startHostilePeer, v1Cells, type Cell, type FeedHandler,
} from '../helpers/hostile-peer.js'

const AGREEMENT = join(FIXTURES, 'agreements', 'srb-hrv.yaml')
const SRB_BIH = join(SAMPLE_AGREEMENTS, 'srb-bih.yaml')
const srbHrv = loadAgreement(AGREEMENT)
const srbBih = loadAgreement(SRB_BIH)
/** The agreement reference of a valid release from SRB to HRV. */
const HELD = { id: srbHrv.agreement.agreement, hash: srbHrv.hash }
/** A well-formed content id that names nothing. */
const NOTHING = b64(Buffer.alloc(32, 1))

type Body = { feed: FlattenedJws, objects: FlattenedJws[] }
type EvidenceKind = 'equivocation' | 'rollback' | 'gap' | 'refused'

/** A raw answer: `text` with the given status and headers. */
function raw (text: string | Buffer, headers: Record<string, string | number> = {}, status = 200): FeedHandler {
  return (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers }).end(text)
  }
}

t.test('a hostile peer, and hostile callers of the feed', async t => {
  const clock = testClock()
  const START = clock.now()
  const now = (): number => epochSeconds(clock)

  // The real nodes: Serbia publishes to Croatia and to Bosnia and Herzegovina; Croatia pulls.
  const srb = await startTestNode(t, 'SRB', clock, [AGREEMENT, SRB_BIH])
  const hrv = await startTestNode(t, 'HRV', clock, [AGREEMENT])
  const srbKey = srb.running.node.signingKey
  const hrvKey = hrv.running.node.signingKey
  const hrvDb = hrv.running.node.db.db
  const srbDb = srb.running.node.db.db
  await srb.importVictims(join(FIXTURES, 'victims-small.csv'))
  const published = await srb.publish()
  t.same(published.issued.filter(i => i.recipient === 'HRV').map(i => `#${i.seq} ${i.indicator} ${i.year}`), ['#1 V1 2023', '#2 V1 2024', '#3 V2 2023', '#4 V2 2024'])
  t.ok(published.issued.some(i => i.recipient === 'BIH'), 'Serbia also publishes to Bosnia and Herzegovina')

  // The hostile "Serbia", with the genuine Serbian key, and a Bosnian peer with a key of its own.
  const hostile = await startHostilePeer(t, { id: 'SRB', key: srbKey, clock, name: 'Serbia' })
  const bihKey = generateSigningKey('BIH')
  const bih = await startHostilePeer(t, { id: 'BIH', key: bihKey, clock, name: 'Bosnia and Herzegovina' })
  await addPeer(hrvDb, clock, 'HRV', { id: 'SRB', url: hostile.url, thumbprint: srbKey.kid })
  await addPeer(hrvDb, clock, 'HRV', { id: 'BIH', url: bih.url, thumbprint: bihKey.kid })
  await connect(srb, hrv, clock)
  await addPeer(srbDb, clock, 'SRB', { id: 'BIH', url: bih.url, thumbprint: bihKey.kid })
  const srbKeys = keySetFromJwks(jwksOf([srbKey]))

  // Genuine pages the real Serbian node serves to Croatia and to Bosnia, captured now.
  const capture = async (key: SigningKey, issuer: string, agreements: string[]): Promise<Body> => {
    const token = await signPeerToken(key, { issuer, audience: 'SRB', now: now(), agreements })
    const res = await srb.running.app.inject({ method: 'GET', url: '/v1/feed?after=0', headers: { authorization: `Bearer ${token}` } })
    t.equal(res.statusCode, 200, `${issuer}'s genuine page`)
    return res.json()
  }
  const genuine = await capture(hrvKey, 'HRV', [srbHrv.hash])
  const genuineBih = await capture(bihKey, 'BIH', [srbBih.hash])
  t.equal(genuine.objects.length, 4)
  const genuineIds = genuine.objects.map(o => idOf(o)!)

  async function held (): Promise<{ incoming: number, slices: number, cells: number, evidence: number, lastSeq: number }> {
    const count = async (table: 'incoming' | 'received_slice' | 'received_cell' | 'evidence'): Promise<number> =>
      Number((await hrvDb.selectFrom(table).select(eb => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n)
    const state = await hrvDb.selectFrom('sync_state').select('last_seq').where('peer', '=', 'SRB').executeTakeFirst()
    return { incoming: await count('incoming'), slices: await count('received_slice'), cells: await count('received_cell'), evidence: await count('evidence'), lastSeq: Number(state?.last_seq ?? 0) }
  }

  /** Croatia forgets everything it received from Serbia, and the clock goes back to the start. */
  async function reset (): Promise<void> {
    await hrvDb.deleteFrom('received_cell').execute()
    await hrvDb.deleteFrom('received_slice').execute()
    await hrvDb.deleteFrom('incoming').execute()
    await hrvDb.deleteFrom('evidence').execute()
    await hrvDb.deleteFrom('sync_state').execute()
    clock.set(START)
  }

  async function pull (answer: unknown, deps?: Partial<SyncDeps>): Promise<SyncReport> {
    hostile.serve(answer)
    return await hrv.sync('SRB', deps)
  }

  interface Refusal {
    code: string
    /** The object refused (null for the page itself); not checked when absent. */
    seq?: number | null
    evidence?: EvidenceKind
    deps?: Partial<SyncDeps>
  }

  /** Serves `answer`, pulls, and checks the refusal: nothing stored, the feed where it was. */
  async function refused (t: Test, what: string, answer: unknown, e: Refusal): Promise<SyncReport> {
    const before = await held()
    const r = await pull(answer, e.deps)
    t.same({ ok: r.ok, rejected: Object.keys(r.rejected), toSeq: r.toSeq }, { ok: false, rejected: [e.code], toSeq: before.lastSeq }, `${what}: ${e.code}`)
    if (e.seq !== undefined) t.equal(r.rejected[e.code]?.[0]?.seq, e.seq, `${what}: refused at ${e.seq ?? 'the page'}`)
    const after = await held()
    t.same({ ...after, evidence: after.evidence - before.evidence }, { ...before, evidence: e.evidence === undefined ? 0 : 1 }, `${what}: nothing stored${e.evidence === undefined ? ', no evidence' : `, ${e.evidence} evidence kept`}`)
    if (e.evidence !== undefined) {
      t.equal(r.evidence.length, 1)
      const row = await hrvDb.selectFrom('evidence').selectAll().where('id', '=', r.evidence[0]!).executeTakeFirstOrThrow()
      t.equal(row.kind, e.evidence, `${what}: evidence of ${e.evidence}`)
      t.match(row.detail, new RegExp(`^${e.code}: `))
    }
    return r
  }

  async function accepted (t: Test, what: string, answer: unknown, e: { toSeq: number, applied: number, deps?: Partial<SyncDeps> }): Promise<SyncReport> {
    const r = await pull(answer, e.deps)
    t.same({ ok: r.ok, rejected: r.rejected, toSeq: r.toSeq, applied: r.applied }, { ok: true, rejected: {}, toSeq: e.toSeq, applied: e.applied }, `${what}: accepted`)
    return r
  }

  async function evidenceRow (id: number): Promise<{ kind: string, feed_seq: number | null, objects: unknown[] }> {
    const row = await hrvDb.selectFrom('evidence').select(['kind', 'feed_seq', 'objects']).where('id', '=', id).executeTakeFirstOrThrow()
    return { kind: row.kind, feed_seq: row.feed_seq, objects: (typeof row.objects === 'string' ? JSON.parse(row.objects) : row.objects) as unknown[] }
  }

  const release = (o: Parameters<typeof signRelease>[3] = {}): FlattenedJws => signRelease(srbKey, now(), HELD, o)
  const page = (objects: Parameters<typeof feedBody>[2], o: Parameters<typeof feedBody>[3] = {}): ReturnType<typeof feedBody> => feedBody(srbKey, now(), objects, o)

  await t.test('the hostile set-up works: a genuine page and a crafted one are applied', async t => {
    await reset()
    const r = await accepted(t, 'the genuine page of the real Serbian node', genuine, { toSeq: 4, applied: 4 })
    t.equal(r.headSeq, 4)
    await reset()
    await accepted(t, 'a crafted release under the agreement both hold', page([release()]), { toSeq: 1, applied: 1 })
    t.same(hostile.requests.at(-1)?.after, 0)
    t.match(hostile.requests.at(-1)?.token, /^ey/, 'the puller presents a peer token')
    await reset()
  })

  // Signatures: each forgery as the signed feed page, and as an object of a valid page.
  type Forge = (good: FlattenedJws, typ: 'feed' | 'release') => unknown
  const stray = generateSigningKey('SRB')
  const header = (typ: string, key: SigningKey = srbKey, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ alg: 'EdDSA', kid: key.kid, typ, ...extra })
  const flipByte = (g: FlattenedJws, at: (length: number) => number): FlattenedJws => {
    const bytes = Buffer.from(g.payload, 'base64url')
    const i = at(bytes.length)
    bytes[i] = bytes[i]! ^ 0x01
    return { ...g, payload: b64(bytes) }
  }
  const SIGNATURES: Array<[string, Forge, string]> = [
    ['unsigned: no signature member', g => ({ protected: g.protected, payload: g.payload }), 'JWS_MALFORMED'],
    ['unsigned: payload alone', g => ({ payload: g.payload }), 'JWS_MALFORMED'],
    ['unsigned: empty signature', g => ({ ...g, signature: '' }), 'SIGNATURE_INVALID'],
    ['compact serialization instead of the flattened object', g => `${g.protected}.${g.payload}.${g.signature}`, 'JWS_MALFORMED'],
    ['an unprotected header beside the protected one', g => ({ ...g, header: { kid: srbKey.kid } }), 'JWS_MALFORMED'],
    ['an unknown kid', (g, typ) => rawSign({ alg: 'EdDSA', kid: NOTHING, typ }, payloadText(g), srbKey), 'KEY_UNKNOWN'],
    ['a key of no descriptor, naming its own kid', (g, typ) => rawSign(header(typ, stray), payloadText(g), stray), 'KEY_UNKNOWN'],
    ['the key pinned for another peer (BIH)', (g, typ) => rawSign(header(typ, bihKey), payloadText(g), bihKey), 'KEY_UNKNOWN'],
    ['another country\'s key for a payload claiming SRB (BIH\'s)', (g, typ) => rawSign(header(typ, bihKey), canonicalJson({ ...JSON.parse(payloadText(g)), issuer: 'BIH' }), bihKey), 'KEY_UNKNOWN'],
    ['another key naming the publisher\'s kid', (g, typ) => rawSign(header(typ), payloadText(g), stray), 'SIGNATURE_INVALID'],
    ['the publisher\'s key for a payload claiming BIH', (g, typ) => rawSign(header(typ), canonicalJson({ ...JSON.parse(payloadText(g)), issuer: 'BIH' }), srbKey), 'KEY_NOT_AUTHORIZED'],
    ['alg none, empty signature', (g, typ) => ({ protected: b64(canonicalJson({ alg: 'none', kid: srbKey.kid, typ })), payload: g.payload, signature: '' }), 'ALG_NOT_ALLOWED'],
    ['alg none, the genuine signature kept', (g, typ) => ({ ...g, protected: b64(canonicalJson({ alg: 'none', kid: srbKey.kid, typ })) }), 'ALG_NOT_ALLOWED'],
    ['HS256 keyed with the publisher\'s public key', (g, typ) => hs256WithPublicKey({ alg: 'HS256', kid: srbKey.kid, typ }, g.payload, srbKey), 'ALG_NOT_ALLOWED'],
    ['alg RS256', (g, typ) => rawSign({ alg: 'RS256', kid: srbKey.kid, typ }, payloadText(g), srbKey), 'ALG_NOT_ALLOWED'],
    ['alg ES256', (g, typ) => rawSign({ alg: 'ES256', kid: srbKey.kid, typ }, payloadText(g), srbKey), 'ALG_NOT_ALLOWED'],
    ['alg Ed25519 (not the protocol\'s name)', (g, typ) => rawSign({ alg: 'Ed25519', kid: srbKey.kid, typ }, payloadText(g), srbKey), 'ALG_NOT_ALLOWED'],
    ['an unknown crit header', (g, typ) => rawSign(header(typ, srbKey, { crit: ['dcimx-ext'], 'dcimx-ext': true }), payloadText(g), srbKey), 'CRIT_UNSUPPORTED'],
    ['crit b64 false (unencoded payload)', (g, typ) => rawSign(header(typ, srbKey, { crit: ['b64'], b64: false }), payloadText(g), srbKey), 'CRIT_UNSUPPORTED'],
    ['an attacker\'s key embedded in the header (jwk)', (g, typ) => rawSign(header(typ, stray, { jwk: stray.publicJwk }), payloadText(g), stray), 'JWS_HEADER_INVALID'],
    ['a jku header', (g, typ) => rawSign(header(typ, srbKey, { jku: 'http://127.0.0.1:1/jwks.json' }), payloadText(g), srbKey), 'JWS_HEADER_INVALID'],
    ['kid injection: a path', (g, typ) => rawSign({ alg: 'EdDSA', kid: '../../etc/passwd', typ }, payloadText(g), srbKey), 'KEY_UNKNOWN'],
    ['kid injection: SQL', (g, typ) => rawSign({ alg: 'EdDSA', kid: '\' OR 1=1; DROP TABLE peer; --', typ }, payloadText(g), srbKey), 'KEY_UNKNOWN'],
    ['kid injection: __proto__', (g, typ) => rawSign({ alg: 'EdDSA', kid: '__proto__', typ }, payloadText(g), srbKey), 'KEY_UNKNOWN'],
    ['payload altered: first byte', g => flipByte(g, () => 0), 'SIGNATURE_INVALID'],
    ['payload altered: a middle byte', g => flipByte(g, n => n >> 1), 'SIGNATURE_INVALID'],
    ['payload altered: last byte', g => flipByte(g, n => n - 1), 'SIGNATURE_INVALID'],
    ['signature altered: one character', g => ({ ...g, signature: flipChar(g.signature, 10) }), 'SIGNATURE_INVALID'],
    ['signature truncated', g => ({ ...g, signature: g.signature.slice(0, 84) }), 'SIGNATURE_INVALID'],
    ['protected header altered: one byte added', g => ({ ...g, protected: b64(Buffer.from(g.protected, 'base64url').toString().replace('{', '{ ')) }), 'SIGNATURE_INVALID'],
    ['protected header altered: another typ', (g, typ) => ({ ...g, protected: b64(canonicalJson(header(typ === 'feed' ? 'release' : 'retraction'))) }), 'SIGNATURE_INVALID'],
    ['duplicate member names, validly signed', (g, typ) => rawSign(header(typ), payloadText(g).replace('"issuer":"SRB"', '"issuer":"BIH","issuer":"SRB"'), srbKey), 'PAYLOAD_NOT_CANONICAL'],
    ['insignificant whitespace, validly signed', (g, typ) => rawSign(header(typ), JSON.stringify(JSON.parse(payloadText(g)), null, 1), srbKey), 'PAYLOAD_NOT_CANONICAL'],
    ['members out of order, validly signed', (g, typ) => rawSign(header(typ), JSON.stringify(Object.fromEntries(Object.entries(JSON.parse(payloadText(g)) as object).reverse())), srbKey), 'PAYLOAD_NOT_CANONICAL'],
    ['an escaped ASCII letter, validly signed', (g, typ) => rawSign(header(typ), payloadText(g).replace('"issuer":"SRB"', '"issuer":"\\u0053RB"'), srbKey), 'PAYLOAD_NOT_CANONICAL'],
    ['a fraction, validly signed', (g, typ) => rawSign(header(typ), payloadText(g).replace(/"issued_at":(\d+)/, '"issued_at":$1.5'), srbKey), 'PAYLOAD_NOT_CANONICAL'],
  ]

  await t.test('signatures: forged feed pages', async t => {
    await reset()
    const good = signFeed(srbKey, now())
    for (const [what, forge, code] of SIGNATURES) {
      await refused(t, `feed page, ${what}`, { feed: forge(good, 'feed'), objects: [] }, { code, seq: null })
    }
    const r = await accepted(t, 'the unforged page', { feed: good, objects: [] }, { toSeq: 0, applied: 0 })
    t.equal(r.requests, 1)
  })

  await t.test('signatures: forged objects in a valid page', async t => {
    await reset()
    const good = release()
    for (const [what, forge, code] of SIGNATURES) {
      const forged = forge(good, 'release')
      await refused(t, `object, ${what}`, page([{ object: forged, id: idOf(forged as { payload?: unknown }) ?? NOTHING }]), { code, seq: 1, evidence: 'refused' })
    }
    // A genuine object of the real node, tampered with: one byte of the payload changed.
    await refused(t, 'a genuine release, one payload byte changed', page([{ object: flipByte(genuine.objects[0]!, n => n >> 1), id: genuineIds[0]! }]), { code: 'SIGNATURE_INVALID', seq: 1, evidence: 'refused' })
    await accepted(t, 'the unforged object', page([good]), { toSeq: 1, applied: 1 })
  })

  await t.test('replay and freshness', async t => {
    await reset()
    await accepted(t, 'the genuine page', genuine, { toSeq: 4, applied: 4 })
    await refused(t, 'the same page replayed after it was applied', genuine, { code: 'FEED_MISMATCH', seq: null })
    // An old release replayed at a new place: its signed feed_seq gives it away.
    await refused(t, 'release #1 replayed as #5', page([{ object: genuine.objects[0]!, id: genuineIds[0]! }], { after: 4 }), { code: 'FEED_MISMATCH', seq: 5, evidence: 'refused' })
    // An old release announced again as the head the puller already holds: a fork.
    const fork = await refused(t, 'release #1 announced as the head at #4', { feed: signFeed(srbKey, now(), { after: 4, headSeq: 4, headId: genuineIds[0]! }), objects: [] }, { code: 'EQUIVOCATION', seq: null, evidence: 'equivocation' })
    t.equal((await evidenceRow(fork.evidence[0]!)).objects.length, 1, 'the signed page naming the other head is kept')
    // The sequence going backwards.
    const back = await refused(t, 'the head back at #2', { feed: signFeed(srbKey, now(), { after: 4, headSeq: 2, headId: genuineIds[1]! }), objects: [] }, { code: 'SEQ_ROLLBACK', seq: null, evidence: 'rollback' })
    const rollback = await evidenceRow(back.evidence[0]!)
    t.same(verifySigned(rollback.objects[0], srbKeys, { now: now(), expectedType: 'feed' }).payload.head_seq, 2, 'the evidence is the signed page, verifiable')

    await reset()
    // The sequence jumping far ahead.
    const far = release({ seq: 1_000_000, prev: NOTHING })
    await refused(t, 'entry #1000000 where #1 is due', page([far], { entries: [{ seq: 1_000_000, id: idOf(far)!, type: 'release' }] }), { code: 'SEQ_GAP', seq: 1_000_000, evidence: 'gap' })
    await refused(t, 'a head at #1000 and no entries', { feed: signFeed(srbKey, now(), { headSeq: 1000, headId: NOTHING }), objects: [] }, { code: 'SEQ_GAP', seq: null, evidence: 'gap' })
    // Beyond what a 32-bit sequence column holds, up to the largest integer canonical JSON allows.
    const huge = release({ seq: 3_000_000_000, prev: NOTHING })
    const beyond = await refused(t, 'entry #3000000000 where #1 is due', page([huge], { entries: [{ seq: 3_000_000_000, id: idOf(huge)!, type: 'release' }] }), { code: 'SEQ_GAP', seq: 3_000_000_000, evidence: 'gap' })
    t.equal((await evidenceRow(beyond.evidence[0]!)).feed_seq, null, 'a sequence number beyond 32 bits is kept in the detail, not the column')
    await refused(t, 'a head at 2^53 - 1 and no entries', { feed: signFeed(srbKey, now(), { headSeq: Number.MAX_SAFE_INTEGER, headId: NOTHING }), objects: [] }, { code: 'SEQ_GAP', seq: null, evidence: 'gap' })
    // One genuine entry under a head of 2^53 - 1, then nothing: the entry is applied, the gap refused.
    const first = release()
    hostile.serve(((_req, res, after) => {
      const body = after === 0 ? page([first], { headSeq: Number.MAX_SAFE_INTEGER, headId: NOTHING }) : { feed: signFeed(srbKey, now(), { after, headSeq: Number.MAX_SAFE_INTEGER, headId: NOTHING }), objects: [] }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body))
    }) as FeedHandler)
    const endless = await hrv.sync('SRB')
    t.same({ ok: endless.ok, rejected: Object.keys(endless.rejected), toSeq: endless.toSeq, applied: endless.applied, headSeq: endless.headSeq, evidence: endless.evidence.length }, { ok: false, rejected: ['SEQ_GAP'], toSeq: 1, applied: 1, headSeq: Number.MAX_SAFE_INTEGER, evidence: 1 }, 'a head of 2^53 - 1: the entry listed is applied, then SEQ_GAP')
    const [far2] = (await peerStatuses(hrvDb, clock.now())).filter(s => s.peer === 'SRB')
    t.same([far2!.status, far2!.lastSeq], ['misbehaving', 1])
    await reset()
    await refused(t, 'an entry beyond the head', page([release()], { headSeq: 0, headId: null }), { code: 'FEED_MISMATCH', seq: 1 })

    // An old page replayed once its 600 seconds (and the 300-second skew) are over.
    await reset()
    clock.advance(20 * 60_000)
    await refused(t, 'the genuine page replayed 20 minutes later', genuine, { code: 'EXPIRED', seq: null })
    clock.set(START + 850_000)
    await accepted(t, 'the genuine page 850 s later (expired 250 s ago, within the skew)', genuine, { toSeq: 4, applied: 4 })

    // Clock skew between the nodes.
    await reset()
    await refused(t, 'a page issued 2 hours in the future', { feed: signFeed(srbKey, now(), { issuedAt: now() + 7200 }), objects: [] }, { code: 'NOT_YET_VALID', seq: null })
    await refused(t, 'a page from a clock 2 hours behind', { feed: signFeed(srbKey, now(), { issuedAt: now() - 7200 }), objects: [] }, { code: 'EXPIRED', seq: null })
    await accepted(t, 'a page issued 4 minutes in the future', { feed: signFeed(srbKey, now(), { issuedAt: now() + 240 }), objects: [] }, { toSeq: 0, applied: 0 })
    await accepted(t, 'a page from a clock 14 minutes behind', { feed: signFeed(srbKey, now(), { issuedAt: now() - 840 }), objects: [] }, { toSeq: 0, applied: 0 })
    await refused(t, 'a release issued 1 hour in the future', page([release({ issuedAt: now() + 3600 })]), { code: 'NOT_YET_VALID', seq: 1, evidence: 'refused' })
    await refused(t, 'a release issued 301 seconds in the future', page([release({ issuedAt: now() + 301 })]), { code: 'NOT_YET_VALID', seq: 1, evidence: 'refused' })
    await accepted(t, 'a release issued 5 minutes in the future (within the skew)', page([release({ issuedAt: now() + 300 })]), { toSeq: 1, applied: 1 })

    // A release that expired is history, not a refusal; the slice is reported stale.
    await reset()
    await accepted(t, 'a release that expired 3 days ago', page([release({ issuedAt: now() - 10 * 86400, expiresAt: now() - 3 * 86400 })]), { toSeq: 1, applied: 1 })
    const [status] = (await peerStatuses(hrvDb, clock.now())).filter(s => s.peer === 'SRB')
    t.same([status!.status, status!.staleSlices], ['stale', 1], 'held, and reported stale')

    // Another recipient's release, another country's page.
    await reset()
    await refused(t, 'a release for BIH in HRV\'s feed', page([release({ audience: 'BIH' })]), { code: 'WRONG_AUDIENCE', seq: 1, evidence: 'refused' })
    const bihRelease = genuineBih.objects[0]!
    await refused(t, 'the real node\'s release for BIH replayed to HRV', page([bihRelease]), { code: 'WRONG_AUDIENCE', seq: 1, evidence: 'refused' })
    await refused(t, 'the real node\'s page for BIH replayed to HRV', genuineBih, { code: 'WRONG_AUDIENCE', seq: null })
    await refused(t, 'a page for BIH', { feed: signFeed(srbKey, now(), { audience: 'BIH' }), objects: [] }, { code: 'WRONG_AUDIENCE', seq: null })
    await refused(t, 'a page after another sequence number', { feed: signFeed(srbKey, now(), { after: 3 }), objects: [] }, { code: 'FEED_MISMATCH', seq: null })

    // The id or the place in the signed body differs from what the page lists.
    const other = release({ cells: v1Cells(2023, 9) })
    await refused(t, 'the entry names another object than the one served', page([{ object: release(), id: idOf(other)! }]), { code: 'ID_MISMATCH', seq: 1, evidence: 'refused' })
    await refused(t, 'a genuine release under another entry id', page([{ object: genuine.objects[0]!, id: genuineIds[1]! }]), { code: 'ID_MISMATCH', seq: 1, evidence: 'refused' })
    await refused(t, 'feed_seq 2 inside an object listed at #1', page([{ object: release({ seq: 2 }), id: idOf(release({ seq: 2 }))! }]), { code: 'FEED_MISMATCH', seq: 1, evidence: 'refused' })
    await refused(t, 'more objects than entries', { ...page([release()]), objects: [release(), other] }, { code: 'FEED_MISMATCH', seq: null })
    await refused(t, 'a release listed as a retraction', page([{ object: release(), id: idOf(release())!, type: 'retraction' }]), { code: 'TYPE_MISMATCH', seq: 1, evidence: 'refused' })
  })

  await t.test('equivocation', async t => {
    await reset()
    const a = release()
    const b = release({ cells: v1Cells(2023, 7) })
    t.not(idOf(a), idOf(b))
    // One page listing A and B at #1 contradicts its own head (exchange rule 2).
    await refused(t, 'two different releases at #1 in one page', page([a, b], { entries: [{ seq: 1, id: idOf(a)!, type: 'release' }, { seq: 1, id: idOf(b)!, type: 'release' }] }), { code: 'FEED_MISMATCH', seq: 1 })
    await reset()
    await accepted(t, 'release A at #1', page([a]), { toSeq: 1, applied: 1 })

    // The publisher now says #1 is B.
    const r = await refused(t, 'the head #1 is now B', { feed: signFeed(srbKey, now(), { after: 1, headSeq: 1, headId: idOf(b)! }), objects: [] }, { code: 'EQUIVOCATION', seq: null, evidence: 'equivocation' })
    const ev = await evidenceRow(r.evidence[0]!)
    const claimed = verifySigned(ev.objects[0], srbKeys, { now: now(), expectedType: 'feed' }).payload as Feed
    const heldA = await hrvDb.selectFrom('incoming').select(['id', 'signed']).where('feed_seq', '=', 1).executeTakeFirstOrThrow()
    t.same([claimed.head_seq, claimed.head_id, heldA.id], [1, idOf(b), idOf(a)], 'the signed page says #1 is B; the signed A is held at #1')

    // A fork through prev: #2 follows B, not A.
    const c = release({ seq: 2, prev: idOf(b)!, years: [2024] })
    const f = await refused(t, '#2 follows B', page([c], { after: 1 }), { code: 'EQUIVOCATION', seq: 2, evidence: 'equivocation' })
    const forked = await evidenceRow(f.evidence[0]!)
    t.same([forked.feed_seq, forked.objects], [2, [c]], 'the forked object is kept, signed as received')
    const d = release({ seq: 2, prev: null, years: [2024] })
    await refused(t, '#2 claims to be the first', page([d], { after: 1 }), { code: 'EQUIVOCATION', seq: 2, evidence: 'equivocation' })

    const peer = (await peerStatuses(hrvDb, clock.now())).find(p => p.peer === 'SRB')
    t.same([peer?.status, peer?.alerts.length, peer?.lastSeq], ['misbehaving', 3, 1], 'the status shows Serbia misbehaving, three alerts')

    // The chain continues from A: accepted.
    await accepted(t, '#2 follows A', page([release({ seq: 2, prev: idOf(a)!, years: [2024] })], { after: 1 }), { toSeq: 2, applied: 1 })
  })

  await t.test('resources', async t => {
    await reset()
    const small = { maxResponseBytes: 64 * 1024 }
    const padded = JSON.stringify({ objects: [], feed: signFeed(srbKey, now()) }).replace('{', '{' + ' '.repeat(1 << 20))
    await refused(t, 'a 1 MiB response, announced', raw(padded), { code: 'RESPONSE_TOO_LARGE', seq: null, deps: small })
    let written = 0
    const endless: FeedHandler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      const chunk = Buffer.alloc(16 * 1024, 0x20)
      const pump = (): void => {
        while (!res.destroyed && written < 64 << 20) {
          written += chunk.length
          if (!res.write(chunk)) {
            res.once('drain', pump)
            return
          }
        }
        res.end()
      }
      res.on('error', () => {})
      res.write('{"objects":[],')
      pump()
    }
    await refused(t, 'an endless chunked response', endless, { code: 'RESPONSE_TOO_LARGE', seq: null, deps: small })
    t.ok(written < 8 << 20, `the server could write only ${written} bytes before the puller hung up`)
    await accepted(t, 'the same padding under the default limit', raw(padded), { toSeq: 0, applied: 0 })

    // Deeply nested JSON, never a crash.
    const deepArrays = '['.repeat(100_000) + ']'.repeat(100_000)
    await refused(t, '100000 nested arrays as the body', raw(deepArrays), { code: 'FEED_MALFORMED', seq: null })
    await refused(t, '100000 nested objects as the body', raw('{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000)), { code: 'FEED_MALFORMED', seq: null })
    await refused(t, '100000 nested arrays as the feed page', raw(`{"feed":${deepArrays},"objects":[]}`), { code: 'JWS_MALFORMED', seq: null })
    await refused(t, '100000 nested arrays as an object', raw(`{"feed":${JSON.stringify(signFeed(srbKey, now(), { entries: [{ seq: 1, id: NOTHING, type: 'release' }] }))},"objects":[${deepArrays}]}`), { code: 'JWS_MALFORMED', seq: 1, evidence: 'refused' })
    const deepPayload = rawSign(header('release'), '['.repeat(100_000) + ']'.repeat(100_000), srbKey)
    await refused(t, 'a validly signed payload nested 100000 deep', page([deepPayload]), { code: 'PAYLOAD_TOO_LARGE', seq: 1, evidence: 'refused' })
    await refused(t, 'a body that is not JSON', raw('{"feed":'), { code: 'FEED_MALFORMED', seq: null })
    await refused(t, 'a body with a third member', { ...page([]), more: [] }, { code: 'FEED_MALFORMED', seq: null })

    // Slow drip: one byte every 200 ms, against a 1-second budget for the whole request.
    const text = JSON.stringify(genuine)
    const drip: FeedHandler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) })
      let i = 0
      const timer = setInterval(() => { if (i < text.length) res.write(text[i++]) }, 200)
      res.on('close', () => clearInterval(timer))
    }
    let started = Date.now()
    await refused(t, 'a slow-drip body', drip, { code: 'TIMEOUT', seq: null, deps: { timeoutMs: 1000 } })
    t.ok(Date.now() - started < 3000, `cut off after ${Date.now() - started} ms`)
    started = Date.now()
    await refused(t, 'headers that never come', (() => {}) as FeedHandler, { code: 'TIMEOUT', seq: null, deps: { timeoutMs: 1000 } })
    t.ok(Date.now() - started < 3000, `cut off after ${Date.now() - started} ms`)

    // A gzip bomb: 100 MiB of zeros in about 100 KB. fetch decompresses; the puller stops at its limit.
    const bomb = gzipSync(Buffer.alloc(100 << 20))
    t.ok(bomb.length < 200_000, `the bomb is ${bomb.length} bytes compressed`)
    let inflated = 0
    const counting: typeof fetch = async (input, init) => {
      const res = await fetch(input, init)
      const body = res.body!.pipeThrough(new TransformStream<Uint8Array, Uint8Array>({ transform (chunk, c) { inflated += chunk.byteLength; c.enqueue(chunk) } }))
      return new Response(body, { status: res.status, headers: res.headers })
    }
    const rss = process.memoryUsage().rss
    await refused(t, 'a gzip bomb', raw(bomb, { 'content-encoding': 'gzip' }), { code: 'RESPONSE_TOO_LARGE', seq: null, deps: { maxResponseBytes: 1 << 20, fetch: counting } })
    t.ok(inflated < 4 << 20, `only ${inflated} bytes were inflated of ${100 << 20}`)
    t.ok(process.memoryUsage().rss - rss < 64 << 20, 'no memory blow-up')

    // Too many cells: 200,001 (each one schema-valid: no data, no breakdown) where 200,000 is the limit.
    const cell = '{"conf_status":"F","key":{},"obs_status":"M"}'
    const tooMany = rawSign(header('release'), canonicalJson(releasePayload(now(), HELD, { cells: [] })).replace('"cells":[]', `"cells":[${new Array(200_001).fill(cell).join(',')}]`), srbKey)
    const r = await refused(t, '200,001 cells', page([tooMany]), { code: 'SCHEMA_INVALID', seq: 1, evidence: 'refused' })
    t.match(r.rejected.SCHEMA_INVALID![0]!.message, /must NOT have more than 200000 items/)

    // Redirects are not followed; errors are reported with the peer's code only when it is an exchange code.
    await refused(t, 'a redirect elsewhere', raw('', { location: `${bih.url}/v1/feed` }, 302), { code: 'FETCH_FAILED', seq: null })
    await refused(t, 'HTTP 500', raw('{"code":"INTERNAL"}', {}, 500), { code: 'HTTP_ERROR', seq: null })
    await refused(t, 'HTTP 401 with a made-up code', raw('{"code":"\'; DROP TABLE incoming; --"}', {}, 401), { code: 'HTTP_ERROR', seq: null })
  })

  await t.test('grants and agreements', async t => {
    await reset()
    const v1 = (sex: string, extra: Partial<Cell['key']> = {}): Cell => ({ key: { TIME_PERIOD: '2023', VICT_STATUS: '_T', SEX: sex, AGE_GROUP: '_T', CITIZEN_GRP: '_T', ...extra }, value: 4, obs_status: 'A', conf_status: 'F' })
    const cases: Array<[string, Parameters<typeof signRelease>[3], string]> = [
      ['V3, not granted', { indicator: 'V3', cells: [{ key: { TIME_PERIOD: '2023', CITIZENSHIP: 'SRB', COUNTRY_OF_EXPLOITATION: '_T' }, value: 4, obs_status: 'A', conf_status: 'F' }] }, 'GRANT_EXCEEDED'],
      ['V2 for 2026, after the grant\'s years', { indicator: 'V2', years: [2026], cells: [{ key: { TIME_PERIOD: '2026', EXPLOIT: 'SEX', SEX: '_T', AGE_GROUP: '_T' }, value: 4, obs_status: 'A', conf_status: 'F' }] }, 'GRANT_EXCEEDED'],
      ['V1 for 2014, before the grant\'s years', { years: [2014], cells: v1Cells(2014) }, 'GRANT_EXCEEDED'],
      ['V1 by CITIZEN_GRP, prohibited', { cells: [v1('_T', { CITIZEN_GRP: 'NAT' })] }, 'GRANT_EXCEEDED'],
      ['V1 by VICT_STATUS, not granted', { cells: [v1('_T', { VICT_STATUS: 'IDENT' })] }, 'GRANT_EXCEEDED'],
      ['an agreement hash HRV does not hold', { agreement: { id: 'srb-hrv', hash: NOTHING } }, 'AGREEMENT_MISMATCH'],
      ['the agreement Serbia holds with BIH', { agreement: { id: 'srb-bih', hash: srbBih.hash } }, 'AGREEMENT_MISMATCH'],
      ['the right hash under another agreement id', { agreement: { id: 'srb-hrv-2', hash: srbHrv.hash } }, 'AGREEMENT_MISMATCH'],
      ['issued before the agreement was in force', { issuedAt: Date.UTC(2025, 11, 1) / 1000 }, 'AGREEMENT_MISMATCH'],
      ['a key twice', { cells: [v1('F'), v1('F')] }, 'CELL_INVALID'],
      ['a suppressed cell with a value', { cells: [{ ...v1('F'), obs_status: 'Q', conf_status: 'C' }] }, 'CELL_INVALID'],
      ['a code outside its codelist', { cells: [v1('X')] }, 'CELL_INVALID'],
      ['SQL in a code', { cells: [v1('F\'; DROP TABLE received_cell; --')] }, 'SCHEMA_INVALID'],
    ]
    for (const [what, o, code] of cases) {
      const object = code === 'SCHEMA_INVALID' ? rawSign(header('release'), canonicalJson(releasePayload(now(), HELD, o)), srbKey) : release(o)
      await refused(t, what, page([object]), { code, seq: 1, evidence: 'refused' })
    }
    await accepted(t, 'V1 by SEX and AGE_GROUP, granted', page([release({ cells: [v1('F', { AGE_GROUP: 'Y_LT18' }), v1('M', { AGE_GROUP: 'Y_GE18' })] })]), { toSeq: 1, applied: 1 })
  })

  await t.test('the server: peer tokens and what a peer may read', async t => {
    const hrvId = published.issued.find(i => i.recipient === 'HRV')!.id
    const bihId = published.issued.find(i => i.recipient === 'BIH')!.id
    const get = async (url: string, token?: string): Promise<{ status: number, code: string | undefined, body: Record<string, unknown> }> => {
      const res = await srb.running.app.inject({ method: 'GET', url, headers: token === undefined ? {} : { authorization: `Bearer ${token}` } })
      const body = res.json() as Record<string, unknown>
      return { status: res.statusCode, code: body.code as string | undefined, body }
    }
    const claims = (o: Record<string, unknown> = {}): Record<string, unknown> => ({ iss: 'HRV', aud: 'SRB', iat: now(), exp: now() + 120, jti: randomBytes(16).toString('base64url'), agreements: [srbHrv.hash], ...o })
    const jwtHeader = (o: Record<string, unknown> = {}, key: SigningKey = hrvKey): Record<string, unknown> => ({ alg: 'EdDSA', kid: key.kid, typ: 'dcimx-peer+jwt', ...o })
    const jwt = (h: Record<string, unknown>, c: Record<string, unknown>, key: SigningKey | null = hrvKey): string => {
      const input = `${b64(JSON.stringify(h))}.${b64(JSON.stringify(c))}`
      return `${input}.${key === null ? '' : b64(cryptoSign(null, Buffer.from(input), key.privateKey))}`
    }
    const refusedWith = async (what: string, url: string, token: string | undefined, status: number, code: string): Promise<void> => {
      const r = await get(url, token)
      t.same([r.status, r.code], [status, code], `${what}: ${status} ${code}`)
    }
    const feed = '/v1/feed?after=0'
    const mne = generateSigningKey('MNE')

    // Control: a proper token gets the page, and the server answers the same page twice (no equivocation).
    const ok1 = await get(feed, jwt(jwtHeader(), claims()))
    const ok2 = await get(feed, await signPeerToken(hrvKey, { issuer: 'HRV', audience: 'SRB', now: now(), agreements: [srbHrv.hash] }))
    t.same([ok1.status, ok2.status], [200, 200])
    const entriesOf = (body: Record<string, unknown>): Feed => verifySigned(body.feed, srbKeys, { now: now(), expectedType: 'feed' }).payload as Feed
    t.same([entriesOf(ok1.body).entries, entriesOf(ok1.body).head_id], [entriesOf(ok2.body).entries, entriesOf(ok2.body).head_id], 'the same feed both times')

    await refusedWith('no token', feed, undefined, 401, 'TOKEN_MISSING')
    const basic = await srb.running.app.inject({ method: 'GET', url: feed, headers: { authorization: 'Basic SFJWOnNlY3JldA==' } })
    t.same([basic.statusCode, basic.json().code], [401, 'TOKEN_MISSING'], 'basic authentication: 401 TOKEN_MISSING')
    const lower = await srb.running.app.inject({ method: 'GET', url: feed, headers: { authorization: `bearer ${jwt(jwtHeader(), claims())}` } })
    t.equal(lower.statusCode, 200, 'the scheme in lower case: 200, as on user routes (RFC 7235)')
    await refusedWith('a token from a node that is no peer', feed, jwt(jwtHeader({}, mne), claims({ iss: 'MNE' }), mne), 401, 'PEER_UNKNOWN')
    await refusedWith('signed by a key not pinned for the issuer', feed, jwt(jwtHeader({}, stray), claims(), stray), 401, 'TOKEN_INVALID')
    await refusedWith('signed by the key pinned for another peer (BIH)', feed, jwt(jwtHeader({}, bihKey), claims(), bihKey), 401, 'TOKEN_INVALID')
    await refusedWith('another key naming HRV\'s kid', feed, jwt(jwtHeader(), claims(), stray), 401, 'TOKEN_INVALID')
    await refusedWith('a token for another audience', feed, jwt(jwtHeader(), claims({ aud: 'BIH' })), 401, 'TOKEN_INVALID')
    await refusedWith('an expired token', feed, jwt(jwtHeader(), claims({ iat: now() - 420, exp: now() - 301 })), 401, 'TOKEN_INVALID')
    await refusedWith('a token living an hour', feed, jwt(jwtHeader(), claims({ exp: now() + 3600 })), 401, 'TOKEN_INVALID')
    await refusedWith('a token issued tomorrow', feed, jwt(jwtHeader(), claims({ iat: now() + 86400, exp: now() + 86400 + 120 })), 401, 'TOKEN_INVALID')
    await refusedWith('alg none', feed, jwt(jwtHeader({ alg: 'none' }), claims(), null), 401, 'TOKEN_INVALID')
    const hs = (() => {
      const input = `${b64(JSON.stringify(jwtHeader({ alg: 'HS256' })))}.${b64(JSON.stringify(claims()))}`
      return `${input}.${b64(createHmac('sha256', Buffer.from(hrvKey.publicJwk.x, 'base64url')).update(input).digest())}`
    })()
    await refusedWith('HS256 keyed with HRV\'s public key', feed, hs, 401, 'TOKEN_INVALID')
    await refusedWith('alg RS256', feed, jwt(jwtHeader({ alg: 'RS256' }), claims()), 401, 'TOKEN_INVALID')
    await refusedWith('a crit header', feed, jwt(jwtHeader({ crit: ['exp'] }), claims()), 401, 'TOKEN_INVALID')
    await refusedWith('an embedded jwk', feed, jwt(jwtHeader({ jwk: stray.publicJwk }, stray), claims(), stray), 401, 'TOKEN_INVALID')
    await refusedWith('kid injection', feed, jwt(jwtHeader({ kid: '../../etc/passwd\' OR 1=1 --' }), claims()), 401, 'TOKEN_INVALID')
    await refusedWith('iss injection', feed, jwt(jwtHeader(), claims({ iss: 'HRV\' OR 1=1 --' })), 401, 'TOKEN_INVALID')
    const good = jwt(jwtHeader(), claims())
    const [h, c, s] = good.split('.') as [string, string, string]
    await refusedWith('one byte of the claims altered', feed, `${h}.${b64(Buffer.from(c, 'base64url').toString().replace('"aud":"SRB"', '"aud":"SRC"'))}.${s}`, 401, 'TOKEN_INVALID')
    await refusedWith('the signature altered', feed, `${h}.${c}.${flipChar(s, 5)}`, 401, 'TOKEN_INVALID')
    await refusedWith('a token of 9000 characters', feed, jwt(jwtHeader(), claims({ pad: 'x'.repeat(9000) })), 401, 'TOKEN_INVALID')
    await refusedWith('no jti', feed, jwt(jwtHeader(), claims({ jti: undefined })), 401, 'TOKEN_INVALID')
    await refusedWith('no agreements claim', feed, jwt(jwtHeader(), claims({ agreements: undefined })), 401, 'TOKEN_INVALID')

    // Replay: the same token twice.
    const once = jwt(jwtHeader(), claims())
    t.equal((await get(feed, once)).status, 200, 'first use: 200')
    await refusedWith('the same token again', feed, once, 401, 'TOKEN_REPLAYED')

    // Clock skew: minutes are tolerated, both ways.
    t.equal((await get(feed, jwt(jwtHeader(), claims({ iat: now() + 240, exp: now() + 360 })))).status, 200, 'a token issued 4 minutes ahead: 200')
    t.equal((await get(feed, jwt(jwtHeader(), claims({ iat: now() - 400, exp: now() - 200 })))).status, 200, 'a token expired 200 s ago: 200')

    // Both parties must hold the same agreement.
    await refusedWith('a token listing no agreement', feed, jwt(jwtHeader(), claims({ agreements: [] })), 409, 'AGREEMENT_MISMATCH')
    await refusedWith('a token listing another agreement', feed, jwt(jwtHeader(), claims({ agreements: [srbBih.hash] })), 409, 'AGREEMENT_MISMATCH')

    // Objects: a peer reads its own, and another recipient's look like ids that do not exist.
    t.equal((await get(`/v1/objects/${hrvId}`, jwt(jwtHeader(), claims()))).status, 200, 'HRV reads its own release')
    const guessed = await get(`/v1/objects/${bihId}`, jwt(jwtHeader(), claims()))
    const unknown = await get(`/v1/objects/${NOTHING}`, jwt(jwtHeader(), claims()))
    t.same([guessed.status, guessed.code, unknown.status, unknown.code], [404, 'NOT_FOUND', 404, 'NOT_FOUND'], 'BIH\'s release is 404 to HRV, like an id that does not exist')
    t.equal(guessed.body.message, (unknown.body.message as string).replace(NOTHING, bihId), 'and the answers differ only by the id asked for')
    const bihToken = jwt(jwtHeader({}, bihKey), claims({ iss: 'BIH', agreements: [srbBih.hash] }), bihKey)
    await refusedWith('BIH asking for HRV\'s release', `/v1/objects/${hrvId}`, bihToken, 404, 'NOT_FOUND')
    await refusedWith('an object without a token', `/v1/objects/${hrvId}`, undefined, 401, 'TOKEN_MISSING')
    await refusedWith('a path for an id', '/v1/objects/..%2F..%2Fetc%2Fpasswd', jwt(jwtHeader(), claims()), 400, 'FST_ERR_VALIDATION')

    // Resources: sequence numbers and page sizes out of range.
    await refusedWith('after beyond nine digits', '/v1/feed?after=99999999999', jwt(jwtHeader(), claims()), 400, 'FST_ERR_VALIDATION')
    await refusedWith('a page of 100000 entries', '/v1/feed?after=0&limit=100000', jwt(jwtHeader(), claims()), 400, 'FST_ERR_VALIDATION')
    await refusedWith('a negative sequence number', '/v1/feed?after=-1', jwt(jwtHeader(), claims()), 400, 'FST_ERR_VALIDATION')
  })
})
