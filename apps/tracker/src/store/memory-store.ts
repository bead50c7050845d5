// In-process store: the default for one tracker. All state is lost on
// restart (groups too), so there is no stale viewId to go back to.

import { membership } from '@chorus/protocol';
import type { GroupId, Membership, MembershipStep as Step, PeerId } from '@chorus/protocol';
import type { GroupRecord, SessionRecord, TrackerStore } from './tracker-store.ts';

export class MemoryStore implements TrackerStore {
  private readonly groups = new Map<GroupId, GroupRecord>();
  /** Lower-cased name → the group holding it. */
  private readonly names = new Map<string, GroupId>();
  private readonly memberships = new Map<GroupId, Membership>();
  private readonly sessions = new Map<PeerId, SessionRecord>();
  private readonly reserved = new Map<PeerId, { publicKey: string; until: number }>();

  async createGroup(group: GroupRecord, sharedName = false): Promise<boolean> {
    const key = group.name.toLowerCase();
    if (this.groups.has(group.groupId) || (this.names.has(key) && !sharedName)) return false;
    if (!this.names.has(key)) this.names.set(key, group.groupId);
    this.groups.set(group.groupId, group);
    this.memberships.set(group.groupId, membership.emptyMembership());
    return true;
  }

  async getGroup(groupId: GroupId): Promise<GroupRecord | null> {
    return this.groups.get(groupId) ?? null;
  }

  async listGroups(): Promise<readonly GroupRecord[]> {
    return [...this.groups.values()];
  }

  async deleteGroupIfEmpty(groupId: GroupId): Promise<boolean> {
    const g = this.groups.get(groupId);
    const m = this.memberships.get(groupId) ?? membership.emptyMembership();
    if (g === undefined || m.members.length > 0 || m.joining.length > 0) return false;
    this.groups.delete(groupId);
    if (this.names.get(g.name.toLowerCase()) === groupId) this.names.delete(g.name.toLowerCase());
    this.memberships.delete(groupId);
    return true;
  }

  async getMembership(groupId: GroupId): Promise<Membership> {
    return this.memberships.get(groupId) ?? membership.emptyMembership();
  }

  async listMemberships(): Promise<ReadonlyMap<GroupId, Membership>> {
    return new Map(this.memberships);
  }

  // Single-threaded: read-modify-write with no await in between is atomic.
  async updateMembership<T>(groupId: GroupId, step: (m: Membership) => Step<T>): Promise<Step<T>> {
    const s = step(this.memberships.get(groupId) ?? membership.emptyMembership());
    if (s.next !== null) this.memberships.set(groupId, s.next);
    return s;
  }

  async bindSession(session: SessionRecord): Promise<boolean> {
    const held = this.sessions.get(session.peerId);
    if (held !== undefined && held.socketId !== session.socketId) return false;
    this.sessions.set(session.peerId, session);
    return true;
  }

  async unbindSession(peerId: PeerId, socketId: string): Promise<void> {
    if (this.sessions.get(peerId)?.socketId === socketId) this.sessions.delete(peerId);
  }

  async getSession(peerId: PeerId): Promise<SessionRecord | null> {
    return this.sessions.get(peerId) ?? null;
  }

  async replaceSession(session: SessionRecord, staleSocketId: string): Promise<boolean> {
    if (this.sessions.get(session.peerId)?.socketId !== staleSocketId) return false;
    this.sessions.set(session.peerId, session);
    return true;
  }

  async reservePeerId(peerId: PeerId, publicKey: string, ttlMs: number): Promise<void> {
    const now = Date.now();
    // A Map iterates in insertion order and a reservation is re-inserted at the end, so with
    // one TTL the map is sorted by expiry: prune from the front and stop at the first live one
    // (a scan of every reservation per disconnect was quadratic in a mass drop). A longer TTL
    // ahead of shorter ones only delays their pruning; peerIdReservation checks `until` anyway.
    for (const [p, r] of this.reserved) {
      if (r.until > now) break;
      this.reserved.delete(p);
    }
    this.reserved.delete(peerId);
    this.reserved.set(peerId, { publicKey, until: now + ttlMs });
  }

  async peerIdReservation(peerId: PeerId): Promise<string | null> {
    const r = this.reserved.get(peerId);
    return r !== undefined && r.until > Date.now() ? r.publicKey : null;
  }

  async touchNode(): Promise<void> {}
  async claimDeadNodes(): Promise<readonly string[]> {
    return [];
  }
  async sessionsOfNode(nodeId: string): Promise<readonly SessionRecord[]> {
    return [...this.sessions.values()].filter((s) => s.nodeId === nodeId);
  }
  async takeSessionsOfNode(): Promise<readonly SessionRecord[]> {
    return [];
  }
  async removeNode(): Promise<void> {}
  async close(): Promise<void> {}
}
