// Signed FLUSH reports (PROTOCOL.md §3.4 "Signed reports", issue 12): a participant that sends two
// honest members two different FLUSH reports for one view used to stall that view change with
// nobody named (the FLUSH-OK digests differ, and an unsigned report proves nothing), and could do
// it again at every view change while it stayed. Now every report is signed and every FLUSH-OK
// restates the signed reports its sender holds, so the honest member whose digest differs holds the
// liar's two signatures for one view: the proof goes to the tracker, which evicts the liar, and the
// next view change completes without it before the faults heal. The broken engine that keeps the
// proof to itself (sim/broken/keep-flush-proof.ts) leaves the group waiting until the liar goes away
// by itself as the faults heal.

import { describe, expect, it } from 'vitest';
import { keepFlushProof } from '../sim/broken/keep-flush-proof.ts';
import { correctEngine } from '../sim/default-engine.ts';
import { LIAR_ID } from '../sim/hostile.ts';
import { HOSTILE_TOLERATED, hostileScenarioForSeed } from '../sim/hostile-scenario.ts';
import { HOSTILE_FIXED } from '../sim/hostile-suite.ts';
import type { EngineFactory } from '../sim/engine-factory.ts';
import { runScenario } from '../sim/simulator.ts';

const lie = HOSTILE_FIXED.find((f) => f.id === 'flush-split');
if (lie === undefined) throw new Error('HOSTILE_FIXED lost flush-split');

const line = (trace: readonly string[], test: (l: string) => boolean): number => trace.findIndex(test);
const healLine = (trace: readonly string[]): number => line(trace, (l) => l.includes('faults healed'));
const evictedLine = (trace: readonly string[]): number =>
  line(trace, (l) => l.includes('tracker issues view') && l.includes(`evicted:${LIAR_ID}`));
/** The honest members that installed a view without the liar between two lines of the trace. */
const installsWithout = (trace: readonly string[], from: number, before: number): Set<string> =>
  new Set(
    trace
      .slice(from, before)
      .map((l) => /\] (\S+)@\d+ installed view \d+ \[([^\]]*)\]/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null && !m[2]!.split(' ').includes(LIAR_ID))
      .filter((m) => m[1] !== LIAR_ID)
      .map((m) => m[1]!),
  );

const run = (factory: EngineFactory) => runScenario(lie.scenario, { factory, trace: true });

describe('signed FLUSH reports: a participant that signs two for one view is proven and evicted', () => {
  it('the flush-split liar is evicted on the proof, and the view change without it completes before the faults heal', () => {
    const r = run(correctEngine);
    expect(r.violation, r.trace.slice(-30).join('\n')).toBeNull();
    expect(r.stats.flushAccusations).toBeGreaterThan(0);
    const proved = line(r.trace, (l) => l.includes(`proves ${LIAR_ID} signed two flush reports`));
    const disputed = line(r.trace, (l) => l.includes('flush disputed'));
    expect(disputed).toBeGreaterThan(-1);
    expect(proved).toBeGreaterThanOrEqual(disputed);
    const heal = healLine(r.trace);
    const evicted = evictedLine(r.trace);
    expect(evicted).toBeGreaterThan(proved);
    expect(evicted).toBeLessThan(heal);
    // Liveness is back before the heal: every honest member of the group installed a view without the liar.
    const members = new Set(
      r.trace
        .map((l) => /\] (\S+)@\d+ installed view/.exec(l)?.[1])
        .filter((p): p is string => p !== undefined && p !== LIAR_ID),
    );
    expect([...installsWithout(r.trace, disputed, heal)].sort()).toEqual([...members].sort());
  });

  it('the broken engine that keeps the proof to itself: no eviction, the view change waits until the faults heal', () => {
    const r = run(keepFlushProof);
    expect(r.stats.flushAccusations).toBe(0);
    const heal = healLine(r.trace);
    expect(heal).toBeGreaterThan(-1);
    const disputed = line(r.trace, (l) => l.includes('flush disputed'));
    expect(disputed).toBeGreaterThan(-1);
    expect(evictedLine(r.trace)).toBe(-1);
    // Once the view change was disputed, no honest member installed a view without the liar before the heal.
    expect(installsWithout(r.trace, disputed, heal).size).toBe(0);
  });

  it('over hostile seeds whose liar sends members different reports, only the liar is ever proven', () => {
    let proven = 0;
    let runs = 0;
    for (let seed = 0; seed < 2000 && runs < 40; seed++) {
      const scenario = hostileScenarioForSeed(seed);
      const h = scenario.hostile;
      // A near flood with made-up reports, or an equivocating liar (its report carries each member's version).
      const flushLies = h?.kind === 'flood' && (h.variant >> 4) % 4 === 3;
      if (!flushLies && h?.kind !== 'equivocate') continue;
      runs++;
      // An accusation the tracker would not take (a proof that does not hold, or one against an honest
      // member) fails the run (H1).
      const r = runScenario(scenario, { factory: correctEngine, tolerate: HOSTILE_TOLERATED });
      expect(r.violation?.message ?? null, `hostile seed ${seed}`).toBeNull();
      if (r.stats.flushAccusations > 0) proven++;
    }
    expect(runs).toBeGreaterThan(10);
    expect(proven).toBeGreaterThan(0);
  });
});
