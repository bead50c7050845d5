// What this member tells the tracker about members whose agreement input is overdue (PROTOCOL.md §2 Links,
// "Stalled"; §3.3 "Overdue"), or whose own FLUSH report or FLUSH-OK a flush waits on (§3.4 "Withheld from
// everyone"): `stalled` for each, again every half bound while it lasts (a channel that
// reopened sent `up`, which withdrew it), and `up` once it is over. Owns only who was reported and when;
// the engine says who is overdue (ordering/agreement-watch.ts).

import type { PeerId } from '../ids.ts';
import type { EngineResult, OrderingEngine } from '../ordering/engine.ts';
import type { SessionCommand } from './session-types.ts';

export class StallReports {
  /** Members reported stalled, and when last. */
  readonly #reported = new Map<PeerId, number>();

  /** `waitMs`: the bound, the tracker's link grace time (an honest member on a live link answers well within it). */
  constructor(readonly waitMs: number) {}

  /** The engine's copies due now (the caller applies them). */
  chase(engine: OrderingEngine, now: number): EngineResult | null {
    return engine.chaseAgreement?.(now, this.waitMs) ?? null;
  }

  /** The reports due now: new and renewed `stalled`, and `up` for members no longer overdue. */
  reports(engine: OrderingEngine, now: number): SessionCommand[] {
    const late = new Set([
      ...(engine.agreementOverdue?.(now, this.waitMs) ?? []),
      ...(engine.flushOverdue?.(now, this.waitMs) ?? []),
    ]);
    const out: SessionCommand[] = [];
    for (const peer of [...this.#reported.keys()]) {
      if (late.has(peer)) continue;
      this.#reported.delete(peer);
      out.push({ type: 'report-link', peer, state: 'up' });
    }
    for (const peer of late) {
      const at = this.#reported.get(peer);
      if (at !== undefined && now - at < this.waitMs / 2) continue;
      this.#reported.set(peer, now);
      out.push({ type: 'report-link', peer, state: 'stalled' });
    }
    return out;
  }
}
