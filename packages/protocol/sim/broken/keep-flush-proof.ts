// Broken on purpose: a member whose FLUSH-OK disagrees with another's, and that holds a report the
// other says a participant signed otherwise, keeps the proof to itself (unsigned reports: nobody can
// prove anything). A participant that sends two members two reports for one view then stalls every
// view change while it stays; with the shipped engine the proof goes to the tracker, which evicts
// it, and the next view change completes without it. test/sim-flush-proof.test.ts shows both.

import { createEngine } from '../../src/ordering/create-engine.ts';
import type { FlushProof } from '../../src/ordering/flush-proof.ts';
import { GroupEngine } from '../../src/ordering/group-engine.ts';
import type { OutputBuilder } from '../../src/ordering/rejection.ts';
import type { EngineFactory } from '../engine-factory.ts';

export class SilentFlushProofEngine extends GroupEngine {
  protected override provedFlush(_proof: FlushProof, _out: OutputBuilder): void {}
}

export const keepFlushProof: EngineFactory = (options) => createEngine(options, SilentFlushProofEngine);
