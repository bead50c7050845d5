// The Socket.IO event maps shared by apps/tracker and packages/peer. The
// tracker is the authority for the directory and membership; it never sees
// chat messages. Every client->server event ends with an ack carrying a
// Result, so a bad input always gets a code and a sentence back.

import type { GroupId, LeaveReason, LinkReportState, MemberChange, Ordering, PeerId, ViewId } from '../ids.ts';
import type { Result } from '../result.ts';
import type { GroupCharter } from './charter.ts';
import type { DmParties } from './dm.ts';

export type { GroupCharter } from './charter.ts';

export type Ack<T> = (res: Result<T>) => void;

/**
 * What kind of peer a session says it is, for display only (a badge in the
 * member list): it grants nothing, and members treat an archivist's history
 * like anyone's. Absent for a person's session.
 */
export type PeerRole = 'archivist';
export const PEER_ROLES: readonly PeerRole[] = ['archivist'];

/** Public part of a session: what the tracker binds at the identity challenge. */
export interface MemberInfo {
  readonly peerId: PeerId;
  readonly name: string;
  /** Raw Ed25519 public key, base64 (32 bytes). */
  readonly publicKey: string;
  readonly role?: PeerRole;
}

export interface GroupSummary {
  readonly groupId: GroupId;
  readonly name: string;
  readonly ordering: Ordering;
  readonly locked: boolean;
  readonly online: number;
  readonly createdBy: string;
  readonly createdAt: number;
  /**
   * A direct message (dm.ts): its two people. Such a summary is only ever
   * sent to those two keys (`dm:open`, `dm:opened`, the hello's `dms`),
   * never in the directory.
   */
  readonly dm?: DmParties;
}

export interface ViewChange {
  readonly peerId: PeerId;
  readonly change: MemberChange;
  /**
   * With `evicted` on a proof that the member signed two FLUSH reports (PROTOCOL.md §3.4 "Signed
   * reports"): the view whose flush the proof is about. Nobody installed it, so a member that abandons
   * that flush delivers none of its resolution.
   */
  readonly flush?: ViewId;
}

/** A membership view: always a fully connected mesh (two-phase join). */
export interface View {
  readonly groupId: GroupId;
  readonly viewId: ViewId;
  readonly members: readonly MemberInfo[];
  /** What changed since the previous view (empty for a re-sent view). */
  readonly changes: readonly ViewChange[];
}

export interface IceServer {
  readonly urls: string | readonly string[];
  readonly username?: string;
  readonly credential?: string;
}

/**
 * Which ICE candidates a peer may use: `all` (host, STUN and TURN, the
 * browser default) or `relay` (TURN only: every data channel goes through the
 * TURN server, so peers never learn each other's addresses).
 */
export type IceTransportPolicy = 'all' | 'relay';
export const ICE_TRANSPORT_POLICIES: readonly IceTransportPolicy[] = ['all', 'relay'];

// ---- client -> server payloads ----

export interface ChallengeReply {
  readonly nonce: string;
}
export interface HelloPayload {
  readonly peerId: string;
  readonly name: string;
  readonly publicKey: string;
  /** Ed25519 signature (base64) over UTF-8 `chorus-hello:${nonce}:${peerId}:${name}`. */
  readonly signature: string;
  /** A display label (PeerRole), not signed: it grants nothing. */
  readonly role?: PeerRole;
}
export interface HelloReply {
  readonly peerId: PeerId;
  readonly iceServers: readonly IceServer[];
  /** Absent = `all` (a tracker older than this field). */
  readonly iceTransportPolicy?: IceTransportPolicy;
  readonly heartbeatIntervalMs: number;
  readonly heartbeatTimeoutMs: number;
  readonly linkGraceMs: number;
  /** The first page of the directory (see DirectoryPage); `directory:delta` pushes keep it current. */
  readonly directory: readonly GroupSummary[];
  /** Groups in the whole directory; `directory:list` pages through them. */
  readonly directoryTotal: number;
  /** The direct messages this key is one of the two people of (absent from trackers older than DMs). */
  readonly dms?: readonly GroupSummary[];
}
/** `directory:list` asks for one page: groups whose name contains `query` (case-insensitive), from `offset`. */
export interface DirectoryQuery {
  readonly query?: string;
  readonly offset?: number;
}
/**
 * One page of the directory, most online first, then newest: at most
 * DIRECTORY_PAGE_GROUPS groups and DIRECTORY_PAGE_BYTES of JSON, so a hello
 * stays small however many groups exist.
 */
