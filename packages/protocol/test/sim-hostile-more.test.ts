// A thousand more hostile seeds (see sim-hostile.test.ts, which keeps seeds
// 0-999 and the coverage checks on them): a fresh range on every run
// (test/fresh-seed.ts), in a second file so two workers can run them side by side.

import { describe, it } from 'vitest';
import { freshSeed } from './fresh-seed.ts';
import { expectHostileSeedsHold, HOSTILE_SEEDS_TIMEOUT_MS } from './sim-hostile-seeds.ts';

describe('simulation: a hostile member (1 000 fresh seeds)', () => {
  it(
    'keeps the honest members safe, evicts what the link rules see, stays in budget',
    () => {
      expectHostileSeedsHold(freshSeed('sim-hostile-more.test.ts'), 1000);
    },
    HOSTILE_SEEDS_TIMEOUT_MS,
  );
});
