// A participant that lies in the rounds of a view change without signing two reports for one view
// (the `flush-lie` hostile kind, sim/flush-liar.ts; PROTOCOL.md §3.4 "Signed reports", §7.2). A
// FLUSH-OK used to name its digest in a field nobody could check, so a liar that named a made-up one
// had every member see a dispute nobody could prove, and stalled every view change while it stayed.
// Now a FLUSH-OK stands for the digest its restated signed reports make: the made-up digest is never
// read and the view change completes. The broken engine that takes the named digest at its word
// (sim/broken/trust-flush-digest.ts) shows the stall. A report withheld from some members, or one
// they refuse (not the one signed), is relayed by a participant whose FLUSH-OK restates it (§3.4
// "Relay"); the broken engine that never asks (sim/broken/no-flush-relay.ts) shows the stall it
// closes. A report withheld from everyone is nobody's to relay: the overdue watch over the flush has
// the honest participants report its reporter `stalled`, the tracker evicts it, and the view change
// completes without it (§3.4 "Withheld from everyone"). A FLUSH-OK withheld from some members or
// refused by them (a forged or missing restated report) is signed by its sender and relayed the
// same way; the broken engine that never asks shows the stall (its victims wait for the liar to
// leave).

import { describe, expect, it } from 'vitest';
import { noFlushRelay } from '../sim/broken/no-flush-relay.ts';
import { trustFlushDigest } from '../sim/broken/trust-flush-digest.ts';
import { correctEngine } from '../sim/default-engine.ts';
import type { EngineFactory } from '../sim/engine-factory.ts';
import { FLUSH_LIES } from '../sim/flush-liar.ts';
import { LIAR_ID } from '../sim/hostile.ts';
import { HOSTILE_TOLERATED, hostileScenarioForSeed } from '../sim/hostile-scenario.ts';
import type { Scenario } from '../sim/scenario.ts';
import { runScenario } from '../sim/simulator.ts';

/**
 * Three founders, the liar joins, lies, and a fourth member joins: one view change with the liar in it.
 * `lastGap`: a last round of sends that long after, so the faults heal later (an eviction takes two bounds).
 */
const scenario = (lie: (typeof FLUSH_LIES)[number], lastGap = 0): Scenario => ({
  mode: 'total',
  size: 3,
  seed: 7,
  steps: [
    { gap: 50, action: { k: 'lie' } },
    { gap: 100, action: { k: 'join', send: 1 } },
    { gap: 300, action: { k: 'send-all' } },
    ...(lastGap === 0 ? [] : [{ gap: lastGap, action: { k: 'send-all' } } as const]),
  ],
  hostile: { kind: 'flush-lie', variant: FLUSH_LIES.indexOf(lie) },
});

const run = (lie: (typeof FLUSH_LIES)[number], factory: EngineFactory = correctEngine, lastGap = 0) =>
  runScenario(scenario(lie, lastGap), { factory, trace: true });

const line = (trace: readonly string[], test: (l: string) => boolean): number => trace.findIndex(test);
const healLine = (trace: readonly string[]): number => line(trace, (l) => l.includes('faults healed'));
const lieLine = (trace: readonly string[]): number => line(trace, (l) => l.includes('the liar lies'));
/** The honest members that installed a view with the liar in it between two lines of the trace. */
const installsWithLiar = (trace: readonly string[], from: number, before: number): Set<string> =>
  new Set(
    trace
      .slice(from, before)
      .map((l) => /\] (\S+)@\d+ installed view \d+ \[([^\]]*)\]/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null && m[1] !== LIAR_ID && m[2]!.split(' ').includes(LIAR_ID))
      .map((m) => m[1]!),
  );
const FOUNDERS_AND_JOINER = 4;

