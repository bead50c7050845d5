// What the hostile seed suites (test/sim-hostile*.test.ts) share: the seed
// runner with the hostile mix and what it counts instead of failing on, the
// open gaps a hostile member still breaks (each a scenario that fails the day
// it is fixed), and the seeds the honest engine's own open gaps break.

import type { Guarantee } from './checker.ts';
import { correctEngine } from './default-engine.ts';
import { HOSTILE_TOLERATED, hostileScenarioForSeed } from './hostile-scenario.ts';
import { toleratedByKnownGaps } from './known-gaps.ts';
import type { SeedsSummary } from './run-seeds.ts';
import { runSeeds } from './run-seeds.ts';
import type { HostileKind, Scenario } from './scenario.ts';

/** `kinds`: the hostile kinds drawn (default the usual mix; `flush-lie` is drawn only when named). */
export const runHostileSeeds = (from: number, count: number, kinds?: readonly HostileKind[]): SeedsSummary =>
  runSeeds(correctEngine, from, count, {}, [...toleratedByKnownGaps(), ...HOSTILE_TOLERATED], undefined, (seed) =>
    hostileScenarioForSeed(seed, kinds),
  );

export interface HostileGap {
  readonly id: string;
  readonly breaks: Guarantee;
  readonly why: string;
  readonly scenario: Scenario;
}

/**
 * What a hostile member can still break (PROTOCOL.md §7.5, open): each replays and fails the day it is fixed. Not drawn
 * by the seeds.
 */
export const HOSTILE_GAPS: readonly HostileGap[] = [
  {
    id: 'withhold-propose-view-of-three',
    breaks: 'H1',
    why:
      'in a view of three a member that withholds its PROPOSE from one sender and copies it to the third member has ' +
      'that sender reported by both its others and evicted: with one forwarder a forwarded proposal cannot be checked, ' +
      'so nothing is forwarded (PROTOCOL.md §3.3 "Forwarded proposals", §7.2 "Can, still"; closed from a view of four)',
    scenario: {
      mode: 'total',
      size: 2,
      seed: 1948941236,
      steps: [
        { gap: 50, action: { k: 'lie' } },
        { gap: 152, action: { k: 'send', node: 0, count: 2 } },
        { gap: 75, action: { k: 'send', node: 1, count: 2 } },
      ],
      hostile: { kind: 'withhold', variant: 544 },
    },
  },
];

/** A lie that once broke a guarantee, pinned as a fixed scenario (test/sim-hostile.test.ts replays each). */
export interface HostileFixed {
  readonly id: string;
  readonly broke: Guarantee;
  readonly how: string;
  readonly scenario: Scenario;
}

export const HOSTILE_FIXED: readonly HostileFixed[] = [
  {
    id: 'clock-poison-through-a-joiner-in-a-flush',
    broke: 'L2',
    how:
      "a clock liar put a DATA past the old members' lamport ceiling into its FLUSH report: they refused the report, " +
      'a joiner without state (no ceiling) took, restated and relayed it, and the view change waited while the liar ' +
      'stayed (fresh hostile seed 1861832018 of sim-hostile-more); now no participant refuses a report for its clock ' +
      'and delivering what it carries moves a clock one MAX_LAMPORT_STEP at most (PROTOCOL.md §3.2)',
    scenario: {
      mode: 'total',
      size: 3,
      seed: 8,
      steps: [
        { gap: 50, action: { k: 'lie' } },
        { gap: 172, action: { k: 'join', send: 1 } },
        { gap: 153, action: { k: 'join', send: 0 } },
        { gap: 85, action: { k: 'send', node: 4, count: 1 } },
        { gap: 369, action: { k: 'send', node: 13, count: 3 } },
        { gap: 312, action: { k: 'send', node: 5, count: 3 } },
      ],
      hostile: { kind: 'clock', variant: 5 },
    },
  },
  {
    id: 'equivocated-final',
    broke: 'S4',
    how:
      'a hostile sender sent two members different FINAL priorities (and DATA versions) for its own message and each ' +
      'ordered it at its own place; now each member echoes the FINAL and version it applied and delivers only what ' +
      'every other member echoed alike (PROTOCOL.md §3.3 "Echo"): both wait, and the flush after the liar leaves ' +
      'orders the message once for all',
    scenario: {
      mode: 'total',
      size: 3,
      seed: 28,
      steps: [
        { gap: 50, action: { k: 'lie' } },
        { gap: 100, action: { k: 'send-all' } },
        { gap: 100, action: { k: 'send-all' } },
      ],
      hostile: { kind: 'equivocate', variant: 2 },
    },
  },
  {
    id: 'flush-split',
    broke: 'S4',
    how:
      "a member's FLUSH for the next view is its report for that view: a liar sent one honest member a made-up FLUSH " +
      'ahead of the view change (a near flood) and the other its real one, and the two resolved the flush ' +
      'differently; now each FLUSH-OK names the digest of the reports its sender holds and a member installs the ' +
      'view only when every participant named its own (PROTOCOL.md §3.4 "Same reports everywhere"): the two see ' +
      'the dispute, nobody installs that view, and the flush after the liar leaves resolves once for all',
    scenario: {
      mode: 'total',
      size: 2,
      seed: 2147483618,
      steps: [
        { gap: 50, action: { k: 'lie' } },
        { gap: 3, action: { k: 'join', send: 0 } },
        { gap: 8, action: { k: 'send-all' } },
      ],
      hostile: { kind: 'flood', variant: 1328 },
    },
  },
];
