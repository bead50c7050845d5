// The tracker as the simulator models it: the one authority for membership,
// running the same pure steps as apps/tracker and the peer package's
// MemoryTracker (src/membership/). It keeps the group's membership and the
// names it was told; the simulator decides when a joiner's links are ready
// and carries each view to each node with a per-node delay. Its viewId only
// grows, also across a restart: `restart` keeps the state (as Redis keeps
// it); `forget` drops it (the in-memory store) until a member's `restore`
// brings the group back with views above the floor it names.

import type { GroupId, LeaveReason, LinkReportState, PeerId, ViewId } from '../src/ids.ts';
import * as membership from '../src/membership/index.ts';
import type { Effects, Membership, Step } from '../src/membership/index.ts';
import type { MemberInfo, View, ViewChange } from '../src/tracker/events.ts';

export class ModelTracker {
  private state: Membership = membership.emptyMembership();
  private readonly names = new Map<PeerId, string>();
  #forgotten = false;

  constructor(readonly groupId: GroupId) {}

  get currentViewId(): number {
    return this.state.viewId;
  }

  /** Admission order, oldest first. */
  get members(): PeerId[] {
    return this.state.members.map((m) => m.peerId);
  }

  /** Phase-one joiners in the order they asked. */
  get joining(): PeerId[] {
    return this.state.joining.map((j) => j.peerId);
  }

  nameOf(peer: PeerId): string {
    return this.names.get(peer) ?? peer;
  }

  private info(peer: PeerId): MemberInfo {
    return { peerId: peer, name: this.nameOf(peer), publicKey: `sim-key:${peer}` };
  }

  /** Runs one membership step; a refused input is a bug in the simulator, not a tracker answer. */
  private run<T>(what: string, f: (m: Membership) => Step<T>): Step<T> {
    const step = f(this.state);
    if (!step.result.ok) throw new Error(`model tracker: ${what} refused: ${step.result.error.message}`);
    if (step.next !== null) this.state = step.next;
    return step;
  }

  /**
   * The installed view as the tracker hands it out (with the changes that made it), or with `changes` instead (the
   * founders' first view).
   */
  view(changes?: readonly ViewChange[]): View {
    const v = membership.viewOf(this.groupId, this.state);
    return changes === undefined ? v : { ...v, changes };
  }

  /** The first view: the group's founders, all linked already (one view per founder after the first). */
  found(peers: readonly { readonly peer: PeerId; readonly name: string }[]): View {
    for (const p of peers) {
      this.names.set(p.peer, p.name);
      this.run('found', (m) => membership.join(this.groupId, m, this.info(p.peer), 0));
      if (!membership.isJoining(this.state, p.peer)) continue;
      this.confirmLinks(p.peer);
      this.run('found', (m) => membership.linksReady(this.groupId, m, p.peer));
    }
    return this.view(peers.map((p) => ({ peerId: p.peer, change: 'joined' as const })));
  }

  /**
   * Phase one of a join. Into an empty group the joiner is installed at once
   * (nobody to link to): the view to send is returned; otherwise null.
   */
  askToJoin(peer: PeerId, name: string): View | null {
    this.names.set(peer, name);
    return this.run('join', (m) => membership.join(this.groupId, m, this.info(peer), 0)).effects.view ?? null;
  }

  isMember(peer: PeerId): boolean {
    return membership.isMember(this.state, peer);
  }

  /** Every member reports its link to the joiner up, as its mesh does when the channel opens. */
  private confirmLinks(peer: PeerId): void {
    for (const m of this.members) this.run('link up', (s) => membership.reportLink(this.groupId, s, m, peer, 'up', 0));
  }

  /** Phase two: the joiner's links to every member are up; the members confirm them, then it says links-ready. */
  admit(peer: PeerId): View {
    this.confirmLinks(peer);
    const view = this.run('links-ready', (m) => membership.linksReady(this.groupId, m, peer)).effects.view;
    if (view === undefined) throw new Error(`model tracker: ${peer} was admitted but is no joiner`);
    return view;
  }

  /** Removes a member (new view) or a phase-one joiner (no view); null when it is neither. */
  remove(peer: PeerId, reason: LeaveReason, flush?: ViewId): View | null | 'joiner' {
    if (!membership.isInGroup(this.state, peer)) return null;
    return this.run('remove', (m) => membership.remove(this.groupId, m, peer, reason, flush)).effects.view ?? 'joiner';
  }

  /** Both ends of a link between two members report it (honest nodes: both see it), at virtual time `now`. */
  reportLink(a: PeerId, b: PeerId, state: 'up' | 'down', now: number): void {
    if (!this.isMember(a) || !this.isMember(b)) return;
    for (const [x, y] of [
      [a, b],
      [b, a],
    ] as const)
      this.run(`link ${state}`, (s) => membership.reportLink(this.groupId, s, x, y, state, now));
  }

  /** Both ends say their link goes through member `via` (PROTOCOL.md §1.6), which counts as up. */
  reportRelayed(a: PeerId, b: PeerId, via: PeerId, now: number): void {
    if (!this.isMember(a) || !this.isMember(b)) return;
    for (const [x, y] of [
      [a, b],
      [b, a],
    ] as const)
      this.run('link relayed', (s) => membership.reportLink(this.groupId, s, x, y, 'relayed', now, via));
  }

  /**
   * Whom the link rules evict once the grace time of the pair's outage has run out (null: nobody); the caller removes
   * it.
   */
  linkVerdict(a: PeerId, b: PeerId, now: number, graceMs: number): PeerId | null {
    const [x, y] = a < b ? [a, b] : [b, a];
    return membership.expireLink(this.groupId, this.state, x, y, now, graceMs).effects.removed?.[0]?.peerId ?? null;
  }

  /**
   * One end's own report (hostile runs: a liar's, or an honest end's about a
   * link the liar keeps closed). The tracker's refusal (`rate-limited`,
   * `not-member`) is an answer, returned as its code, not a simulator bug.
   */
  reportOne(reporter: PeerId, peer: PeerId, state: LinkReportState, now: number): Effects | string {
    const step = membership.reportLink(this.groupId, this.state, reporter, peer, state, now);
    if (!step.result.ok) return step.result.error.code;
    if (step.next !== null) this.state = step.next;
    return step.effects;
  }

  /** The link grace time of the pair ran out: the link rules decide (and their verdict is applied). */
  expire(a: PeerId, b: PeerId, now: number, graceMs: number): Effects {
    const step = membership.expireLink(this.groupId, this.state, a, b, now, graceMs);
    if (step.next !== null) this.state = step.next;
    return step.effects;
  }

  /** True after an in-memory restart until a member restores the group: a join then finds no group. */
  get forgotten(): boolean {
    return this.#forgotten;
  }

  /**
   * An in-memory tracker restarts: the group, its members and its joiners are gone (names stay: sessions say hello
   * again).
   */
  forget(): void {
    this.state = membership.emptyMembership();
    this.#forgotten = true;
  }

  /**
   * group:restore by a member holding the charter: views go on above `viewId`. A group the tracker knows stays as it
   * is.
   */
  restore(viewId: number): void {
    if (!this.#forgotten) return;
    this.#forgotten = false;
    this.run('restore', (m) => membership.raiseViewFloor(m, viewId));
  }

  /**
   * After a restart the tracker re-sends the current view as it was installed (same changes); viewId is kept
   * (persisted).
   */
  restart(): View {
    return this.view();
  }
}
