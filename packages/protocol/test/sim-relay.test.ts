// Relayed links in the simulator (PROTOCOL.md §1.6): a pair's direct channel
// fails for a while and their frames go through the lowest-id member linked
// to both, which may crash, drop a frame or alter one (refused by the
// signature check, never used again by the pair); with no relay left the pair
// is down and the shipped link rules evict the younger. The tracker model runs
// the shipped membership (`relayed via` counts as up). S1-S7 after every step,
// L1-L3 once the faults heal, on the usual mix of faults plus relays.

import { describe, expect, it } from 'vitest';
import { correctEngine } from '../sim/default-engine.ts';
import { toleratedByKnownGaps, weightsWithoutKnownGaps } from '../sim/known-gaps.ts';
import { checkScenarios } from '../sim/property.ts';

const RUNS = Number(process.env['SIM_RELAY_RUNS'] ?? 800);
const SUITE_TIMEOUT_MS = 900_000;

describe('simulation: relayed links and relay faults', () => {
  it(
    `keeps every guarantee on ${RUNS} generated scenarios`,
    () => {
      const weights = { ...weightsWithoutKnownGaps(), relay: 12 };
      const t = checkScenarios({
        factory: correctEngine,
        minSize: 3,
        maxSize: 6,
        weights,
        tolerate: toleratedByKnownGaps(),
        numRuns: RUNS,
        seed: 1111,
      });
      console.log(
        `relay: ${t.scenarios} scenarios, ${t.steps} steps, ${t.messages} messages, ${t.faults} faults, ${t.views} views; routes ${JSON.stringify(t.relay)}; actions ${JSON.stringify(t.byAction)}`,
      );
      expect(t.scenarios).toBe(RUNS);
      expect(t.byAction['relay'] ?? 0).toBeGreaterThan(RUNS / 3);
      // The shipped routes carried the pairs: links up through relays, frames delivered through them, gaps
      // resynced, stalling relays found bad and altering ones refused.
      for (const k of ['up', 'delivered', 'resyncs', 'bad', 'altered']) expect(t.relay[k] ?? 0).toBeGreaterThan(0);
    },
    SUITE_TIMEOUT_MS,
  );
});
