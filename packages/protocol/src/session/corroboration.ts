// A joiner's second opinion on its sponsor's hand-over (PROTOCOL.md §7.3 "Corroborated"): one more
// old member, the next in the joiner's order of sponsors, is asked for its newest page (one item)
// and its state, and the sponsor's newest page waits for that word before it is taken. Owns the
// witness of one sync, its word and the sponsor pages that wait for it; never stores or shows
// anything, and never adopts a witness's state (join-handover.ts does the taking, join-flow.ts the
// asking). The decisions are pure.
//
//   none ◀──no candidate left── asked ──answer with a state──▶ heard
//                                  │  ▲
//   silent HISTORY_RETRY_MS, a     │  │ the next old member in the joiner's order
//   page without state, or gone ───┘──┘ (never the sponsor, a dropped one, or one unheard)

import { frameMessageId, type GroupId, type PeerId } from '../ids.ts';
import type { HistoryItem, HistoryRequestFrame, HistoryResponseFrame, JoinerState } from '../wire/frames.ts';
import { CORROBORATION_AGREED_SLACK, HISTORY_RETRY_MS, nextSponsor } from './policy.ts';

/** What a witness said: the scalars of its state and the order keys of the items on its newest page. */
export interface WitnessWord {
  readonly incarnation: number;
  readonly agreed: number;
  readonly keys: ReadonlyMap<string, string>;
}

/** A sponsor page that waits for the witness's word, as it arrived. */
export interface ParkedPage {
  readonly from: PeerId;
  readonly page: HistoryResponseFrame;
  readonly verified: readonly HistoryItem[];
}

/** One sync's corroboration. Requests take their ids from the sync's counter (`reqs`), so none is reused. */
export class Corroboration {
  #witness: { readonly peer: PeerId; readonly req: number; askedAt: number; word: WitnessWord | null } | null = null;
  /** Every witness request of the sync, by id: its answers are the witness's, never pages to take. */
  readonly #asked = new Map<number, PeerId>();
  /** Old members that stayed silent as witness or answered without a state: not asked again in this sync. */
  readonly #unheard = new Set<PeerId>();
  /** The sponsor's newest-page pages (with state) while the witness's word is out, in arrival order. */
  #parked: ParkedPage[] = [];

  /** The member asked, or null when none is (nobody else left to ask). */
  get witness(): PeerId | null {
    return this.#witness?.peer ?? null;
  }

  /** The sponsor's newest page must wait: a witness is asked and has not answered. */
  get pending(): boolean {
    return this.#witness !== null && this.#witness.word === null;
  }

  /** Whether an old member was asked as witness and did not answer usably (the word is then the sponsor's only). */
  get unheard(): boolean {
    return this.#unheard.size > 0;
  }

  /** Whether `page` from `from` answers one of this sync's witness requests. */
  answers(from: PeerId, page: HistoryResponseFrame): boolean {
    return this.#asked.get(page.req) === from;
  }

  /**
   * Keeps the witness while it may still speak (present, not dropped, not the sponsor), else picks
   * the next old member after `sponsor` in the joiner's order; returns the request to send it, or
   * null (kept, or nobody left: the sponsor's word is taken alone).
   */
  ensure(
    ask: {
      readonly joiner: PeerId;
      readonly sponsor: PeerId;
      readonly candidates: readonly PeerId[];
      readonly groupId: GroupId;
      readonly have: Record<string, number>;
      readonly req: () => number;
    },
    now: number,
  ): { readonly to: PeerId; readonly frame: HistoryRequestFrame } | null {
    const usable = (p: PeerId): boolean => p !== ask.sponsor && ask.candidates.includes(p) && !this.#unheard.has(p);
    if (this.#witness !== null && usable(this.#witness.peer)) return null;
    const peer = nextSponsor(ask.joiner, ask.sponsor, ask.candidates.filter(usable));
    if (peer === null) {
      this.#witness = null;
      return null;
    }
    const req = ask.req();
    this.#witness = { peer, req, askedAt: now, word: null };
    this.#asked.set(req, peer);
    // One item: the witness's newest, whose order key the sponsor's newest page must agree with.
    const frame: HistoryRequestFrame = {
      t: 'history-req',
      groupId: ask.groupId,
      req,
      have: ask.have,
      after: null,
      before: null,
      limit: 1,
    };
    return { to: peer, frame };
  }

  /** The witness's answer: its word, or (no state: it cannot hand one now) it is unheard. True if it was news. */
  heard(from: PeerId, page: HistoryResponseFrame, verified: readonly HistoryItem[]): boolean {
    const w = this.#witness;
    if (w === null || w.peer !== from || w.req !== page.req || w.word !== null) return false;
    if (page.state === undefined) {
      this.#unheard.add(from);
      this.#witness = null;
      return true;
    }
    const keys = new Map(verified.map((i) => [frameMessageId(i.frame), i.order]));
    w.word = { incarnation: page.state.incarnation, agreed: page.state.agreed, keys };
    return true;
  }

  /** The witness stayed silent for HISTORY_RETRY_MS: unheard (the caller asks the next). True if so. */
  silent(now: number): boolean {
    const w = this.#witness;
    if (w === null || w.word !== null || now - w.askedAt < HISTORY_RETRY_MS) return false;
    this.#unheard.add(w.peer);
    this.#witness = null;
    return true;
  }

  /** A sponsor given up for its silence is no witness either in this sync. */
  passOver(peer: PeerId): void {
    this.#unheard.add(peer);
  }

  /** Why the sponsor's newest page `page` disagrees with the witness's word, or null (agrees, or no word). */
  disagreement(page: HistoryResponseFrame): string | null {
    const w = this.#witness;
    if (w === null || w.word === null || page.state === undefined) return null;
    return disagreement(page.state, page.items, w.peer, w.word);
  }

  park(p: ParkedPage): void {
    this.#parked.push(p);
  }

  /** The pages that waited, once the word is in (or nobody is left to give it); emptied. */
  unpark(): ParkedPage[] {
    if (this.pending) return [];
    const out = this.#parked;
    this.#parked = [];
    return out;
  }

  /** A new paging (another sponsor, or the same from the start): what waited was the old paging's. */
  restart(): void {
    this.#parked = [];
  }
}

/**
 * What two honest hand-overs taken at different moments must share (PROTOCOL.md §7.3
 * "Corroborated"), or null: the incarnation (both are states of views that hold the joiner, and no
 * group starts afresh under two members with state); an `agreed` at most CORROBORATION_AGREED_SLACK
 * above the witness's (one below costs nothing, and concurrent deliveries move it by far less); and
 * the same order key for every message both newest pages carry (keys are the same on every member).
 * The counts (`nextSeq`) may differ by what was delivered between the two captures: heads back them.
 */
export function disagreement(
  state: JoinerState,
  items: readonly HistoryItem[],
  witness: PeerId,
  word: WitnessWord,
): string | null {
  if (state.incarnation !== word.incarnation)
    return `Its state names incarnation ${state.incarnation}; ${witness}'s names ${word.incarnation}.`;
  if (state.agreed > word.agreed + CORROBORATION_AGREED_SLACK)
    return `Its state's agreed priority ${state.agreed} is more than ${CORROBORATION_AGREED_SLACK} above ${witness}'s (${word.agreed}).`;
  for (const item of items) {
    const theirs = word.keys.get(frameMessageId(item.frame));
    if (theirs !== undefined && theirs !== item.order)
      return `It handed ${frameMessageId(item.frame)} at order key ${item.order}; ${witness} hands it at ${theirs}.`;
  }
  return null;
}
