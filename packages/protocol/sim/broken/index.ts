// Deliberately broken engines, built from the production engine's hooks.
// Tests prove the checker catches each within a bounded number of seeds;
// nothing outside tests and `npm run sim -- --broken NAME` uses them.

import type { Ordering } from '../../src/ids.ts';
import type { Guarantee } from '../checker.ts';
import type { EngineFactory } from '../engine-factory.ts';
import { dropDeadSenderPending } from './drop-dead-sender-pending.ts';
import { finalizeOnTimeout } from './finalize-on-timeout.ts';
import { noFifoUnderIsis } from './no-fifo-under-isis.ts';
import { tieBreakSmallest } from './tie-break-smallest.ts';

export interface BrokenVariant {
  readonly factory: EngineFactory;
  /** The mode whose guarantees the breakage touches. */
  readonly mode: Ordering;
  /** The guarantees the checker may report first for this breakage. */
  readonly breaks: readonly Guarantee[];
}

export const BROKEN_VARIANTS: Readonly<Record<string, BrokenVariant>> = {
  'tie-break-smallest': { factory: tieBreakSmallest, mode: 'total', breaks: ['S4'] },
  'no-fifo-under-isis': { factory: noFifoUnderIsis, mode: 'total', breaks: ['S3'] },
  'finalize-on-timeout': { factory: finalizeOnTimeout, mode: 'total', breaks: ['S4'] },
  'drop-dead-sender-pending': { factory: dropDeadSenderPending, mode: 'total', breaks: ['S5'] },
};
