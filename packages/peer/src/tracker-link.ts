// What a group session and the Peer facade need from the tracker. The
// socket.io-client implementation is tracker-client.ts; tests may use it
// against a real tracker started in-process (apps/tracker startTracker).

import type {
  AccusationProof,
  GroupId,
  GroupSummary,
  HelloReply,
  JoinReply,
  JoinerGoneNotice,
  JoiningNotice,
  LinkReportState,
  MemberInfo,
  MetricsReport,
  Ordering,
  PeerId,
  RemovedNotice,
  RestoreGroupPayload,
  SignalDelivery,
  TrackerErrorNotice,
  View,
} from '@chorus/protocol';
import type { ConnectionState } from './api.ts';

export interface TrackerLinkEvents {
  connection: (state: ConnectionState) => void;
  /** Emitted after every (re)connect + hello, so owners can re-sync views and re-join groups. */
  ready: (hello: HelloReply) => void;
  directory: (groups: readonly GroupSummary[]) => void;
  /** Someone opened a direct message with this key (`dm:opened`). */
  dm: (dm: GroupSummary) => void;
  view: (view: View) => void;
  joining: (notice: JoiningNotice) => void;
  /** A joiner announced by `joining` is gone without being installed: stop dialing it. */
  joinerGone: (notice: JoinerGoneNotice) => void;
  removed: (notice: RemovedNotice) => void;
  signal: (delivery: SignalDelivery) => void;
  error: (notice: TrackerErrorNotice) => void;
}

export interface TrackerLink {
  readonly peerId: PeerId;
  readonly state: ConnectionState;
  /** Last hello reply (ICE servers, heartbeat config), null before the first connect. */
  readonly hello: HelloReply | null;
  readonly directory: readonly GroupSummary[];
  /** Connects and authenticates; resolves with the hello reply. Reconnects by itself afterwards. */
  connect(): Promise<HelloReply>;
  createGroup(name: string, ordering: Ordering, password?: string): Promise<GroupSummary>;
  /** The direct message with this key (made if needed; PROTOCOL.md §2 Direct messages). Join it like a group. */
  openDm(publicKey: string, name: string): Promise<GroupSummary>;
  /** Re-registers a group a restarted in-memory tracker forgot (no-op if it knows it). */
  restoreGroup(payload: RestoreGroupPayload): Promise<GroupSummary>;
  /** Rejects with an Error whose `code` is the tracker's error code (e.g. 'wrong-password'). */
  join(groupId: GroupId, password?: string): Promise<JoinReply>;
  linksReady(groupId: GroupId): Promise<View>;
  leave(groupId: GroupId): Promise<void>;
  members(groupId: GroupId): Promise<readonly MemberInfo[]>;
  view(groupId: GroupId): Promise<View>;
  signal(groupId: GroupId, to: PeerId, data: unknown): void;
  /** `relayed` names `via`, the member that carries the pair's frames (PROTOCOL.md §1.6). */
  reportLink(groupId: GroupId, peer: PeerId, state: LinkReportState, via?: PeerId): void;
  reportMetrics(report: MetricsReport): void;
  /** `accused` signed two FINALs it cannot both mean: the proof goes to the tracker (PROTOCOL.md §3.3). */
  accuse(groupId: GroupId, accused: PeerId, proof: AccusationProof): void;
  on<K extends keyof TrackerLinkEvents>(event: K, listener: TrackerLinkEvents[K]): () => void;
  close(): Promise<void>;
}
