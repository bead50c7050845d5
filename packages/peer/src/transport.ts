// The seam between a group session and the network of data channels
// (automerge-repo's NetworkAdapter idea). The WebRTC mesh implements it in
// the browser and in Node; the in-memory transport implements it for fast,
// many-seed tests. Both run the same conformance scenarios.

import type { GroupFrame, GroupId, LinkState, MemberInfo, PeerId, ProtocolError } from '@chorus/protocol';

export interface TransportEvents {
  /** A parsed frame (chunks reassembled, parser passed). Signatures are NOT checked here. */
  frame: (groupId: GroupId, from: PeerId, frame: GroupFrame) => void;
  /** A data channel to `peer` in `groupId` opened or went down. */
  link: (groupId: GroupId, peer: PeerId, state: LinkState) => void;
  /** An inbound frame the parser refused: dropped, counted by the session. */
  reject: (groupId: GroupId, from: PeerId, error: ProtocolError) => void;
  /**
   * The link to `peer` cannot open through TURN (no relay address: wrong or
   * expired credentials, server unreachable). `fatal` when ICE may use relay
   * candidates only, so the link will not open until the credentials change.
   * Only the WebRTC mesh emits it.
   */
  turn: (groupId: GroupId, peer: PeerId, problem: { readonly message: string; readonly fatal: boolean }) => void;
}

export interface Transport {
  readonly self: PeerId;
  /**
   * Keep links to exactly these peers for a group: open missing ones (the
   * smaller peerId initiates), close the others. Idempotent.
   */
  setPeers(groupId: GroupId, peers: readonly MemberInfo[]): void;
  /** Queue a frame to one peer. Never throws; never drops a frame while the link is up (backpressure queues). */
  send(groupId: GroupId, to: PeerId, frame: GroupFrame): void;
  /** Peers of a group whose data channel is open now. */
  openPeers(groupId: GroupId): readonly PeerId[];
  on<K extends keyof TransportEvents>(event: K, listener: TransportEvents[K]): () => void;
  /**
   * The member our frames to `peer` go through when the direct link cannot open
   * (PROTOCOL.md §1.6), or null (direct, or down). Only a relay layer has it.
   */
  relayOf?(groupId: GroupId, peer: PeerId): PeerId | null;
  /** Close every link of a group (leave) or all of them. */
  close(groupId?: GroupId): void;
}
