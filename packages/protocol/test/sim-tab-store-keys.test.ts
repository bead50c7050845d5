// A browser's tabs share one store. In a total-order group the key a live
// session's engine delivered a message at is the group's key, and what the
// session, as a sponsor, hands a joiner from its store (PROTOCOL.md §4).

import { describe, expect, it } from 'vitest';
import { correctEngine } from '../sim/default-engine.ts';
import { toleratedByKnownGaps } from '../sim/known-gaps.ts';
import type { Scenario } from '../sim/scenario.ts';
import { runScenario } from '../sim/simulator.ts';
// Seeds pinned before joiners asked a witness (PROTOCOL.md §7.3 "Corroborated") whose runs its frames
// move replay as found, with `UNCORROBORATED` (sim/session-variant.ts).
import { UNCORROBORATED } from '../sim/session-variant.ts';

const command = (s: Scenario): string => `npm run sim -- --scenario '${JSON.stringify(s)}'`;

describe('tabs over one store (total order)', () => {
  it("seed 2302620: a live tab's delivery moves what its crashed second tab stored non-uniformly to the group's key", () => {
    // 84f-a2, the second tab of 00f-a1, delivers 84f-a2:1 at (5, b86-b1) before 00f-a1:2 and writes it to
    // the shared store; it and b86-b1 crash, so 00f-a1 places 00f-a1:2 first and 84f-a2:1 at (8203, 00f-a1)
    // in the flush (S4U: only the crashed tab delivered the other order). 00f-a1 then sponsors ae1-c1 from
    // the store: were the crashed tab's key kept there, ae1-c1 would show 84f-a2:1 before 00f-a1:2 while
    // 00f-a1 shows the opposite (S4 between two live members).
    const scenario: Scenario = {
      mode: 'total',
      size: 2,
      seed: 7,
      steps: [
        { gap: 280, action: { k: 'tab-pair', node: 12, group: 2 } },
        { gap: 320, action: { k: 'send-all', group: 1 } },
        { gap: 290, action: { k: 'join', send: 1 } },
        { gap: 313, action: { k: 'crash-many', node: 15, group: 1 } },
      ],
    };
    const r = runScenario(scenario, {
      factory: correctEngine,
      tolerate: toleratedByKnownGaps(),
      trace: true,
      session: UNCORROBORATED,
    });
    expect(r.violation, command(scenario)).toBeNull();
    const s4u = r.tolerated.filter((v) => v.rule === 'S4U');
    expect(s4u.map((v) => v.node)).toEqual(['00f-a1']);
    expect(s4u[0]?.message).toContain('which only 84f-a2 delivered');
    expect(r.trace.some((l) => l.includes('ae1-c1@0 adopts the state of view 6 from 00f-a1'))).toBe(true);
  });
});
