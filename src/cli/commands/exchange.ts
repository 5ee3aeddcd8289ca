/** `dcimx peer add|list|refresh|remove`, `dcimx sync`, `dcimx status`, `dcimx alerts ack`: the exchange for operators. */
import { AppError, isAppError } from '../../errors.js'
import { addPeer, listPeers, refreshPeer, removePeer, type RefreshPeerResult } from '../../exchange/peers.js'
import { skipRefused } from '../../exchange/skip.js'
import { peerStatuses, acknowledgeAlerts, type PeerStatus } from '../../exchange/status.js'
import { describeSync, syncAll } from '../../exchange/sync.js'
import { nodeAgreements } from '../../policy/load.js'
import { line, type CliIo } from '../io.js'
import { withNode } from '../with-node.js'

export async function peerAddCommand (args: { home: string, id: string, url: string, thumbprint?: string }, io: CliIo): Promise<number> {
  return await withNode(args.home, io, async node => {
    try {
      const { peer, descriptorId } = await addPeer(node.db.db, io.clock, node.config.node.id, { id: args.id, url: args.url, thumbprint: args.thumbprint })
      line(io.stdout, `${peer.name} (${peer.id}, ${peer.kind}) added at ${peer.url}`)
      line(io.stdout, `pinned key ${peer.pinnedKid}; ${peer.keys.size} key(s) from descriptor ${descriptorId}`)
      return 0
    } catch (err) {
      if (isAppError(err, 'THUMBPRINT_REQUIRED')) {
        line(io.stdout, err.message)
        return 1
      }
      throw err
    }
  })
}

export async function peerListCommand (args: { home: string, json?: boolean }, io: CliIo): Promise<number> {
  return await withNode(args.home, io, async node => {
    const peers = await listPeers(node.db.db)
    if (args.json === true) {
      line(io.stdout, JSON.stringify(peers.map(p => ({ id: p.id, name: p.name, kind: p.kind, url: p.url, pinned_kid: p.pinnedKid, keys: [...p.keys.keys()], added_at: p.addedAt.toISOString(), accepts: p.accepts })), null, 2))
    } else {
      for (const p of peers) line(io.stdout, `${p.id.padEnd(8)} ${p.kind.padEnd(8)} ${p.url}  key ${p.pinnedKid}`)
      line(io.stdout, `${peers.length} peer(s)`)
    }
    return 0
  })
}

export async function peerRefreshCommand (args: { home: string, id?: string, json?: boolean }, io: CliIo): Promise<number> {
  return await withNode(args.home, io, async node => {
    const ids = args.id === undefined ? (await listPeers(node.db.db)).map(p => p.id) : [args.id]
    const results: Array<{ id: string, ok: boolean, descriptor?: string, keys?: RefreshPeerResult['keys'], accepts?: string[], acceptsBefore?: string[], error?: string }> = []
    for (const id of ids) {
      try {
        const r = await refreshPeer(node.db.db, io.clock, id)
        results.push({ id, ok: true, descriptor: r.descriptorId, ...(r.keys === undefined ? {} : { keys: r.keys }), accepts: r.peer.accepts, ...(r.accepts === undefined ? {} : { acceptsBefore: r.accepts.before }) })
      } catch (err) {
        // One peer that cannot be reached or does not check leaves the others to be refreshed.
        if (!isAppError(err) || (args.id !== undefined && err.code === 'PEER_UNKNOWN')) throw err
        results.push({ id, ok: false, error: `${err.code}: ${err.message}` })
      }
    }
    if (args.json === true) line(io.stdout, JSON.stringify(results, null, 2))
    else {
      for (const r of results) {
        if (!r.ok) {
          line(io.stdout, `${r.id}: not refreshed (${r.error!}); nothing changed`)
          continue
        }
        const changes = [
          ...(r.keys === undefined ? [] : [`keys ${r.keys.before.join(', ')} -> ${r.keys.after.join(', ')}`]),
          ...(r.acceptsBefore === undefined ? [] : [`accepts ${r.acceptsBefore.join(', ') || 'nothing'} -> ${r.accepts!.join(', ') || 'nothing'}`]),
        ]
        line(io.stdout, `${r.id}: descriptor ${r.descriptor!}; ${changes.length === 0 ? 'nothing changed' : changes.join('; ')}`)
      }
      line(io.stdout, `${results.filter(r => r.ok).length} of ${results.length} peer(s) refreshed`)
    }
    return results.every(r => r.ok) ? 0 : 1
  })
}

