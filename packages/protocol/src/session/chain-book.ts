// What one session knows of each sender's hash chain in its group
// (PROTOCOL.md §1.5): per sender, the link hash of the messages it saw
// recently, by seq, and which seq named which predecessor. From it: the
// `prev` of our own next draft, and the check every DATA passes before it
// reaches the engine or the store — two messages on one seq, two on one
// predecessor, or one naming a predecessor other than the one held, are an
// equivocation of their sender (each carries its sender's signature: the
// pair is the proof), refused and reported.

import type { PeerId } from '../ids.ts';
import type { ProtocolError } from '../result.ts';
import { GENESIS_PREV, linkHash } from '../wire/chain.ts';
import type { DataFrame } from '../wire/frames.ts';

/**
 * Seqs per sender whose links are kept. A check needs the neighbours of the
 * seq that arrives: live DATA arrives near the sender's top (within the
 * hold-back window), history next to what the page before it brought — a
 * backfill pages down from the top (PROTOCOL.md §4), so the links it needs are
 * the ones recorded last, far below the top. Kept: the links within half the
 * window below the top, and of the rest the ones recorded last. Others are
 * forgotten, and an equivocation that reaches back further than this is caught
 * only by the engine's duplicate check (the same seq) or not at all (§1.5).
 */
export const CHAIN_WINDOW = 4096;

interface Link {
  readonly hash: string;
  /** The predecessor it names; undefined for a message stored before chains. */
  readonly prev: string | undefined;
  /** The view it was signed for, and a fingerprint of its text and sentAt: what a re-issue keeps. */
  readonly viewId: number;
  readonly content: number;
}

/**
 * A 53-bit fingerprint (cyrb53) of what a re-issue keeps of a message: its text and sentAt. Not a
 * cryptographic hash: it only tells a sender's re-issue (PROTOCOL.md §3.1) from its other versions, and
 * what a crafted collision buys, another text under that sender's own seq at members that never delivered
 * it, any sender can have by sending those members that version first.
 */
const contentOf = (f: DataFrame): number => {
  let h1 = 0xdeadbeef ^ f.sentAt;
  let h2 = 0x41c6ce57 ^ f.body.length;
  for (let i = 0; i < f.body.length; i++) {
    const c = f.body.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
};

const linkOf = (f: DataFrame, hash = linkHash(f)): Link => ({
  hash,
  prev: f.prev,
  viewId: f.viewId,
  content: contentOf(f),
});

class SenderChain {
  readonly bySeq = new Map<number, Link>();
  /** A non-genesis `prev` → the seq of the message that named it. */
  readonly byPrev = new Map<string, number>();
  top = 0;

  record(seq: number, link: Link): void {
    this.bySeq.set(seq, link);
    if (link.prev !== undefined && link.prev !== GENESIS_PREV) this.byPrev.set(link.prev, seq);
    if (seq > this.top) this.top = seq;
    if (this.bySeq.size > 2 * CHAIN_WINDOW) this.#forget();
  }

  /**
   * Down to CHAIN_WINDOW links: the oldest recorded (a Map iterates in insertion order) among those
   * more than half the window below the top. Forgetting by seq alone ("below top − window") dropped
   * the links a backfill's next older page is checked against, one page boundary in ~20 unchecked.
   */
  #forget(): void {
    const keepFrom = this.top - CHAIN_WINDOW / 2;
    let excess = this.bySeq.size - CHAIN_WINDOW;
    for (const [seq, link] of this.bySeq) {
      if (excess <= 0) return;
      if (seq >= keepFrom) continue;
      this.bySeq.delete(seq);
      if (link.prev !== undefined && this.byPrev.get(link.prev) === seq) this.byPrev.delete(link.prev);
      excess -= 1;
    }
  }
}

export const equivocation = (f: DataFrame, why: string): ProtocolError => ({
  code: 'equivocation',
  message: `Message ${f.sender}:${f.seq} refused: ${why} (both carry ${f.sender}'s signature: ${f.sender} equivocated).`,
});

