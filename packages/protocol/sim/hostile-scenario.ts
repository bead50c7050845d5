// Scenarios with one hostile member (sim/hostile.ts): an honest group of 2-4
// founders plus the liar, a few sends and joins around the liar's `lie`
// actions. Small on purpose, so thousands run in `npm test`. The kinds whose
// liar the link rules must evict (silent, false-report) leave out honest
// crashes, so that the honest members that judge it stay in the group.

import fc from 'fast-check';
import type { Guarantee } from './checker.ts';
import type { Action, Hostile, HostileKind, Scenario, Step } from './scenario.ts';
import type { ActionWeights } from './scenario-arbitrary.ts';
import { NO_ACTIONS, scenarioArbitrary } from './scenario-arbitrary.ts';

export const HOSTILE_KINDS: readonly HostileKind[] = [
  'clock',
  'equivocate',
  'silent',
  'false-report',
  'sponsor',
  'flood',
];

/**
 * Kinds drawn only when asked for (`--kind`, `hostileScenarioForSeed(seed, kinds)`): adding one to
 * `HOSTILE_KINDS` would give every numbered hostile seed another scenario.
 */
export const APART_KINDS: readonly HostileKind[] = ['flush-lie', 'withhold'];

/** Kinds the tracker's link rules see (PROTOCOL.md §2 Links): their liar must be evicted. */
export const EVICTED_KINDS: readonly HostileKind[] = ['false-report', 'silent'];

/**
 * What hostile runs count instead of failing on (PROTOCOL.md §7): an equivocation two honest members
 * show apart (S2E: FIFO, or total order through a view change), a joiner misled by an undetectable
 * sponsor lie (SPONSOR), a departed liar's frames left waiting for later views (H4, within the
 * budget of peers a view leaves out).
 */
export const HOSTILE_TOLERATED: readonly Guarantee[] = ['S2E', 'SPONSOR', 'H4'];

const WEIGHTS: ActionWeights = { ...NO_ACTIONS, send: 4, 'send-all': 1, join: 1, crash: 1, leave: 1, lie: 2 };
const JUDGED_WEIGHTS: ActionWeights = { ...WEIGHTS, crash: 0, leave: 0 };
/**
 * A mute liar stays past the heal (PROTOCOL.md §7.6), so no join either: it would withhold its FLUSH, a view
 * change's stall that its stalled reports do not cover (§7.2 "Can, still").
 */
const MUTE_WEIGHTS: ActionWeights = { ...JUDGED_WEIGHTS, join: 0 };

const MAX_VARIANT = 1023;

export const hostileArbitrary = (kinds: readonly HostileKind[] = HOSTILE_KINDS): fc.Arbitrary<Scenario> =>
  fc.tuple(fc.constantFrom(...kinds), fc.nat(MAX_VARIANT)).chain(([kind, variant]) => {
    const judged = EVICTED_KINDS.includes(kind);
    const base = scenarioArbitrary({
      // A PROPOSE withheld from one sender is closed from a view of four (PROTOCOL.md §3.3 "Forwarded proposals"):
      // three honest founders, and nobody crashes or leaves (a view of three is still open, §7.2).
      minSize: kind === 'withhold' ? 3 : 2,
      ...(kind === 'withhold' ? { modes: ['total'] as const } : {}),
      maxSize: 4,
      maxSteps: 6,
      maxGroups: 1,
      weights:
        kind === 'silent' && variant % 2 === 0
          ? MUTE_WEIGHTS
          : judged || kind === 'withhold'
            ? JUDGED_WEIGHTS
            : WEIGHTS,
    });
    return base.map((s) => withLie(s, { kind, variant }));
  });

/** Every hostile scenario lies at least once; a lying sponsor gets a joiner to lie to, after some history. */
const withLie = (s: Scenario, hostile: Hostile): Scenario => {
  let steps: Step[] = [...s.steps];
  const lie: Action = { k: 'lie' };
  if (!steps.some((x) => x.action.k === 'lie')) steps = [{ gap: 50, action: lie }, ...steps];
  if (hostile.kind === 'sponsor')
    steps = [
      ...steps,
      { gap: 100, action: { k: 'send', node: 0, count: 2 } },
      { gap: 100, action: { k: 'join', send: 1 } },
    ];
  return { ...s, steps, hostile };
};

/** The hostile scenario for one numbered seed: `npm run sim -- --seed N --hostile` replays it. */
export const hostileScenarioForSeed = (seed: number, kinds?: readonly HostileKind[]): Scenario => {
  const [scenario] = fc.sample(hostileArbitrary(kinds), { seed, numRuns: 1 });
  if (scenario === undefined) throw new Error(`fast-check produced no hostile scenario for seed ${seed}`);
  return scenario;
};
