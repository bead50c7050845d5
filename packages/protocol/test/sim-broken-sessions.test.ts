// The store and restart checks must be able to fail: each deliberately broken
// session (sim/broken/session-variants.ts, injected from sim/, no branch in
// production code) is caught within a bounded number of seeds, with a
// guarantee that breakage attacks. A seed counts only if the correct session
// keeps every guarantee on the same scenario.

import { describe, expect, it } from 'vitest';
import { BROKEN_SESSIONS } from '../sim/broken/session-variants.ts';
import { correctEngine } from '../sim/default-engine.ts';
import { toleratedByKnownGaps } from '../sim/known-gaps.ts';
import { firstViolation } from '../sim/property.ts';

/** The brief's bound: a broken session must be found within this many seeds. */
const MAX_SEEDS = 2000;

describe('broken sessions are caught', () => {
  for (const [name, broken] of Object.entries(BROKEN_SESSIONS)) {
    it(`${name}: breaks ${broken.breaks.join(' or ')} within ${MAX_SEEDS} seeds`, () => {
      const found = firstViolation(
        correctEngine,
        correctEngine,
        broken.bounds,
        MAX_SEEDS,
        broken.variant,
        toleratedByKnownGaps(),
      );
      expect(found, `${name} kept every guarantee on ${MAX_SEEDS} seeds`).not.toBe(null);
      const v = found?.result.violation;
      console.log(`${name}: seed ${found?.seed} -> ${v?.rule}: ${v?.message}`);
      expect(broken.breaks).toContain(v?.rule);
    });
  }
});