export async function peerRemoveCommand (args: { home: string, id: string }, io: CliIo): Promise<number> {
  return await withNode(args.home, io, async node => {
    await removePeer(node.db.db, io.clock, args.id)
    line(io.stdout, `${args.id} removed: it is no longer served or pulled; what was received from it is kept`)
    return 0
  })
}

export async function syncCommand (args: { home: string, peer?: string, json?: boolean }, io: CliIo): Promise<number> {
  return await withNode(args.home, io, async node => {
    const reports = await syncAll({
      db: node.db.db,
      clock: io.clock,
      node: node.config.node.id,
      signingKey: node.signingKey,
      agreements: nodeAgreements(node.config.home),
    }, { peer: args.peer })
    if (args.json === true) line(io.stdout, JSON.stringify(reports, null, 2))
    else {
      for (const r of reports) line(io.stdout, describeSync(r))
      if (reports.length === 0) line(io.stdout, 'no country peers to pull from; add one with dcimx peer add')
    }
    return reports.every(r => r.ok) ? 0 : 1
  })
}

function statusLine (s: PeerStatus): string {
  const seen = s.lastSuccessAt === null ? 'never pulled' : `last pull ${s.lastSuccessAt}`
  return `${s.peer.padEnd(8)} ${s.status.padEnd(12)} feed ${s.lastSeq}/${s.headSeq}, ${s.liveSlices} table(s), ${seen}${s.reason === null ? '' : ` - ${s.reason}`}`
}

export async function statusCommand (args: { home: string, json?: boolean }, io: CliIo): Promise<number> {
  return await withNode(args.home, io, async node => {
    const statuses = await peerStatuses(node.db.db, io.clock.now())
    if (args.json === true) {
      line(io.stdout, JSON.stringify({ node: node.config.node.id, peers: statuses }, null, 2))
    } else {
      line(io.stdout, `${node.config.node.name} (${node.config.node.id}), ${statuses.length} peer(s)`)
      for (const s of statuses) {
        line(io.stdout, statusLine(s))
        for (const a of s.alerts) line(io.stdout, `  alert #${a.id} ${a.kind}${a.feedSeq === null ? '' : ` at feed_seq ${a.feedSeq}`}${a.objectId === undefined ? '' : ` (object ${a.objectId})`}, ${a.recordedAt}: ${a.detail}`)
      }
    }
    return statuses.every(s => s.status === 'ok') ? 0 : 1
  })
}

export async function alertsAckCommand (args: { home: string, peer?: string, id?: string }, io: CliIo): Promise<number> {
  if (args.id !== undefined && !/^[1-9]\d{0,14}$/.test(args.id)) throw new AppError('USAGE', `--id ${JSON.stringify(args.id)}: give an alert's number, as dcimx status shows it`)
  return await withNode(args.home, io, async node => {
    const n = await acknowledgeAlerts(node.db.db, io.clock.now(), { peer: args.peer, id: args.id === undefined ? undefined : Number(args.id) })
    line(io.stdout, `${n} alert(s) acknowledged; the evidence is kept`)
    return 0
  })
}

/** Skips the object of a peer's feed that was refused, after the operator has looked at it. */
export async function peerSkipCommand (args: { home: string, id: string, seq: string, object: string, reason?: string }, io: CliIo): Promise<number> {
  const seq = Number(args.seq)
  if (!Number.isSafeInteger(seq) || seq < 1) throw new AppError('USAGE', `feed_seq ${JSON.stringify(args.seq)} is not a positive whole number`)
  return await withNode(args.home, io, async node => {
    const by = io.env.USER ?? io.env.LOGNAME ?? 'operator'
    const r = await skipRefused(node.db.db, io.clock, { peer: args.id, seq, id: args.object, by, ...(args.reason === undefined ? {} : { reason: args.reason }) })
    line(io.stdout, `${r.peer} entry ${r.seq} (${r.id}, refused ${r.code}) skipped: it is not applied, the evidence is kept (alert #${r.evidence}), and the next pull resumes after it`)
    return 0
  })
}
