// One chunk of the seeded simulation suite (sim-{fifo,total}-{small,large}.test.ts):
// fast-check generates scenarios (sends, crashes at every point of a multicast,
// joins, leaves, false suspicion, link failures, duplicates, tracker restarts),
// the checker holds S1-S7 after every step and L1-L3 once faults heal, and a
// failure is shrunk and printed with the command that replays it. Each run
// draws a fresh seed (test/fresh-seed.ts), so runs add up to new coverage
// instead of repeating one set. The suite is split into four files so Vitest's
// workers run the chunks side by side.

import { describe, expect, it } from 'vitest';
import type { Ordering } from '../src/ids.ts';
import { correctEngine } from '../sim/default-engine.ts';
import { describeKnownGaps, toleratedByKnownGaps, weightsWithoutKnownGaps } from '../sim/known-gaps.ts';
import { checkScenarios } from '../sim/property.ts';
import { freshSeed } from './fresh-seed.ts';

/**
 * 4 chunks x 600 = 2 400 fresh scenarios per run, sized for the CI budget (the whole `npm test` under 15 minutes
 * on 2 cores): a fresh range each run adds up across runs, and `npm run sim` sweeps thousands more (BENCHMARKS.md).
 */
const RUNS = 600;
/** Each scenario runs every node's SessionCores and stores: minutes on a loaded 2-core machine, not a hang. */
const SUITE_TIMEOUT_MS = 600_000;

export interface SimChunk {
  readonly mode: Ordering;
  readonly minSize: number;
  readonly maxSize: number;
  /** The test file, named in the printed replay command. */
  readonly file: string;
}

export function simulationChunk({ mode, minSize, maxSize, file }: SimChunk): void {
  const label = `${mode} ${minSize}-${maxSize}`;
  describe(`simulation: ${mode}, ${minSize}-${maxSize} members`, () => {
    it(
      `keeps every guarantee on ${RUNS} generated scenarios`,
      () => {
        const seed = freshSeed(file);
        const gaps = describeKnownGaps();
        if (gaps !== '') console.warn(gaps);
        const t = checkScenarios({
          factory: correctEngine,
          modes: [mode],
          minSize,
          maxSize,
          weights: weightsWithoutKnownGaps(),
          tolerate: toleratedByKnownGaps(),
          numRuns: RUNS,
          seed,
        });
        console.log(
          `${label}: ${t.scenarios} scenarios, ${t.steps} steps, ${t.messages} messages, ${t.deliveries} deliveries, ${t.faults} faults, ${t.views} views, ${t.tolerated} tolerated known-gap violations; sizes ${JSON.stringify(t.bySize)}; actions ${JSON.stringify(t.byAction)}`,
        );
        // The generator must keep producing what the suite claims to cover.
        expect(t.scenarios).toBe(RUNS);
        expect(Object.keys(t.bySize).length).toBe(maxSize - minSize + 1);
        expect(t.messages).toBeGreaterThan(RUNS);
        for (const [kind, weight] of Object.entries(weightsWithoutKnownGaps())) {
          if (weight > 0) expect(t.byAction[kind] ?? 0, `action ${kind} never ran`).toBeGreaterThan(RUNS / 100);
        }
      },
      SUITE_TIMEOUT_MS,
    );
  });
}
