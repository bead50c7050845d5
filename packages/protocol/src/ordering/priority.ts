// ISIS priorities: validation and the one correct comparison. Owns no state;
// the engine decides which comparison to use through its hooks (the simulator
// swaps in a broken one to prove its checker can fail).

import { comparePeerIds } from '../ids.ts';
import type { PeerId } from '../ids.ts';
import type { Priority } from '../wire/frames.ts';

/**
 * How far an honest member's priority can be ahead of ours: every member
 * proposes max(P, A) + 1 per message it admits, so another member's P or A
 * exceeds ours by at most the number of messages it admitted that we did not
 * (in flight, or held back: at most MAX_HOLD_BACK_AHEAD per sender). 2^20 is
 * generous for that and still leaves 2^33 such steps below 2^53. Used to
 * refuse absurd proposals, finals and flush reports, and as the margin a
 * member leaves above a flush it sent but never saw complete.
 */
export const MAX_PRIORITY_STEP = 2 ** 20;

/** Lexicographic on (p, by): the larger p wins, on equal p the larger peer id wins. */
export const comparePriority = (a: Priority, b: Priority): number =>
  a.p !== b.p ? (a.p < b.p ? -1 : 1) : comparePeerIds(a.by, b.by);

/** A priority a peer may send: a positive safe integer and a non-empty proposer id. */
export const isValidPriority = (x: Priority | undefined | null): boolean =>
  typeof x === 'object' && x !== null && Number.isSafeInteger(x.p) && x.p > 0 && typeof x.by === 'string' && x.by.length > 0;

export const samePriority = (a: Priority, b: Priority): boolean => a.p === b.p && a.by === b.by;

export const maxPriority = (
  items: Iterable<Priority>,
  compare: (a: Priority, b: Priority) => number,
): Priority | null => {
  let best: Priority | null = null;
  for (const x of items) if (best === null || compare(x, best) > 0) best = x;
  return best;
};

