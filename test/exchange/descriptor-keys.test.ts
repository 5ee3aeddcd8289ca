// Setting up a peer: the key the operator confirmed out of band vouches for the descriptor's
// other keys. Found from outside (issue 12: whether a descriptor's extra keys are trusted):
// anyone answering in the peer's place could list the peer's real key beside their own and
// sign with their own; every key the descriptor listed was then trusted.
import { createHash } from 'node:crypto'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import t, { type Test } from 'tap'
import { epochSeconds } from '../../src/clock.js'
import { addPeer, listPeers, refreshPeer } from '../../src/exchange/peers.js'
import { signMessage } from '../../src/protocol/jws.js'
import { jwksOf, signingKeyFromSeed, type SigningKey } from '../../src/protocol/keys.js'
import { PROTOCOL } from '../../src/protocol/messages.js'
import { testDb } from '../helpers/db.js'
import { testClock } from '../helpers/node.js'

const key = (label: string): SigningKey => signingKeyFromSeed(createHash('sha256').update(label).digest(), 'SRB')
const real = key('the real SRB key')
const second = key('SRB rotation key')
const attacker = key('an attacker claiming SRB')

interface Served { listed: SigningKey[], signer: SigningKey, accepts?: string[] }

/** Serves a descriptor of SRB listing `listed`, signed with `signer` (what it serves can be changed later through the returned state). */
async function descriptorServer (t: Test, state: Served): Promise<{ url: string, state: Served }> {
  let url = ''
  const server = createServer((req, res) => {
    const body = req.url === '/.well-known/jwks.json'
      ? jwksOf(state.listed)
      : signMessage('node-descriptor', {
        protocol: PROTOCOL,
        type: 'node-descriptor',
        issuer: 'SRB',
        issued_at: epochSeconds(testClock),
        expires_at: epochSeconds(testClock) + 86400,
        node: { id: 'SRB', kind: 'country', name: 'Serbia', url },
        keys: state.listed.map(k => k.publicJwk),
        ...(state.accepts === undefined ? {} : { accepts: state.accepts }),
      }, state.signer).jws
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body))
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  t.teardown(() => { server.close() })
  return { url, state }
}

async function impostor (t: Test, listed: SigningKey[], signer: SigningKey): Promise<string> {
  return (await descriptorServer(t, { listed, signer })).url
}

t.test('a descriptor adds keys only when the confirmed key signed it', async t => {
  const db = await testDb(t)
  const forged = await impostor(t, [real, attacker], attacker)
  await t.rejects(addPeer(db.db, testClock, 'HRV', { id: 'SRB', url: forged, thumbprint: real.kid }), {
    code: 'THUMBPRINT_MISMATCH',
    message: `${forged}: the descriptor is signed with key ${attacker.kid}, not with ${real.kid}, the key you confirmed: only that key can vouch for the others it lists (${real.kid}, ${attacker.kid}); do not add this peer before you know why`,
  })
  t.same(await listPeers(db.db), [], 'nothing stored')

  // Signed by the confirmed key, a second key (a rotation) is trusted with it.
  const genuine = await impostor(t, [real, second], real)
  const { peer } = await addPeer(db.db, testClock, 'HRV', { id: 'SRB', url: genuine, thumbprint: real.kid })
  t.same([peer.pinnedKid, [...peer.keys.keys()].sort()], [real.kid, [real.kid, second.kid].sort()])
})

t.test('refreshing a peer: what its pinned key vouches for now, and the optional members it accepts', async t => {
  const db = await testDb(t)
  // A node built before optional members: its descriptor has no accepts.
  const served = await descriptorServer(t, { listed: [real], signer: real })
  const { peer } = await addPeer(db.db, testClock, 'HRV', { id: 'SRB', url: served.url, thumbprint: real.kid })
  t.same(peer.accepts, [], 'a descriptor without accepts: nothing accepted')
  t.same((await listPeers(db.db)).map(p => p.accepts), [[]])

  // Upgraded: it accepts release.version, and lists a second key (signed by the pinned one).
  served.state.listed = [real, second]
  served.state.accepts = ['release.version']
  const r = await refreshPeer(db.db, testClock, 'SRB')
  t.same([r.keys, r.accepts], [{ before: [real.kid], after: [real.kid, second.kid].sort() }, { before: [], after: ['release.version'] }])
  const [stored] = await listPeers(db.db)
  t.same([stored!.pinnedKid, [...stored!.keys.keys()].sort(), stored!.accepts], [real.kid, [real.kid, second.kid].sort(), ['release.version']])
  const audit = await db.db.selectFrom('audit_log').select(['event', 'actor', 'detail']).where('event', '=', 'peer_refreshed').execute()
  t.same(audit.map(a => [a.event, a.actor, (typeof a.detail === 'string' ? JSON.parse(a.detail) : a.detail).accepts]), [['peer_refreshed', 'SRB', { before: [], after: ['release.version'] }]])
  const same = await refreshPeer(db.db, testClock, 'SRB')
  t.same([same.keys, same.accepts], [undefined, undefined], 'nothing new: nothing reported changed')

  // Someone answering in its place, with the real key listed beside their own: refused, nothing changed.
  served.state.listed = [real, attacker]
  served.state.signer = attacker
  served.state.accepts = []
  await t.rejects(refreshPeer(db.db, testClock, 'SRB'), { code: 'THUMBPRINT_MISMATCH', message: `${served.url}: the descriptor is signed with key ${attacker.kid}, not with ${real.kid}, the key pinned for SRB: only that key can vouch for the others it lists (${real.kid}, ${attacker.kid}); nothing changed` })
  const [after] = await listPeers(db.db)
  t.same([[...after!.keys.keys()].sort(), after!.accepts], [[real.kid, second.kid].sort(), ['release.version']])
  await t.rejects(refreshPeer(db.db, testClock, 'MNE'), { code: 'PEER_UNKNOWN', message: 'MNE is not a peer of this node' })
})
