// Deliberately broken engines: GroupEngine subclasses (or, for the tie-break, a priority order) built here.
// Tests prove the checker catches each within a bounded number of seeds;
// nothing outside tests and `npm run sim -- --broken NAME` uses them.

import type { Ordering } from '../../src/ids.ts';
import type { Guarantee } from '../checker.ts';
import type { EngineFactory } from '../engine-factory.ts';
import type { ActionWeights, ScenarioBounds } from '../scenario-arbitrary.ts';
import { DEFAULT_WEIGHTS } from '../scenario-arbitrary.ts';
import type { HostileKind, Scenario } from '../scenario.ts';
import { deliverWithoutEcho } from './deliver-without-echo.ts';
import { dropDeadSenderPending } from './drop-dead-sender-pending.ts';
import { finalizeOnTimeout } from './finalize-on-timeout.ts';
import { noFifoUnderIsis } from './no-fifo-under-isis.ts';
import { noProposeForward } from './no-propose-forward.ts';
import { noReissue, reissueScenario } from './no-reissue.ts';
import { tieBreakSmallest } from './tie-break-smallest.ts';

export interface BrokenVariant {
  readonly factory: EngineFactory;
  /** The mode whose guarantees the breakage touches. */
  readonly mode: Ordering;
  /** The guarantees the checker may report first for this breakage. */
  readonly breaks: readonly Guarantee[];
  /** The scenarios that exercise it. */
  readonly bounds: ScenarioBounds;
  /** Only a hostile member shows it: searched among the hostile seeds of these kinds (`--hostile`). */
  readonly hostile?: readonly HostileKind[];
  /**
   * A fault shape the default mix finds too rarely to search (seed N: that shape with the simulator's
   * randomness seeded by N), instead of the scenarios of `bounds`.
   */
  readonly scenarioOf?: (seed: number) => Scenario;
}

const NONE: ActionWeights = Object.fromEntries(
  Object.keys(DEFAULT_WEIGHTS).map((k) => [k, 0]),
) as unknown as ActionWeights;

/**
 * Data channels are FIFO, so a sender's messages reach a member out of order
 * only when a link drops and the gap is resent after newer ones: the variant
 * without the FIFO gate needs link flaps between sends to show.
 */
const LINK_FLAPS: ActionWeights = { ...NONE, send: 6, 'send-all': 2, 'link-fail': 4 };

export const BROKEN_VARIANTS: Readonly<Record<string, BrokenVariant>> = {
  'tie-break-smallest': { factory: tieBreakSmallest, mode: 'total', breaks: ['S4'], bounds: { modes: ['total'] } },
  'no-fifo-under-isis': {
    factory: noFifoUnderIsis,
    mode: 'total',
    breaks: ['S3'],
    bounds: { modes: ['total'], weights: LINK_FLAPS },
  },
  // Its own two messages finalized out of order by the timeout are a total-order inversion that the
  // per-sender check (S3) may see first, at the flush that delivers them. A FINAL below a member's own
  // proposal is not applied there (PROTOCOL.md §3.3 Echo): the message then never comes (L1).
  'finalize-on-timeout': {
    factory: finalizeOnTimeout,
    mode: 'total',
    breaks: ['S4', 'S3', 'L1'],
    bounds: { modes: ['total'] },
  },
  // A survivor that drops a message the others deliver is one position behind them from
  // there on: the canonical-log check (S4) usually sees it before the next view (S5).
  'drop-dead-sender-pending': {
    factory: dropDeadSenderPending,
    mode: 'total',
    breaks: ['S4', 'S5'],
    bounds: { modes: ['total'] },
  },
  // A sender that tells members different FINALs splits the order of a member that does not wait for the echoes.
  'deliver-without-echo': {
    factory: deliverWithoutEcho,
    mode: 'total',
    breaks: ['S4'],
    bounds: { modes: ['total'] },
    hostile: ['equivocate'],
  },
  // A member withholds its PROPOSE from one sender only: without forwarded copies, everyone else reports that sender.
  'no-reissue': {
    factory: noReissue,
    mode: 'fifo',
    breaks: ['S3'],
    bounds: { modes: ['fifo'] },
    scenarioOf: reissueScenario,
  },
  'no-propose-forward': {
    factory: noProposeForward,
    mode: 'total',
    breaks: ['H1'],
    bounds: { modes: ['total'] },
    hostile: ['withhold'],
  },
};
