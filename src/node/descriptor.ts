/** The node descriptor: who the node is, where it is, and its keys, signed by the node. */
import { epochSeconds, type Clock } from '../clock.js'
import type { NodeConfig } from '../config.js'
import { signMessage, type SignedObject } from '../protocol/jws.js'
import type { SigningKey } from '../protocol/keys.js'
import { OPTIONAL_MEMBERS, PROTOCOL, type NodeDescriptor } from '../protocol/messages.js'

/** How long a descriptor is valid (seconds). */
export const DESCRIPTOR_LIFETIME = 24 * 3600

/** Builds and signs the node's descriptor at the clock's current time. */
export function signDescriptor (config: NodeConfig, signingKey: SigningKey, keys: SigningKey[], clock: Clock): SignedObject<NodeDescriptor> {
  const now = epochSeconds(clock)
  return signMessage('node-descriptor', {
    protocol: PROTOCOL,
    type: 'node-descriptor',
    issuer: config.node.id,
    issued_at: now,
    expires_at: now + DESCRIPTOR_LIFETIME,
    node: { id: config.node.id, kind: config.node.kind, name: config.node.name, url: config.url },
    keys: keys.map(k => k.publicJwk),
    accepts: [...OPTIONAL_MEMBERS],
  }, signingKey)
}

/**
 * A descriptor cache: the signed descriptor is reused until half its lifetime has passed,
 * then re-signed, so peers always fetch one with at least 12 hours of validity left.
 */
export function descriptorCache (config: NodeConfig, signingKey: SigningKey, keys: SigningKey[], clock: Clock): () => SignedObject<NodeDescriptor> {
  let current: SignedObject<NodeDescriptor> | undefined
  return () => {
    if (current === undefined || epochSeconds(clock) >= current.payload.issued_at + DESCRIPTOR_LIFETIME / 2) {
      current = signDescriptor(config, signingKey, keys, clock)
    }
    return current
  }
}
