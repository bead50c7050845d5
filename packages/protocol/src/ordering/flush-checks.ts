// Checks and readings of a FLUSH report beyond what the wire parser guarantees, used by
// view-change.ts. Pure functions of a frame; no engine state. Belongs here: anything that
// reads one or more FLUSH frames and answers a question about them without changing state.

import type { GroupId } from '../ids.ts';
import type { FlushFrame } from '../wire/frames.ts';
import { MAX_PARTS } from '../wire/caps.ts';
import { isCount, isSeq } from './engine-state.ts';
import { isValidPriority } from './priority.ts';

/** The incarnation the members with state report in a flush (they share one), or null if none does. */
export const carriedIncarnation = (reports: readonly FlushFrame[]): number | null => {
  let inc: number | null = null;
  for (const r of reports)
    if (r.joining !== true && r.incarnation !== undefined) inc = Math.max(inc ?? 0, r.incarnation);
  return inc;
};

/** The largest priority number a FLUSH reports (its A unless joining, proposals, finals, DATA proposals). */
export const highestFlushPriority = (f: FlushFrame): number => {
  let max = f.joining === true ? 0 : f.agreed;
  for (const r of f.pending) max = Math.max(max, r.proposed?.p ?? 0, r.final?.p ?? 0);
  for (const d of f.unstable) max = Math.max(max, d.proposal?.p ?? 0);
  return max;
};

/** Shape checks on a FLUSH beyond what the wire parser guarantees; null when fine. */
export const validateFlush = (f: FlushFrame, groupId: GroupId): string | null => {
  if (!isCount(f.viewId)) return 'FLUSH viewId must be a non-negative integer.';
  if (!Array.isArray(f.unstable) || !Array.isArray(f.pending)) return 'FLUSH unstable and pending must be lists.';
  if (!isCount(f.agreed)) return 'FLUSH agreed must be a non-negative integer.';
  if (
    f.part !== undefined &&
    !(isCount(f.part.index) && isCount(f.part.count) && f.part.index < f.part.count && f.part.count <= MAX_PARTS)
  )
    return `FLUSH part must be {index, count} with index < count ≤ ${MAX_PARTS}.`;
  if (typeof f.delivered !== 'object' || f.delivered === null || !Object.values(f.delivered).every(isCount))
    return 'FLUSH delivered must map peer ids to non-negative integers.';
  for (const d of f.unstable) {
    if (
      typeof d !== 'object' ||
      d === null ||
      d.t !== 'data' ||
      d.groupId !== groupId ||
      !isSeq(d.seq) ||
      !isCount(d.lamport) ||
      typeof d.sender !== 'string'
    )
      return 'FLUSH carries a malformed DATA frame.';
    if (d.viewId > f.viewId) return 'FLUSH carries DATA of a later view.';
  }
  for (const p of f.pending) {
    if (typeof p !== 'object' || p === null || !isSeq(p.seq) || typeof p.sender !== 'string')
      return 'FLUSH pending report needs a sender and a positive seq.';
    if (
      (p.proposed !== undefined && !isValidPriority(p.proposed)) ||
      (p.final !== undefined && !isValidPriority(p.final))
    )
      return 'FLUSH pending report carries an invalid priority.';
  }
  return null;
};
