// The one strategy the ordering engine takes from outside: how ISIS priorities compare. The
// default is the correct one; production code never passes hooks. The simulator's other
// deliberately broken engines are subclasses in sim/broken/ that override a protected layer
// method (FifoLayer.passFifoGate, GroupEngine.tick with IsisQueue.finalize,
// ViewChange.buildFlush and deliverResolved), so no test branch sits in src/.

import type { Priority } from '../wire/frames.ts';
import { comparePriority } from './priority.ts';

export interface EngineHooks {
  /**
   * Orders ISIS priorities (queue head, FINAL = max, flush resolution).
   * Correct: lexicographic on (p, by). Broken example: on equal p the
   * SMALLER proposer wins, which makes two members order a tie differently
   * once the order keys are compared.
   */
  comparePriority(a: Priority, b: Priority): number;
}

export const DEFAULT_HOOKS: EngineHooks = Object.freeze({ comparePriority });

export const withDefaultHooks = (hooks: Partial<EngineHooks> | undefined): EngineHooks => ({
  ...DEFAULT_HOOKS,
  ...(hooks ?? {}),
});
