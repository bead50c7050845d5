// An in-process stand-in for the Socket.IO tracker (apps/tracker), for fast
// group-session tests with many seeds: directory, and membership by the same
// pure steps the tracker runs (@chorus/protocol `membership`: two-phase join,
// views with growing viewIds, leave, failure, link eviction, pending-joiner
// notices), their effects delivered asynchronously in order as over one
// socket. It keeps no timers: a test declares a peer failed with `fail(peer)`,
// as the real tracker does after a missed heartbeat, and runs the link grace
// and join timeout with `expireLinks(now)` / `expireJoins(now)`. Signaling is
// not relayed (MemoryTransport needs none). Tests that need the real thing
// use startTracker + TrackerClient.

import {
  asGroupId,
  isFlushProof,
  proofContradicts,
  membership,
  readPublicKey,
  verifyProof,
  type AccusationProof,
  type GroupCharter,
  type GroupId,
  type GroupSummary,
  type HelloReply,
  type JoinReply,
  type LeaveReason,
  type LinkReportState,
  type MemberInfo,
  type Membership,
  type MembershipStep,
  type MetricsReport,
  type Ordering,
  type PeerId,
  type RestoreGroupPayload,
  type Result,
  type View,
} from '@chorus/protocol';
import type { ConnectionState } from './api.ts';
import { ChorusError } from './chorus-error.ts';
import { Emitter } from './emitter.ts';
import type { TrackerLink, TrackerLinkEvents } from './tracker-link.ts';

/** Tracker requests a test can make fail (MemoryTracker.failNext). */
export type TrackerRequestKind = 'createGroup' | 'restoreGroup' | 'join' | 'linksReady' | 'leave' | 'members' | 'view';

/** The link grace time this tracker announces in its hello (the real one's is configurable). */
export const MEMORY_TRACKER_LINK_GRACE_MS = 5_000;
/** How long a joiner may take to report its links (the real tracker's default). */
export const MEMORY_TRACKER_JOIN_TIMEOUT_MS = 30_000;

interface GroupState {
  readonly summary: Omit<GroupSummary, 'online'>;
  /** Handed out at join like the real tracker's; not hashed to the id here (ids stay `g1`, `g2`, … for tests). */
  readonly charter: GroupCharter;
  readonly password: string | null;
  membership: Membership;
}

const valueOf = <T>(r: Result<T>): T => {
  if (!r.ok) throw new ChorusError(r.error.code, r.error.message);
  return r.value;
};

export class MemoryTracker {
  readonly #groups = new Map<GroupId, GroupState>();
  readonly #links = new Map<PeerId, MemoryTrackerLink>();
  #nextGroup = 1;
  /** Every metrics report received, oldest first, for tests to read. */
  readonly metrics: MetricsReport[] = [];
  /** Every link report received, for tests to read (they also drive eviction, see expireLinks). */
  readonly linkReports: {
    readonly from: PeerId;
    readonly groupId: GroupId;
    readonly peer: PeerId;
    readonly state: LinkReportState;
    readonly via?: PeerId;
  }[] = [];
  /** Injected failures per request kind, consumed one per call (see failNext). */
  readonly #faults = new Map<TrackerRequestKind, { code: string; left: number }>();

  /**
   * The next `times` requests of `kind` (from any session) are refused with
   * `code`, as a busy or unreachable tracker refuses them (`rate-limited`,
   * `timeout`, `offline`), or as a final answer (`wrong-password`).
   */
  failNext(kind: TrackerRequestKind, code: string, times = 1): void {
    this.#faults.set(kind, { code, left: times });
  }

  /** Throws the injected failure for `kind`, if one is left. */
  injectedFault(kind: TrackerRequestKind): void {
    const f = this.#faults.get(kind);
    if (!f || f.left <= 0) return;
    f.left -= 1;
    if (f.left === 0) this.#faults.delete(kind);
    throw new ChorusError(f.code, `The tracker refused this ${kind} request (injected: ${f.code}).`);
  }

  link(member: MemberInfo): MemoryTrackerLink {
    const l = new MemoryTrackerLink(this, member);
    this.#links.set(member.peerId, l);
    return l;
  }

  /** The failure detector fires for `peer`: it is removed from every group with reason `failed`. */
  fail(peer: PeerId): void {
    const link = this.#links.get(peer);
    link?.goOffline();
    this.#removeEverywhere(peer, 'failed');
  }

  /**
   * A false suspicion: the peer is alive and connected, but the tracker
   * removes it from every group as `failed` and tells it so.
   */
  suspect(peer: PeerId): void {
    this.#removeEverywhere(peer, 'failed');
  }

