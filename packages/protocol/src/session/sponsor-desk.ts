// The sponsor's half of history sync, as bookkeeping: which hand-over state
// a joiner gets, which joiner's paging is under way with which state, and
// which requests wait until this member can answer. Holds no messages (the
// store does) and sends nothing (SessionCore turns answers into commands).

import type { PeerId } from '../ids.ts';
import type { HistoryRequestFrame, JoinerState } from '../wire/frames.ts';

/** A request this member can answer now, from `state`. */
export interface HistoryAnswer {
  readonly to: PeerId;
  readonly state: JoinerState;
  readonly req: HistoryRequestFrame;
}

export class SponsorDesk {
  /**
   * Engine state captured at our last view install (or at our own adoption).
   * Every delivered message it counts is stored once queued writes are
   * flushed, so state and history handed over agree.
   */
  #handover: JoinerState | null = null;
  /** The hand-over a joiner's paging started with, kept until its last page went out. */
  readonly #pinned = new Map<PeerId, JoinerState>();
  /** Requests that came before we had state to hand over, or before the joiner's view was installed here. */
  readonly #waiting = new Map<PeerId, HistoryRequestFrame>();

  /** A new hand-over (we are a member at a freshly installed view); returns the requests that waited for one. */
  capture(state: JoinerState): [PeerId, HistoryRequestFrame][] {
    this.#handover = state;
    const waiting = [...this.#waiting];
    this.#waiting.clear();
    return waiting;
  }

  /**
   * A joiner's request. `canAnswer`: we are a member and have installed a
   * view with the joiner (a hand-over from before would be stale on arrival
   * and the whole history would travel twice). A first page (`after` null,
   * or backwards from the newest: `before` null) starts from our current
   * hand-over; a later page keeps the state its
   * paging started with. A later page whose paging we no longer hold (we
   * restarted, or forgot the joiner) starts over from the first page with our
   * current hand-over: its position means nothing with another state, and
   * what the joiner took meanwhile is in its `have`.
   */
  request(from: PeerId, req: HistoryRequestFrame, canAnswer: boolean): HistoryAnswer | null {
    // A first page: forwards from the start, or backwards from the newest (`before` null).
    const first = req.after === null && (req.before === undefined || req.before === null);
    if (first) this.#pinned.delete(from);
    const pinned = this.#pinned.get(from);
    if (pinned !== undefined) return { to: from, state: pinned, req };
    if (!canAnswer || this.#handover === null) {
      this.#waiting.set(from, req);
      return null;
    }
    this.#pinned.set(from, this.#handover);
    const restart = req.before === undefined ? { ...req, after: null } : { ...req, before: null };
    return { to: from, state: this.#handover, req: first ? req : restart };
  }

  /** A page went out; after the last one the joiner's next paging starts from a fresh hand-over. */
  served(to: PeerId, done: boolean): void {
    if (done) this.#pinned.delete(to);
  }

  /** A link came up: a request that waited for it (or for our state) can be answered if we can now. */
  takeWaiting(peer: PeerId, member: boolean): HistoryRequestFrame | null {
    const req = this.#waiting.get(peer);
    if (req === undefined || !(this.#pinned.has(peer) || member)) return null;
    this.#waiting.delete(peer);
    return req;
  }

  /**
   * Requests that waited while we could not answer any (our own older pages
   * were still coming, PROTOCOL.md §4): all of them, once we hold a hand-over.
   */
  release(): [PeerId, HistoryRequestFrame][] {
    if (this.#handover === null) return [];
    const waiting = [...this.#waiting];
    this.#waiting.clear();
    return waiting;
  }

  /** Forget joiners no longer in the installed view. */
  prune(present: ReadonlySet<PeerId>): void {
    for (const p of [...this.#pinned.keys()]) if (!present.has(p)) this.#pinned.delete(p);
    for (const p of [...this.#waiting.keys()]) if (!present.has(p)) this.#waiting.delete(p);
  }
}
