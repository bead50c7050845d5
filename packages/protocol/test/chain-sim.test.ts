// Chains in the simulator (PROTOCOL.md §1.5), through the shipped SessionCore:
// a sponsor that leaves a message out of a sender's chain is noticed — the
// joiner reports a `gap` naming it — and the broken variant that accepts gaps
// ("gap accepted", sim/broken/session-variants.ts) is silent about it and ends
// with a hole the checker finds. An equivocating member is reported by the
// honest members that see both of its versions.

import { describe, expect, it } from 'vitest';
import { BROKEN_SESSIONS, omitInsideChain } from '../sim/broken/session-variants.ts';
import { correctEngine } from '../sim/default-engine.ts';

import { HOSTILE_TOLERATED, hostileScenarioForSeed } from '../sim/hostile-scenario.ts';
import { toleratedByKnownGaps } from '../sim/known-gaps.ts';
import { scenarioForSeed } from '../sim/scenario-arbitrary.ts';
import { runScenario } from '../sim/simulator.ts';

const reported = (trace: readonly string[], code: string): string[] =>
  trace.filter((l) => l.includes(`problem ${code} (remote)`));

describe('chains in the simulator', () => {
  it('a sponsor that leaves a message out of a chain: the joiner reports the gap; "gap accepted" does not, and the checker finds the hole', () => {
    const bounds = BROKEN_SESSIONS['gap-accepted']!.bounds;
    const tolerate = toleratedByKnownGaps();
    let shown = 0;
    for (let seed = 0; seed < 60 && shown < 3; seed++) {
      const scenario = scenarioForSeed(seed, bounds);
      const checked = runScenario(scenario, {
        factory: correctEngine,
        tolerate,
        trace: true,
        session: { history: omitInsideChain },
      });
      if (reported(checked.trace, 'gap').length === 0) continue;
      shown += 1;
      expect(reported(checked.trace, 'gap')[0]).toMatch(/left out .*'s message/);
      const broken = runScenario(scenario, {
        factory: correctEngine,
        tolerate,
        trace: true,
        session: BROKEN_SESSIONS['gap-accepted']!.variant,
      });
      expect(reported(broken.trace, 'gap')).toEqual([]);
      expect(broken.violation?.rule).toBeDefined();
      expect(runScenario(scenario, { factory: correctEngine, tolerate }).violation).toBeNull();
    }
    expect(shown).toBe(3);
  });

  it('an equivocating member: honest members that see both versions report it, and every guarantee holds', () => {
    let reports = 0;
    for (let seed = 0; seed < 40; seed++) {
      const r = runScenario(hostileScenarioForSeed(seed, ['equivocate']), {
        factory: correctEngine,
        tolerate: [...toleratedByKnownGaps(), ...HOSTILE_TOLERATED],
        trace: true,
      });
      expect(r.violation, `seed ${seed}`).toBeNull();
      reports += reported(r.trace, 'equivocation').length;
    }
    expect(reports).toBeGreaterThan(0);
  });
});
