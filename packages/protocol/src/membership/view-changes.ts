// The steps that change who is in a group: the two-phase join, leave,
// failure, and the join timeout. Each is (state, input, now) -> Step; the
// tracker runs them under its per-group lock, so a viewId is computed exactly
// once per change, also across tracker nodes.
//
//   (outside) --join--> joining --linksReady--> member --remove--> (outside)
//       |                  |  \--remove / expireJoin: no view----> (outside)
//       \--join into an empty group: member at once (nobody to link to)
//
// Today a joiner is installed on its own word (`linksReady`). A rule that the
// members must confirm the links first (issue 12) belongs in `linksReady`
// alone: members' `up` reports about a joiner already reach link-reports.ts.

import type { GroupId, LeaveReason, PeerId } from '../ids.ts';
import { err, ok } from '../result.ts';
import type { MemberInfo, View } from '../tracker/events.ts';
import { isJoining, isMember, memberInfo, viewOf } from './membership.ts';
import type { Membership } from './membership.ts';
import { unchanged } from './step.ts';
import type { Effects, Step } from './step.ts';

function install(groupId: GroupId, m: Membership, who: MemberInfo): Step<View> {
  const next: Membership = {
    ...m,
    viewId: m.viewId + 1,
    nextJoinSeq: m.nextJoinSeq + 1,
    members: [...m.members, { ...memberInfo(who), joinSeq: m.nextJoinSeq }],
    joining: m.joining.filter((j) => j.peerId !== who.peerId),
  };
  const view = viewOf(groupId, next, [{ peerId: who.peerId, change: 'joined' }]);
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
    joining: [...m.joining.filter((j) => j.peerId !== who.peerId), { ...memberInfo(who), since: now }],
  };
  return {
    next,
    result: ok(viewOf(groupId, m)),
    effects: { joiningNotices: [{ to: m.members.map((e) => e.peerId), peer: memberInfo(who) }] },
  };
}

/**
 * Phase two: the joiner's channels to every member of its view are open.
 * Members installed after this joiner got its view are not a reason to
 * refuse: they were sent `group:joining` for it when they were installed and
 * open their channel to it; the joiner links to them when it gets this view.
 * Should that link never come up, the link grace eviction restores a full mesh.
 * A member asking again gets its view back, unchanged.
 */
export function linksReady(groupId: GroupId, m: Membership, peerId: PeerId): Step<View> {
  if (isMember(m, peerId)) return unchanged(ok(viewOf(groupId, m)));
  const joiner = m.joining.find((j) => j.peerId === peerId);
  if (joiner === undefined) return unchanged(err('not-member', 'You are not joining this group; send group:join first.'));
  return install(groupId, m, joiner);
}

/**
 * Leave, failure or eviction. A member's removal is a new view; a joiner just
 * stops joining (no view had it) and the members, who were told of it, hear
 * it is gone. Whoever did not leave of its own accord is told it was removed.
 */
export function remove(groupId: GroupId, m: Membership, peerId: PeerId, reason: LeaveReason): Step<null> {
  const wasMember = isMember(m, peerId);
  if (!wasMember && !isJoining(m, peerId)) return unchanged(err('not-member', 'You are not in this group.'));
  const next: Membership = {
    ...m,
    viewId: wasMember ? m.viewId + 1 : m.viewId,
    members: m.members.filter((e) => e.peerId !== peerId),
    joining: m.joining.filter((j) => j.peerId !== peerId),
    linksDown: m.linksDown.filter((l) => l.a !== peerId && l.b !== peerId),
  };
  const effects: Effects = {
    ...(wasMember
      ? { view: viewOf(groupId, next, [{ peerId, change: reason }]) }
      : { joinerGone: [{ to: next.members.map((e) => e.peerId), peerId }] }),
    removed: reason === 'left' ? [] : [{ peerId, reason }],
  };
  return { next, result: ok(null), effects };
}

/** The joiner never reported its links: drop it from joining (no view had it). */
export function expireJoin(groupId: GroupId, m: Membership, peerId: PeerId, now: number, timeoutMs: number): Step<null> {
  const j = m.joining.find((x) => x.peerId === peerId);
  if (j === undefined || now - j.since < timeoutMs) return unchanged(ok(null));
  return remove(groupId, m, peerId, 'failed');
}

/**
 * A restored group's views continue above the last one its members
 * installed, so viewIds never go back across a restart of an in-memory tracker.
 */
export function raiseViewFloor(m: Membership, viewId: number): Step<null> {
  if (m.viewId >= viewId) return unchanged(ok(null));
  return { next: { ...m, viewId }, result: ok(null), effects: {} };
}
