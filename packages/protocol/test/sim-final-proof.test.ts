// Signed FINALs (PROTOCOL.md §3.3 "Signed FINALs", issue 12): a hostile sender
// that tells two members two FINALs for its message used to stall a
// total-order group for as long as it stayed (the echo showed the dispute, but
// nobody could prove who lied). Now a FINAL carries its sender's signature and
// every echo restates it, so the two FINALs meet at an honest member as a
// proof; the tracker checks it and evicts the sender, and the view change
// orders the message at once. The broken engine that keeps the proof to itself
// (sim/broken/keep-final-proof.ts) leaves the group waiting until the liar
// goes away by itself as the faults heal.

import { describe, expect, it } from 'vitest';
import { keepFinalProof } from '../sim/broken/keep-final-proof.ts';
import { correctEngine } from '../sim/default-engine.ts';
import { EQUIVOCATIONS, LIAR_ID } from '../sim/hostile.ts';
import { hostileScenarioForSeed } from '../sim/hostile-scenario.ts';
import { HOSTILE_FIXED } from '../sim/hostile-suite.ts';
import type { EngineFactory } from '../sim/engine-factory.ts';
import { runScenario } from '../sim/simulator.ts';

const lie = HOSTILE_FIXED.find((f) => f.id === 'equivocated-final');
if (lie === undefined) throw new Error('HOSTILE_FIXED lost equivocated-final');

/** Where the run stands when the faults heal (the liar then goes away by itself), by trace line. */
const healLine = (trace: readonly string[]): number => trace.findIndex((l) => l.includes('faults healed'));
const evictedLine = (trace: readonly string[]): number =>
  trace.findIndex((l) => l.includes('tracker issues view') && l.includes(`evicted:${LIAR_ID}`));
/** Honest deliveries of the liar's messages in the first `before` trace lines. */
const liarDeliveries = (trace: readonly string[], before: number): number =>
  trace.slice(0, before).filter((l) => {
    const m = /\] (\S+)@\d+ delivered \S+\/0-liar:\d+ "/.exec(l);
    return m !== null && m[1] !== LIAR_ID;
  }).length;

const run = (factory: EngineFactory) => runScenario(lie.scenario, { factory, trace: true });

describe('signed FINALs: a sender that signs two is proven and evicted', () => {
  it('the liar of the equivocated-final scenario is evicted on the proof, and its messages are delivered before the faults heal', () => {
    const r = run(correctEngine);
    expect(r.violation, r.trace.slice(-30).join('\n')).toBeNull();
    expect(r.stats.accusations).toBeGreaterThan(0);
    expect(r.trace.some((l) => l.includes(`proves ${LIAR_ID} signed two finals`))).toBe(true);
    const heal = healLine(r.trace);
    const evicted = evictedLine(r.trace);
    expect(evicted).toBeGreaterThan(-1);
    expect(evicted).toBeLessThan(heal);
    // The view change without it ordered what it had disputed: honest members delivered its messages.
    expect(liarDeliveries(r.trace, heal)).toBeGreaterThan(0);
  });

  it('the broken engine that keeps the proof to itself: no eviction, the liar stays until the faults heal', () => {
    const r = run(keepFinalProof);
    expect(r.stats.accusations).toBe(0);
    const heal = healLine(r.trace);
    expect(heal).toBeGreaterThan(-1);
    expect(evictedLine(r.trace)).toBe(-1);
    expect(liarDeliveries(r.trace, heal)).toBe(0);
  });

  it('over hostile seeds with FINAL lies the liar is proven in total-order groups, never an honest member', () => {
    let proven = 0;
    let runs = 0;
    for (let seed = 0; seed < 600 && runs < 40; seed++) {
      const scenario = hostileScenarioForSeed(seed);
      const h = scenario.hostile;
      if (h?.kind !== 'equivocate' || scenario.mode !== 'total') continue;
      if (EQUIVOCATIONS[(h.variant >> 1) % EQUIVOCATIONS.length] === 'data') continue;
      runs++;
      // An accusation the tracker would not take (a proof that does not hold, or one against an honest
      // member) fails the run (H1).
      const r = runScenario(scenario, { factory: correctEngine });
      expect(r.violation?.message ?? null, `hostile seed ${seed}`).toBeNull();
      if (r.stats.accusations > 0) proven++;
    }
    expect(runs).toBeGreaterThan(10);
    expect(proven).toBeGreaterThan(0);
  });
});
