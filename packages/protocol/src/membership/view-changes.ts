// The steps that change who is in a group: the two-phase join, leave,
// failure, and the join timeout. Each is (state, input, now) -> Step; the
// tracker runs them under its per-group lock, so a viewId is computed exactly
// once per change, also across tracker nodes.
//
//   (outside) --join--> joining --linksReady + members confirm--> member --remove--> (outside)
//       |                  |  \--remove / expireJoin: no view----> (outside)
//       \--join into an empty group: member at once (nobody to link to)
//
// A joiner is installed on nobody's word alone: it says its channels are open
// (`linksReady`) and every member of the view it was given says its channel to
// the joiner is up (`reportLink` up, link-reports.ts). Whichever comes last
// installs it. A joiner that sends links-ready but whose channels nobody sees
// open stays out of every view and is dropped at the join timeout.

import type { GroupId, LeaveReason, PeerId, ViewId } from '../ids.ts';
import { err, ok } from '../result.ts';
import type { MemberInfo, View } from '../tracker/events.ts';
import { isJoining, isMember, memberInfo, viewOf } from './membership.ts';
import type { JoinerEntry, Membership } from './membership.ts';
import { unchanged } from './step.ts';
import type { Effects, Step } from './step.ts';

/** Members of its view, still members, that have not said their channel to the joiner is up. */
export function unconfirmed(m: Membership, j: JoinerEntry): PeerId[] {
  const expected = j.expect ?? m.members.map((e) => e.peerId);
  return expected.filter((p) => isMember(m, p) && !(j.confirmedBy ?? []).includes(p));
}

/** Installs the joiner if it said links-ready and every member of its view confirmed its link; else null. */
export function installIfConfirmed(groupId: GroupId, m: Membership, peerId: PeerId): Step<View> | null {
  const j = m.joining.find((x) => x.peerId === peerId);
  if (j === undefined || j.ready !== true || unconfirmed(m, j).length > 0) return null;
  return install(groupId, m, j);
}

function install(groupId: GroupId, m: Membership, who: MemberInfo): Step<View> {
  const next: Membership = {
    ...m,
    viewId: m.viewId + 1,
    nextJoinSeq: m.nextJoinSeq + 1,
    members: [...m.members, { ...memberInfo(who), joinSeq: m.nextJoinSeq }],
    joining: m.joining.filter((j) => j.peerId !== who.peerId),
    changes: [{ peerId: who.peerId, change: 'joined' }],
  };
  const view = viewOf(groupId, next);
  // The new member did not see the `group:joining` notices sent before it was in.
  const joiningNotices = next.joining.map((j) => ({ to: [who.peerId], peer: memberInfo(j) }));
  return { next, result: ok(view), effects: { view, joiningNotices } };
}

/**
 * Phase one. Into an empty group the joiner is installed at once (there is
 * nobody to link to); otherwise it becomes `joining` (again, if it was: its
 * clock restarts) and the members are told. The answer is the view it joins.
 * A group already holding `maxInGroup` members and joiners takes no one new.
 */
export function join(groupId: GroupId, m: Membership, who: MemberInfo, now: number, maxInGroup = Infinity): Step<View> {
  if (isMember(m, who.peerId)) return unchanged(err('bad-state', 'You are already a member of this group.'));
  if (!isJoining(m, who.peerId) && m.members.length + m.joining.length >= maxInGroup) {
    return unchanged(err('too-many', `This group is full: ${maxInGroup} members and joiners is the most it holds.`));
  }
  if (m.members.length === 0) return install(groupId, m, who);
  const next: Membership = {
    ...m,
    joining: [
      ...m.joining.filter((j) => j.peerId !== who.peerId),
      { ...memberInfo(who), since: now, expect: m.members.map((e) => e.peerId), confirmedBy: [] },
    ],
  };
  return {
    next,
    result: ok(viewOf(groupId, m)),
    effects: { joiningNotices: [{ to: m.members.map((e) => e.peerId), peer: memberInfo(who) }] },
  };
}

/**
 * Phase two: the joiner's channels to every member of its view are open.
 * It is installed once every member of that view (still a member) has also
 * reported its channel to the joiner up; until then the answer is the
 * current view without it, and the view that installs it comes as a push
 * (the step of the member report that completes the set). Asking again
 * re-checks (a member that never confirmed may have gone meanwhile).
 * Members installed after this joiner got its view are not waited for: they
 * were sent `group:joining` for it when they were installed and open their
 * channel to it; the joiner links to them when it gets the view that has it.
 * Should that link never come up, the link rules (link-reports.ts) restore a
 * full mesh. A member asking again gets the installed view back, unchanged —
 * with the changes that made it, as every other answer carries it.
 */
