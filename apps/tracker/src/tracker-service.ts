// What the tracker does, independent of which socket asked: two-phase joins,
// views, failure handling, link eviction, signaling relay, metrics reports.
// State lives in the store; this class runs the pure membership steps of
// @chorus/protocol (packages/protocol/src/membership/) under the store's lock
// and announces their effects to the members' sessions through PeerRoutes
// (peer-routes.ts: this node's socket of a peer id, other nodes through the adapter).
// The directory (listing and pushes) is tracker-directory.ts; creating,
// restoring and expiring whole groups group-registry.ts.

import type { Server } from 'socket.io';
import type { Logger } from 'pino';
import { err, isDmGroupId, isFlushProof, membership, ok } from '@chorus/protocol';
import type {
  DirectoryPage,
  ParsedDirectoryQuery,
  ClientToServerEvents,
  GroupId,
  GroupSummary,
  InterServerEvents,
  JoinReply,
  LeaveReason,
  MemberInfo,
  ParsedCreateGroup,
  ParsedJoinGroup,
  ParsedOpenDm,
  ParsedRestoreGroup,
  ParsedAccusation,
  ParsedLinkReport,
  ParsedMetricsReport,
  ParsedSignal,
  PeerId,
  Result,
  Membership,
  MembershipEffects as Effects,
  MembershipStep as Step,
  ServerToClientEvents,
  View,
} from '@chorus/protocol';
import type { TrackerConfig } from './config.ts';
import { GroupRegistry } from './group-registry.ts';
import type { PeerRoutes } from './peer-routes.ts';
import { verifyAccusation } from './verify-signature.ts';
import { dmRefusal, isDm } from './direct-messages.ts';
import { verifyPassword } from './password.ts';
import type { GroupRecord, TrackerStore } from './store/tracker-store.ts';
import type { TrackerMetrics } from './tracker-metrics.ts';
import { DirectoryPushes, directoryPage, listDirectory, summary } from './tracker-directory.ts';

export { DIRECTORY_PUSH_COALESCE_MS, DIRECTORY_ROOM, summary } from './tracker-directory.ts';

/** Timers fire a hair late on purpose so `now - since >= grace` holds on the first check. */
const TIMER_SLACK_MS = 5;

/**
 * Set whole when a socket connects (start-tracker.ts) and never reshaped: a cleared field is undefined, not deleted.
 */
export interface SocketData {
  /** The challenge of a pending hello; cleared by the hello that uses it. */
  nonce: string | undefined;
  session: MemberInfo | undefined;
  /** The TCP peer address, for per-address caps. */
  address: string | undefined;
}

export type ChorusServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

export class TrackerService {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly pushes: DirectoryPushes;
  private readonly registry: GroupRegistry;
  private readonly pending = new Set<Promise<unknown>>();
  private closed = false;

  constructor(
    io: ChorusServer,
    private readonly routes: PeerRoutes,
    private readonly store: TrackerStore,
    private readonly config: TrackerConfig,
    private readonly metrics: TrackerMetrics,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.pushes = new DirectoryPushes(io, store, (p) => this.track(p));
    this.registry = new GroupRegistry(store, config, log, now, (groupId) => this.pushDirectorySoon(groupId));
  }

  // ---- directory ----

  directory(): Promise<readonly GroupSummary[]> {
    return listDirectory(this.store, this.metrics);
  }

  /** One page (most online first, then newest), capped in count and in JSON bytes. */
  async directoryPage(q: ParsedDirectoryQuery): Promise<DirectoryPage> {
    return directoryPage(await this.directory(), q);
  }

  private pushDirectorySoon(groupId: GroupId): void {
    this.pushes.soon(groupId);
  }

  createGroup(by: MemberInfo, p: ParsedCreateGroup, address?: string): Promise<Result<GroupSummary>> {
    return this.registry.create(by, p, address);
  }