export class ChainBook {
  readonly #senders = new Map<PeerId, SenderChain>();

  #chain(sender: PeerId): SenderChain {
    let c = this.#senders.get(sender);
    if (c === undefined) this.#senders.set(sender, (c = new SenderChain()));
    return c;
  }

  /** The link hash of `sender`'s message `seq`, when this book holds it. */
  hashOf(sender: PeerId, seq: number): string | undefined {
    return this.#senders.get(sender)?.bySeq.get(seq)?.hash;
  }

  /**
   * The `prev` of our own message `seq`: the hash of our `seq − 1` when we
   * know it, else GENESIS_PREV — our first message, or a chain we restart
   * because this session does not hold our previous message (PROTOCOL.md §1.5),
   * or because that message is at or below `floor`: an earlier incarnation's,
   * which the group we are in holds none of, so a joiner would owe it as a gap
   * and drop an honest sponsor (fresh seed 1672832663).
   */
  prevFor(self: PeerId, seq: number, floor = 0): string {
    return (seq > 1 && seq - 1 > floor ? this.hashOf(self, seq - 1) : undefined) ?? GENESIS_PREV;
  }

  /**
   * Checks `f` against the links held and records it when it agrees; the
   * equivocation it proves otherwise (nothing recorded). A message without
   * `prev` (stored before chains) is recorded unchecked: it vouches for no
   * predecessor. The same message twice is a no-op.
   */
  admit(f: DataFrame): ProtocolError | null {
    const hash = linkHash(f);
    const c = this.#chain(f.sender);
    const same = c.bySeq.get(f.seq);
    if (same !== undefined && same.hash === hash) return null;
    if (same !== undefined) {
      // Its sender's re-issue (PROTOCOL.md §3.1): the same text and sentAt signed again for a later view,
      // when its earlier session was removed before the group took the first version. A member may hold
      // that first version without having delivered it (it came after the view had moved on, or a second
      // tab of the sender showed it from their store): the re-issue takes its place, and the links above
      // it, which named the old version, are forgotten (their own re-issues follow).
      if (f.viewId <= same.viewId || contentOf(f) !== same.content)
        return equivocation(f, `another message ${f.sender}:${f.seq} is held`);
    }
    if (f.prev !== undefined && f.prev !== GENESIS_PREV) {
      const before = c.bySeq.get(f.seq - 1);
      if (before !== undefined && before.hash !== f.prev)
        return equivocation(f, `it names a predecessor other than the ${f.sender}:${f.seq - 1} held`);
      const sibling = c.byPrev.get(f.prev);
      if (sibling !== undefined && sibling !== f.seq)
        return equivocation(f, `message ${f.sender}:${sibling} names the same predecessor`);
    }
    const after = c.bySeq.get(f.seq + 1);
    if (same === undefined && after?.prev !== undefined && after.prev !== GENESIS_PREV && after.prev !== hash)
      return equivocation(f, `the ${f.sender}:${f.seq + 1} held names another predecessor`);
    if (same !== undefined) this.forgetFrom(f.sender, f.seq);
    c.record(f.seq, linkOf(f, hash));
    return null;
  }

  /**
   * A sender's links from `seq` up are an earlier session's, signed again for a new view (a re-issue,
   * PROTOCOL.md §3.1): forgotten, so the new versions are recorded (and, for our own, our next drafts name
   * them).
   */
  forgetFrom(sender: PeerId, seq: number): void {
    const c = this.#senders.get(sender);
    if (c === undefined) return;
    for (const [s, link] of [...c.bySeq])
      if (s >= seq) {
        c.bySeq.delete(s);
        if (link.prev !== undefined && c.byPrev.get(link.prev) === s) c.byPrev.delete(link.prev);
      }
  }

  /** Links read from our own store (what earlier sessions took): recorded without checks, first copy wins. */
  learn(frames: Iterable<DataFrame>): void {
    for (const f of frames) {
      const c = this.#chain(f.sender);
      if (!c.bySeq.has(f.seq)) c.record(f.seq, linkOf(f));
    }
  }
}
