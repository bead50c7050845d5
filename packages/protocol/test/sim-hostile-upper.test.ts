// Hostile seeds 500-999 (sim-hostile.test.ts runs 0-499 and the pinned seeds):
// a file of their own so two Vitest workers run the halves side by side.

import { describe, it } from 'vitest';
import { expectHostileCoverage, expectHostileSeedsHold, HOSTILE_SEEDS_TIMEOUT_MS } from './sim-hostile-seeds.ts';

describe('simulation: a hostile member (seeds 500-999)', () => {
  it(
    'keeps the honest members safe, evicts what the link rules see, stays in budget',
    () => {
      expectHostileCoverage(expectHostileSeedsHold(500, 500));
    },
    HOSTILE_SEEDS_TIMEOUT_MS,
  );
});
