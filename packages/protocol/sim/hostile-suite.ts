// What the hostile seed suites (test/sim-hostile*.test.ts) share: the seed
// runner with the hostile mix and what it counts instead of failing on, the
// open gaps a hostile member still breaks (each a scenario that fails the day
// it is fixed), and the seeds the honest engine's own open gaps break.

import type { Guarantee } from './checker.ts';
import { correctEngine } from './default-engine.ts';
import { OPEN_LIES } from './hostile.ts';
import { HOSTILE_TOLERATED, hostileScenarioForSeed } from './hostile-scenario.ts';
import { toleratedByKnownGaps } from './known-gaps.ts';
import type { SeedsSummary } from './run-seeds.ts';
import { runSeeds } from './run-seeds.ts';
import type { Scenario } from './scenario.ts';

export const runHostileSeeds = (from: number, count: number): SeedsSummary =>
  runSeeds(correctEngine, from, count, {}, [...toleratedByKnownGaps(), ...HOSTILE_TOLERATED], undefined, (seed) => hostileScenarioForSeed(seed));

export interface HostileGap {
  readonly id: string;
  readonly breaks: Guarantee;
  readonly why: string;
  readonly scenario: Scenario;
}

/** What a hostile member can still break (PROTOCOL.md §7.5, open). Not drawn by the seeds. */
export const HOSTILE_GAPS: readonly HostileGap[] = [
  {
    id: 'equivocated-final',
    breaks: 'S4',
    why:
      'a hostile sender sends two members different FINAL priorities for its own message; each member takes the one ' +
      'it got (a FINAL is checked against nothing but an earlier FINAL at the same member), so they order the message ' +
      'differently (ISIS trusts the sender to announce one maximum)',
    scenario: {
      mode: 'total', size: 3, seed: 28,
      steps: [{ gap: 50, action: { k: 'lie' } }, { gap: 100, action: { k: 'send-all' } }, { gap: 100, action: { k: 'send-all' } }],
      hostile: { kind: 'equivocate', variant: OPEN_LIES + 1 },
    },
  },
];
