// More hostile seeds (see sim-hostile.test.ts and sim-hostile-upper.test.ts, which keep seeds 0-999 and the
// coverage checks on them): a fresh range on every run (test/fresh-seed.ts),
// sized for the CI budget; `npm run sim -- --hostile` sweeps thousands more.

import { describe, expect, it } from 'vitest';
import { freshSeed } from './fresh-seed.ts';
import { expectHostileSeedsHold, HOSTILE_SEEDS_TIMEOUT_MS } from './sim-hostile-seeds.ts';

describe('simulation: a hostile member (300 fresh seeds)', () => {
  it(
    'keeps the honest members safe, evicts what the link rules see, stays in budget',
    () => {
      expectHostileSeedsHold(freshSeed('sim-hostile-more.test.ts'), 300);
    },
    HOSTILE_SEEDS_TIMEOUT_MS,
  );

  // Drawn apart (APART_KINDS): a participant that lies in a view change's rounds, among them one that
  // withholds its report or FLUSH-OK from some members or relays a forged report (PROTOCOL.md §3.4 "Relay").
  it(
    'a flush liar (withheld, refused or forged reports and FLUSH-OKs): 100 fresh flush-lie seeds hold',
    () => {
      const s = expectHostileSeedsHold(freshSeed('sim-hostile-more.test.ts'), 100, ['flush-lie']);
      expect(s.byKind).toEqual({ 'flush-lie': 100 });
      expect(s.liarRefused).toBeGreaterThan(0);
    },
    HOSTILE_SEEDS_TIMEOUT_MS,
  );

  // Drawn apart too: a member that withholds its PROPOSE from one sender only (PROTOCOL.md §3.3 "Forwarded proposals").
  it(
    'a PROPOSE withheld from one sender: 50 fresh withhold seeds hold (nobody evicted, all delivered)',
    () => {
      const s = expectHostileSeedsHold(freshSeed('sim-hostile-more.test.ts'), 50, ['withhold']);
      expect(s.byKind).toEqual({ withhold: 50 });
    },
    HOSTILE_SEEDS_TIMEOUT_MS,
  );
});
