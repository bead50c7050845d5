// Each known engine gap (sim/known-gaps.ts) still reproduces with the correct
// engine and the strict checker. When one of these fails, the engine was
// fixed: delete the gap, and the suites drop their workaround for it.

import { describe, expect, it } from 'vitest';
import { correctEngine } from '../sim/default-engine.ts';
import { KNOWN_GAPS } from '../sim/known-gaps.ts';
import { UNCORROBORATED } from '../sim/session-variant.ts';
import { runScenario } from '../sim/simulator.ts';

// The gaps' scenarios were found before joiners asked a witness (PROTOCOL.md §7.3 "Corroborated"), whose frames
// move every later draw of a run: they replay the runs they were found in, `UNCORROBORATED`.

describe('known engine gaps still reproduce', () => {
  it('lists each gap with the guarantee it breaks and a scenario', () => {
    // Holds for an empty list too: the registry itself stays well-formed for the next gap.
    for (const gap of KNOWN_GAPS) {
      expect(gap.scenario.steps.length).toBeGreaterThan(0);
      expect(gap.why.length).toBeGreaterThan(20);
    }
    expect(new Set(KNOWN_GAPS.map((g) => g.id)).size).toBe(KNOWN_GAPS.length);
  });

  for (const gap of KNOWN_GAPS) {
    it(`${gap.id} breaks ${gap.breaks}`, () => {
      const r = runScenario(gap.scenario, { factory: correctEngine, session: UNCORROBORATED });
      expect(r.violation?.rule, `fixed? replay: npm run sim -- --scenario '${JSON.stringify(gap.scenario)}'`).toBe(
        gap.breaks,
      );
    });
  }
});
