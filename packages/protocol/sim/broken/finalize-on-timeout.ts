// Broken on purpose: a sender finalizes with the proposals it has once its
// message is this old, instead of waiting for every member (docs/design.md §4:
// never finalize on a local timeout). A late, larger proposal then orders
// the message differently at its proposer.

import type { MessageId } from '../../src/ids.ts';
import { createEngine } from '../../src/ordering/create-engine.ts';
import type { EngineClass } from '../../src/ordering/create-engine.ts';
import type { EngineResult } from '../../src/ordering/engine.ts';
import { isRejection } from '../../src/ordering/engine.ts';
import { GroupEngine } from '../../src/ordering/group-engine.ts';
import { OutputBuilder } from '../../src/ordering/rejection.ts';
import type { EngineFactory } from '../engine-factory.ts';

/** Shorter than the slow-link delay of the simulated network, so late proposals happen. */
export const BROKEN_FINALIZE_AFTER_MS = 30;

/** An engine whose `tick` finalizes each own message older than `ms` with the proposals it has. */
export const finalizingAfter = (ms: number): EngineClass =>
  class FinalizeOnTimeoutEngine extends GroupEngine {
    override tick(now: number): EngineResult {
      const out = new OutputBuilder();
      if (this.flush?.sent !== true) {
        const old: MessageId[] = [];
        for (const [id, m] of this.own) if (now - m.sentAt >= ms) old.push(id);
        for (const id of old) this.finalize(id, out);
        this.deliverReady(out);
      }
      const rest = super.tick(now);
      if (isRejection(rest)) return rest;
      return {
        frames: [...out.frames, ...rest.frames],
        deliveries: [...out.deliveries, ...rest.deliveries],
        events: [...out.events, ...rest.events],
      };
    }
  };

export const finalizeOnTimeout: EngineFactory = (options) =>
  createEngine(options, finalizingAfter(BROKEN_FINALIZE_AFTER_MS));
