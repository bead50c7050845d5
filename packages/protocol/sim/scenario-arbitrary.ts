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
/** A relayed pair's direct channel stays shut this long at most (then it opens and the relay ends). */
const MAX_RELAYED_MS = 6000;
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
  // Its own suite (test/sim-relay.test.ts), so that the default mix and its seeds stay as they were.
  relay: 0,
  'tracker-restart': 1,
  // Its own suite (test/sim-tracker-forgets.test.ts), so that the default mix and its seeds stay as they were.
  'tracker-forgets': 0,
  'send-groups': 2,
  reload: 1,
  'tab-pair': 1,
  // Long histories are their own suite (long-history bounds): thousands of messages per run.
  flood: 0,
  // Hostile runs only (sim/hostile-scenario.ts).
  lie: 0,
};

/** Long-history runs: a flood of thousands of messages, then joins, reloads and link faults around it. */
export const MAX_FLOOD = 3000;
export const MIN_FLOOD = 1000;

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
    k: fc.constant('link-fail' as const),
    a: node,
    b: node,
    downMs: fc.integer({ min: 1, max: MAX_LINK_DOWN_MS }),
  }),
  duplicate: fc.record({ k: fc.constant('duplicate' as const), a: node, b: node }),
  relay: fc.record({
    k: fc.constant('relay' as const),
    a: node,
    b: node,
    fault: fc.constantFrom('none' as const, 'crash' as const, 'drop' as const, 'alter' as const, 'stall' as const),
    downMs: fc.integer({ min: 1, max: MAX_RELAYED_MS }),
  }),
  'tracker-restart': fc.constant({ k: 'tracker-restart' as const }),
  'tracker-forgets': fc.constant({ k: 'tracker-forgets' as const }),
  'send-groups': fc.record({ k: fc.constant('send-groups' as const), node }),
  reload: fc.record({ k: fc.constant('reload' as const), node, samePeer: fc.boolean() }),
  'tab-pair': fc.record({ k: fc.constant('tab-pair' as const), node }),
  flood: fc.record({ k: fc.constant('flood' as const), node, count: fc.integer({ min: MIN_FLOOD, max: MAX_FLOOD }) }),
  lie: fc.constant({ k: 'lie' as const }),
};

const actionArbitrary = (weights: ActionWeights, groups: number): fc.Arbitrary<Action> => {
  const kind = fc.oneof(
    ...(Object.keys(ACTIONS) as Action['k'][])
      .filter((k) => weights[k] > 0)
      .map((k) => ({ arbitrary: ACTIONS[k] as fc.Arbitrary<Action>, weight: weights[k] })),
  );
  if (groups <= 1) return kind;
  // Which group the action is about (modulo the scenario's groups; shrinks towards the first).
  return fc.tuple(kind, fc.nat(groups - 1)).map(([a, group]) => (group === 0 ? a : { ...a, group }));
};

export interface ScenarioBounds {
  readonly modes?: readonly Ordering[];
  readonly minSize?: number;
  readonly maxSize?: number;
  readonly maxSteps?: number;
  /** Action mix; a zero weight leaves that action out. */
  readonly weights?: ActionWeights;
  /** How many groups the same people talk in (1-3); default 1 to 3. */
  readonly minGroups?: number;
  readonly maxGroups?: number;
}

export const NO_ACTIONS: ActionWeights = Object.fromEntries(
  Object.keys(DEFAULT_WEIGHTS).map((k) => [k, 0]),
) as unknown as ActionWeights;

/**
 * Long histories: a flood of thousands of messages while a link of its sender
 * is down (few become stable), then late joiners, second tabs, restarts and
 * more faults around it. Few steps and small groups keep a run to seconds.
 */
export const LONG_HISTORY_BOUNDS: ScenarioBounds = {
  minSize: 2,
  maxSize: 4,
  maxGroups: 2,
  maxSteps: 6,
  weights: {
    ...NO_ACTIONS,
    flood: 3,
    join: 3,
    send: 2,
    'send-groups': 1,
    reload: 1,
    'tab-pair': 1,
    crash: 1,
    'link-fail': 1,
    rejoin: 1,
  },
};

/** A node holds sessions of up to this many groups at once over its one store. */
export const MAX_GROUPS = 3;

export const scenarioArbitrary = (bounds: ScenarioBounds = {}): fc.Arbitrary<Scenario> => {
  const modes = fc.constantFrom(...(bounds.modes ?? (['fifo', 'total'] as const)));
  const maxGroups = Math.max(1, Math.min(MAX_GROUPS, bounds.maxGroups ?? MAX_GROUPS));
  const minGroups = Math.max(1, Math.min(maxGroups, bounds.minGroups ?? 1));
  return fc
    .record({
      mode: modes,
      groups: fc.array(modes, { minLength: minGroups - 1, maxLength: maxGroups - 1 }),
      size: fc.integer({ min: bounds.minSize ?? 1, max: bounds.maxSize ?? MAX_GROUP_SIZE }),
      seed: fc.nat(),
      steps: fc.array(
        fc.record({ gap: fc.nat(MAX_GAP_MS), action: actionArbitrary(bounds.weights ?? DEFAULT_WEIGHTS, maxGroups) }),
        { maxLength: bounds.maxSteps ?? MAX_STEPS },
      ),
    })
    .map((s) => (s.groups.length === 0 ? { mode: s.mode, size: s.size, seed: s.seed, steps: s.steps } : s));
};

/** The scenario for one numbered seed: what `npm run sim -- --seed N` replays. */
export const scenarioForSeed = (seed: number, bounds: ScenarioBounds = {}): Scenario => {
  const [scenario] = fc.sample(scenarioArbitrary(bounds), { seed, numRuns: 1 });
  if (scenario === undefined) throw new Error(`fast-check produced no scenario for seed ${seed}`);
  return scenario;
};
