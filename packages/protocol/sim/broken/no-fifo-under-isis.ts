// Broken on purpose: ISIS proposes as soon as DATA arrives, without waiting
// for the sender's previous message, so a sender's later message can be
// agreed (and delivered) before its earlier one.

import type { DataFrame } from '../../src/wire/frames.ts';
import { createEngine } from '../../src/ordering/create-engine.ts';
import type { SenderState } from '../../src/ordering/engine-state.ts';
import { GroupEngine } from '../../src/ordering/group-engine.ts';
import type { OutputBuilder } from '../../src/ordering/rejection.ts';
import type { EngineFactory } from '../engine-factory.ts';

/** Total order without the FIFO gate below ISIS (FIFO mode keeps the correct gate). */
export class NoFifoGateEngine extends GroupEngine {
  protected override passFifoGate(s: SenderState, f: DataFrame, out: OutputBuilder, now: number): void {
    if (this.mode !== 'total') return super.passFifoGate(s, f, out, now);
    s.next = Math.max(s.next, f.seq + 1);
    this.admit(f, out, now);
  }
}

export const noFifoUnderIsis: EngineFactory = (options) => createEngine(options, NoFifoGateEngine);
