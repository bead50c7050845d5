// The receive-side rate limit on ephemeral markers (PROTOCOL.md §9): per
// peer and per kind, one marker per SIGNAL_MIN_INTERVAL_MS is let through;
// the rest are dropped and counted. One gate per group session, so the
// limit is also per group. Pure: the caller passes the clock.

import type { PeerId } from '../ids.ts';
import type { SignalFrame } from './frames.ts';

/**
 * A sender's composer sends a typing marker at most every 3 s and a read
 * marker when the newest visible message changes; one per second per kind is
 * more than an honest peer needs and bounds what a flooding one costs.
 */
export const SIGNAL_MIN_INTERVAL_MS = 1000;

/**
 * The receiver's gate is twice as lenient as the sender's: two markers the
 * sender spaced by SIGNAL_MIN_INTERVAL_MS can arrive closer together (the first
 * one delayed on the link), and an honest peer's marker must not be dropped
 * for that. A flood still gets at most two markers per second per kind through.
 */
export const SIGNAL_RECEIVE_INTERVAL_MS = SIGNAL_MIN_INTERVAL_MS / 2;

export class SignalGate {
  readonly #last = new Map<string, number>();
  #dropped = 0;

  constructor(readonly minIntervalMs = SIGNAL_MIN_INTERVAL_MS) {}

  /** Whether to act on this marker now; false means dropped (and counted). */
  admit(from: PeerId, frame: SignalFrame, now: number): boolean {
    const key = `${frame.kind} ${from}`;
    const last = this.#last.get(key);
    if (last !== undefined && now - last < this.minIntervalMs && now >= last) {
      this.#dropped += 1;
      return false;
    }
    this.#last.set(key, now);
    return true;
  }

  /** A peer left the group: forget its timestamps. */
  forget(from: PeerId): void {
    for (const kind of ['typing', 'read']) this.#last.delete(`${kind} ${from}`);
  }

  /** Markers dropped so far for coming too fast. */
  get dropped(): number {
    return this.#dropped;
  }
}
