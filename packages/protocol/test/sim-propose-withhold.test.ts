// A member that withholds its PROPOSE from one sender only (the `withhold` hostile kind,
// sim/propose-withholder.ts; PROTOCOL.md §3.3 "Forwarded proposals", §7.2, §7.6): the others forward the
// copies they hold, the sender finalizes on them, nobody is evicted (H1) and every message is delivered
// everywhere with the liar still in the group (L1-L3). Seeds 1 140 000-1 140 099, and one pinned scenario.

import { describe, expect, it } from 'vitest';
import { noProposeForward } from '../sim/broken/no-propose-forward.ts';
import { correctEngine } from '../sim/default-engine.ts';
import type { Scenario } from '../sim/scenario.ts';
import { runScenario } from '../sim/simulator.ts';
import { expectHostileSeedsHold, HOSTILE_SEEDS_TIMEOUT_MS } from './sim-hostile-seeds.ts';

/** Hostile seed 1 140 001: three honest founders and the liar; 09e-c1 sends two, then 740-b1 two. */
const pinned = (variant: number): Scenario => ({
  mode: 'total',
  size: 3,
  seed: 1948941236,
  steps: [
    { gap: 50, action: { k: 'lie' } },
    { gap: 152, action: { k: 'send', node: 6, count: 2 } },
    { gap: 75, action: { k: 'send', node: 1, count: 2 } },
  ],
  hostile: { kind: 'withhold', variant },
});

const HONEST = ['5c0-a1', '09e-c1', '740-b1'];
const VICTIM = '09e-c1';

describe('simulation: a member withholds its PROPOSE from one sender only', () => {
  for (const [variant, what] of [
    [544, 'forwarding the real copies'],
    [545, 'forwarding made-up low proposals'],
  ] as const) {
    it(`the sender is not evicted and its messages are delivered everywhere (liar ${what})`, () => {
      const r = runScenario(pinned(variant), { factory: correctEngine, trace: true });
      expect(r.violation, r.trace.slice(-30).join('\n')).toBeNull();
      expect(r.trace.filter((l) => l.includes('evicts'))).toEqual([]);
      // The liar's own proposal never reached the sender; the others forwarded its copies.
      const toVictim = (l: string): boolean => l.includes(`-> ${VICTIM} @0 PROPOSE `) && l.includes(',0-liar)');
      expect(r.trace.filter((l) => toVictim(l) && l.includes('] 0-liar ->'))).toEqual([]);
      expect(r.trace.some((l) => toVictim(l) && !l.includes('] 0-liar ->'))).toBe(true);
      for (const id of HONEST)
        for (const seq of [1, 2])
          expect(
            r.trace.some((l) => l.includes(`${id}@0 delivered g-sim/${VICTIM}:${seq}`)),
            `${id} ${seq}`,
          ).toBe(true);
    });
  }

  it('without forwarded proposals the others report the sender and the tracker evicts it (H1)', () => {
    const r = runScenario(pinned(544), { factory: noProposeForward, trace: true });
    expect(r.violation?.rule).toBe('H1');
    expect(r.violation?.node).toBe(VICTIM);
  });

  it(
    '100 withhold seeds keep every guarantee',
    () => {
      const s = expectHostileSeedsHold(1_140_000, 100, ['withhold']);
      expect(s.byKind).toEqual({ withhold: 100 });
    },
    HOSTILE_SEEDS_TIMEOUT_MS,
  );
});
