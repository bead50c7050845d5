// The property the simulation tests assert, with fast-check doing the
// generation and the shrinking: every generated scenario keeps every
// guarantee. A failure names the guarantee, prints the shrunk scenario and
// the command that replays it with a full trace.

import fc from 'fast-check';
import type { Guarantee } from './checker.ts';
import type { EngineFactory } from './engine-factory.ts';
import type { SessionVariant } from './session-variant.ts';
import type { ScenarioBounds } from './scenario-arbitrary.ts';
import { scenarioArbitrary, scenarioForSeed } from './scenario-arbitrary.ts';
import type { Scenario } from './scenario.ts';
import type { SimResult } from './simulator.ts';
import { runScenario } from './simulator.ts';

/** Trace lines shown with a failure: enough to see the faults before it without flooding the log. */
const TRACE_TAIL_LINES = 60;

export class ScenarioFailure extends Error {
  constructor(readonly result: SimResult) {
    const v = result.violation;
    super(
      `${v?.rule ?? '?'}${v?.node === null || v === null ? '' : ` at ${v.node}`}: ${v?.message ?? ''}\n` +
        `replay: npm run sim -- --scenario '${JSON.stringify(result.scenario)}'`,
    );
  }
}

export interface ScenarioTotals {
  scenarios: number;
  steps: number;
  messages: number;
  deliveries: number;
  faults: number;
  /** Frames the engines sent. */
  frames: number;
  /** With `wire`: the data-channel messages that carried them. */
  wireTexts: number;
  /** Cumulative PROPOSE and FINAL frames, and the single ones they carried. */
  cumulative: number;
  cumulated: number;
  views: number;
  restarts: number;
  stored: number;
  /** Tolerated violations (known engine gaps) seen. */
  tolerated: number;
  /** Relayed links: what the relay layer's routes did, summed. */
  readonly relay: Record<string, number>;
  /** How many scenarios had each group size. */
  readonly bySize: Record<number, number>;
  /** How often each action ran. */
  readonly byAction: Record<string, number>;
  /** How many scenarios had 1, 2 or 3 groups. */
  readonly byGroups: Record<number, number>;
}

export interface CheckOptions extends ScenarioBounds {
  readonly factory: EngineFactory;
  readonly numRuns: number;
  /** fast-check seed: fixed so CI runs the same scenarios every time; printed by fast-check on failure. */
  readonly seed: number;
  /** Guarantees to record instead of fail (known engine gaps). */
  readonly tolerate?: readonly Guarantee[];
  /** A broken session; the correct one by default. */
  readonly session?: SessionVariant;
  /** Only scenarios this accepts are run (fast-check filters the generator). */
  readonly where?: (scenario: Scenario) => boolean;
  /** Links carry batched text through the shipped wire code (SimOptions.wire). */
  readonly wire?: boolean;
}

/**
 * Runs `numRuns` generated scenarios; throws fast-check's report (seed, shrunk
 * counterexample, replay command, trace tail) if any breaks a guarantee.
 */
export const checkScenarios = (opts: CheckOptions): ScenarioTotals => {
  const totals: ScenarioTotals = {
    scenarios: 0,
    steps: 0,
    messages: 0,
    deliveries: 0,
    faults: 0,
    frames: 0,
    wireTexts: 0,
    cumulative: 0,
    cumulated: 0,
    views: 0,
    restarts: 0,
    stored: 0,
    tolerated: 0,
    relay: {},
    bySize: {},
    byAction: {},
    byGroups: {},
  };
  let lastFailure: SimResult | null = null;
  const session = {
    ...(opts.session === undefined ? {} : { session: opts.session }),
    ...(opts.wire === true ? { wire: true } : {}),
  };
  const property = fc.property(
    opts.where === undefined ? scenarioArbitrary(opts) : scenarioArbitrary(opts).filter(opts.where),
    (scenario: Scenario) => {
      const r = runScenario(scenario, { factory: opts.factory, tolerate: opts.tolerate ?? [], ...session });
      totals.scenarios++;
      totals.restarts += r.stats.restarts;
      totals.stored += r.stats.stored;
      const groups = 1 + (scenario.groups?.length ?? 0);
      totals.byGroups[groups] = (totals.byGroups[groups] ?? 0) + 1;
      totals.tolerated += r.tolerated.length;
      for (const [k, v] of Object.entries(r.stats.relay)) totals.relay[k] = (totals.relay[k] ?? 0) + v;
      totals.steps += r.stats.steps;
      totals.messages += r.stats.messages;
      totals.deliveries += r.stats.deliveries;
      totals.faults += r.stats.faults;
      totals.frames += r.stats.frames;
      totals.wireTexts += r.stats.wireTexts;
      totals.cumulative += r.stats.cumulative;
      totals.cumulated += r.stats.cumulated;
      totals.views += r.stats.views;
      totals.bySize[scenario.size] = (totals.bySize[scenario.size] ?? 0) + 1;
      for (const st of scenario.steps) totals.byAction[st.action.k] = (totals.byAction[st.action.k] ?? 0) + 1;
      if (r.violation !== null) {
        lastFailure = r;
        throw new ScenarioFailure(r);
      }
    },
  );
  try {
    fc.assert(property, { numRuns: opts.numRuns, seed: opts.seed });
  } catch (e) {
    const shrunk = lastFailure as SimResult | null;
    if (shrunk === null) throw e;
    const replay = runScenario(shrunk.scenario, {
      factory: opts.factory,
      tolerate: opts.tolerate ?? [],
      trace: true,
      ...session,
    });
    const tail = replay.trace.slice(-TRACE_TAIL_LINES).join('\n');
    throw new Error(`${(e as Error).message}\n\nlast ${TRACE_TAIL_LINES} trace lines of the shrunk scenario:\n${tail}`);
  }
  return totals;
};

/**
 * Searches numbered seeds (the same numbering as `npm run sim -- --seeds`)
 * for the first one where `factory` breaks a guarantee while `reference`
 * keeps them all on the same scenario, so the violation is the variant's
 * own doing; null if none within `maxSeeds`.
 */
export const firstViolation = (
  factory: EngineFactory,
  reference: EngineFactory,
  bounds: ScenarioBounds,
  maxSeeds: number,
  session?: SessionVariant,
  tolerate: readonly Guarantee[] = [],
  /**
   * The scenario of a seed (default: scenarioForSeed with `bounds`; a hostile variant passes hostileScenarioForSeed).
   */
  scenarioOf: (seed: number) => Scenario = (seed) => scenarioForSeed(seed, bounds),
): { readonly seed: number; readonly result: SimResult; readonly skipped: number } | null => {
  let skipped = 0;
  for (let seed = 0; seed < maxSeeds; seed++) {
    const scenario = scenarioOf(seed);
    const r = runScenario(scenario, { factory, tolerate, ...(session === undefined ? {} : { session }) });
    if (r.violation === null) continue;
    if (runScenario(scenario, { factory: reference, tolerate }).violation === null) return { seed, result: r, skipped };
    skipped++;
  }
  return null;
};
