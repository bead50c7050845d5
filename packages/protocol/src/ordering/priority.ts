// ISIS priorities: validation and the one correct comparison. Owns no state;
// the engine decides which comparison to use through its hooks (the simulator
// swaps in a broken one to prove its checker can fail).

import { comparePeerIds } from '../ids.ts';
import type { Priority } from '../wire/frames.ts';

/**
 * How far an honest member's priority can be ahead of ours: every member
 * proposes max(P, A) + 1 per message it admits, so another member's P or A
 * exceeds ours by at most the number of messages it admitted that we did not
 * (in flight or held back), plus the margins of flushes it abandoned
 * (ABANDONED_FLUSH_MARGIN each). 2^20 is generous for that and still leaves
 * 2^33 such steps below 2^53. A PROPOSE, FINAL, DATA proposal or FLUSH report
 * with a priority beyond max(P, A) + this is refused: a hostile member must
 * not push every later priority to the ceiling.
 */
export const MAX_PRIORITY_STEP = 2 ** 20;

/**
 * The margin a member leaves above a flush it sent its FLUSH for but saw
 * superseded: the reports it never got can be ahead of what it saw by the
 * messages in flight at the view change, and their resolution can hand out one
 * 'above' priority per message. 4 096 covers a burst of that size and is
 * 1/256 of MAX_PRIORITY_STEP, so 256 flushes abandoned in a row still pass
 * the bound at a member that completed them.
 */
export const ABANDONED_FLUSH_MARGIN = 2 ** 12;

/** The largest priority number this member accepts from a peer: see MAX_PRIORITY_STEP. */
export const priorityCeiling = (proposedMax: number, agreedMax: number): number =>
  Math.max(proposedMax, agreedMax) + MAX_PRIORITY_STEP;

/** Lexicographic on (p, by): the larger p wins, on equal p the larger peer id wins. */
export const comparePriority = (a: Priority, b: Priority): number =>
  a.p !== b.p ? (a.p < b.p ? -1 : 1) : comparePeerIds(a.by, b.by);

/** A priority a peer may send: a positive safe integer and a non-empty proposer id. */
export const isValidPriority = (x: Priority | undefined | null): boolean =>
  typeof x === 'object' &&
  x !== null &&
  Number.isSafeInteger(x.p) &&
  x.p > 0 &&
  typeof x.by === 'string' &&
  x.by.length > 0;

export const samePriority = (a: Priority, b: Priority): boolean => a.p === b.p && a.by === b.by;

export const maxPriority = (
  items: Iterable<Priority>,
  compare: (a: Priority, b: Priority) => number,
): Priority | null => {
  let best: Priority | null = null;
  for (const x of items) if (best === null || compare(x, best) > 0) best = x;
  return best;
};
