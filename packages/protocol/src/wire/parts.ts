// Packing a list that can outgrow one frame (a FLUSH report's unstable
// messages, a joiner state's) into parts that each fit the caps. Pure: the
// caller builds one frame per part around the header it repeats in each.

import { utf8ByteLength } from './utf8.ts';

/** Bytes one item adds to a JSON array: its text plus the comma. */
export const jsonBytes = (x: unknown): number => utf8ByteLength(JSON.stringify(x)) + 1;

/**
 * `items` in order, cut into runs whose JSON stays under `budget` bytes and
 * `maxItems` items each. An item bigger than the budget by itself gets a run
 * of its own (the caller's budget leaves room for the largest legal item).
 * Always at least one run, empty when `items` is.
 */
export function packBySize<T>(
  items: readonly T[],
  budget: number,
  maxItems: number,
  size: (item: T) => number = jsonBytes,
): T[][] {
  const runs: T[][] = [];
  let run: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const b = size(item);
    if (run.length > 0 && (bytes + b > budget || run.length >= maxItems)) {
      runs.push(run);
      run = [];
      bytes = 0;
    }
    run.push(item);
    bytes += b;
  }
  runs.push(run);
  return runs;
}
