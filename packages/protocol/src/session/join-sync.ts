// A joiner's history sync with one sponsor at a time, and the lifecycle
// states a SessionCore moves through (its header draws them). The decisions
// here are pure: which sponsor to ask, what to ask, when asking is due. The
// core turns them into commands.

import type { GroupId, PeerId } from '../ids.ts';
import type { View } from '../tracker/events.ts';
import { StatePartCollector } from '../history/state-parts.ts';
import type { HistoryRequestFrame, JoinerState } from '../wire/frames.ts';
import { firstSponsor, HISTORY_REQUEST_ITEMS, HISTORY_RETRY_MS, nextSponsor, oldMembersOf, reaskPause } from './policy.ts';

export interface Sync {
  /** Members that were in the group before us: the candidates for sponsor. */
  readonly oldMembers: ReadonlySet<PeerId>;
  sponsor: PeerId;
  /** Where our own store ended when we joined (undefined until read): every fresh hand-over starts here. */
  initialCursor: string | null | undefined;
  cursor: string | null;
  askedAt: number;
  /** Hand-overs refused so far in this sync; sets the pause before the next request. */
  refusals: number;
  /** When a paced re-ask is due (after a refusal), or null. */
  reaskAt: number | null;
  /** Parts of a state too large for one last page, until it is whole. */
  readonly stateParts: StatePartCollector;
}

export type Lifecycle =
  | { readonly phase: 'waiting' }
  | { readonly phase: 'syncing'; readonly sync: Sync }
  /** The last page's state waits for its history to be durable and for our engine to reach its view. */
  | { readonly phase: 'adopting'; readonly sync: Sync; readonly state: JoinerState; readonly ticket: number; stored: boolean }
  | { readonly phase: 'member' }
  | { readonly phase: 'closed' };

/** A sync for the first view naming us, or null when nobody before us is in it (we start the group's state). */
export function newSync(view: View, self: PeerId, now: number): Sync | null {
  const oldMembers = oldMembersOf(view, self);
  const sponsor = firstSponsor(oldMembers);
  if (sponsor === null) return null;
  return { oldMembers, sponsor, initialCursor: undefined, cursor: null, askedAt: now, refusals: 0, reaskAt: null, stateParts: new StatePartCollector() };
}

/** The next request to the sponsor (null until our store's cursor is known); marks it asked. */
export function ask(sync: Sync, groupId: GroupId, now: number): HistoryRequestFrame | null {
  if (sync.initialCursor === undefined) return null;
  sync.askedAt = now;
  sync.reaskAt = null;
  return { t: 'history-req', groupId, cursor: sync.cursor, limit: HISTORY_REQUEST_ITEMS };
}

/** Start over from our own history with `sponsor`; a fresh hand-over never builds on a stale one. */
export function restart(sync: Sync, sponsor: PeerId): void {
  sync.sponsor = sponsor;
  sync.cursor = sync.initialCursor ?? null;
  sync.stateParts.clear();
}

/** A refused hand-over: start over with the same sponsor after the paced pause. */
export function refused(sync: Sync, now: number): void {
  sync.refusals += 1;
  restart(sync, sync.sponsor);
  sync.reaskAt = now + reaskPause(sync.refusals);
}

/**
 * After a membership change: 'stay' while the sponsor is present, else the
 * lowest old member still present, or null when none is (the group goes on
 * afresh from this view's flush).
 */
export function sponsorAmong(sync: Sync, present: ReadonlySet<PeerId>): PeerId | 'stay' | null {
  if (present.has(sync.sponsor)) return 'stay';
  return firstSponsor([...sync.oldMembers].filter((p) => present.has(p)));
}

/**
 * What a tick owes the sync: a paced re-ask that is due, or after
 * HISTORY_RETRY_MS of silence the next sponsor round the circle (the same one
 * when it is the only candidate); null when nothing is due.
 */
export function due(sync: Sync, trackerMembers: ReadonlySet<PeerId>, now: number): { readonly sponsor: PeerId } | null {
  if (sync.initialCursor === undefined) return null;
  if (sync.reaskAt !== null) return now >= sync.reaskAt ? { sponsor: sync.sponsor } : null;
  if (now - sync.askedAt < HISTORY_RETRY_MS) return null;
  return { sponsor: nextSponsor(sync.sponsor, [...sync.oldMembers].filter((p) => trackerMembers.has(p))) ?? sync.sponsor };
}
