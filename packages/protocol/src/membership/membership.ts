// The membership state of one group, as the tracker stores it (in memory or
// as JSON in Redis), and the questions asked of it. Nothing here changes
// state; the steps in view-changes.ts and link-reports.ts do. No clock, no
// I/O: whoever drives a step passes `now` and carries out its effects.

import { asViewId } from '../ids.ts';
import type { GroupId, PeerId } from '../ids.ts';
import type { MemberInfo, View, ViewChange } from '../tracker/events.ts';

export interface MemberEntry extends MemberInfo {
  /** Order of installation in this group: the larger one is the younger member. */
  readonly joinSeq: number;
}

export interface JoinerEntry extends MemberInfo {
  /** When it asked to join (phase one); the join timeout counts from here. */
  readonly since: number;
  /** The members of the view it was given: each must confirm its link to it (absent: every member). */
  readonly expect?: readonly PeerId[];
  /** Members whose latest report says their channel to it is up. */
  readonly confirmedBy?: readonly PeerId[];
  /** It sent links-ready: its own channels are open. */
  readonly ready?: boolean;
}

export interface LinkDown {
  /** Smaller peer id of the pair. */
  readonly a: PeerId;
  readonly b: PeerId;
  /** First report of this outage (or the last verdict on it); the grace time counts from here. */
  readonly since: number;
  /** The ends whose latest report says down (absent, as stored before corroboration: both). */
  readonly by?: readonly PeerId[];
  /**
   * The ends among `by` whose claim is `stalled` (the channel is open, the agreement input it owes is overdue,
   * PROTOCOL.md §2 Links): such a claim counts towards a majority (rule 1) and can prove false (rule 3), never
   * towards rule 2. Absent: none.
   */
  readonly stalled?: readonly PeerId[];
}

/** A down report that proved false (link-reports.ts): the reporter and when. */
export interface FalseReport {
  readonly peerId: PeerId;
  readonly at: number;
}

/** Persisted as it is (Redis stores it as JSON): add fields only as optional. */
export interface Membership {
  /** The installed view's id; grows by one per installed change, never goes back. */
  readonly viewId: number;
  readonly nextJoinSeq: number;
  /** The installed view, in order of installation (oldest first). */
  readonly members: readonly MemberEntry[];
  /** Phase one: may signal and be signaled, in no view yet. */
  readonly joining: readonly JoinerEntry[];
  readonly linksDown: readonly LinkDown[];
  /** Recent false down reports, kept for `FALSE_REPORT_WINDOW_GRACES` link grace times (absent: none). */
  readonly falseReports?: readonly FalseReport[];
  /**
   * The changes that made the installed view (who joined, who went). Every
   * answer that carries the view carries them too: an engine reads the flush
   * participants from them, so the same viewId must never reach two peers
   * with different changes (PROTOCOL.md §2, "One view per viewId").
   * Absent in memberships stored before it existed: read as none.
   */
  readonly changes?: readonly ViewChange[];
}

export const emptyMembership = (): Membership => ({
  viewId: 0,
  nextJoinSeq: 1,
  members: [],
  joining: [],
  linksDown: [],
});

/** The public part of an entry (what a view carries): the role too, when the session has one. */
export const memberInfo = (m: MemberInfo): MemberInfo => ({
  peerId: m.peerId,
  name: m.name,
  publicKey: m.publicKey,
  ...(m.role === undefined ? {} : { role: m.role }),
});

/** The installed view, always with the changes that made it (the same for every asker, whatever the path). */
export const viewOf = (groupId: GroupId, m: Membership): View => ({
  groupId,
  viewId: asViewId(m.viewId),
  members: m.members.map(memberInfo),
  changes: m.changes ?? [],
});

export const isMember = (m: Membership, p: PeerId): boolean => m.members.some((e) => e.peerId === p);
export const isJoining = (m: Membership, p: PeerId): boolean => m.joining.some((e) => e.peerId === p);
/** Member or joiner: may signal and be signaled in this group. */
export const isInGroup = (m: Membership, p: PeerId): boolean => isMember(m, p) || isJoining(m, p);

/** The member installed later of two (the one a dead link between them evicts); null unless both are members. */
export function youngerOf(m: Membership, x: PeerId, y: PeerId): PeerId | null {
  const ex = m.members.find((e) => e.peerId === x);
  const ey = m.members.find((e) => e.peerId === y);
  if (ex === undefined || ey === undefined) return null;
  return ex.joinSeq > ey.joinSeq ? ex.peerId : ey.peerId;
}
