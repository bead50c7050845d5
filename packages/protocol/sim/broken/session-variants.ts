// Deliberately broken sessions: the join, history and storage side of a
// node, broken from sim/ by rewriting what a session hands to its store, to a
// joiner or to its engine. Production code has no branch for any of them.
// Tests prove the store and reload checks catch each within a bounded number
// of seeds; nothing else uses them.

import type { Guarantee } from '../checker.ts';
import type { ScenarioBounds } from '../scenario-arbitrary.ts';
import { DEFAULT_WEIGHTS } from '../scenario-arbitrary.ts';
import type { HistoryRecord, SessionVariant } from '../session-variant.ts';

export interface BrokenSession {
  readonly variant: SessionVariant;
  /** The guarantees the checker may report first for this breakage. */
  readonly breaks: readonly Guarantee[];
  readonly bounds: ScenarioBounds;
}

/** A sponsor's read without the first message whose sender's next message is in the same read. */
export const omitInsideChain = (items: readonly HistoryRecord[]): HistoryRecord[] => {
  const k = items.findIndex((r) =>
    items.some((n) => n.frame.sender === r.frame.sender && n.frame.seq === r.frame.seq + 1),
  );
  return k < 0 ? [...items] : items.filter((_, i) => i !== k);
};

const NO_ACTIONS = Object.fromEntries(Object.keys(DEFAULT_WEIGHTS).map((k) => [k, 0])) as Record<
  keyof typeof DEFAULT_WEIGHTS,
  number
>;

export const BROKEN_SESSIONS: Readonly<Record<string, BrokenSession>> = {
  // The bug of issue 16: `sender:seq` as the store key. A sender's seq restarts per group, so its
  // seq k in a second group is dropped as a duplicate of seq k in the first.
  'id-without-group': {
    variant: { storeKey: (r) => `${r.frame.sender}:${r.frame.seq}` },
    breaks: ['ST1', 'ST2'],
    bounds: { minGroups: 2, weights: { ...DEFAULT_WEIGHTS, 'send-groups': 6 } },
  },
  // The sponsor reads its history and leaves out the message it delivered last.
  'history-omits-last': {
    variant: { history: (items, last) => items.filter((r) => r.trueId !== last) },
    breaks: ['S3', 'S4', 'S5', 'S7', 'L1', 'L3', 'ST1', 'ST2'],
    bounds: { weights: { ...DEFAULT_WEIGHTS, join: 6, 'tab-pair': 3 } },
  },
  // The joiner adopts the sponsor's state (and goes on delivering) before the history it got is
  // written; the write lands after the next batch, or never if the node dies first.
  'adopt-before-history-stored': {
    variant: { historyAfterAdopt: true },
    breaks: ['ST1', 'ST2', 'S3', 'S4'],
    bounds: { weights: { ...DEFAULT_WEIGHTS, join: 6, 'tab-pair': 3, reload: 3 } },
  },
  // Chains (PROTOCOL.md §1.5): every sponsor leaves out a message inside a sender's chain (one whose
  // successor it hands), and the joiner takes the page without owing it ("gap accepted"). With the
  // checks on, the joiner reports the gap and drops the sponsor (test/chain-sim.test.ts).
  'gap-accepted': {
    variant: { history: omitInsideChain, chain: { acceptGaps: true } },
    breaks: ['S3', 'S4', 'S5', 'S7', 'L1', 'L3', 'ST1', 'ST2'],
    bounds: { weights: { ...DEFAULT_WEIGHTS, join: 6, 'tab-pair': 3 } },
  },
  // A restarted peer id starts its seq at 1 again instead of where its store says it stood.
  'reload-reuses-seq': {
    variant: { resume: false },
    breaks: ['S1', 'S2', 'S3', 'S4', 'ST1'],
    // Alone in a group: with a member left, the sponsor's state tells it where its seq stood.
    bounds: { maxSize: 1, weights: { ...NO_ACTIONS, send: 4, 'send-groups': 2, reload: 4, join: 1 } },
  },
};
