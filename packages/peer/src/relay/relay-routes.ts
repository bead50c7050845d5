// Per (group, peer) state of the relay layer (PROTOCOL.md §1.6): whether the
// direct channel is up, which relays we heard the peer through lately, the one
// in use, and the envelope counters in both directions. Pure bookkeeping; the
// layer (relay-transport.ts) acts on it.

import type { MemberInfo, PeerId } from '@chorus/protocol';

export interface PeerRoute {
  info: MemberInfo;
  /** When the peer was wanted, or its direct link last went down: probing starts RELAY_AFTER_MS later. */
  since: number;
  directUp: boolean;
  /** Relay → when an envelope of the peer last came through it. */
  readonly heard: Map<PeerId, number>;
  /** The relay in use; non-null exactly while the session was told `up` through a relay. */
  via: PeerId | null;
  /** Highest `n` of a msg/reset envelope taken from the peer (0: none yet). */
  lastIn: number;
  /** The relay that envelope came through. */
  lastInVia: PeerId | null;
  /** `n` of the last msg/reset envelope sent to the peer. */
  lastOut: number;
  /** Relays caught handing us an envelope of the peer it did not sign: never used for this peer again. */
  readonly distrusted: Set<PeerId>;
  /** We told the tracker `down` and nothing since. */
  reportedDown: boolean;
  /** Envelopes from the peer, verified and taken one after another in arrival order. */
  inbound: Promise<void>;
  /** Envelopes to the peer, signed and sent one after another in send order. */
  outbound: Promise<void>;
}

export const newRoute = (info: MemberInfo, now: number, directUp: boolean): PeerRoute => ({
  info,
  since: now,
  directUp,
  heard: new Map(),
  via: null,
  lastIn: 0,
  lastInVia: null,
  lastOut: 0,
  distrusted: new Set(),
  reportedDown: false,
  inbound: Promise.resolve(),
  outbound: Promise.resolve(),
});

/**
 * The relay to use: the lowest peer id among those we heard the peer through
 * within `ttlMs` and whose direct link is still up at our end; null for none
 * (or when the direct link is up). Forgets relays heard too long ago.
 */
export function chooseRelay(r: PeerRoute, open: ReadonlySet<PeerId>, now: number, ttlMs: number): PeerId | null {
  for (const [x, at] of r.heard) if (now - at > ttlMs || !open.has(x)) r.heard.delete(x);
  if (r.directUp) return null;
  let best: PeerId | null = null;
  for (const x of r.heard.keys()) if (best === null || x < best) best = x;
  return best;
}

/** A token bucket of bytes: a relay's budget for one origin's envelopes. */
export class ByteBudget {
  #tokens: number;
  #last: number;

  constructor(
    readonly perSecond: number,
    readonly burst: number,
    now: number,
  ) {
    this.#tokens = burst;
    this.#last = now;
  }

  take(bytes: number, now: number): boolean {
    this.#tokens = Math.min(this.burst, this.#tokens + (Math.max(0, now - this.#last) / 1000) * this.perSecond);
    this.#last = now;
    if (this.#tokens < bytes) return false;
    this.#tokens -= bytes;
    return true;
  }
}