export interface DirectoryPage {
  readonly groups: readonly GroupSummary[];
  /** Groups matching the query in the whole directory. */
  readonly total: number;
  readonly offset: number;
}
/** What changed in the directory since the last push: new or changed summaries, removed ids. */
export interface DirectoryDelta {
  readonly upserted: readonly GroupSummary[];
  readonly removed: readonly GroupId[];
}
export interface CreateGroupPayload {
  readonly name: string;
  readonly ordering: Ordering;
  readonly password?: string;
}
/**
 * A member re-registers a group the tracker forgot (an in-memory tracker that
 * restarted). The proof is the group's charter (got at join; its hash is the
 * group id, so name, ordering and lock come back exactly as created) and, for
 * a locked group, the password, checked against the charter's lock. `viewId`
 * is the last view the member installed, so the tracker's next view continues
 * above it. A group the tracker still knows is left as it is.
 */
export interface RestoreGroupPayload {
  readonly groupId: string;
  readonly charter: GroupCharter;
  readonly viewId: number;
  readonly password?: string;
}
/** `dm:open`: the direct message with this person (made if it does not exist yet). */
export interface OpenDmPayload {
  /** The other person's public key (padded base64). */
  readonly publicKey: string;
  /** Their display name as the opener knows it: a label for the DM, not proof of anything. */
  readonly name: string;
}
export interface JoinGroupPayload {
  readonly groupId: string;
  readonly password?: string;
}
export interface JoinReply {
  readonly group: GroupSummary;
  /** The current view: the joiner opens a data channel to each of these. */
  readonly view: View;
  /** The group's charter, to keep: it is the proof for a restore. Absent for groups older than charters. */
  readonly charter?: GroupCharter;
}
export interface GroupRef {
  readonly groupId: string;
}
export interface SignalPayload {
  readonly groupId: string;
  readonly to: string;
  /** Opaque simple-peer signal data (offer, answer, candidate), JSON-able. */
  readonly data: unknown;
}
export interface LinkReport {
  readonly groupId: string;
  readonly peer: string;
  readonly state: LinkReportState;
  /** With `relayed` only: the member through which the reporter reaches `peer` (PROTOCOL.md §2 Links). */
  readonly via?: string;
}
/**
 * `accused` signed two FINALs it cannot both mean (PROTOCOL.md §3.3 "Signed FINALs"), or two FLUSH
 * reports for one view (§3.4 "Signed reports"): the tracker checks both signatures with the key the
 * accused proved at hello and evicts it.
 */
export interface AccusePayload {
  readonly groupId: string;
  readonly accused: string;
  /** Two FINALs (`final`, `other`), or two FLUSH statements `{viewId, report, sig}` (`flush`, `other`). */
  readonly proof: { readonly final?: unknown; readonly flush?: unknown; readonly other: unknown };
}
export interface MetricsReport {
  readonly groupId: string;
  readonly sent: number;
  readonly received: number;
  readonly total: number;
  readonly throughputPerSec: number;
  readonly latencyP50Ms: number;
  readonly latencyP99Ms: number;
  readonly rejectedFrames: number;
}

// ---- server -> client payloads ----

