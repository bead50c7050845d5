// The session's chain checks (PROTOCOL.md §1.5), run by SessionCore on every
// DATA before the engine or the store sees it, in the runtime and in the
// simulator alike: live DATA, the unstable messages of a FLUSH and of a
// joiner state, and history pages, whose gaps — a message naming a
// predecessor the sponsor did not hand — are reported as well.

import type { PeerId } from '../ids.ts';
import type { ProtocolError } from '../result.ts';
import type { HeldVector } from '../history/history-reader.ts';
import { GENESIS_PREV } from '../wire/chain.ts';
import type { DataFrame, FlushFrame, HistoryItem, JoinerState } from '../wire/frames.ts';
import { ChainBook } from './chain-book.ts';
import { HeadBook } from './heads.ts';

/** Broken variants only (the simulator's): a check switched off, so the tests can show they catch it. */
export interface ChainHooks {
  /** Broken "fork accepted": a live DATA that equivocates goes on to the engine. */
  readonly acceptForks?: boolean;
  /** Broken "gap accepted": a page's gaps are not reported. */
  readonly acceptGaps?: boolean;
  /** Broken "count on trust": a hand-over state's counts are adopted without the heads that back them (heads.ts). */
  readonly acceptUnbacked?: boolean;
}

export interface Vetted<T> {
  readonly value: T;
  readonly faults: readonly ProtocolError[];
}

/** The equivocations among `frames` (each checked and, when it agrees, recorded). */
const evidence = (book: ChainBook, frames: readonly DataFrame[]): ProtocolError[] =>
  frames.flatMap((f) => book.admit(f) ?? []);

/**
 * A live DATA, straight from its sender: refused (null) when it equivocates —
 * the engine never holds or delivers it, and its sender's later messages wait
 * for the version of that seq the group agrees on (a view change hands it).
 */
export function vetDataChain(book: ChainBook, hooks: ChainHooks, f: DataFrame): Vetted<DataFrame | null> {
  const faults = evidence(book, [f]);
  return { value: faults.length === 0 || hooks.acceptForks === true ? f : null, faults };
}

/**
 * The unstable messages of a FLUSH are what other members delivered: a view
 * change delivers their union to every survivor (§3.4), so one that
 * contradicts our chain is reported as its sender's equivocation and kept —
 * refusing it would leave us with another delivered set than the group's.
 */
export function vetFlushChains(book: ChainBook, _hooks: ChainHooks, flush: FlushFrame): Vetted<FlushFrame> {
  return { value: flush, faults: evidence(book, flush.unstable) };
}

/** The same for the unstable messages of a joiner state (the sponsor's deliveries). */
export function vetStateChains(book: ChainBook, _hooks: ChainHooks, state: JoinerState): Vetted<JoinerState> {
  return {
    value: state,
    faults: evidence(
      book,
      (state.unstable ?? []).map((u) => u.frame),
    ),
  };
}

const bySenderThenSeq = (a: HistoryItem, b: HistoryItem): number =>
  a.frame.sender < b.frame.sender ? -1 : a.frame.sender > b.frame.sender ? 1 : a.frame.seq - b.frame.seq;

/**
 * A history page's verified items are the group's delivered log, kept like a
 * FLUSH's: checked per sender in seq order against what the book holds (our
 * store's last message of each sender, earlier pages, live traffic), each
 * contradiction reported as its sender's equivocation.
 */
export function vetPageChains(
  book: ChainBook,
  _hooks: ChainHooks,
  items: readonly HistoryItem[],
): Vetted<HistoryItem[]> {
  return {
    value: [...items],
    faults: evidence(
      book,
      [...items].sort(bySenderThenSeq).map((i) => i.frame),
    ),
  };
}

const gapKey = (sender: PeerId, seq: number): string => `${sender}:${seq}`;

/**
 * The predecessors a hand-over still owes (PROTOCOL.md §1.5, §4): every
 * message taken from a page that does not start a chain names the seq before
 * it; when the joiner neither holds that seq (below `have`, or in the book)
 * nor takes it later in the same hand-over — pages go in the sponsor's order,
 * which need not be seq order per sender (a new incarnation's keys start low
 * again, §3.11) — the sponsor left it out. Checked at the last page.
 */
export class ChainGaps {
  readonly #owed = new Map<string, { readonly sender: PeerId; readonly seq: number }>();

  /** Messages now held (a page's items, a delivery): what they pay, and the predecessors they name. */
  took(book: ChainBook, have: HeldVector, frames: readonly DataFrame[]): void {
    this.paid(frames);
    // Per sender, the seqs taken now (numbers, not a key string per item: a page holds up to 200).
    const taking = new Map<PeerId, Set<number>>();
    for (const f of frames) {
      const seqs = taking.get(f.sender);
      if (seqs === undefined) taking.set(f.sender, new Set([f.seq]));
      else seqs.add(f.seq);
    }
    for (const f of frames) {
      if (f.prev === undefined || f.prev === GENESIS_PREV || f.seq <= 1) continue;
      const seq = f.seq - 1;
      if (
        seq < (have[f.sender] ?? 1) ||
        taking.get(f.sender)?.has(seq) === true ||
        book.hashOf(f.sender, seq) !== undefined
      )
        continue;
      this.#owed.set(gapKey(f.sender, seq), { sender: f.sender, seq });
    }
  }

