// The one seam between tracker logic and shared state. The memory store is
// the single-process default; the Redis store lets several tracker nodes share
// the directory, views and session bindings. Both pass the same tests.

import type {
  GroupCharter,
  GroupId,
  MemberInfo,
  Membership,
  MembershipStep as Step,
  Ordering,
  PeerId,
} from '@chorus/protocol';

export interface GroupRecord {
  readonly groupId: GroupId;
  readonly name: string;
  readonly ordering: Ordering;
  /** scrypt hash (see password.ts); absent = open group. */
  readonly passwordHash?: string;
  readonly createdBy: string;
  readonly createdAt: number;
  /** What the group id is the hash of (see @chorus/protocol charter.ts); absent only in records older than charters. */
  readonly charter?: GroupCharter;
  /** Network address of the session that created (or restored) it, for the per-address cap. Never sent to clients. */
  readonly createdFrom?: string;
}

export interface SessionRecord extends MemberInfo {
  readonly nodeId: string;
  readonly socketId: string;
}

export interface TrackerStore {
  /**
   * Fails (false) when the name is taken, case-insensitively — unless
   * `sharedName`: a proven restore may sit beside a newer group that took its
   * name meanwhile (it claims the name only if free). False also when the id exists.
   */
  createGroup(group: GroupRecord, sharedName?: boolean): Promise<boolean>;
  getGroup(groupId: GroupId): Promise<GroupRecord | null>;
  listGroups(): Promise<readonly GroupRecord[]>;
  /** Deletes the group (record, name, membership) if nobody is in it or joining, under the group's lock. */
  deleteGroupIfEmpty(groupId: GroupId): Promise<boolean>;

  getMembership(groupId: GroupId): Promise<Membership>;
  /** Every group's membership, for directory counts and sweeps. */
  listMemberships(): Promise<ReadonlyMap<GroupId, Membership>>;
  /**
   * Runs `step` on the current membership under the group's lock and writes
   * its `next` (if any) before the lock is released. `step` must be pure.
   */
  updateMembership<T>(groupId: GroupId, step: (m: Membership) => Step<T>): Promise<Step<T>>;

  /** Binds a peer id to a live session; false if another session holds it. */
  bindSession(session: SessionRecord): Promise<boolean>;
  /** Unbinds only if `socketId` still holds the binding. */
  unbindSession(peerId: PeerId, socketId: string): Promise<void>;
  getSession(peerId: PeerId): Promise<SessionRecord | null>;
  /**
   * Rebinds a peer id held by `staleSocketId` (of a dead node) to a new session; false if someone else got it first.
   */
  replaceSession(session: SessionRecord, staleSocketId: string): Promise<boolean>;

  /** Keeps a released peer id for its key: another key cannot take it until `ttlMs` pass. */
  reservePeerId(peerId: PeerId, publicKey: string, ttlMs: number): Promise<void>;
  /** The key a released peer id is kept for, or null. */
  peerIdReservation(peerId: PeerId): Promise<string | null>;

  /** Liveness of tracker nodes (a no-op in memory: one process is one node). */
  touchNode(nodeId: string, ttlMs: number): Promise<void>;
  /** Nodes that were alive once and whose liveness expired; each is returned to one caller only. */
  claimDeadNodes(selfId: string): Promise<readonly string[]>;
  /** Sessions bound to a node now (read only; a takeover sweeps the stale ones of a dead node). */
  sessionsOfNode(nodeId: string): Promise<readonly SessionRecord[]>;
  /** Sessions a dead node held; removes their bindings. */
  takeSessionsOfNode(nodeId: string): Promise<readonly SessionRecord[]>;
  removeNode(nodeId: string): Promise<void>;

  close(): Promise<void>;
}
