// Broken on purpose: ISIS proposes as soon as DATA arrives, without waiting
// for the sender's previous message, so a sender's later message can be
// agreed (and delivered) before its earlier one.

import { createEngine } from '../../src/ordering/create-engine.ts';
import type { EngineFactory } from '../engine-factory.ts';

export const noFifoUnderIsis: EngineFactory = (options) =>
  createEngine({ ...options, hooks: { fifoGateUnderIsis: false } });
