// Per (group, peer) state of the relay layer (PROTOCOL.md §1.6): the route
// itself (`RelayRoute`, every decision on it, in @chorus/protocol so that the
// simulator runs it too) and what only the runtime has: the member's key and
// the queues that verify and sign envelopes in order. Also a relay's byte
// budget per origin.

import type { MemberInfo, RelayRoute } from '@chorus/protocol';

export interface PeerRoute {
  info: MemberInfo;
  readonly route: RelayRoute;
  /** Envelopes from the peer, verified and taken one after another in arrival order. */
  inbound: Promise<void>;
  /** Envelopes to the peer, signed and sent one after another in send order. */
  outbound: Promise<void>;
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
