// Broken on purpose: at a view change, some survivors drop a dead sender's
// unfinalized message while the others deliver it (breaks view synchrony).
// Which survivors drop is a pure function of their peer id, so a run is
// reproducible: the ones whose id starts with a hex digit below 8.

import { messageId } from '../../src/ids.ts';
import type { MessageId, PeerId } from '../../src/ids.ts';
import { createEngine } from '../../src/ordering/create-engine.ts';
import type { EngineClass } from '../../src/ordering/create-engine.ts';
import type { ResolvedMessage } from '../../src/ordering/flush-resolution.ts';
import { GroupEngine } from '../../src/ordering/group-engine.ts';
import type { OutputBuilder } from '../../src/ordering/rejection.ts';
import type { FlushState } from '../../src/ordering/view-change.ts';
import type { FlushFrame } from '../../src/wire/frames.ts';
import type { EngineFactory } from '../engine-factory.ts';

const dropsHere = (self: PeerId): boolean => (self[0] ?? 'f') < '8';

/**
 * An engine that, where `drops(self)` holds, leaves a dead sender's unfinalized messages out of its
 * FLUSH report and, when the flush resolves, drops them instead of delivering them.
 */
export const droppingDeadSenderPending = (drops: (self: PeerId) => boolean): EngineClass =>
  class DropDeadSenderPendingEngine extends GroupEngine {
    readonly #dropped = new WeakMap<FlushState, ReadonlySet<MessageId>>();

    protected override buildFlush(fl: FlushState): FlushFrame {
      const frame = super.buildFlush(fl);
      if (!this.adopted || !drops(this.self)) return frame;
      const alive = new Set(fl.target.members.map((m) => m.peerId));
      const dropped = new Set<MessageId>();
      for (const [id, e] of this.queue) if (!e.final && !alive.has(e.frame.sender)) dropped.add(id);
      this.#dropped.set(fl, dropped);
      const kept = (sender: PeerId, seq: number): boolean => !dropped.has(messageId(this.groupId, sender, seq));
      return {
        ...frame,
        unstable: frame.unstable.filter((d) => kept(d.sender, d.seq)),
        pending: frame.pending.filter((p) => kept(p.sender, p.seq)),
      };
    }

    protected override deliverResolved(fl: FlushState, m: ResolvedMessage, out: OutputBuilder): void {
      if (this.#dropped.get(fl)?.has(m.id) === true)
        out.events.push({ type: 'message-dropped', id: m.id, reason: 'dropped at view change (broken variant)' });
      else super.deliverResolved(fl, m, out);
    }
  };

export const dropDeadSenderPending: EngineFactory = (options) =>
  createEngine(options, droppingDeadSenderPending(dropsHere));
