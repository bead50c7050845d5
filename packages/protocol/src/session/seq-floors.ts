// Which seqs a store will never be handed (PROTOCOL.md §4, the record's
// `floors`). A store holds each sender's messages as runs of seqs; a joiner
// says per sender where its first hole is (`have`), and the sponsor hands
// what it delivered from there. Some holes are for good: seqs a sender's
// resume floor passed over (§3.1: an earlier incarnation's, or nobody's), and
// seqs the sponsor of our hand-over counted without holding them (its own
// holes of that kind). Asked for again, such a hole is either never filled
// (every later join hands that sender's messages again) or filled by a member
// of an earlier incarnation with a message below one we already showed (a
// sender's seq 1 after its seq 2, S3). So a session notes where its engine
// counted seqs that never reached the store, and the group record keeps them.
//
// Pure bookkeeping, fed by SessionCore: what the store held when the session
// started (every session reads it, a founder too), every seq that reached the
// store after (deliveries, history items), and the engine's counts when the
// record is saved. A seq that reached the store before the read is in it, or
// in a write queued before the read: counting it as passed over is harmless.

import type { HeldVector } from '../history/history-reader.ts';
import { recordFloors } from '../history/history-reader.ts';

export class SeqFloors {
  /** Per sender, the floor the store's record names (raised by this session). */
  readonly #floors = new Map<string, number>();
  /** Per sender, the highest seq known to be in the store or below a floor. */
  readonly #top = new Map<string, number>();
  /** Whether `#top` is known (the store was read): before, nothing is derived. */
  #known = false;
  /**
   * While a backfill runs (`hold`): per sender, the seqs that reached the
   * store, kept to be replayed in seq order at `release` — older pages come
   * after newer ones, so a hole is expected until the backfill ends.
   */
  #held: Map<string, number[]> | null = null;

  /** The floors of the group record the session started over (data from disk). */
  constructor(stored: Readonly<Record<string, number>> | undefined = undefined) {
    for (const [sender, floor] of Object.entries(recordFloors(stored === undefined ? null : { floors: stored })))
      this.#floors.set(sender, floor);
  }

  /** What the store held when the session started (`have`, floors counted as held). */
  held(have: HeldVector): void {
    this.#known = true;
    for (const [sender, next] of Object.entries(have)) this.#raise(sender, next - 1);
    for (const [sender, floor] of this.#floors) this.#raise(sender, floor);
  }

  /**
   * A backfill starts (PROTOCOL.md §4: the joiner adopted its state before
   * its older pages came): no floor is derived from a hole or from the
   * engine's counts until `release`.
   */
  hold(): void {
    this.#held ??= new Map();
  }

  /** The backfill's last page is in: what reached the store meanwhile counts, in seq order, as if it came in order. */
  release(): void {
    const held = this.#held;
    this.#held = null;
    if (held === null) return;
    for (const [sender, seqs] of held) for (const seq of seqs.sort((a, b) => a - b)) this.reached(sender, seq);
  }

  /** `seq` of `sender` reached the store: the seqs between the last one and it never will. */
  reached(sender: string, seq: number): void {
    if (!this.#known) return;
    if (this.#held !== null) {
      const seqs = this.#held.get(sender);
      if (seqs === undefined) this.#held.set(sender, [seq]);
      else seqs.push(seq);
      return;
    }
    const top = this.#top.get(sender) ?? 0;
    if (seq > top + 1) this.#floor(sender, seq - 1);
    this.#raise(sender, seq);
  }

  /** The engine's counts (`nextSeq`) when the record is saved: seqs it counts that never reached the store. */
  counted(nextSeq: Readonly<Record<string, number>>): void {
    if (!this.#known || this.#held !== null) return;
    for (const [sender, next] of Object.entries(nextSeq)) {
      if (next - 1 > (this.#top.get(sender) ?? 0)) {
        this.#floor(sender, next - 1);
        this.#raise(sender, next - 1);
      }
    }
  }

  /** The floors to save in the group record. */
  floors(): Record<string, number> {
    return Object.fromEntries(this.#floors);
  }

  #floor(sender: string, floor: number): void {
    if (floor > (this.#floors.get(sender) ?? 0)) this.#floors.set(sender, floor);
  }

  #raise(sender: string, seq: number): void {
    if (seq > (this.#top.get(sender) ?? 0)) this.#top.set(sender, seq);
  }
}
