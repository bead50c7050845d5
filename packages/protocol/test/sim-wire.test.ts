// The simulator with links that carry text (SimOptions.wire): every frame an
// engine sends leaves in the data-channel messages the shipped BatchWriter
// packs for its turn, and reaches the other engine only through the shipped
// FrameReader (batch unpacking, chunk reassembly, the parser). The same
// guarantees must hold as with frame objects on the links, and the batches
// must really form (fewer messages than frames), and in total order so must
// cumulative PROPOSEs and FINALs.

import { describe, expect, it } from 'vitest';
import { correctEngine } from '../sim/default-engine.ts';
import { toleratedByKnownGaps, weightsWithoutKnownGaps } from '../sim/known-gaps.ts';
import { checkScenarios } from '../sim/property.ts';
import { runScenario } from '../sim/simulator.ts';

const RUNS = 200;
const SUITE_TIMEOUT_MS = 600_000;
/** Fixed so every run checks the same scenarios; change it to explore new ones. */
const FC_SEED = 1515;

describe('simulation over the batched wire', () => {
  for (const mode of ['fifo', 'total'] as const) {
    it(
      `${mode}: keeps every guarantee on ${RUNS} generated scenarios, and batches form`,
      () => {
        const t = checkScenarios({
          factory: correctEngine,
          modes: [mode],
          minSize: 2,
          maxSize: 5,
          weights: weightsWithoutKnownGaps(),
          tolerate: toleratedByKnownGaps(),
          numRuns: RUNS,
          seed: FC_SEED,
          wire: true,
        });
        console.log(
          `${mode} over the wire: ${t.scenarios} scenarios, ${t.messages} messages, ${t.deliveries} deliveries, ${t.frames} frames in ${t.wireTexts} data-channel messages, ${t.cumulative} cumulative PROPOSE/FINAL frames carrying ${t.cumulated}, ${t.faults} faults, ${t.views} views`,
        );
        expect(t.scenarios).toBe(RUNS);
        expect(t.deliveries).toBeGreaterThan(RUNS);
        expect(t.wireTexts).toBeGreaterThan(0);
        // A turn often has several frames for one peer (a flush, a resend after link-up, proposals): they share a
        // message.
        expect(t.wireTexts).toBeLessThan(t.frames);
        // A message of several DATA is one turn at its receiver: its proposals leave as one frame (PROTOCOL.md §1.2c).
        if (mode === 'total') expect(t.cumulated).toBeGreaterThan(t.cumulative);
      },
      SUITE_TIMEOUT_MS,
    );
  }

  it('total: bursts from every member at once pack their PROPOSEs, FINALs and ECHOs, and every guarantee holds', () => {
    for (const size of [4, 8])
      for (const seed of [920100]) {
        // Every member sends 10 messages in one turn, five times (a flood takes one of its links down for a while).
        const steps = Array.from({ length: 5 * size }, (_, i) => ({
          gap: i % size === 0 ? 2_000 : 0,
          action: { k: 'flood' as const, node: i % size, count: 10 },
        }));
        const r = runScenario({ mode: 'total', size, seed, steps }, { factory: correctEngine, wire: true });
        expect(r.violation).toBeNull();
        expect(r.stats.deliveries).toBe(r.stats.messages * size);
        // Most proposals and FINALs travel in cumulative frames.
        expect(r.stats.cumulated).toBeGreaterThan(r.stats.messages);
      }
  }, 120_000);
});
