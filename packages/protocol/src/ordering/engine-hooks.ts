// Seams the simulator overrides to build deliberately broken engines and
// prove its checker catches them. The defaults are the correct behaviour;
// production code never passes hooks.

import type { PeerId } from '../ids.ts';
import type { DataFrame, Priority } from '../wire/frames.ts';
import { comparePriority } from './priority.ts';

export interface EngineHooks {
  /**
   * Orders ISIS priorities (queue head, FINAL = max, flush resolution).
   * Correct: lexicographic on (p, by). Broken example: on equal p the
   * SMALLER proposer wins, which makes two members order a tie differently
   * once the order keys are compared.
   */
  comparePriority(a: Priority, b: Priority): number;
  /**
   * Correct (true): propose for (s, k) only after (s, k-1) went up to ISIS.
   * Broken (false): propose as soon as DATA arrives, so a sender's later
   * message can be agreed before its earlier one (breaks S3).
   */
  fifoGateUnderIsis: boolean;
  /**
   * Correct (null): a sender waits for the proposal of every member.
   * Broken (N): in `tick`, a sender finalizes with whatever proposals it has
   * once its message is N ms old (breaks S4).
   */
  finalizeOnTimeoutMs: number | null;
  /**
   * At a view change, asked for every pending (unfinalized) message whose
   * sender is not in the new view. Correct: false (the flush resolves it).
   * Broken: true on one survivor, which then drops it while the others
   * deliver it (breaks S5).
   */
  dropDeadSenderPending(self: PeerId, msg: DataFrame): boolean;
}

export const DEFAULT_HOOKS: EngineHooks = Object.freeze({
  comparePriority,
  fifoGateUnderIsis: true,
  finalizeOnTimeoutMs: null,
  dropDeadSenderPending: () => false,
});

export const withDefaultHooks = (hooks: Partial<EngineHooks> | undefined): EngineHooks => ({
  ...DEFAULT_HOOKS,
  ...(hooks ?? {}),
});
