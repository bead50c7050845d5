// `npm run sim -- --seed N`          replay one seed with a step-by-step trace
// `npm run sim -- --seeds N [--from K] [--mode fifo|total] [--broken NAME] [--uniform] [--long | --forgets]`
//                                    run N seeds from K, print what they covered and every failing seed;
//                                    --long: long-history scenarios (floods of thousands of messages);
//                                    --forgets: the mix with forgetting tracker restarts (any number per scenario)
// Total order is non-uniform (PROTOCOL.md §3.5 "Limits"): a member that
// crashed may have delivered a message at a place the survivors could not
// learn. That case (S4U) is counted and printed, not fatal; `--uniform`
// makes it fatal, to measure how often it happens or to test a uniform engine.
// `npm run sim -- --seeds N --hostile [--kind K]` the same with one hostile member (sim/hostile.ts, PROTOCOL.md §7);
//                                    `--seed N --hostile` replays one. S2E (FIFO, or total order through a flush),
//                                    SPONSOR and H4 (documented limits) are counted; --strict makes S2E fatal.
// `npm run sim -- --scenario '<json>'` replay a scenario printed by a failing test
// Exit code 1 when a guarantee broke.

import { BROKEN_VARIANTS } from './broken/index.ts';
import { BROKEN_SESSIONS } from './broken/session-variants.ts';
import type { SessionVariant } from './session-variant.ts';
import { correctEngine } from './default-engine.ts';
import { forgettingBounds, toleratedByKnownGaps } from './known-gaps.ts';
import type { EngineFactory } from './engine-factory.ts';
import { runSeeds } from './run-seeds.ts';
import type { Scenario } from './scenario.ts';
import type { ScenarioBounds } from './scenario-arbitrary.ts';
import { LONG_HISTORY_BOUNDS, scenarioForSeed } from './scenario-arbitrary.ts';
import { runScenario } from './simulator.ts';
import { APART_KINDS, HOSTILE_KINDS, HOSTILE_TOLERATED, hostileScenarioForSeed } from './hostile-scenario.ts';
import type { HostileKind } from './scenario.ts';

const USAGE = `usage: npm run sim -- (--seed N | --seeds N [--from K] | --scenario JSON) [--mode fifo|total] [--broken ${[...Object.keys(BROKEN_VARIANTS), ...Object.keys(BROKEN_SESSIONS)].join('|')}] [--uniform] [--long | --forgets] [--hostile [--kind ${[...HOSTILE_KINDS, ...APART_KINDS].join('|')}] [--strict]]`;

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const int = (name: string): number | undefined => {
  const v = flag(name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) {
    console.error(`--${name} needs a non-negative integer, got ${v}\n${USAGE}`);
    process.exit(2);
  }
  return n;
};

const brokenName = flag('broken');
let factory: EngineFactory = correctEngine;
let variantBounds: ScenarioBounds = {};
let session: SessionVariant | undefined;
const brokenSession = brokenName === undefined ? undefined : BROKEN_SESSIONS[brokenName];
if (brokenSession !== undefined) {
  session = brokenSession.variant;
  variantBounds = brokenSession.bounds;
} else if (brokenName !== undefined) {
  const variant = BROKEN_VARIANTS[brokenName];
  if (variant === undefined) {
    console.error(`unknown broken variant ${brokenName}\n${USAGE}`);
    process.exit(2);
  }
  factory = variant.factory;
  // A variant is searched with the scenario mix that exercises it (as its test does).
  variantBounds = variant.bounds;
}
const mode = flag('mode');
if (mode !== undefined && mode !== 'fifo' && mode !== 'total') {
  console.error(`--mode is fifo or total\n${USAGE}`);
  process.exit(2);
}
if (args.includes('--long')) variantBounds = { ...variantBounds, ...LONG_HISTORY_BOUNDS };
if (args.includes('--forgets')) variantBounds = { ...variantBounds, ...forgettingBounds() };
const bounds: ScenarioBounds = mode === undefined ? variantBounds : { ...variantBounds, modes: [mode] };
const withSession = session === undefined ? {} : { session };
const hostile = args.includes('--hostile');
const kind = flag('kind');
if (kind !== undefined && ![...HOSTILE_KINDS, ...APART_KINDS].includes(kind as HostileKind)) {
  console.error(`--kind is one of ${[...HOSTILE_KINDS, ...APART_KINDS].join(', ')}\n${USAGE}`);
  process.exit(2);
}
const kinds = kind === undefined ? undefined : [kind as HostileKind];
const scenarioOf = (n: number): Scenario => (hostile ? hostileScenarioForSeed(n, kinds) : scenarioForSeed(n, bounds));
// Hostile runs count what no design here prevents (PROTOCOL.md §7): an equivocation shown apart, a misled joiner.
// --strict makes an equivocation shown apart (S2E) fatal as well, to measure how often it happens.
const tolerated = [
  ...(args.includes('--uniform') ? [] : toleratedByKnownGaps()),
  ...(hostile ? HOSTILE_TOLERATED.filter((g) => g !== 'S2E' || !args.includes('--strict')) : []),
];

