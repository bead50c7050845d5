// Broken on purpose: on equal proposal numbers the SMALLER proposer id wins.
// docs/design.md §4 says the lexicographic max of (p, proposerPeerId); "smallest id
// wins" makes delivery order disagree with the order keys members store.

import { comparePeerIds } from '../../src/ids.ts';
import { createEngine } from '../../src/ordering/create-engine.ts';
import type { Priority } from '../../src/wire/frames.ts';
import type { EngineFactory } from '../engine-factory.ts';

const smallestProposerWins = (a: Priority, b: Priority): number =>
  a.p !== b.p ? (a.p < b.p ? -1 : 1) : comparePeerIds(b.by, a.by);

export const tieBreakSmallest: EngineFactory = (options) =>
  createEngine({ ...options, hooks: { comparePriority: smallestProposerWins } });
