// Heads (PROTOCOL.md §4 "Heads", §7.3): a hand-over state's `nextSeq` is the
// sponsor's word unless a message its sender signed backs it. A sponsor hands,
// beside its state, each counted sender's message at `nextSeq − 1` (that
// sender's head) when the joiner does not hold it and the page does not carry
// it; a joiner refuses a state that counts a current member's messages past
// every one it holds or was handed. Belongs here: the book of the newest
// messages this session delivered or took per sender, the heads a sponsor
// adds to its newest page, and the joiner's check. Pure.

import type { PeerId } from '../ids.ts';
import { heldBy, HISTORY_PAGE_BYTES, toHistoryItem, type HeldVector } from '../history/history-reader.ts';
import { jsonBytes } from '../wire/parts.ts';
import type { DataFrame, HistoryItem, HistoryResponseFrame, JoinerState } from '../wire/frames.ts';

const seqKey = (f: DataFrame): string => `${f.sender}:${f.seq}`;

/** Per sender, how many of its newest seqs the book keeps (a capture asks for the one its engine counted last). */
const KEPT_PER_SENDER = 4;

/** The newest messages of each sender this session delivered, took from a page or read from its store. */
export class HeadBook {
  readonly #bySender = new Map<PeerId, Map<number, DataFrame>>();

  /** Our own messages from `seq` up are signed again (a re-issue, PROTOCOL.md §3.1): the new versions are the heads. */
  forgetFrom(sender: PeerId, seq: number): void {
    const kept = this.#bySender.get(sender);
    for (const s of [...(kept?.keys() ?? [])]) if (s >= seq) kept?.delete(s);
  }

  note(frames: Iterable<DataFrame>): void {
    for (const f of frames) {
      let kept = this.#bySender.get(f.sender);
      if (kept === undefined) this.#bySender.set(f.sender, (kept = new Map()));
      if (kept.has(f.seq)) continue;
      kept.set(f.seq, f);
      if (kept.size > KEPT_PER_SENDER) kept.delete(Math.min(...kept.keys()));
    }
  }

  /**
   * The heads of `state` this session holds: per sender it counts, the message at `nextSeq − 1`,
   * unless the state's unstable messages carry it. A count with no such message here (a sender's
   * resume floor, §3.1) has no head: a joiner that needs it asks another member.
   */
  capture(state: JoinerState, keyOf: (sender: PeerId) => string | null): HistoryItem[] {
    const unstable = new Set((state.unstable ?? []).map((u) => seqKey(u.frame)));
    const heads: HistoryItem[] = [];
    for (const [sender, next] of Object.entries(state.nextSeq)) {
      if (next <= 1 || unstable.has(`${sender}:${next - 1}`)) continue;
      const head = this.#bySender.get(sender as PeerId)?.get(next - 1);
      // A head is never stored nor shown, only checked: its `order` is a placeholder.
      if (head !== undefined) heads.push(toHistoryItem({ frame: head, order: '-' }, keyOf(head.sender)));
    }
    return heads;
  }
}

/**
 * The newest page as it goes out: with its state, the heads of that state the joiner lacks (`have`)
 * and the page does not carry. Items and heads share the page's HISTORY_PAGE_BYTES beside the state:
 * the page's oldest items make room (the page is then not `done`: they come on the next older page),
 * down to one item; heads that still do not fit ride with the state's parts (state-parts.ts).
 */
export function withHeads(
  page: HistoryResponseFrame,
  heads: readonly HistoryItem[],
  have: HeldVector,
): HistoryResponseFrame {
  const state = page.state;
  if (state === undefined) return page;
  const owed = heads.filter((h) => h.frame.seq === (state.nextSeq[h.frame.sender] ?? 0) - 1 && !heldBy(have, h.frame));
  if (owed.length === 0) return page;
  const room = HISTORY_PAGE_BYTES - jsonBytes(state) - jsonBytes(owed);
  const items = [...page.items];
  let bytes = items.reduce((n, i) => n + jsonBytes(i), 0);
  let done = page.done;
  while (items.length > 1 && bytes > room) {
    bytes -= jsonBytes(items.shift());
    done = false;
  }
  const carried = new Set(items.map((i) => seqKey(i.frame)));
  const attached = owed.filter((h) => !carried.has(seqKey(h.frame)));
  return { ...page, items, done, ...(attached.length === 0 ? {} : { heads: attached }) };
}

/**
 * Why a joiner may not adopt `state`, or null: it counts a message of a current member (`members`,
 * from the tracker, whose keys the joiner holds) at `nextSeq − 1` that the joiner neither holds nor
 * was handed signed by that member (`holds`: its store, a page, a head, a live frame; or the state's
 * own unstable messages). Without it the count may be made up, and the joiner would take that
 * member's next messages as delivered and never show them.
 */
export function unbackedCounts(
  state: JoinerState,
  members: ReadonlySet<PeerId>,
  holds: (sender: PeerId, seq: number) => boolean,
): string | null {
  const unstable = new Set((state.unstable ?? []).map((u) => seqKey(u.frame)));
  const unbacked: string[] = [];
  for (const [sender, next] of Object.entries(state.nextSeq)) {
    if (!members.has(sender as PeerId) || next <= 1) continue;
    if (unstable.has(`${sender}:${next - 1}`) || holds(sender as PeerId, next - 1)) continue;
    unbacked.push(`${sender}:${next - 1}`);
  }
  if (unbacked.length === 0) return null;
  return `Its state counts message${unbacked.length > 1 ? 's' : ''} ${unbacked.slice(0, 8).join(', ')}${unbacked.length > 8 ? ', …' : ''} as delivered without handing ${unbacked.length > 1 ? 'them' : 'it'} (no signed head).`;
}