  /**
   * The direct message of `by`'s key and another (made if needed,
   * group-registry.ts). Every session of the other key is told with
   * `dm:opened`, each time it is opened (it may have left it since).
   */
  async openDm(by: MemberInfo, p: ParsedOpenDm, address?: string): Promise<Result<GroupSummary>> {
    const record = await this.registry.openDm(by, p, address);
    if (!record.ok) return record;
    const m = await this.store.getMembership(record.value.groupId);
    this.routes.toKey(p.publicKey, 'dm:opened', summary(record.value, m, p.publicKey));
    return ok(summary(record.value, m, by.publicKey));
  }

  /** The direct messages of a key, for its hello. */
  dmsOf(publicKey: string): Promise<readonly GroupSummary[]> {
    return this.registry.dmsOf(publicKey);
  }

  /** A member re-registers a group this tracker forgot (group-registry.ts). */
  restoreGroup(by: MemberInfo, p: ParsedRestoreGroup, address?: string): Promise<Result<GroupSummary>> {
    return this.registry.restore(by, p, address);
  }

  // ---- membership ----

  private async group(groupId: GroupId): Promise<Result<GroupRecord>> {
    const g = await this.store.getGroup(groupId);
    return g === null ? err('not-found', `There is no group with id ${groupId}.`) : ok(g);
  }

  async join(who: MemberInfo, p: ParsedJoinGroup): Promise<Result<JoinReply>> {
    const g = await this.group(p.groupId);
    if (!g.ok) return g;
    const refused = g.value.charter === undefined ? null : dmRefusal(g.value.charter, who.publicKey);
    if (refused !== null) return refused;
    if (g.value.passwordHash !== undefined) {
      if (p.password === undefined)
        return err('wrong-password', `The group "${g.value.name}" is locked; enter its password to join.`);
      if (!(await verifyPassword(p.password, g.value.passwordHash)))
        return err('wrong-password', `That is not the password of "${g.value.name}".`);
    }
    const step = await this.update(p.groupId, (m) =>
      membership.join(p.groupId, m, who, this.now(), this.config.maxMembersPerGroup),
    );
    if (!step.result.ok) return step.result;
    if (step.effects.view === undefined) this.expireJoinLater(p.groupId, who.peerId);
    const current = step.next ?? (await this.store.getMembership(p.groupId));
    this.log.info({ groupId: p.groupId, peerId: who.peerId, installed: step.effects.view !== undefined }, 'join');
    const charter = g.value.charter;
    return ok({
      group: summary(g.value, current, who.publicKey),
      view: step.result.value,
      ...(charter !== undefined ? { charter } : {}),
    });
  }

  async linksReady(who: MemberInfo, groupId: GroupId): Promise<Result<View>> {
    const g = await this.group(groupId);
    if (!g.ok) return g;
    const step = await this.update(groupId, (m) => membership.linksReady(groupId, m, who.peerId));
    return step.result;
  }

  async leave(who: MemberInfo, groupId: GroupId): Promise<Result<null>> {
    const g = await this.group(groupId);
    if (!g.ok) return g;
    const step = await this.update(groupId, (m) => membership.remove(groupId, m, who.peerId, 'left'));
    if (step.result.ok) this.log.info({ groupId, peerId: who.peerId }, 'left');
    return step.result;
  }

  /** Members of an open group are public like its online count; a locked group's list is for those inside. */
  async members(who: MemberInfo, groupId: GroupId): Promise<Result<readonly MemberInfo[]>> {
    const g = await this.group(groupId);
    if (!g.ok) return g;
    const m = await this.store.getMembership(groupId);
    if ((g.value.passwordHash !== undefined || isDm(g.value)) && !membership.isInGroup(m, who.peerId)) {
      return err('not-member', `Join "${g.value.name}" to see who is in it.`);
    }
    return ok(membership.viewOf(groupId, m).members);
  }

  async view(who: MemberInfo, groupId: GroupId): Promise<Result<View>> {
    const g = await this.group(groupId);
    if (!g.ok) return g;
    const m = await this.store.getMembership(groupId);
    if (!membership.isInGroup(m, who.peerId)) return err('not-member', `You are not in "${g.value.name}".`);
    return ok(membership.viewOf(groupId, m));
  }

