// The one way to build an ordering engine: the runtime and the simulator call
// this. Hooks default to the correct behaviour; the simulator's broken variants
// pass a GroupEngine subclass of their own (sim/broken/, see engine-hooks.ts).

import type { GroupId, Ordering, PeerId } from '../ids.ts';
import type { EngineHooks } from './engine-hooks.ts';
import { withDefaultHooks } from './engine-hooks.ts';
import { GroupEngine } from './group-engine.ts';
import { MAX_RESUME_LAMPORT } from './lamport.ts';

/**
 * What this peer's store remembers of the group from an earlier engine of the
 * same peer id (a leave and join again, a false removal, a tracker restart, a
 * reload that kept the peer id). Without it a new engine would start its own
 * seq at 1 and its A and Lamport clock at 0, and its new message ids and
 * order keys would collide with ones already delivered.
 */
export interface EngineResume {
  /** Highest seq this peer ever committed in the group (its next draft is ownSeq + 1). */
  readonly ownSeq: number;
  /** Highest Lamport time this peer drafted or saw in the group; at most MAX_RESUME_LAMPORT (see `resumeLamport`). */
  readonly lamport: number;
  /** Total order: the largest agreed priority number in its stored log (`p` of the last order key); 0 for FIFO. */
  readonly agreed: number;
  /**
   * Per-sender delivered counts of the stored log (the saved `JoinerState.nextSeq` minus one).
   * Used only when this peer founds a view alone (no sponsor, nobody to disagree with), so that
   * the others' next messages, and the joiners it then sponsors, go on after what the group had.
   */
  readonly delivered?: Readonly<Record<string, number>>;
}

export interface EngineOptions {
  readonly mode: Ordering;
  readonly self: PeerId;
  readonly groupId: GroupId;
  readonly hooks?: Partial<EngineHooks>;
  /** Pass when the runtime re-creates the engine of a group it has history of; omit for a group new to this peer. */
  readonly resume?: EngineResume;
}

const isCount = (n: unknown): boolean => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;

/** A GroupEngine class to build: GroupEngine itself, or a simulator's broken subclass (sim/broken/). */
export type EngineClass = new (
  mode: Ordering,
  self: PeerId,
  groupId: GroupId,
  hooks: EngineHooks,
  resume: EngineResume | null,
) => GroupEngine;

/**
 * Returns the concrete engine so callers may use `debugState()`; it is an OrderingEngine.
 * `Engine` is for the simulator and tests only; the runtime never passes it.
 * Throws a RangeError for a `resume` that is not three non-negative safe integers: that is
 * a bug in the caller's store code, not something a peer can send; the same for a `resume.lamport`
 * above MAX_RESUME_LAMPORT (a poisoned store: pass it through `resumeLamport` first).
 */
export function createEngine(opts: EngineOptions, Engine: EngineClass = GroupEngine): GroupEngine {
  const r = opts.resume;
  if (r !== undefined && !(isCount(r.ownSeq) && isCount(r.lamport) && isCount(r.agreed)))
    throw new RangeError(
      'createEngine: resume.ownSeq, resume.lamport and resume.agreed must be non-negative safe integers.',
    );
  if (r !== undefined && r.lamport > MAX_RESUME_LAMPORT)
    throw new RangeError(
      `createEngine: resume.lamport ${r.lamport} is above MAX_RESUME_LAMPORT; pass the stored clock through resumeLamport.`,
    );
  if (r?.delivered !== undefined && !Object.values(r.delivered).every(isCount))
    throw new RangeError('createEngine: resume.delivered must map peer ids to non-negative safe integers.');
  return new Engine(opts.mode, opts.self, opts.groupId, withDefaultHooks(opts.hooks), r ?? null);
}
