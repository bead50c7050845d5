// A pair whose direct link cannot open, injected at the transport seam: the
// mesh below never hears of the blocked peers (no offer, no channel, no
// report), as if every ICE candidate pair between them failed. The relay layer
// above (src/relay/) sees a wanted peer that never comes up.

import type { GroupFrame, GroupId, MemberInfo, PeerId } from '@chorus/protocol';
import type { Transport, TransportEvents } from '../../src/transport.ts';

export class BlockedTransport implements Transport {
  readonly self: PeerId;
  readonly blocked = new Set<PeerId>();

  constructor(readonly inner: Transport) {
    this.self = inner.self;
  }

  setPeers(groupId: GroupId, peers: readonly MemberInfo[]): void {
    this.inner.setPeers(
      groupId,
      peers.filter((p) => !this.blocked.has(p.peerId)),
    );
  }
  send(groupId: GroupId, to: PeerId, frame: GroupFrame): void {
    if (!this.blocked.has(to)) this.inner.send(groupId, to, frame);
  }
  openPeers(groupId: GroupId): readonly PeerId[] {
    return this.inner.openPeers(groupId).filter((p) => !this.blocked.has(p));
  }
  on<K extends keyof TransportEvents>(event: K, listener: TransportEvents[K]): () => void {
    return this.inner.on(event, listener);
  }
  close(groupId?: GroupId): void {
    this.inner.close(groupId);
  }
}