export interface SignalDelivery {
  readonly groupId: GroupId;
  /** Set by the tracker: the authenticated sender session. */
  readonly from: PeerId;
  readonly data: unknown;
}
export interface JoiningNotice {
  readonly groupId: GroupId;
  /** A joiner in phase one: members accept its signaling and open a channel. */
  readonly peer: MemberInfo;
}
/** A joiner that left, failed or timed out before it was installed: members stop dialing it. */
export interface JoinerGoneNotice {
  readonly groupId: GroupId;
  readonly peerId: PeerId;
}
export interface RemovedNotice {
  readonly groupId: GroupId;
  readonly reason: LeaveReason;
}
export interface TrackerErrorNotice {
  readonly code: string;
  readonly message: string;
}

export interface ClientToServerEvents {
  /** Step 1 of identity: ask for a nonce. */
  'auth:challenge': (ack: Ack<ChallengeReply>) => void;
  /** Step 2: prove the key by signing the nonce. Everything else needs this first. */
  'auth:hello': (payload: HelloPayload, ack: Ack<HelloReply>) => void;
  'directory:list': (query: DirectoryQuery, ack: Ack<DirectoryPage>) => void;
  /** The hello's ICE servers with freshly minted TURN credentials (a session online longer than their TTL). */
  'ice:servers': (ack: Ack<readonly IceServer[]>) => void;
  'group:create': (payload: CreateGroupPayload, ack: Ack<GroupSummary>) => void;
  'group:restore': (payload: RestoreGroupPayload, ack: Ack<GroupSummary>) => void;
  /** The direct message with a key: made if needed; the other key's sessions get `dm:opened`. Join it like a group. */
  'dm:open': (payload: OpenDmPayload, ack: Ack<GroupSummary>) => void;
  /** Phase one of a join: become `joining`, get the current view. */
  'group:join': (payload: JoinGroupPayload, ack: Ack<JoinReply>) => void;
  /** Phase two: the joiner's data channels to every member of the view are open. */
  'group:links-ready': (payload: GroupRef, ack: Ack<View>) => void;
  'group:leave': (payload: GroupRef, ack: Ack<null>) => void;
  'group:members': (payload: GroupRef, ack: Ack<readonly MemberInfo[]>) => void;
  /** Current view of a group the session is in (re-sync after reconnect). */
  'group:view': (payload: GroupRef, ack: Ack<View>) => void;
  signal: (payload: SignalPayload, ack?: Ack<null>) => void;
  'link:report': (payload: LinkReport, ack?: Ack<null>) => void;
  /** A member's proof that another signed two FINALs for one message or two reports for one view: evicted. */
  'group:accuse': (payload: AccusePayload, ack?: Ack<null>) => void;
  'metrics:report': (payload: MetricsReport, ack?: Ack<null>) => void;
  heartbeat: (ack?: Ack<{ readonly now: number }>) => void;
}

export interface ServerToClientEvents {
  /**
   * Directory changes, coalesced (DIRECTORY_PUSH_COALESCE_MS): never the whole
   * directory, which can be thousands of groups.
   */
  'directory:delta': (delta: DirectoryDelta) => void;
  /** A new view of a group this session is a member of (also re-sent after a tracker restart). */
  'group:view': (view: View) => void;
  'group:joining': (notice: JoiningNotice) => void;
  /** A joiner announced by `group:joining` is gone without being installed. */
  'group:joiner-gone': (notice: JoinerGoneNotice) => void;
  /** This session is no longer in the group (evicted, or declared failed while alive). */
  'group:removed': (notice: RemovedNotice) => void;
  signal: (delivery: SignalDelivery) => void;
  /** Someone opened a direct message with this session's key (to every session of the key). */
  'dm:opened': (dm: GroupSummary) => void;
  'tracker:error': (notice: TrackerErrorNotice) => void;
}

/** Between tracker nodes (Socket.IO adapter serverSideEmit). */
export interface InterServerEvents {
  'node:alive': (nodeId: string) => void;
  /** Deliver a server-to-client event to the sessions of these peer ids bound on the receiving node. */
  'peers:deliver': (peers: string[], event: string, payload: unknown) => void;
  /** Deliver a server-to-client event to every session of this key on the receiving node. */
  'key:deliver': (publicKey: string, event: string, payload: unknown) => void;
}