  /** Removes a session from every group it is in or joining (disconnect, missed heartbeats, dead node). */
  async removeEverywhere(peerId: PeerId, reason: LeaveReason): Promise<number> {
    const ms = await this.store.listMemberships();
    let n = 0;
    for (const [groupId, m] of ms) {
      if (!membership.isInGroup(m, peerId)) continue;
      const step = await this.update(groupId, (cur) => membership.remove(groupId, cur, peerId, reason));
      if (step.result.ok) n++;
    }
    if (n > 0) this.log.info({ peerId, reason, groups: n }, 'removed from groups');
    return n;
  }

  // ---- links ----

  async linkReport(who: MemberInfo, r: ParsedLinkReport): Promise<Result<null>> {
    const g = await this.group(r.groupId);
    if (!g.ok) return g;
    const step = await this.update(r.groupId, (m) =>
      membership.reportLink(r.groupId, m, who.peerId, r.peer, r.state, this.now(), r.via),
    );
    return step.result;
  }

  /**
   * A member's proof that another signed two FINALs it cannot both mean (PROTOCOL.md §3.3 "Signed
   * FINALs") or two FLUSH reports for one view (§3.4 "Signed reports"): checked with the key the
   * accused proved at hello, it evicts the accused at once. The proof is the accused's own
   * signatures, so nobody's word is needed.
   */
  async accuse(who: MemberInfo, a: ParsedAccusation): Promise<Result<null>> {
    const g = await this.group(a.groupId);
    if (!g.ok) return g;
    const m = await this.store.getMembership(a.groupId);
    if (!membership.isMember(m, who.peerId)) return err('not-member', `You are not a member of "${g.value.name}".`);
    const accused = membership.viewOf(a.groupId, m).members.find((x) => x.peerId === a.accused);
    if (accused === undefined) return err('not-member', `${a.accused} is not a member of "${g.value.name}".`);
    if (!(await verifyAccusation(accused.publicKey, a.proof)))
      return err('bad-signature', `The proof does not carry ${a.accused}'s signatures.`);
    // A FLUSH proof names the flush nobody installed: no member delivers its resolution (§3.4 "Signed reports").
    const flush = isFlushProof(a.proof) ? a.proof.flush.viewId : undefined;
    const step = await this.update(a.groupId, (cur) => membership.remove(a.groupId, cur, a.accused, 'evicted', flush));
    if (step.result.ok) {
      this.metrics.evicted();
      this.log.warn(
        { groupId: a.groupId, accused: a.accused, by: who.peerId },
        isFlushProof(a.proof) ? 'signed two flush reports: evicted' : 'signed two finals: evicted',
      );
    }
    return step.result;
  }

  private checkLinkLater(groupId: GroupId, a: PeerId, b: PeerId, since: number): void {
    const due = Math.max(0, since + this.config.linkGraceMs - this.now());
    this.later(due + TIMER_SLACK_MS, async () => {
      const step = await this.update(groupId, (m) =>
        membership.expireLink(groupId, m, a, b, this.now(), this.config.linkGraceMs),
      );
      const evicted = step.effects.removed?.[0];
      const falseReport = step.effects.falseReport;
      if (falseReport !== undefined)
        this.log.warn({ groupId, a, b, reporter: falseReport }, 'link report proved false: the reporter got a mark');
      if (evicted !== undefined) {
        this.metrics.evicted();
        this.log.warn({ groupId, a, b, evicted: evicted.peerId }, 'link down past grace: evicted');
      }
    });
  }

  private expireJoinLater(groupId: GroupId, peerId: PeerId): void {
    this.later(this.config.joinTimeoutMs + TIMER_SLACK_MS, async () => {
      const step = await this.update(groupId, (m) =>
        membership.expireJoin(groupId, m, peerId, this.now(), this.config.joinTimeoutMs),
      );
      if (step.next !== null) this.log.info({ groupId, peerId }, 'joiner never reported links ready: dropped');
    });
  }

  // ---- signaling ----