describe('flush lies: a FLUSH-OK claims only what its restated signatures make', () => {
  it('a made-up digest in FLUSH-OK is never read: the view change completes before the faults heal', () => {
    const r = run('false-digest');
    expect(r.violation, r.trace.slice(-30).join('\n')).toBeNull();
    expect(line(r.trace, (l) => l.includes('flush disputed'))).toBe(-1);
    const installed = installsWithLiar(r.trace, lieLine(r.trace), healLine(r.trace));
    expect(installed.size).toBe(FOUNDERS_AND_JOINER);
  });

  it('the broken engine that takes the named digest at its word: disputed, nobody proven, no install until the heal', () => {
    const r = run('false-digest', trustFlushDigest);
    const disputed = line(r.trace, (l) => l.includes('flush disputed'));
    expect(disputed).toBeGreaterThan(lieLine(r.trace));
    expect(r.stats.flushAccusations).toBe(0);
    const heal = healLine(r.trace);
    expect(heal).toBeGreaterThan(disputed);
    // Only the joiner, which does not flush, installs the view that adds it.
    expect(installsWithLiar(r.trace, disputed, heal).size).toBeLessThanOrEqual(1);
  });

  it.each(['withhold-report', 'bad-report'] as const)(
    'a report withheld (%s: or refused) from some members is relayed: every member installs the view before the heal',
    (lie) => {
      const r = run(lie);
      expect(r.violation, r.trace.slice(-30).join('\n')).toBeNull();
      const asked = line(r.trace, (l) => l.includes('FLUSH-ASK'));
      expect(asked).toBeGreaterThan(lieLine(r.trace));
      expect(line(r.trace, (l) => l.includes('relayed unstable'))).toBeGreaterThan(asked);
      const installed = installsWithLiar(r.trace, lieLine(r.trace), healLine(r.trace));
      expect(installed.size).toBe(FOUNDERS_AND_JOINER);
    },
  );

  it.each(['withhold-report', 'bad-report'] as const)(
    'the broken engine that never asks for a missing report (%s): its victims wait for the liar to leave',
    (lie) => {
      const r = run(lie, noFlushRelay);
      expect(r.violation, r.trace.slice(-30).join('\n')).toBeNull();
      expect(line(r.trace, (l) => l.includes('FLUSH-ASK'))).toBe(-1);
      const installed = installsWithLiar(r.trace, lieLine(r.trace), healLine(r.trace));
      expect(installed.size).toBeLessThan(FOUNDERS_AND_JOINER);
    },
  );

  it("a report relayed under another reporter's name is refused as a forgery, and the view change completes", () => {
    const r = run('forged-relay');
    expect(r.violation, r.trace.slice(-30).join('\n')).toBeNull();
    expect(line(r.trace, (l) => /refused: \S+'s FLUSH report for view \d+ .*signature/.test(l))).toBeGreaterThan(-1);
    expect(r.stats.liarRefused).toBeGreaterThan(0);
    const installed = installsWithLiar(r.trace, lieLine(r.trace), healLine(r.trace));
    expect(installed.size).toBe(FOUNDERS_AND_JOINER);
  });

  it.each(['withhold-ok', 'forged-held', 'short-held'] as const)(
    'a FLUSH-OK withheld (%s: or refused) from some members is relayed on its signature: every member installs the view before the heal',
    (lie) => {
      const r = run(lie);
      expect(r.violation, r.trace.slice(-30).join('\n')).toBeNull();
      if (lie !== 'withhold-ok') expect(r.stats.liarRefused).toBeGreaterThan(0);
      expect(r.stats.flushAccusations).toBe(0);
      const asked = line(r.trace, (l) => l.includes(`FLUSH-ASK`) && l.includes(`FLUSH-OK of ${LIAR_ID}`));
      expect(asked).toBeGreaterThan(lieLine(r.trace));
      expect(line(r.trace, (l) => l.includes(`relayed of ${LIAR_ID}`))).toBeGreaterThan(asked);
      const installed = installsWithLiar(r.trace, lieLine(r.trace), healLine(r.trace));
      expect(installed.size).toBe(FOUNDERS_AND_JOINER);
    },
  );

  it.each(['withhold-ok', 'forged-held', 'short-held'] as const)(
    'the broken engine that never asks for a missing FLUSH-OK (%s): its victims wait for the liar to leave',
    (lie) => {
      const r = run(lie, noFlushRelay);
      expect(r.violation, r.trace.slice(-30).join('\n')).toBeNull();
      expect(line(r.trace, (l) => l.includes('FLUSH-ASK'))).toBe(-1);
      const installed = installsWithLiar(r.trace, lieLine(r.trace), healLine(r.trace));
      expect(installed.size).toBeLessThan(FOUNDERS_AND_JOINER);
    },
  );

  it.each(['withhold-all', 'withhold-ok-all'] as const)(
    '%s: a report or FLUSH-OK withheld from everyone: the honest participants report its author stalled, the tracker evicts it, and they install the view without it before the heal',
    (lie) => {
      const r = run(lie, correctEngine, 8000);
      expect(r.violation, r.trace.slice(-30).join('\n')).toBeNull();
      const lied = lieLine(r.trace);
      const evicted = line(r.trace, (l) => l.includes(`tracker evicts ${LIAR_ID}`));
      expect(evicted).toBeGreaterThan(lied);
      const reporters = new Set(
        r.trace
          .slice(lied, evicted)
          .map((l) => /\] (\S+) reports its link to (\S+) stalled/.exec(l))
          .filter((m): m is RegExpExecArray => m !== null && m[2] === LIAR_ID)
          .map((m) => m[1]!),
      );
      expect(reporters.size).toBe(FOUNDERS_AND_JOINER - 1); // every founder; the joiner takes no part in the flush
      const heal = healLine(r.trace);
      expect(heal).toBeGreaterThan(evicted);
      // Nobody installed the view with the liar in it; every founder and the joiner install the next one.
      expect(installsWithLiar(r.trace, lied, heal).size).toBeLessThanOrEqual(1);
      const without = new Set(
        r.trace
          .slice(evicted, heal)
          .map((l) => /\] (\S+)@\d+ installed view \d+ \[([^\]]*)\]/.exec(l))
          .filter((m): m is RegExpExecArray => m !== null && !m[2]!.split(' ').includes(LIAR_ID))
          .map((m) => m[1]!),
      );
      expect(without.size).toBe(FOUNDERS_AND_JOINER);
    },
  );

  it('over 60 drawn flush-lie seeds every guarantee holds and the liar is refused', () => {
    let refused = 0;
    for (let seed = 0; seed < 60; seed++) {
      const r = runScenario(hostileScenarioForSeed(seed, ['flush-lie']), {
        factory: correctEngine,
        tolerate: HOSTILE_TOLERATED,
      });
      expect(r.violation?.message ?? null, `flush-lie seed ${seed}`).toBeNull();
      refused += r.stats.liarRefused;
    }
    expect(refused).toBeGreaterThan(0);
  });
});