export function linksReady(groupId: GroupId, m: Membership, peerId: PeerId): Step<View> {
  if (isMember(m, peerId)) return unchanged(ok(viewOf(groupId, m)));
  const joiner = m.joining.find((j) => j.peerId === peerId);
  if (joiner === undefined)
    return unchanged(err('not-member', 'You are not joining this group; send group:join first.'));
  const next: Membership =
    joiner.ready === true ? m : { ...m, joining: m.joining.map((j) => (j === joiner ? { ...j, ready: true } : j)) };
  const installed = installIfConfirmed(groupId, next, peerId);
  if (installed !== null) return installed;
  return { next: next === m ? null : next, result: ok(viewOf(groupId, m)), effects: {} };
}

/**
 * Leave, failure or eviction. A member's removal is a new view; a joiner just
 * stops joining (no view had it) and the members, who were told of it, hear
 * it is gone. Whoever did not leave of its own accord is told it was removed.
 */
export function remove(
  groupId: GroupId,
  m: Membership,
  peerId: PeerId,
  reason: LeaveReason,
  /** The view whose flush a proof against `peerId` is about (ViewChange.flush). */
  flush?: ViewId,
): Step<null> {
  const wasMember = isMember(m, peerId);
  if (!wasMember && !isJoining(m, peerId)) return unchanged(err('not-member', 'You are not in this group.'));
  const next: Membership = {
    ...m,
    viewId: wasMember ? m.viewId + 1 : m.viewId,
    members: m.members.filter((e) => e.peerId !== peerId),
    joining: m.joining
      .filter((j) => j.peerId !== peerId)
      .map((j) =>
        j.confirmedBy?.includes(peerId) === true ? { ...j, confirmedBy: j.confirmedBy.filter((p) => p !== peerId) } : j,
      ),
    linksDown: m.linksDown.filter((l) => l.a !== peerId && l.b !== peerId),
    ...(wasMember ? { changes: [{ peerId, change: reason, ...(flush === undefined ? {} : { flush }) }] } : {}),
  };
  const effects: Effects = {
    ...(wasMember
      ? { view: viewOf(groupId, next) }
      : { joinerGone: [{ to: next.members.map((e) => e.peerId), peerId }] }),
    removed: reason === 'left' ? [] : [{ peerId, reason }],
  };
  return { next, result: ok(null), effects };
}

/** The joiner never reported its links: drop it from joining (no view had it). */
export function expireJoin(
  groupId: GroupId,
  m: Membership,
  peerId: PeerId,
  now: number,
  timeoutMs: number,
): Step<null> {
  const j = m.joining.find((x) => x.peerId === peerId);
  if (j === undefined || now - j.since < timeoutMs) return unchanged(ok(null));
  return remove(groupId, m, peerId, 'failed');
}

/**
 * How far above the last view it saw a member restores a forgotten group.
 * The restorer may have missed the last views the old process issued (they
 * were in flight when it died); a view id issued twice with other members
 * would let frames an old session sent in the first reach an engine that
 * installed the second. A restart is rare, so a wide margin costs nothing:
 * 2^40 (MAX_VIEW_ID) leaves room for 2^30 of them.
 */
export const RESTORE_VIEW_MARGIN = 1024;

/**
 * Restorers that saw the same last view would otherwise pick the same id: a
 * member not back yet after one restart restores again, after a second one,
 * from the view the first restorer also started from, and two incarnations
 * (PROTOCOL.md §3.11) would be named alike, their total-order keys colliding
 * (the simulator's forgetting tracker found it). Each restorer adds a random
 * offset below this: two restorers collide with odds 2^-20, and 2^40 still
 * leaves room for a million restores.
 */
export const RESTORE_VIEW_SPREAD = 2 ** 20;

/**
 * The viewId a member sends in group:restore: its last view plus the margin
 * plus `offset`, a random integer in [0, RESTORE_VIEW_SPREAD) the caller draws
 * (this package has no randomness), within MAX_VIEW_ID (2^40).
 */
export const restoreViewFloor = (lastSeen: number, offset: number): number => {
  const spread = Number.isSafeInteger(offset) ? Math.min(Math.max(offset, 0), RESTORE_VIEW_SPREAD - 1) : 0;
  return Math.min(2 ** 40, Math.max(0, lastSeen) + RESTORE_VIEW_MARGIN + spread);
};

/**
 * A restored group's views continue above the last one its members
 * installed, so viewIds never go back across a restart of an in-memory tracker.
 */
export function raiseViewFloor(m: Membership, viewId: number): Step<null> {
  if (m.viewId >= viewId) return unchanged(ok(null));
  // A floor is no installed view: no changes made it.
  return { next: { ...m, viewId, changes: [] }, result: ok(null), effects: {} };
}