const replay = (scenario: Scenario, label: string): never => {
  const r = runScenario(scenario, { factory, trace: true, tolerate: tolerated, ...withSession });
  console.log(`${label}: ${JSON.stringify(scenario)}\n`);
  for (const line of r.trace) console.log(line);
  const st = r.stats;
  console.log(
    `\n${st.steps} steps, ${st.messages} messages, ${st.deliveries} deliveries, ${st.frames} frames, ${st.faults} faults, ${st.views} views, ${st.rejections} rejected inputs, ${st.virtualMs} virtual ms`,
  );
  for (const t of r.tolerated) console.log(`counted (${t.rule}, a documented limit, not fatal): ${t.message}`);
  if (r.violation !== null) {
    console.log(
      `VIOLATION ${r.violation.rule}${r.violation.node === null ? '' : ` at ${r.violation.node}`}: ${r.violation.message}`,
    );
    process.exit(1);
  }
  console.log('all guarantees held');
  process.exit(0);
};

const seed = int('seed');
const scenarioJson = flag('scenario');
const seeds = int('seeds');
if (seed !== undefined) replay(scenarioOf(seed), `seed ${seed}${hostile ? ' (hostile)' : ''}`);
else if (scenarioJson !== undefined) replay(JSON.parse(scenarioJson) as Scenario, 'scenario');
else if (seeds !== undefined) {
  const from = int('from') ?? 0;
  const started = performance.now();
  const s = runSeeds(factory, from, seeds, bounds, tolerated, session, scenarioOf);
  const secs = (performance.now() - started) / 1000;
  console.log(
    `seeds ${from}..${from + s.scenarios - 1}: ${s.scenarios} scenarios, ${s.steps} steps, ${s.messages} messages, ${s.deliveries} deliveries, ${s.frames} frames, ${s.faults} faults, ${s.views} views in ${secs.toFixed(1)} s (${((secs / s.scenarios) * 10_000).toFixed(1)} s per 10k seeds)`,
  );
  console.log(
    `by group size: ${JSON.stringify(s.bySize)}  by mode: ${JSON.stringify(s.byMode)}  by groups per node: ${JSON.stringify(s.byGroups)}  restarts from a store: ${s.restarts}  re-issued: ${s.reissued}  records stored: ${s.stored}  backfills: ${s.backfills} (${s.backfilled} checked whole, ${s.deliveredDuringBackfill} live deliveries meanwhile)`,
  );
  if (hostile)
    console.log(
      `hostile kinds: ${JSON.stringify(s.byKind)}  liar frames refused by honest nodes: ${s.liarRefused}  most bytes one peer had waiting in an honest engine: ${s.maxBufferedBytes}, behind a gap: ${s.maxHeldBytes}`,
    );
  if (Object.keys(s.toleratedBy).length > 0)
    console.log(
      `counted, not fatal (documented limits: S4U without --uniform; hostile: S2E without --strict, SPONSOR, H4, PROTOCOL.md §7.5, §7.6): ${JSON.stringify(s.toleratedBy)} seeds`,
    );
  const failed = Object.values(s.failedBy).reduce((a, b) => a + b, 0);
  if (failed > 0) {
    console.log(`FAILED: ${failed} of ${s.scenarios} seeds, by first broken guarantee ${JSON.stringify(s.failedBy)}`);
    const flags = `${hostile ? ` --hostile${kind === undefined ? '' : ` --kind ${kind}`}` : ''}${mode === undefined ? '' : ` --mode ${mode}`}${brokenName === undefined ? '' : ` --broken ${brokenName}`}${args.includes('--long') ? ' --long' : ''}${args.includes('--forgets') ? ' --forgets' : ''}`;
    for (const f of s.failures) {
      const v = f.violation;
      console.log(
        `  seed ${f.seed} (${f.scenario.mode}, ${f.scenario.size} members, ${f.scenario.steps.length} actions): ${v.rule}${v.node === null ? '' : ` at ${v.node}`}: ${v.message.slice(0, 160)}`,
      );
    }
    console.log(`replay one: npm run sim -- --seed ${s.failures[0]?.seed ?? 0}${flags}`);
    process.exit(1);
  }
  console.log('all guarantees held on every seed');
} else {
  console.error(USAGE);
  process.exit(2);
}
