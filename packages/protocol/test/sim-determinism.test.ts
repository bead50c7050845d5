// One seed reproduces one run: the same scenario gives the same trace, the
// same numbered seed gives the same scenario (what `npm run sim -- --seed N`
// replays), and different seeds explore different runs.

import { describe, expect, it } from 'vitest';
import { correctEngine } from '../sim/default-engine.ts';
import { scenarioForSeed } from '../sim/scenario-arbitrary.ts';
import { runScenario } from '../sim/simulator.ts';

/** Seeds with faults, joins and both modes; a few are enough to see a nondeterminism. */
const SEEDS = [3, 17, 42, 99, 123];

describe('determinism', () => {
  for (const seed of SEEDS) {
    it(`seed ${seed} replays step for step`, () => {
      const scenario = scenarioForSeed(seed);
      expect(scenarioForSeed(seed)).toEqual(scenario);
      const a = runScenario(scenario, { factory: correctEngine, trace: true });
      const b = runScenario(structuredClone(scenario), { factory: correctEngine, trace: true });
      expect(b.trace).toEqual(a.trace);
      expect(b.stats).toEqual(a.stats);
      expect(a.trace.length).toBeGreaterThan(2);
    });
  }

  it('different seeds give different scenarios and runs', () => {
    const traces = new Set(
      SEEDS.map((s) => runScenario(scenarioForSeed(s), { factory: correctEngine, trace: true }).trace.join('\n')),
    );
    expect(traces.size).toBe(SEEDS.length);
  });
});
