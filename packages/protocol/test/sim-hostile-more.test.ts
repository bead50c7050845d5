// A thousand more hostile seeds (see sim-hostile.test.ts, which keeps seeds
// 0-999 and the coverage checks on them): a fresh range on every run
// (test/fresh-seed.ts), in a second file so two workers can run them side by side.

import { describe, expect, it } from 'vitest';
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

  // Drawn apart (APART_KINDS): a participant that lies in a view change's rounds, among them one that
  // withholds its report or FLUSH-OK from some members or relays a forged report (PROTOCOL.md §3.4 "Relay").
  it(
    'a flush liar (withheld, refused or forged reports and FLUSH-OKs): 300 fresh flush-lie seeds hold',
    () => {
      const s = expectHostileSeedsHold(freshSeed('sim-hostile-more.test.ts'), 300, ['flush-lie']);
      expect(s.byKind).toEqual({ 'flush-lie': 300 });
      expect(s.liarRefused).toBeGreaterThan(0);
    },
    HOSTILE_SEEDS_TIMEOUT_MS,
  );

  // Drawn apart too: a member that withholds its PROPOSE from one sender only (PROTOCOL.md §3.3 "Forwarded proposals").
  it(
    'a PROPOSE withheld from one sender: 100 fresh withhold seeds hold (nobody evicted, all delivered)',
    () => {
      const s = expectHostileSeedsHold(freshSeed('sim-hostile-more.test.ts'), 100, ['withhold']);
      expect(s.byKind).toEqual({ withhold: 100 });
    },
    HOSTILE_SEEDS_TIMEOUT_MS,
  );
});
