// FIFO per sender: DATA is checked against the sender's counters, held back until every earlier
// seq of its sender went up, then admitted to the ordering layer (isis-queue.ts) in seq order.
// Owns no fields of its own: it writes `senders[s].next` and `held` (engine-state.ts).
// Belongs here: the DATA frame from a member, our own DATA going out (`multicastOwn`), and the
// release of held-back DATA. Delivery order beyond FIFO is isis-queue.ts.

import { messageId } from '../ids.ts';
import type { PeerId } from '../ids.ts';
import type { DataFrame } from '../wire/frames.ts';
import type { EngineResult } from './engine.ts';
import type { SenderState } from './engine-state.ts';
import { holdBack, isCount, isSeq, unhold } from './engine-state.ts';
import { jsonBytes } from '../wire/parts.ts';
import { IsisQueue } from './isis-queue.ts';
import { isValidPriority } from './priority.ts';
import { OutputBuilder, reject } from './rejection.ts';

/** How far ahead of the next expected seq a sender may run: bounds hold-back memory a peer can make us spend. */
export const MAX_HOLD_BACK_AHEAD = 10_000;
/**
 * Bytes (JSON) of one sender's DATA we hold back behind a gap. The seq window
 * alone let a member park 10 000 maximum-length messages (40-240 MB by how its
 * bodies encode) behind a seq it never sends. An honest sender's messages wait
 * behind a gap only while a link repairs or a view changes: the budget of a
 * peer's frames for a later view (MAX_BUFFERED_BYTES_PER_PEER) holds them.
 * Beyond it: `too-many`, and the message comes with the next view change's flush.
 */
export const MAX_HELD_BYTES_PER_SENDER = 16 * 1024 * 1024;

/** Same sender, seq and signed fields: a resend, not a second message under the same id. */
export const sameSigned = (a: DataFrame, b: DataFrame): boolean =>
  a.sig === b.sig && a.body === b.body && a.lamport === b.lamport && a.viewId === b.viewId && a.sentAt === b.sentAt;

export abstract class FifoLayer extends IsisQueue {
  protected multicastOwn(signed: DataFrame, now: number, out: OutputBuilder): void {
    const st = this.sender(this.self);
    st.next = Math.max(st.next, signed.seq + 1);
    // Total order: our own proposal rides along (see DataFrame.proposal); it is made before the frame leaves.
    const frame = this.mode === 'total' ? { ...signed, proposal: this.nextProposal() } : signed;
    const at = out.frames.length;
    this.admit(frame, out, now);
    out.frames.splice(at, 0, { to: 'all', frame });
    this.deliverReady(out);
  }

  protected onData(from: PeerId, f: DataFrame, now: number): EngineResult {
    if (f.sender !== from) return reject('remote', 'forged-sender', `DATA from ${from} claims sender ${f.sender}.`);
    if (!isSeq(f.seq) || !isCount(f.lamport))
      return reject('remote', 'bad-type', 'DATA needs a positive integer seq and a non-negative lamport.');
    if (f.proposal !== undefined && (!isValidPriority(f.proposal) || f.proposal.by !== f.sender))
      return reject('remote', 'bad-type', "DATA carries a proposal that is not its sender's own valid priority.");
    const r = this.routed(from, f);
    if (r !== null) return r;
    if (from === this.self) return reject('remote', 'replay', 'A peer sent this member its own message.');
    if (!this.members.has(from))
      return reject('remote', 'not-member', `${from} is not a member of view ${this.installed?.viewId}.`);
    const tooHigh = this.priorityTooHigh(f.proposal?.p ?? 0, 'DATA proposal') ?? this.lamportTooHigh(f.lamport, 'DATA');
    if (tooHigh !== null) return tooHigh;
    const st = this.senders.get(from);
    const next = st?.next ?? 1;
    const delivered = st?.delivered ?? 0;
    const id = messageId(this.groupId, from, f.seq);
    if (f.seq <= delivered) {
      // A resend racing the original (link repair) is a harmless duplicate; anything older is a replay.
      const had = this.kept.get(id)?.frame;
      if (had !== undefined && sameSigned(had, f)) return new OutputBuilder().build();
      return reject(
        'remote',
        'replay',
        `Message ${f.seq} of ${from} was already delivered${had === undefined ? '' : ' with other content'}.`,
      );
    }
    const holding = st?.held.get(f.seq) ?? (f.seq < next ? this.queue.get(id)?.frame : undefined);
    if (holding !== undefined || f.seq < next) {
      // A resend we already hold is idempotent; the same id with other signed content is equivocation:
      // the first copy stays, the second is refused.
      if (holding === undefined || sameSigned(holding, f)) return new OutputBuilder().build();
      return reject(
        'remote',
        'replay',
        `${from} sent message ${f.seq} again with other content; the first copy is kept.`,
      );
    }
    if (f.seq - next > MAX_HOLD_BACK_AHEAD)
      return reject(
        'remote',
        'too-many',
        `Message ${f.seq} of ${from} is more than ${MAX_HOLD_BACK_AHEAD} ahead of ${next}.`,
      );

    const held = this.senders.get(from);
    if (f.seq !== next && held !== undefined && held.heldBytes + jsonBytes(f) > MAX_HELD_BYTES_PER_SENDER)
      return reject(
        'remote',
        'too-many',
        `${from} already has ${held.heldBytes} bytes of messages waiting behind seq ${next}; ${MAX_HELD_BYTES_PER_SENDER} at most.`,
      );

    const out = new OutputBuilder();
    this.raiseClock(f.lamport);
    this.passFifoGate(this.sender(from), f, out, now);
    this.deliverReady(out);
    return out.build();
  }

  /** An accepted DATA of sender `s`: admitted if it is the next one (with what waited behind it), else held back. */
  protected passFifoGate(s: SenderState, f: DataFrame, out: OutputBuilder, now: number): void {
    if (f.seq === s.next) {
      this.admit(f, out, now);
      s.next += 1;
      this.releaseHeld(s, out, now);
    } else holdBack(s, f);
  }

  /** Admit the held-back DATA that now follows `st.next` without a gap. */
  protected releaseHeld(st: SenderState, out: OutputBuilder, now: number): void {
    for (let h = st.held.get(st.next); h !== undefined; h = st.held.get(st.next)) {
      unhold(st, st.next);
      this.admit(h, out, now);
      st.next += 1;
    }
  }
}
