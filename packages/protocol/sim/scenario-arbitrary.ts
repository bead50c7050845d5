// fast-check generators for scenarios. Scenarios are kept small (few
// messages, few faults) so thousands run in a test; fast-check shrinks a
// failing one to the fewest actions that still break a guarantee.

import fc from 'fast-check';
import type { Ordering } from '../src/ids.ts';
import type { Action, Scenario } from './scenario.ts';

/** Upper bounds that keep one scenario to a few ms of CPU. */
export const MAX_GROUP_SIZE = 8;
const MAX_STEPS = 8;
const MAX_BURST = 3;
/** Longer than LINK_GRACE_MS sometimes, so a link failure can end in an eviction. */
const MAX_LINK_DOWN_MS = 3000;
const MAX_GAP_MS = 400;

const node = fc.nat(MAX_GROUP_SIZE * 2);

export type ActionWeights = Readonly<Record<Action['k'], number>>;

/** How often each action is drawn: sends dominate, every fault stays common enough to meet often. */
export const DEFAULT_WEIGHTS: ActionWeights = {
  send: 6,
  'send-all': 2,
  crash: 1,
  'crash-after': 3,
  'crash-many': 1,
  leave: 1,
  join: 2,
  rejoin: 1,
  suspect: 1,
  'link-fail': 2,
  duplicate: 1,
  'tracker-restart': 1,
};

const ACTIONS: { readonly [K in Action['k']]: fc.Arbitrary<Extract<Action, { k: K }>> } = {
  send: fc.record({ k: fc.constant('send' as const), node, count: fc.integer({ min: 1, max: MAX_BURST }) }),
  'send-all': fc.constant({ k: 'send-all' as const }),
  crash: fc.record({ k: fc.constant('crash' as const), node }),
  'crash-after': fc.record({ k: fc.constant('crash-after' as const), node, frames: fc.nat(12), send: fc.boolean() }),
  'crash-many': fc.record({ k: fc.constant('crash-many' as const), node }),
  leave: fc.record({ k: fc.constant('leave' as const), node }),
  join: fc.record({ k: fc.constant('join' as const), send: fc.nat(2) }),
  rejoin: fc.record({ k: fc.constant('rejoin' as const), node, graceful: fc.boolean() }),
  suspect: fc.record({ k: fc.constant('suspect' as const), node }),
  'link-fail': fc.record({
    k: fc.constant('link-fail' as const), a: node, b: node, downMs: fc.integer({ min: 1, max: MAX_LINK_DOWN_MS }),
  }),
  duplicate: fc.record({ k: fc.constant('duplicate' as const), a: node, b: node }),
  'tracker-restart': fc.constant({ k: 'tracker-restart' as const }),
};

const actionArbitrary = (weights: ActionWeights): fc.Arbitrary<Action> =>
  fc.oneof(
    ...(Object.keys(ACTIONS) as Action['k'][])
      .filter((k) => weights[k] > 0)
      .map((k) => ({ arbitrary: ACTIONS[k] as fc.Arbitrary<Action>, weight: weights[k] })),
  );

export interface ScenarioBounds {
  readonly modes?: readonly Ordering[];
  readonly minSize?: number;
  readonly maxSize?: number;
  readonly maxSteps?: number;
  /** Action mix; a zero weight leaves that action out. */
  readonly weights?: ActionWeights;
}

export const scenarioArbitrary = (bounds: ScenarioBounds = {}): fc.Arbitrary<Scenario> =>
  fc.record({
    mode: fc.constantFrom(...(bounds.modes ?? (['fifo', 'total'] as const))),
    size: fc.integer({ min: bounds.minSize ?? 1, max: bounds.maxSize ?? MAX_GROUP_SIZE }),
    seed: fc.nat(),
    steps: fc.array(
      fc.record({ gap: fc.nat(MAX_GAP_MS), action: actionArbitrary(bounds.weights ?? DEFAULT_WEIGHTS) }),
      { maxLength: bounds.maxSteps ?? MAX_STEPS },
    ),
  });

/** The scenario for one numbered seed: what `npm run sim -- --seed N` replays. */
export const scenarioForSeed = (seed: number, bounds: ScenarioBounds = {}): Scenario => {
  const [scenario] = fc.sample(scenarioArbitrary(bounds), { seed, numRuns: 1 });
  if (scenario === undefined) throw new Error(`fast-check produced no scenario for seed ${seed}`);
  return scenario;
};
