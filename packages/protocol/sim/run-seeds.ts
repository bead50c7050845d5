// Runs a range of numbered seeds and tallies what they covered. Shared by the
// CLI (`--seeds N --from K`) and the tests, so both mean the same by "seed N".

import type { Guarantee, Violation } from './checker.ts';
import type { EngineFactory } from './engine-factory.ts';
import type { SessionVariant } from './session-variant.ts';
import type { Scenario } from './scenario.ts';
import type { ScenarioBounds } from './scenario-arbitrary.ts';
import { scenarioForSeed } from './scenario-arbitrary.ts';
import { runScenario } from './simulator.ts';

export interface SeedsSummary {
  readonly from: number;
  scenarios: number;
  steps: number;
  messages: number;
  deliveries: number;
  frames: number;
  faults: number;
  views: number;
  restarts: number;
  reissued: number;
  stored: number;
  backfills: number;
  backfilled: number;
  deliveredDuringBackfill: number;
  bySize: Record<number, number>;
  byMode: Record<string, number>;
  /** How many groups each node's store held sessions of. */
  byGroups: Record<number, number>;
  /** Failing seeds, the first MAX_LISTED_FAILURES of them. */
  readonly failures: { readonly seed: number; readonly scenario: Scenario; readonly violation: Violation }[];
  /** How many seeds failed, by the guarantee that broke first. */
  readonly failedBy: Record<string, number>;
  /** Violations of tolerated guarantees, by guarantee. */
  readonly toleratedBy: Record<string, number>;
  /** Hostile runs: the most bytes one peer had waiting in an honest engine, over all seeds. */
  maxBufferedBytes: number;
  maxHeldBytes: number;
  /** Hostile runs: the liar's frames honest nodes refused (parser, signatures, engine), over all seeds. */
  liarRefused: number;
  /** Hostile runs: seeds per kind of liar. */
  readonly byKind: Record<string, number>;
}

/** Enough failing seeds to pick a short one to replay, without flooding the terminal. */
export const MAX_LISTED_FAILURES = 20;

export const runSeeds = (
  factory: EngineFactory,
  from: number,
  count: number,
  bounds: ScenarioBounds = {},
  tolerate: readonly Guarantee[] = [],
  session?: SessionVariant,
  /** The scenario of a seed (default: scenarioForSeed with `bounds`; hostile runs pass hostileScenarioForSeed). */
  scenarioOf: (seed: number) => Scenario = (seed) => scenarioForSeed(seed, bounds),
): SeedsSummary => {
  const s: SeedsSummary = {
    from,
    scenarios: 0,
    steps: 0,
    messages: 0,
    deliveries: 0,
    frames: 0,
    faults: 0,
    views: 0,
    restarts: 0,
    reissued: 0,
    stored: 0,
    backfills: 0,
    backfilled: 0,
    deliveredDuringBackfill: 0,
    bySize: {},
    byMode: {},
    byGroups: {},
    failures: [],
    failedBy: {},
    toleratedBy: {},
    maxBufferedBytes: 0,
    maxHeldBytes: 0,
    liarRefused: 0,
    byKind: {},
  };
  for (let seed = from; seed < from + count; seed++) {
    const scenario = scenarioOf(seed);
    const r = runScenario(scenario, { factory, tolerate, ...(session === undefined ? {} : { session }) });
    s.scenarios++;
    s.steps += r.stats.steps;
    s.messages += r.stats.messages;
    s.deliveries += r.stats.deliveries;
    s.frames += r.stats.frames;
    s.faults += r.stats.faults;
    s.views += r.stats.views;
    s.restarts += r.stats.restarts;
    s.reissued += r.stats.reissued;
    s.stored += r.stats.stored;
    s.backfills += r.stats.backfills;
    s.backfilled += r.stats.backfilled;
    s.deliveredDuringBackfill += r.stats.deliveredDuringBackfill;
    s.maxBufferedBytes = Math.max(s.maxBufferedBytes, r.stats.maxBufferedBytes);
    s.maxHeldBytes = Math.max(s.maxHeldBytes, r.stats.maxHeldBytes);
    s.liarRefused += r.stats.liarRefused;
    if (scenario.hostile !== undefined) s.byKind[scenario.hostile.kind] = (s.byKind[scenario.hostile.kind] ?? 0) + 1;
    s.bySize[scenario.size] = (s.bySize[scenario.size] ?? 0) + 1;
    const groups = 1 + (scenario.groups?.length ?? 0);
    s.byMode[scenario.mode] = (s.byMode[scenario.mode] ?? 0) + 1;
    s.byGroups[groups] = (s.byGroups[groups] ?? 0) + 1;
    // Seeds per tolerated guarantee (one count per seed and guarantee).
    for (const rule of new Set(r.tolerated.map((t) => t.rule))) s.toleratedBy[rule] = (s.toleratedBy[rule] ?? 0) + 1;
    if (r.violation !== null) {
      s.failedBy[r.violation.rule] = (s.failedBy[r.violation.rule] ?? 0) + 1;
      if (s.failures.length < MAX_LISTED_FAILURES) s.failures.push({ seed, scenario, violation: r.violation });
    }
  }
  return s;
};
