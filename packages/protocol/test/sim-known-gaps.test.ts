// Each known engine gap (sim/known-gaps.ts) still reproduces with the correct
// engine and the strict checker. When one of these fails, the engine was
// fixed: delete the gap, and the suites drop their workaround for it.

import { describe, expect, it } from 'vitest';
import { correctEngine } from '../sim/default-engine.ts';
import { KNOWN_GAPS } from '../sim/known-gaps.ts';
import { runScenario } from '../sim/simulator.ts';

describe('known engine gaps still reproduce', () => {
  for (const gap of KNOWN_GAPS) {
    it(`${gap.id} breaks ${gap.breaks}`, () => {
      const r = runScenario(gap.scenario, { factory: correctEngine });
      expect(r.violation?.rule, `fixed? replay: npm run sim -- --scenario '${JSON.stringify(gap.scenario)}'`).toBe(gap.breaks);
    });
  }
});
