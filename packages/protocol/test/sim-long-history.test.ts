// Long histories under the simulator: a member floods thousands of messages
// while a link of its is down (few become stable), then joiners, second tabs,
// restarts and link faults come around it. Every guarantee and the store
// checks hold after every step; a joiner ends with the whole history.

import { describe, expect, it } from 'vitest';
import { correctEngine } from '../sim/default-engine.ts';
import { toleratedByKnownGaps } from '../sim/known-gaps.ts';
import { LONG_HISTORY_BOUNDS, MIN_FLOOD } from '../sim/scenario-arbitrary.ts';
import { runSeeds } from '../sim/run-seeds.ts';

/** Each run carries thousands of messages (seconds of CPU): a few seeds, numbered like `npm run sim -- --long`. */
const SEEDS = 2;

describe('simulation: long histories', () => {
  it(`keeps every guarantee on ${SEEDS} long-history seeds`, () => {
    const s = runSeeds(correctEngine, 0, SEEDS, LONG_HISTORY_BOUNDS, toleratedByKnownGaps());
    console.log(
      `long histories: ${s.scenarios} seeds, ${s.messages} messages, ${s.deliveries} deliveries, ${s.stored} records stored, ${s.restarts} restarts`,
    );
    expect(s.failures.map((f) => `seed ${f.seed}: ${f.violation.rule} ${f.violation.message}`)).toEqual([]);
    expect(s.messages).toBeGreaterThan(SEEDS * MIN_FLOOD);
  }, 600_000);
});
