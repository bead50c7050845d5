// The membership state of one group and every rule that changes it, as pure
// functions: (state, input, now) -> (next state, what to tell whom). No I/O,
// no clock, no store: the store runs these under its per-group lock so a
// viewId is computed exactly once per change, also across tracker nodes.

import { asViewId } from '@chorus/protocol';
import type { GroupId, LeaveReason, MemberInfo, PeerId, Result, View, ViewChange } from '@chorus/protocol';
import { err, ok } from '@chorus/protocol';

export interface MemberEntry extends MemberInfo {
  /** Order of installation in this group: the larger one is the younger member. */
  readonly joinSeq: number;
}

export interface JoinerEntry extends MemberInfo {
  readonly since: number;
}

export interface LinkDown {
  /** Smaller peer id of the pair. */
  readonly a: PeerId;
  readonly b: PeerId;
  readonly since: number;
}

export interface Membership {
  readonly viewId: number;
  readonly nextJoinSeq: number;
  readonly members: readonly MemberEntry[];
  readonly joining: readonly JoinerEntry[];
  readonly linksDown: readonly LinkDown[];
}

export const emptyMembership = (): Membership => ({ viewId: 0, nextJoinSeq: 1, members: [], joining: [], linksDown: [] });

/** What a change asks the caller to announce, besides the acked result. */
export interface Effects {
  /** A new view to push to all its members. */
  readonly view?: View;
  /** Sessions removed against their will: they get `group:removed`. */
  readonly removed?: readonly { readonly peerId: PeerId; readonly reason: LeaveReason }[];
  /** Tell `to` about pending joiners (a fresh member must accept their signaling too). */
  readonly joiningNotices?: readonly { readonly to: readonly PeerId[]; readonly peer: MemberInfo }[];
  /** Schedule an eviction check for a down link. */
  readonly linkCheck?: { readonly a: PeerId; readonly b: PeerId; readonly since: number };
}

export interface Step<T> {
  /** null: nothing changed, do not write. */
  readonly next: Membership | null;
  readonly result: Result<T>;
  readonly effects: Effects;
}

const info = (m: MemberInfo): MemberInfo => ({ peerId: m.peerId, name: m.name, publicKey: m.publicKey, ...(m.role === undefined ? {} : { role: m.role }) });

export const viewOf = (groupId: GroupId, m: Membership, changes: readonly ViewChange[] = []): View => ({
  groupId,
  viewId: asViewId(m.viewId),
  members: m.members.map(info),
  changes,
});

export const isMember = (m: Membership, p: PeerId): boolean => m.members.some((e) => e.peerId === p);
export const isJoining = (m: Membership, p: PeerId): boolean => m.joining.some((e) => e.peerId === p);
/** Member or joiner: may signal and be signaled in this group. */
export const isInGroup = (m: Membership, p: PeerId): boolean => isMember(m, p) || isJoining(m, p);

const unchanged = <T>(result: Result<T>, effects: Effects = {}): Step<T> => ({ next: null, result, effects });

function install(groupId: GroupId, m: Membership, who: MemberInfo): { next: Membership; view: View; notices: Effects['joiningNotices'] } {
  const next: Membership = {
    ...m,
    viewId: m.viewId + 1,
    nextJoinSeq: m.nextJoinSeq + 1,
    members: [...m.members, { ...info(who), joinSeq: m.nextJoinSeq }],
    joining: m.joining.filter((j) => j.peerId !== who.peerId),
  };
  const view = viewOf(groupId, next, [{ peerId: who.peerId, change: 'joined' }]);
  // The new member did not see the `group:joining` notices sent before it was in.
  const notices = next.joining.map((j) => ({ to: [who.peerId], peer: info(j) }));
  return { next, view, notices };
}

/**
 * Phase one. Into an empty group the joiner is installed at once (there is
 * nobody to link to); otherwise it becomes `joining` and members are told.
 */
export function join(groupId: GroupId, m: Membership, who: MemberInfo, now: number): Step<View> {
  if (isMember(m, who.peerId)) return unchanged(err('bad-state', 'You are already a member of this group.'));
  if (m.members.length === 0) {
    const { next, view, notices } = install(groupId, m, who);
    return { next, result: ok(view), effects: { view, ...(notices !== undefined ? { joiningNotices: notices } : {}) } };
  }
  const next: Membership = {
    ...m,
    joining: [...m.joining.filter((j) => j.peerId !== who.peerId), { ...info(who), since: now }],
  };
  return {
    next,
    result: ok(viewOf(groupId, m)),
    effects: { joiningNotices: [{ to: m.members.map((e) => e.peerId), peer: info(who) }] },
  };
}