  /** Messages delivered live while syncing: what they pay (the engine's FIFO order vouches for the rest). */
  paid(frames: readonly DataFrame[]): void {
    if (this.#owed.size === 0) return;
    for (const f of frames) this.#owed.delete(gapKey(f.sender, f.seq));
  }

  /** Whether `sender` is owed a seq below `seq`, at or above `from`: a message it sent earlier is still to come. */
  owedBelow(sender: PeerId, seq: number, from = 0): boolean {
    for (const o of this.#owed.values()) if (o.sender === sender && o.seq < seq && o.seq >= from) return true;
    return false;
  }

  /** One `gap` per sender still owed something at the end of a hand-over by `sponsor`. */
  open(sponsor: PeerId): ProtocolError[] {
    const bySender = new Map<PeerId, number[]>();
    for (const { sender, seq } of this.#owed.values()) bySender.set(sender, [...(bySender.get(sender) ?? []), seq]);
    return [...bySender].map(([sender, seqs]) => ({
      code: 'gap' as const,
      message:
        `Sponsor ${sponsor} left out ${sender}'s message${seqs.length > 1 ? 's' : ''} ${seqs.sort((a, b) => a - b).join(', ')}: ` +
        `the next message of ${sender} it handed names ${seqs.length > 1 ? 'each' : 'it'} as its predecessor.`,
    }));
  }

  /** The hand-over ended (adopted): what is still owed was reported. */
  clear(): void {
    this.#owed.clear();
  }
}

/**
 * One session's chain checks in one place (SessionCore holds one): its book,
 * what a hand-over owes, and the test seams of the broken variants.
 */
export class ChainGuard {
  readonly #book = new ChainBook();
  /** Each sender's newest messages this session took or delivered: the heads of a hand-over state (heads.ts). */
  readonly heads = new HeadBook();
  readonly #gaps = new ChainGaps();
  readonly #hooks: ChainHooks;

  constructor(hooks: ChainHooks = {}) {
    this.#hooks = hooks;
  }

  /** The `prev` of our own draft `seq` (`floor`: our seqs at or below it are an earlier incarnation's). */
  prevFor(self: PeerId, seq: number, floor = 0): string {
    return this.#book.prevFor(self, seq, floor);
  }

  /** Our store's last message of each sender (read when the session starts). */
  learn(tips: Iterable<DataFrame>): void {
    this.#book.learn(tips);
    this.heads.note(tips);
  }

  /** Our own messages from `seq` up are about to be signed again for a new view (PROTOCOL.md §3.1 "Re-issue"). */
  reissuing(self: PeerId, seq: number): void {
    this.#book.forgetFrom(self, seq);
    this.heads.forgetFrom(self, seq);
  }

  /** Our own message went out: the next draft chains to it. */
  sent(f: DataFrame): void {
    this.#book.admit(f);
  }

  data(f: DataFrame): Vetted<DataFrame | null> {
    return vetDataChain(this.#book, this.#hooks, f);
  }

  flush(f: FlushFrame): Vetted<FlushFrame> {
    return vetFlushChains(this.#book, this.#hooks, f);
  }

  state(s: JoinerState): Vetted<JoinerState> {
    this.heads.note((s.unstable ?? []).map((u) => u.frame));
    return vetStateChains(this.#book, this.#hooks, s);
  }

  /** A page's verified items: checked, and what they name and we lack is owed (`have`: what we held before them). */
  page(have: HeldVector, items: readonly HistoryItem[]): Vetted<HistoryItem[]> {
    const r = vetPageChains(this.#book, this.#hooks, items);
    this.heads.note(items.map((i) => i.frame));
    this.#gaps.took(
      this.#book,
      have,
      r.value.map((i) => i.frame),
    );
    return r;
  }

  /**
   * Whether the book holds `sender`'s message `seq` (signed: from our store, a page, a head, live
   * traffic); always in broken "count on trust".
   */
  knows(sender: PeerId, seq: number): boolean {
    return this.#hooks.acceptUnbacked === true || this.#book.hashOf(sender, seq) !== undefined;
  }

  /** Delivered live while syncing: no longer owed. */
  delivered(f: DataFrame): void {
    this.#gaps.paid([f]);
  }

  /** Whether a page item of `sender` at `seq` waits for a predecessor still owed (never in broken "gap accepted"). */
  owedBelow(sender: PeerId, seq: number, from = 0): boolean {
    return this.#hooks.acceptGaps !== true && this.#gaps.owedBelow(sender, seq, from);
  }

  /** At a hand-over's last page: one `gap` per sender still owed something (none in broken "gap accepted"). */
  owed(sponsor: PeerId): ProtocolError[] {
    return this.#hooks.acceptGaps === true ? [] : this.#gaps.open(sponsor);
  }

  /** The hand-over is over (reported, or we are a member): nothing is owed any more. */
  settle(): void {
    this.#gaps.clear();
  }
}