  /** What the real tracker's link timers do: every link down for `graceMs` by `now` evicts its younger member. */
  expireLinks(now: number = Date.now(), graceMs: number = MEMORY_TRACKER_LINK_GRACE_MS): void {
    for (const [groupId, g] of this.#groups) {
      for (const l of g.membership.linksDown)
        this.#update(groupId, (m) => membership.expireLink(groupId, m, l.a, l.b, now, graceMs));
    }
  }

  /** What the real tracker's join timers do: joiners that did not report links ready within `timeoutMs` are dropped. */
  expireJoins(now: number = Date.now(), timeoutMs: number = MEMORY_TRACKER_JOIN_TIMEOUT_MS): void {
    for (const [groupId, g] of this.#groups) {
      for (const j of g.membership.joining)
        this.#update(groupId, (m) => membership.expireJoin(groupId, m, j.peerId, now, timeoutMs));
    }
  }

  /**
   * A restart of an in-memory tracker: every group and membership is
   * forgotten and every session's socket drops; the links reconnect (as
   * socket.io would) and find a tracker that knows nothing.
   */
  async restart(): Promise<void> {
    this.#groups.clear();
    const links = [...this.#links.values()];
    for (const l of links) l.goOffline();
    for (const l of links) await l.connect();
  }

  directory(): readonly GroupSummary[] {
    return [...this.#groups.keys()].map((groupId) => this.#summary(groupId));
  }

  currentView(groupId: GroupId): View | null {
    const g = this.#groups.get(groupId);
    return g ? membership.viewOf(groupId, g.membership) : null;
  }

  // ---- used by MemoryTrackerLink ----

  /**
   * The real tracker's group:restore rules, except the proof: a known group
   * is left as it is; name and ordering come from the charter. The charter's
   * hash is not checked against the id here (apps/tracker tests do that).
   */
  restoreGroup(by: MemberInfo, p: RestoreGroupPayload, now: number): GroupSummary {
    const groupId = asGroupId(p.groupId);
    const { name, ordering } = p.charter;
    if (!this.#groups.has(groupId)) {
      if ([...this.#groups.values()].some((g) => g.summary.name === name))
        throw new ChorusError('name-taken', `A different group named "${name}" exists now.`);
      const floor = membership.raiseViewFloor(membership.emptyMembership(), p.viewId);
      this.#groups.set(groupId, {
        charter: p.charter,
        summary: { groupId, name, ordering, locked: p.password !== undefined, createdBy: by.name, createdAt: now },
        password: p.password ?? null,
        membership: floor.next ?? membership.emptyMembership(),
      });
      this.#pushDirectory();
    }
    return this.#summary(groupId);
  }

  createGroup(
    by: MemberInfo,
    name: string,
    ordering: Ordering,
    password: string | undefined,
    now: number,
  ): GroupSummary {
    if (name.trim() === '') throw new ChorusError('missing-field', 'A group needs a name.');
    if ([...this.#groups.values()].some((g) => g.summary.name === name))
      throw new ChorusError('name-taken', `A group called "${name}" already exists.`);
    const groupId = asGroupId(`g${this.#nextGroup++}`);
    this.#groups.set(groupId, {
      charter: {
        v: 1,
        name,
        ordering,
        createdBy: by.name,
        creatorKey: by.publicKey,
        createdAt: now,
        nonce: `memory-tracker-${groupId}`,
      },
      summary: { groupId, name, ordering, locked: password !== undefined, createdBy: by.name, createdAt: now },
      password: password ?? null,
      membership: membership.emptyMembership(),
    });
    this.#pushDirectory();
    return this.#summary(groupId);
  }

  join(member: MemberInfo, groupId: GroupId, password: string | undefined, now: number): JoinReply {
    const g = this.#group(groupId);
    if (g.password !== null && g.password !== password)
      throw new ChorusError('wrong-password', `The password for "${g.summary.name}" is wrong.`);
    const view = valueOf(this.#update(groupId, (m) => membership.join(groupId, m, member, now)).result);
    return { group: this.#summary(groupId), view, charter: g.charter };
  }

  linksReady(peer: PeerId, groupId: GroupId): View {
    this.#group(groupId);
    return valueOf(this.#update(groupId, (m) => membership.linksReady(groupId, m, peer)).result);
  }

  leave(peer: PeerId, groupId: GroupId): void {
    this.#group(groupId);
    valueOf(this.#update(groupId, (m) => membership.remove(groupId, m, peer, 'left')).result);
  }

  reportLink(from: PeerId, groupId: GroupId, peer: PeerId, state: LinkReportState, now: number, via?: PeerId): void {
    this.linkReports.push(via === undefined ? { from, groupId, peer, state } : { from, groupId, peer, state, via });
    if (this.#groups.has(groupId))
      this.#update(groupId, (m) => membership.reportLink(groupId, m, from, peer, state, now, via));
  }

  /** The real tracker's `group:accuse`: a proof checked with the accused's key evicts it (PROTOCOL.md §3.3, §3.4). */
  async accuse(from: PeerId, groupId: GroupId, accused: PeerId, proof: AccusationProof): Promise<boolean> {
    const m = this.#groups.get(groupId)?.membership;
    const info = m === undefined ? undefined : membership.viewOf(groupId, m).members.find((x) => x.peerId === accused);
    if (m === undefined || !membership.isMember(m, from) || info === undefined || !proofContradicts(proof))
      return false;
    const key = await readPublicKey(info.publicKey);
    if (!key.ok || !(await verifyProof(key.value, proof))) return false;
    const now = this.#groups.get(groupId)?.membership;
    if (now === undefined || !membership.isMember(now, accused)) return false;
    const flush = isFlushProof(proof) ? proof.flush.viewId : undefined;
    this.#update(groupId, (cur) => membership.remove(groupId, cur, accused, 'evicted', flush));
    return true;
  }

  /** Members of an open group are public like its online count; a locked group's list is for those inside. */
  members(peer: PeerId, groupId: GroupId): readonly MemberInfo[] {
    const g = this.#group(groupId);
    if (g.password !== null && !membership.isInGroup(g.membership, peer))
      throw new ChorusError('not-member', `Join "${g.summary.name}" to see who is in it.`);
    return membership.viewOf(groupId, g.membership).members;
  }

  view(peer: PeerId, groupId: GroupId): View {
    const g = this.#group(groupId);
    if (!membership.isInGroup(g.membership, peer))
      throw new ChorusError('not-member', 'This session is not in the group.');
    return membership.viewOf(groupId, g.membership);
  }

  /** A socket closed without group:leave: to the real tracker that is a failure. */
  closed(peer: PeerId): void {
    this.#links.delete(peer);
    this.#removeEverywhere(peer, 'failed');
  }

  #removeEverywhere(peer: PeerId, reason: LeaveReason): void {
    for (const [groupId, g] of this.#groups) {
      if (membership.isInGroup(g.membership, peer))
        this.#update(groupId, (m) => membership.remove(groupId, m, peer, reason));
    }
  }

  /** Runs one step on a group's membership, keeps its next state and announces its effects, as the tracker does. */
  #update<T>(groupId: GroupId, step: (m: Membership) => MembershipStep<T>): MembershipStep<T> {
    const g = this.#group(groupId);
    const s = step(g.membership);
    if (s.next !== null) g.membership = s.next;
    const e = s.effects;
    for (const r of e.removed ?? []) this.#links.get(r.peerId)?.push('removed', { groupId, reason: r.reason });
    if (e.view !== undefined) {
      for (const m of e.view.members) this.#links.get(m.peerId)?.push('view', e.view);
      this.#pushDirectory();
    }
    for (const n of e.joiningNotices ?? []) {
      for (const to of n.to) this.#links.get(to)?.push('joining', { groupId, peer: n.peer });
    }
    for (const j of e.joinerGone ?? []) {
      for (const to of j.to) this.#links.get(to)?.push('joinerGone', { groupId, peerId: j.peerId });
    }
    return s;
  }

  #summary(groupId: GroupId): GroupSummary {
    const g = this.#group(groupId);
    return { ...g.summary, online: g.membership.members.length };
  }

  #group(groupId: GroupId): GroupState {
    const g = this.#groups.get(groupId);
    if (!g) throw new ChorusError('not-found', `There is no group with id "${groupId}".`);
    return g;
  }

  #pushDirectory(): void {
    const dir = this.directory();
    for (const l of this.#links.values()) l.push('directory', dir);
  }
}

/** Tracker replies and pushes arrive after a turn of the event loop, as over a socket. */
const TRACKER_LATENCY_MS = 0;

export class MemoryTrackerLink implements TrackerLink {
  readonly peerId: PeerId;
  readonly #tracker: MemoryTracker;
  readonly #member: MemberInfo;
  readonly #events = new Emitter<TrackerLinkEvents>();
  #state: ConnectionState = 'offline';
  #hello: HelloReply | null = null;
  #directory: readonly GroupSummary[] = [];

  constructor(tracker: MemoryTracker, member: MemberInfo) {
    this.#tracker = tracker;
    this.#member = member;
    this.peerId = member.peerId;
  }

  get state(): ConnectionState {
    return this.#state;
  }
  get hello(): HelloReply | null {
    return this.#hello;
  }
  get directory(): readonly GroupSummary[] {
    return this.#directory;
  }

  async connect(): Promise<HelloReply> {
    await tick();
    this.#directory = this.#tracker.directory();
    this.#hello = {
      peerId: this.peerId,
      iceServers: [],
      heartbeatIntervalMs: 1_000,
      heartbeatTimeoutMs: 10_000,
      linkGraceMs: MEMORY_TRACKER_LINK_GRACE_MS,
      directory: this.#directory,
      directoryTotal: this.#directory.length,
    };
    this.#state = 'online';
    this.#events.emit('connection', 'online');
    this.#events.emit('ready', this.#hello);
    return this.#hello;
  }

  /** Simulates a dropped and restored socket: `connection` offline, online, then `ready` again. */
  async reconnect(): Promise<void> {
    this.goOffline();
    await this.connect();
  }

  createGroup(name: string, ordering: Ordering, password?: string): Promise<GroupSummary> {
    return this.#call('createGroup', () =>
      this.#tracker.createGroup(this.#member, name, ordering, password, Date.now()),
    );
  }
  /** Direct messages are the real tracker's (apps/tracker direct-messages.ts); this one has none. */
  openDm(): Promise<GroupSummary> {
    return Promise.reject(
      new ChorusError('bad-state', 'The in-memory tracker has no direct messages; use apps/tracker.'),
    );
  }
  restoreGroup(payload: RestoreGroupPayload): Promise<GroupSummary> {
    return this.#call('restoreGroup', () => this.#tracker.restoreGroup(this.#member, payload, Date.now()));
  }
  join(groupId: GroupId, password?: string): Promise<JoinReply> {
    return this.#call('join', () => this.#tracker.join(this.#member, groupId, password, Date.now()));
  }
  linksReady(groupId: GroupId): Promise<View> {
    return this.#call('linksReady', () => this.#tracker.linksReady(this.peerId, groupId));
  }
  leave(groupId: GroupId): Promise<void> {
    return this.#call('leave', () => this.#tracker.leave(this.peerId, groupId));
  }
  members(groupId: GroupId): Promise<readonly MemberInfo[]> {
    return this.#call('members', () => this.#tracker.members(this.peerId, groupId));
  }
  view(groupId: GroupId): Promise<View> {
    return this.#call('view', () => this.#tracker.view(this.peerId, groupId));
  }
  signal(): void {
    // MemoryTransport opens links without signaling.
  }
  reportLink(groupId: GroupId, peer: PeerId, state: LinkReportState, via?: PeerId): void {
    if (this.#state === 'online') this.#tracker.reportLink(this.peerId, groupId, peer, state, Date.now(), via);
  }
  reportMetrics(report: MetricsReport): void {
    if (this.#state === 'online') this.#tracker.metrics.push(report);
  }
  accuse(groupId: GroupId, accused: PeerId, proof: AccusationProof): void {
    if (this.#state === 'online') void this.#tracker.accuse(this.peerId, groupId, accused, proof);
  }
  on<K extends keyof TrackerLinkEvents>(event: K, listener: TrackerLinkEvents[K]): () => void {
    return this.#events.on(event, listener);
  }
  async close(): Promise<void> {
    if (this.#state === 'offline') return;
    this.goOffline();
    this.#tracker.closed(this.peerId);
  }

  // ---- used by MemoryTracker ----

  goOffline(): void {
    if (this.#state === 'offline') return;
    this.#state = 'offline';
    this.#events.emit('connection', 'offline');
  }

  push<K extends keyof TrackerLinkEvents>(event: K, ...args: Parameters<TrackerLinkEvents[K]>): void {
    if (this.#state !== 'online') return;
    setTimeout(() => {
      if (this.#state !== 'online') return;
      if (event === 'directory') this.#directory = args[0] as readonly GroupSummary[];
      this.#events.emit(event, ...args);
    }, TRACKER_LATENCY_MS);
  }

  async #call<T>(kind: TrackerRequestKind, fn: () => T): Promise<T> {
    if (this.#state !== 'online') throw new ChorusError('offline', 'Not connected to the tracker.');
    await tick();
    this.#tracker.injectedFault(kind);
    return fn();
  }
}

const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, TRACKER_LATENCY_MS));
