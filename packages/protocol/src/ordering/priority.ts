// ISIS priorities: validation and the one correct comparison. Owns no state;
// the engine decides which comparison to use through its hooks (the simulator
// swaps in a broken one to prove its checker can fail).

import { comparePeerIds } from '../ids.ts';
import type { PeerId } from '../ids.ts';
import type { Priority } from '../wire/frames.ts';

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

