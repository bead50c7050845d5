// What one membership step returns: the next state (or null: nothing to
// write), the answer for whoever asked, and what to tell whom, as data.

import type { LeaveReason, PeerId } from '../ids.ts';
import type { Result } from '../result.ts';
import type { MemberInfo, View } from '../tracker/events.ts';
import type { Membership } from './membership.ts';

/** What a change asks the driver to announce or schedule, besides the answer. */
export interface Effects {
  /** A new view to push to all its members. */
  readonly view?: View;
  /** Sessions removed against their will (failed, evicted): each is told so. */
  readonly removed?: readonly { readonly peerId: PeerId; readonly reason: LeaveReason }[];
  /** Tell `to` about a pending joiner (a fresh member must accept its signaling too). */
  readonly joiningNotices?: readonly { readonly to: readonly PeerId[]; readonly peer: MemberInfo }[];
  /** Tell `to` (the members, who were told of it and dial it) that a joiner went without being installed. */
  readonly joinerGone?: readonly { readonly to: readonly PeerId[]; readonly peerId: PeerId }[];
  /** Run `expireLink(a, b)` once the link grace time after `since` has passed. */
  readonly linkCheck?: { readonly a: PeerId; readonly b: PeerId; readonly since: number };
  /** A down report proved false (link-reports.ts): its reporter got a mark (for the log). */
  readonly falseReport?: PeerId;
}

export interface Step<T> {
  /** null: nothing changed, do not write. A refused input always leaves the state as it was. */
  readonly next: Membership | null;
  readonly result: Result<T>;
  readonly effects: Effects;
}

export const unchanged = <T>(result: Result<T>, effects: Effects = {}): Step<T> => ({ next: null, result, effects });
