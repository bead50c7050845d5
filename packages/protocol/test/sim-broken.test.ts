// The checker must be able to fail: each deliberately broken engine (built
// from the real engine's hooks) is caught within a bounded number of seeds,
// and the guarantee it reports is the one that breakage attacks. A seed counts
// only if the correct engine keeps every guarantee on the same scenario.

import { describe, expect, it } from 'vitest';
import { BROKEN_VARIANTS } from '../sim/broken/index.ts';
import { correctEngine } from '../sim/default-engine.ts';
import { HOSTILE_TOLERATED, hostileScenarioForSeed } from '../sim/hostile-scenario.ts';
import { firstViolation } from '../sim/property.ts';

/** The brief's bound: a broken engine must be found within this many seeds. */
const MAX_SEEDS = 2000;

describe('broken engines are caught', () => {
  for (const [name, variant] of Object.entries(BROKEN_VARIANTS)) {
    it(`${name}: breaks ${variant.breaks.join(' or ')} within ${MAX_SEEDS} seeds`, () => {
      const hostile = variant.hostile;
      const found =
        hostile === undefined
          ? firstViolation(variant.factory, correctEngine, variant.bounds, MAX_SEEDS, undefined, [], variant.scenarioOf)
          : firstViolation(
              variant.factory,
              correctEngine,
              variant.bounds,
              MAX_SEEDS,
              undefined,
              HOSTILE_TOLERATED,
              (seed) => hostileScenarioForSeed(seed, hostile),
            );
      expect(found, `${name} kept every guarantee on ${MAX_SEEDS} seeds`).not.toBe(null);
      const v = found?.result.violation;
      console.log(`${name}: seed ${found?.seed} (mode ${variant.mode}) -> ${v?.rule}: ${v?.message}`);
      expect(variant.breaks).toContain(v?.rule);
    });
  }
});
