// How the simulator gets an engine for each node: the real createEngine, or a
// broken variant built from its hooks (sim/broken/, tests only).

import type { GroupId, Ordering, PeerId } from '../src/ids.ts';
import type { EngineResume } from '../src/ordering/create-engine.ts';
import type { OrderingEngine } from '../src/ordering/engine.ts';
import type { EngineCounters } from './checker.ts';

export interface EngineOptions {
  readonly mode: Ordering;
  readonly self: PeerId;
  readonly groupId: GroupId;
  /** Where an earlier session of this peer id stood (read from the node's store), as the runtime passes it. */
  readonly resume?: EngineResume;
}

export type EngineFactory = (options: EngineOptions) => OrderingEngine;

const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

/**
 * The counters the checker watches (S6, L2), read from the engine's optional
 * read-only `debugCounters()` (or `debugState()`). Engines without either are checked on everything else.
 */
export const readCounters = (engine: OrderingEngine): EngineCounters => {
  const probe = engine as OrderingEngine & { debugState?: () => unknown; debugCounters?: () => unknown };
  // debugCounters() checks the same invariants without copying the state (a tenth of a simulated run's time).
  const read = probe.debugCounters ?? probe.debugState;
  if (typeof read !== 'function') return {};
  const s = read.call(engine) as Record<string, unknown> | null;
  if (s === null || typeof s !== 'object') return {};
  const P = num(s['proposedMax']);
  const A = num(s['agreedMax']);
  const holdBack = num(s['holdBackSize']);
  const adopted = s['adopted'];
  const incarnation = num(s['incarnation']);
  return {
    ...(typeof adopted === 'boolean' ? { adopted } : {}),
    ...(incarnation === undefined ? {} : { incarnation }),
    ...(P === undefined ? {} : { P }),
    ...(A === undefined ? {} : { A }),
    ...(holdBack === undefined ? {} : { holdBack }),
  };
};
