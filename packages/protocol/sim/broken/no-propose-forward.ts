// Broken on purpose: a member that waits on a FINAL with every other member's copy of its PROPOSE in hand
// keeps the copies to itself (the engine before forwarded proposals, PROTOCOL.md §3.3). A member that
// withholds its PROPOSE from one sender only (the `withhold` hostile kind) then has that sender reported
// `stalled` by everyone else and evicted (H1); with the shipped engine the sender finalizes on the
// forwarded copies and nobody is reported.

import type { MessageId } from '../../src/ids.ts';
import { createEngine } from '../../src/ordering/create-engine.ts';
import { GroupEngine } from '../../src/ordering/group-engine.ts';
import type { QueueEntry } from '../../src/ordering/isis-queue.ts';
import type { OutputBuilder } from '../../src/ordering/rejection.ts';
import type { EngineFactory } from '../engine-factory.ts';

export class NoForwardEngine extends GroupEngine {
  protected override forwardIfDue(_id: MessageId, _entry: QueueEntry, _out: OutputBuilder): void {}
}

export const noProposeForward: EngineFactory = (options) => createEngine(options, NoForwardEngine);