  async signal(from: MemberInfo, s: ParsedSignal): Promise<Result<null>> {
    if (s.to === from.peerId) {
      this.metrics.dropped('self');
      return err('bad-state', 'A session cannot signal itself.');
    }
    const m = await this.store.getMembership(s.groupId);
    if (!membership.isInGroup(m, from.peerId)) {
      this.metrics.dropped('not-shared');
      return err('not-member', `You are not in group ${s.groupId}; signaling is only relayed inside a group.`);
    }
    if (!membership.isInGroup(m, s.to)) {
      // One answer whether `to` is online elsewhere or does not exist: the
      // ack must not tell a member who is connected outside the group.
      // (The counter, for the operator, still tells them apart.)
      const known = (await this.store.getSession(s.to)) !== null;
      this.metrics.dropped(known ? 'not-shared' : 'unknown-peer');
      return err('not-member', `${s.to} is not in group ${s.groupId}; signal dropped.`);
    }
    this.routes.to([s.to], 'signal', { groupId: s.groupId, from: from.peerId, data: s.data });
    this.metrics.relayed();
    return ok(null);
  }

  /**
   * Only a member (or joiner) of the group reports on it: anyone else could
   * mint a Prometheus series per made-up group id. Its entry goes when it
   * leaves (see announce), the group's series when the group does.
   */
  async metricsReport(from: MemberInfo, r: ParsedMetricsReport): Promise<Result<null>> {
    const m = await this.store.getMembership(r.groupId);
    if (!membership.isInGroup(m, from.peerId))
      return err('not-member', `You are not in group ${r.groupId}; report metrics for your own groups.`);
    // A direct message has no series in /metrics or /api/stats: its id would tell that two people write to each other.
    if (isDmGroupId(r.groupId)) return ok(null);
    this.metrics.peerReport(from.peerId, r);
    this.log.info({ peerId: from.peerId, ...r }, 'peer metrics');
    return ok(null);
  }

  /** Removes groups that stayed empty past `emptyGroupTtlMs` (group-registry.ts). */
  sweepEmptyGroups(): Promise<number> {
    return this.registry.sweepEmpty();
  }

  // ---- plumbing ----

  private async update<T>(groupId: GroupId, f: (m: Membership) => Step<T>): Promise<Step<T>> {
    const step = await this.store.updateMembership(groupId, f);
    this.announce(groupId, step.effects);
    return step;
  }

  private announce(groupId: GroupId, e: Effects): void {
    for (const r of e.removed ?? []) {
      this.routes.to([r.peerId], 'group:removed', { groupId, reason: r.reason });
      this.metrics.forgetPeer(groupId, r.peerId);
    }
    for (const c of e.view?.changes ?? []) if (c.change !== 'joined') this.metrics.forgetPeer(groupId, c.peerId);
    if (e.view !== undefined) {
      this.metrics.viewInstalled();
      this.routes.to(
        e.view.members.map((x) => x.peerId),
        'group:view',
        e.view,
      );
      this.pushDirectorySoon(groupId);
    }
    for (const n of e.joiningNotices ?? []) {
      this.routes.to(n.to, 'group:joining', { groupId, peer: n.peer });
    }
    // Members were told of the joiner and dial it: they stop when it goes uninstalled.
    for (const j of e.joinerGone ?? []) {
      this.metrics.forgetPeer(groupId, j.peerId);
      this.routes.to(j.to, 'group:joiner-gone', { groupId, peerId: j.peerId });
    }
    if (e.linkCheck !== undefined) this.checkLinkLater(groupId, e.linkCheck.a, e.linkCheck.b, e.linkCheck.since);
  }

  private later(ms: number, f: () => Promise<void>): void {
    if (this.closed) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      this.track(f());
    }, ms);
    this.timers.add(t);
  }

  /** Background work is awaited on close and its failures logged, never left unhandled. */
  track(p: Promise<unknown>): void {
    const q = p
      .catch((e: unknown) => this.log.error({ err: e }, 'background task failed'))
      .finally(() => this.pending.delete(q));
    this.pending.add(q);
  }

  async drain(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  /** Stops timers; in-flight work is left to finish (see drain). */
  stop(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.pushes.stop();
  }
}
