// fast-check generators for scenarios. Scenarios are kept small (few
// messages, few faults) so thousands run in a test; fast-check shrinks a
// failing one to the fewest actions that still break a guarantee.

import fc from 'fast-check';
import type { Ordering } from '../src/ids.ts';
import type { Action, Scenario, Step } from './scenario.ts';

/** Upper bounds that keep one scenario to a few ms of CPU. */
export const MAX_GROUP_SIZE = 8;
const MAX_STEPS = 8;
const MAX_BURST = 3;
/** Longer than LINK_GRACE_MS sometimes, so a link failure can end in an eviction. */
const MAX_LINK_DOWN_MS = 3000;
const MAX_GAP_MS = 400;

const node = fc.nat(MAX_GROUP_SIZE * 2);

const action: fc.Arbitrary<Action> = fc.oneof(
  { arbitrary: fc.record({ k: fc.constant('send' as const), node, count: fc.integer({ min: 1, max: MAX_BURST }) }), weight: 6 },
  { arbitrary: fc.constant({ k: 'send-all' as const }), weight: 2 },
  { arbitrary: fc.record({ k: fc.constant('crash' as const), node }), weight: 1 },
  {
    arbitrary: fc.record({
      k: fc.constant('crash-after' as const),
      node,
      frames: fc.nat(12),
      send: fc.boolean(),
    }),
    weight: 3,
  },
  { arbitrary: fc.record({ k: fc.constant('crash-many' as const), node }), weight: 1 },
  { arbitrary: fc.record({ k: fc.constant('leave' as const), node }), weight: 1 },
  { arbitrary: fc.record({ k: fc.constant('join' as const), send: fc.nat(2) }), weight: 2 },
  { arbitrary: fc.record({ k: fc.constant('rejoin' as const), node, graceful: fc.boolean() }), weight: 1 },
  { arbitrary: fc.record({ k: fc.constant('suspect' as const), node }), weight: 1 },
  {
    arbitrary: fc.record({
      k: fc.constant('link-fail' as const),
      a: node,
      b: node,
      downMs: fc.integer({ min: 1, max: MAX_LINK_DOWN_MS }),
    }),
    weight: 2,
  },
  { arbitrary: fc.record({ k: fc.constant('duplicate' as const), a: node, b: node }), weight: 1 },
  { arbitrary: fc.constant({ k: 'tracker-restart' as const }), weight: 1 },
);

const step: fc.Arbitrary<Step> = fc.record({ gap: fc.nat(MAX_GAP_MS), action });

export interface ScenarioBounds {
  readonly modes?: readonly Ordering[];
  readonly minSize?: number;
  readonly maxSize?: number;
  readonly maxSteps?: number;
}

export const scenarioArbitrary = (bounds: ScenarioBounds = {}): fc.Arbitrary<Scenario> =>
  fc.record({
    mode: fc.constantFrom(...(bounds.modes ?? (['fifo', 'total'] as const))),
    size: fc.integer({ min: bounds.minSize ?? 1, max: bounds.maxSize ?? MAX_GROUP_SIZE }),
    seed: fc.nat(),
    steps: fc.array(step, { maxLength: bounds.maxSteps ?? MAX_STEPS }),
  });

/** The scenario for one numbered seed: what `npm run sim -- --seed N` replays. */
export const scenarioForSeed = (seed: number, bounds: ScenarioBounds = {}): Scenario => {
  const [scenario] = fc.sample(scenarioArbitrary(bounds), { seed, numRuns: 1 });
  if (scenario === undefined) throw new Error(`fast-check produced no scenario for seed ${seed}`);
  return scenario;
};