/**
 * Phase two: the joiner's channels to every member of its view are open.
 * Members installed after this joiner got its view are not a reason to
 * refuse: they were sent `group:joining` for it when they were installed and
 * open their channel to it; the joiner links to them when it gets this view.
 * Should that link never come up, the link grace eviction restores a full mesh.
 */
export function linksReady(groupId: GroupId, m: Membership, peerId: PeerId): Step<View> {
  if (isMember(m, peerId)) return unchanged(ok(viewOf(groupId, m)));
  const joiner = m.joining.find((j) => j.peerId === peerId);
  if (joiner === undefined) return unchanged(err('not-member', 'You are not joining this group; send group:join first.'));
  const { next, view, notices } = install(groupId, m, joiner);
  return { next, result: ok(view), effects: { view, ...(notices !== undefined ? { joiningNotices: notices } : {}) } };
}

/** Leave, failure or eviction. A joiner just stops joining: no view changes. */
export function remove(groupId: GroupId, m: Membership, peerId: PeerId, reason: LeaveReason): Step<null> {
  const wasMember = isMember(m, peerId);
  const wasJoining = isJoining(m, peerId);
  if (!wasMember && !wasJoining) return unchanged(err('not-member', 'You are not in this group.'));
  const next: Membership = {
    ...m,
    viewId: wasMember ? m.viewId + 1 : m.viewId,
    members: m.members.filter((e) => e.peerId !== peerId),
    joining: m.joining.filter((j) => j.peerId !== peerId),
    linksDown: m.linksDown.filter((l) => l.a !== peerId && l.b !== peerId),
  };
  const view = wasMember ? viewOf(groupId, next, [{ peerId, change: reason }]) : undefined;
  const removed = reason === 'left' ? [] : [{ peerId, reason }];
  return { next, result: ok(null), effects: { ...(view !== undefined ? { view } : {}), removed } };
}

const pair = (x: PeerId, y: PeerId): { a: PeerId; b: PeerId } => (x < y ? { a: x, b: y } : { a: y, b: x });

/**
 * A restored group's views continue above the last one its members
 * installed, so viewIds never go back across a restart of an in-memory tracker.
 */
export function raiseViewFloor(m: Membership, viewId: number): Step<null> {
  if (m.viewId >= viewId) return unchanged(ok(null));
  return { next: { ...m, viewId }, result: ok(null), effects: {} };
}

/** A member says its channel to `peer` is up or down. Down starts the grace clock once per pair. */
export function reportLink(m: Membership, reporter: PeerId, peer: PeerId, state: 'up' | 'down', now: number): Step<null> {
  // A joiner's links are settled by links-ready or the join timeout, but its
  // mesh reports them like any other: accept and ignore rather than count bad input.
  if (isJoining(m, reporter)) return unchanged(ok(null));
  if (!isMember(m, reporter)) return unchanged(err('not-member', 'Only members of the group report links.'));
  if (reporter === peer) return unchanged(err('bad-state', 'A link needs two different peers.'));
  // A link to a session that is gone is settled by the view change, not by eviction.
  if (!isMember(m, peer)) return unchanged(ok(null));
  const { a, b } = pair(reporter, peer);
  const existing = m.linksDown.find((l) => l.a === a && l.b === b);
  if (state === 'up') {
    if (existing === undefined) return unchanged(ok(null));
    return { next: { ...m, linksDown: m.linksDown.filter((l) => l !== existing) }, result: ok(null), effects: {} };
  }
  // Already down: keep the first `since`, but ask for a check again — the node
  // that scheduled the first one may have died with its timer.
  if (existing !== undefined) return unchanged(ok(null), { linkCheck: { a, b, since: existing.since } });
  return {
    next: { ...m, linksDown: [...m.linksDown, { a, b, since: now }] },
    result: ok(null),
    effects: { linkCheck: { a, b, since: now } },
  };
}

/** The grace time of a down link ran out: evict the younger of the two if it is still down. */
export function expireLink(groupId: GroupId, m: Membership, a: PeerId, b: PeerId, now: number, graceMs: number): Step<null> {
  const l = m.linksDown.find((x) => x.a === a && x.b === b);
  if (l === undefined || now - l.since < graceMs) return unchanged(ok(null));
  const ea = m.members.find((e) => e.peerId === a);
  const eb = m.members.find((e) => e.peerId === b);
  if (ea === undefined || eb === undefined) return unchanged(ok(null));
  const younger = ea.joinSeq > eb.joinSeq ? ea : eb;
  return remove(groupId, m, younger.peerId, 'evicted');
}

/** The joiner never reported its links: drop it from joining (no view had it). */
export function expireJoin(groupId: GroupId, m: Membership, peerId: PeerId, now: number, timeoutMs: number): Step<null> {
  const j = m.joining.find((x) => x.peerId === peerId);
  if (j === undefined || now - j.since < timeoutMs) return unchanged(ok(null));
  return remove(groupId, m, peerId, 'failed');
}
