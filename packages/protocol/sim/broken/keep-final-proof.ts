// Broken on purpose: a member that holds two signed FINALs of one sender for one
// message marks the message disputed but keeps the proof to itself (the echo
// without signed FINALs: nobody can prove anything). A sender that tells two
// members two FINALs then stalls the total order until it leaves on its own;
// with the shipped engine the proof goes to the tracker, which evicts it, and
// the view change orders the message. test/sim-final-proof.test.ts shows both.

import type { MessageId } from '../../src/ids.ts';
import { createEngine } from '../../src/ordering/create-engine.ts';
import type { FinalProof } from '../../src/ordering/final-proof.ts';
import { GroupEngine } from '../../src/ordering/group-engine.ts';
import type { OutputBuilder } from '../../src/ordering/rejection.ts';
import type { EngineFactory } from '../engine-factory.ts';

export class SilentProofEngine extends GroupEngine {
  protected override proved(id: MessageId, _proof: FinalProof, _out: OutputBuilder): void {
    this.disputed.add(id);
  }
}

export const keepFinalProof: EngineFactory = (options) => createEngine(options, SilentProofEngine);
