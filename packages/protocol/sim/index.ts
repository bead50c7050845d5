// The deterministic simulator and checker (docs/design.md §4, §8). Used by the
// protocol tests and by `npm run sim`; nothing in src/ imports it.

export { Checker, ViolationError } from './checker.ts';
export type { EngineCounters, Guarantee, Violation } from './checker.ts';
export { readCounters } from './engine-factory.ts';
export type { EngineFactory, EngineOptions } from './engine-factory.ts';
export { fakeSign, fakeVerify } from './fake-signature.ts';
export { Prng } from './prng.ts';
export type { Action, Scenario, Step } from './scenario.ts';
export { scenarioArbitrary, scenarioForSeed, MAX_GROUP_SIZE } from './scenario-arbitrary.ts';
export type { ScenarioBounds } from './scenario-arbitrary.ts';
export { runScenario, Simulation } from './simulator.ts';
export type { SimOptions, SimResult, SimStats } from './simulator.ts';
export { runSeeds } from './run-seeds.ts';
export type { SeedsSummary } from './run-seeds.ts';
export { checkScenarios, firstViolation, ScenarioFailure } from './property.ts';
export type { CheckOptions, ScenarioTotals } from './property.ts';
export { correctEngine } from './default-engine.ts';
export { BROKEN_VARIANTS } from './broken/index.ts';
export type { BrokenVariant } from './broken/index.ts';
export { BROKEN_SESSIONS } from './broken/session-variants.ts';
export type { BrokenSession } from './broken/session-variants.ts';
export { CORRECT_SESSION } from './session-variant.ts';
export type { HistoryRecord, SessionVariant } from './session-variant.ts';
export { StoreModel, resumeFromStore } from './store-model.ts';
export type { StoredRecord } from './store-model.ts';
export { KNOWN_GAPS, toleratedByKnownGaps, weightsWithoutKnownGaps } from './known-gaps.ts';
export type { KnownGap } from './known-gaps.ts';
export { DEFAULT_WEIGHTS, LONG_HISTORY_BOUNDS } from './scenario-arbitrary.ts';
export type { ActionWeights } from './scenario-arbitrary.ts';
export { EQUIVOCATIONS, Liar, LIAR_ID, SPONSOR_LIES } from './hostile.ts';
export { HOSTILE_KINDS, HOSTILE_TOLERATED, hostileScenarioForSeed, hostileArbitrary } from './hostile-scenario.ts';
export { HOSTILE_FIXED, HOSTILE_GAPS, runHostileSeeds } from './hostile-suite.ts';
export type { HostileFixed, HostileGap } from './hostile-suite.ts';
export type { Hostile, HostileKind } from './scenario.ts';
