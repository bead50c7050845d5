// Message operations through the simulator (issue 14, PROTOCOL.md §8;
// sim/op-bodies.ts): generated scenarios of both orderings (crashes at every
// point of a multicast, joins, leaves, reloads, second tabs, link failures,
// tracker restarts) in which members reply, react, edit and delete, some
// edits and deletes on other people's messages. Every guarantee holds, and
// once the faults heal every survivor's log folded by the shipped OpFold
// shows the same messages (OPS), including operations a member delivered
// before the message they name. Seeds are fresh each run (test/fresh-seed.ts).

import { describe, expect, it } from 'vitest';
import { correctEngine } from '../sim/default-engine.ts';
import { toleratedByKnownGaps, weightsWithoutKnownGaps } from '../sim/known-gaps.ts';
import type { Ordering } from '../src/ids.ts';
import { noOpCounts, type OpCounts } from '../sim/op-bodies.ts';
import { scenarioForSeed, type ScenarioBounds } from '../sim/scenario-arbitrary.ts';
import { UNCORROBORATED, type SessionVariant } from '../sim/session-variant.ts';
import { runScenario, type SimResult } from '../sim/simulator.ts';
import { freshSeed } from './fresh-seed.ts';

/** Scenarios per ordering: enough that operations meet crashes, joins and early delivery many times over. */
const RUNS = 300;
/** A few hundred scenarios on a loaded 2-core machine: a minute or two, not a hang. */
const TIMEOUT_MS = 600_000;

// Sends weigh more than in the default mix, so operations meet the faults often, and so do link failures, after
// which a message may reach a member late, behind operations on it from others.
const WEIGHTS = { ...weightsWithoutKnownGaps(), send: 18, 'send-all': 6, 'link-fail': 8 };
const boundsOf = (mode: Ordering): ScenarioBounds => ({ modes: [mode], minSize: 2, maxSize: 5, weights: WEIGHTS });
const run = (seed: number, mode: Ordering, session?: SessionVariant): SimResult =>
  runScenario(scenarioForSeed(seed, boundsOf(mode)), {
    factory: correctEngine,
    tolerate: toleratedByKnownGaps(),
    ops: true,
    ...(session === undefined ? {} : { session }),
  });
/**
 * FIFO seeds in which a member's engine delivers an operation before the message it names (about one seed in
 * forty does, too few to count on among fresh ones). Picked before joiners asked a witness (PROTOCOL.md §7.3
 * "Corroborated"), whose frames move every later draw of a run: they replay as found, `UNCORROBORATED`.
 */
const EARLY_SEEDS = [5_000_060, 5_000_112, 5_000_126];

describe('simulation with message operations', () => {
  for (const mode of ['fifo', 'total'] as const) {
    it(
      `${mode}: every survivor folds its log to the same messages on ${RUNS} generated scenarios`,
      () => {
        const from = freshSeed(`sim-ops.test.ts (${mode})`);
        const counts = noOpCounts();
        for (let seed = from; seed < from + RUNS; seed++) {
          const result = run(seed, mode);
          expect(result.violation, `seed ${seed} (replay with SIM_SEED=${from})`).toBeNull();
          for (const [k, v] of Object.entries(result.stats.ops)) counts[k as keyof OpCounts] += v;
        }
        console.log(`sim-ops ${mode}: ${JSON.stringify(counts)}`);
        // The runs folded what the property is about, not only plain texts (counted per survivor's fold).
        for (const k of ['edited', 'deleted', 'reacted', 'replies', 'refused'] as const)
          expect(counts[k], k).toBeGreaterThan(5);
      },
      TIMEOUT_MS,
    );
  }

  it('fifo: where an operation is delivered before the message it names, every survivor still folds the same', () => {
    for (const seed of EARLY_SEEDS) {
      const result = run(seed, 'fifo', UNCORROBORATED);
      expect(result.violation, `seed ${seed}`).toBeNull();
      // The seeds still carry what they were picked for.
      expect(result.stats.ops.early, `seed ${seed}`).toBeGreaterThan(0);
    }
  });
});
