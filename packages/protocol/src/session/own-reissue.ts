// Our own messages an earlier session of this peer id delivered and stored but the group never got (its
// links were down, it was removed before they left): a re-joining session sends them again under the same
// seqs, signed for the new view (PROTOCOL.md §3.1 "Re-issue"). Owns the stored frames read when the
// session started and the choice of which to offer; drafting them is OwnSends', the seqs the engine's.

import type { PeerId } from '../ids.ts';
import { GENESIS_PREV, linkHash } from '../wire/chain.ts';
import type { DataFrame, JoinerState } from '../wire/frames.ts';

/**
 * At most this many of our newest stored messages are kept for a re-issue: a session re-joins after a
 * cut that outlasted the heartbeat timeout, and what it sent meanwhile is what a person typed in that
 * time. Older ones the group lacks are passed by the floor, as before re-issues (the store keeps them).
 */
export const MAX_REISSUE = 1_000;

/**
 * What a session's store holds of its own messages when it starts: the frames (`readHeld`'s `own`) and the
 * incarnation of the group record's saved state (null without one): the earlier session's, whose messages
 * the frames are (an engine's incarnation never changes while it lives, PROTOCOL.md §3.11).
 */
export interface StoredOwn {
  readonly frames: Iterable<DataFrame>;
  readonly incarnation: number | null;
}

/** Our newest stored messages of `self`, at most MAX_REISSUE, ascending by seq. */
export function ownTail(frames: Iterable<DataFrame>, self: PeerId): DataFrame[] {
  const own = [...frames].filter((f) => f.sender === self).sort((a, b) => a.seq - b.seq);
  return own.slice(-MAX_REISSUE);
}

/**
 * The `prev` of the first re-issue, our message `from` (PROTOCOL.md §1.5): `GENESIS_PREV` when the engine's
 * floor passed `from − 1` (no member holds it in this incarnation); else the link hash of our `from − 1`
 * as our store holds it — the version the group delivered (ours, or a re-issue of an earlier session that
 * the store took whole) — and, when the store no longer holds it, the link the stored `from` named.
 */
export function firstReissuePrev(own: readonly DataFrame[], from: number, floor: number | null): string {
  if (from <= 1 || (floor !== null && floor >= from - 1)) return GENESIS_PREV;
  const before = own.find((f) => f.seq === from - 1);
  if (before !== undefined) return linkHash(before);
  return own.find((f) => f.seq === from)?.prev ?? GENESIS_PREV;
}

/**
 * The run of our stored messages that ends at our newest one without a hole, as the engine's `reissue`
 * offer; null when there is none, or when the earlier session was in another incarnation than `state`'s
 * (`incarnation`; its messages are history of that incarnation, §3.11, never sent into this one — after a
 * tracker forgot the group two incarnations may run side by side, so a view id alone cannot tell). The
 * engine keeps only the seqs the state does not count, and only when `to` is its resume point (a seq we
 * sent but never stored above it can be sent again by nobody: the floor passes them all, as before).
 */
export function reissueOffer(
  own: readonly DataFrame[],
  incarnation: number | null,
  state: Pick<JoinerState, 'incarnation'>,
): { from: number; to: number } | null {
  const top = own.at(-1);
  if (top === undefined || incarnation !== state.incarnation || top.viewId < state.incarnation) return null;
  let from = top.seq;
  for (let i = own.length - 2; i >= 0; i--) {
    const f = own[i] as DataFrame;
    if (f.seq !== from - 1 || f.viewId < state.incarnation) break;
    from = f.seq;
  }
  return { from, to: top.seq };
}
