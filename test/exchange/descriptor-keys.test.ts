// Setting up a peer: the key the operator confirmed out of band vouches for the descriptor's
// other keys. Found from outside (issue 12: whether a descriptor's extra keys are trusted):
// anyone answering in the peer's place could list the peer's real key beside their own and
// sign with their own; every key the descriptor listed was then trusted.
import { createHash } from 'node:crypto'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import t, { type Test } from 'tap'
import { epochSeconds } from '../../src/clock.js'
import { addPeer, listPeers } from '../../src/exchange/peers.js'
import { signMessage } from '../../src/protocol/jws.js'
import { jwksOf, signingKeyFromSeed, type SigningKey } from '../../src/protocol/keys.js'
import { PROTOCOL } from '../../src/protocol/messages.js'
import { testDb } from '../helpers/db.js'
import { testClock } from '../helpers/node.js'

const key = (label: string): SigningKey => signingKeyFromSeed(createHash('sha256').update(label).digest(), 'SRB')
const real = key('the real SRB key')
const second = key('SRB rotation key')
const attacker = key('an attacker claiming SRB')

/** Serves a descriptor of SRB listing `listed`, signed with `signer`. */
async function impostor (t: Test, listed: SigningKey[], signer: SigningKey): Promise<string> {
  let url = ''
  const server = createServer((req, res) => {
    const body = req.url === '/.well-known/jwks.json'
      ? jwksOf(listed)
      : signMessage('node-descriptor', {
        protocol: PROTOCOL,
        type: 'node-descriptor',
        issuer: 'SRB',
        issued_at: epochSeconds(testClock),
        expires_at: epochSeconds(testClock) + 86400,
        node: { id: 'SRB', kind: 'country', name: 'Serbia', url },
        keys: listed.map(k => k.publicJwk),
      }, signer).jws
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body))
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  t.teardown(() => { server.close() })
  return url
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
