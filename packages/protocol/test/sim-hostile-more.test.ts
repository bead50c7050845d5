// Hostile seeds 1000-1999 (see sim-hostile.test.ts): a second file so that
// two workers run the 2 000 seeds side by side.

import { describe, it } from 'vitest';
import { expectHostileSeedsHold, HOSTILE_SEEDS_TIMEOUT_MS } from './sim-hostile-seeds.ts';

describe('simulation: a hostile member (seeds 1000-1999)', () => {
  it(
    'keeps the honest members safe, evicts what the link rules see, stays in budget',
    () => {
      expectHostileSeedsHold(1000, 1000);
    },
    HOSTILE_SEEDS_TIMEOUT_MS,
  );
});
