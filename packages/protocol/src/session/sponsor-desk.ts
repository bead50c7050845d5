// The sponsor's half of history sync, as bookkeeping: which hand-over state
// a joiner gets, which joiner's paging is under way with which state, and
// which requests wait until this member can answer. Holds no messages (the
// store does) and sends nothing (SessionCore turns answers into commands).

import type { PeerId } from '../ids.ts';
import type { HistoryItem, HistoryRequestFrame, HistoryResponseFrame, JoinerState } from '../wire/frames.ts';
import { withHeads } from './heads.ts';

/** A request this member can answer now, from `state`. */
export interface HistoryAnswer {
  readonly to: PeerId;
  readonly state: JoinerState;
  readonly req: HistoryRequestFrame;
}

/** A hand-over: the state and the heads that back its counts (heads.ts). */
interface Handover {
  readonly state: JoinerState;
  readonly heads: readonly HistoryItem[];
}

export class SponsorDesk {
  /**
   * Engine state captured at our last view install (or at our own adoption).
   * Every delivered message it counts is stored once queued writes are
   * flushed, so state and history handed over agree.
   */
  #handover: Handover | null = null;
  /** The hand-over a joiner's paging started with, kept until its last page went out. */
  readonly #pinned = new Map<PeerId, Handover>();
  /** What each joiner said it holds in the request answered last: it is not handed a head it holds. */
  readonly #have = new Map<PeerId, HistoryRequestFrame['have']>();
  /** The heads that back a state's counts, of those this session holds (heads.ts `HeadBook.capture`). */
  readonly #headsOf: (state: JoinerState) => readonly HistoryItem[];

  constructor(headsOf: (state: JoinerState) => readonly HistoryItem[] = () => []) {
    this.#headsOf = headsOf;
  }
  /** Requests that came before we had state to hand over, or before the joiner's view was installed here. */
  readonly #waiting = new Map<PeerId, HistoryRequestFrame>();

  /** A new hand-over (we are a member at a freshly installed view); returns the requests that waited for one. */
  capture(state: JoinerState): [PeerId, HistoryRequestFrame][] {
    this.#handover = { state, heads: this.#headsOf(state) };
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
    if (pinned !== undefined) {
      this.#have.set(from, req.have);
      return { to: from, state: pinned.state, req };
    }
    if (!canAnswer || this.#handover === null) {
      this.#waiting.set(from, req);
      return null;
    }
    this.#pinned.set(from, this.#handover);
    this.#have.set(from, req.have);
    const restart = req.before === undefined ? { ...req, after: null } : { ...req, before: null };
    return { to: from, state: this.#handover.state, req: first ? req : restart };
  }

  /**
   * A page read for `to` goes out: the newest one with the heads of its state that the joiner lacks
   * (heads.ts `withHeads`). After the last page the joiner's next paging starts from a fresh hand-over.
   */
  served(to: PeerId, page: HistoryResponseFrame): HistoryResponseFrame {
    const heads = this.#pinned.get(to)?.heads ?? [];
    const out = withHeads(page, heads, this.#have.get(to) ?? {});
    if (out.done) this.#pinned.delete(to);
    return out;
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
    for (const p of [...this.#have.keys()]) if (!present.has(p)) this.#have.delete(p);
    for (const p of [...this.#waiting.keys()]) if (!present.has(p)) this.#waiting.delete(p);
  }
}
