// Broken on purpose: a sender finalizes with the proposals it has once its
// message is this old, instead of waiting for every member (docs/design.md §4:
// never finalize on a local timeout). A late, larger proposal then orders
// the message differently at its proposer.

import { createEngine } from '../../src/ordering/create-engine.ts';
import type { EngineFactory } from '../engine-factory.ts';

/** Shorter than the slow-link delay of the simulated network, so late proposals happen. */
export const BROKEN_FINALIZE_AFTER_MS = 30;

export const finalizeOnTimeout: EngineFactory = (options) =>
  createEngine({ ...options, hooks: { finalizeOnTimeoutMs: BROKEN_FINALIZE_AFTER_MS } });
