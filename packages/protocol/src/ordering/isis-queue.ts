// ISIS total order on top of per-sender FIFO (mode 'total'): proposals, FINALs, the hold-back
// queue by priority and delivery from its head. In FIFO mode `admit` delivers at once.
// Owns: P (`proposedMax`), A (`agreedMax`), `queue` and its `heap`, our own messages'
// collected proposals (`own`) and FINALs that came before their DATA (`earlyFinals`).
// Belongs here: what happens from the moment a sender's next message goes up (`admit`) until
// it is delivered, and the PROPOSE and FINAL frames. FIFO gating is fifo-layer.ts; what a
// view change does to the queue is view-change.ts.

import { messageId } from '../ids.ts';
import type { MessageId, PeerId } from '../ids.ts';
import type { DataFrame, FinalFrame, Priority, ProposeFrame } from '../wire/frames.ts';
import type { EngineResult, Rejection } from './engine.ts';
import { isSeq } from './engine-state.ts';
import { FrameGate } from './frame-gate.ts';
import { HoldBackHeap } from './hold-back-heap.ts';
import { present } from './invariant.ts';
import { isValidPriority, maxPriority, priorityCeiling, samePriority } from './priority.ts';
import { OutputBuilder, reject } from './rejection.ts';

export interface QueueEntry {
  readonly frame: DataFrame;
  /** Our proposal until a FINAL arrives, then the agreed priority. */
  priority: Priority;
  final: boolean;
  /** The proposal this member made (kept for flush reports and resends). */
  readonly proposed: Priority;
  /** Admission counter: ties in the heap go in admission order. */
  readonly admitted: number;
}

export interface OwnMessage {
  readonly proposals: Map<PeerId, Priority>;
  readonly sentAt: number;
}

export abstract class IsisQueue extends FrameGate {
  protected proposedMax = 0;
  protected agreedMax = 0;
  /** Admitted, not yet delivered. Invariant: every `own` entry is here and not final; no `earlyFinals` entry is. */
  protected readonly queue = new Map<MessageId, QueueEntry>();
  /** Index of `queue` by priority; every change of an entry's priority goes through `prioritize`. */
  protected readonly heap = new HoldBackHeap(this.hooks.comparePriority);
  protected admissions = 0;
  /** Our own messages waiting for every member's proposal (our own is always among them). */
  protected readonly own = new Map<MessageId, OwnMessage>();
  /** FINALs that arrived while the DATA still waited in FIFO hold-back. */
  protected readonly earlyFinals = new Map<MessageId, Priority>();

  /**
   * A priority number no honest member can be at yet (see MAX_PRIORITY_STEP), or null when fine.
   * Only a member with state has a reference point: a joiner before its state, or a group that
   * starts afresh, accepts what it is told.
   */
  protected priorityTooHigh(p: number, what: string): Rejection | null {
    if (this.mode !== 'total' || !this.adopted) return null;
    const ceiling = priorityCeiling(this.proposedMax, this.agreedMax);
    if (p <= ceiling) return null;
    return reject('remote', 'too-large', `${what} carries priority ${p}, beyond ${ceiling}: no member can be that far ahead of this one.`);
  }

  /** ISIS: p = max(P, A) + 1, by us. */
  protected nextProposal(): Priority {
    return { p: Math.max(this.proposedMax, this.agreedMax) + 1, by: this.self };
  }

  /** The next message of a sender goes up: delivered (FIFO) or proposed for (ISIS). */
  protected admit(f: DataFrame, out: OutputBuilder, now: number): void {
    const id = messageId(this.groupId, f.sender, f.seq);
    if (this.mode === 'fifo') {
      this.deliver(f, null, out);
      return;
    }
    const mine = f.sender === this.self && f.proposal !== undefined ? f.proposal : this.nextProposal();
    this.proposedMax = mine.p;
    const early = this.earlyFinals.get(id);
    this.earlyFinals.delete(id);
    const entry: QueueEntry = { frame: f, priority: early ?? mine, final: early !== undefined, proposed: mine, admitted: this.admissions++ };
    this.queue.set(id, entry);
    this.heap.push(id, entry.priority, entry.admitted);
    if (early !== undefined) this.agreedMax = Math.max(this.agreedMax, early.p);
    if (f.sender === this.self) {
      this.own.set(id, { proposals: new Map([[this.self, mine]]), sentAt: now });
      this.maybeFinalize(id, out);
    } else {
      const propose: ProposeFrame = { t: 'propose', groupId: this.groupId, viewId: this.viewIdNow(), sender: f.sender, seq: f.seq, priority: mine };
      out.frames.push({ to: f.sender, frame: propose });
    }
  }

  protected onPropose(from: PeerId, f: ProposeFrame, _now: number): EngineResult {
    if (f.priority?.by !== from) return reject('remote', 'forged-sender', `A proposal from ${from} names proposer ${String(f.priority?.by)}.`);
    if (!isValidPriority(f.priority)) return reject('remote', 'bad-type', 'A priority must be a positive safe integer.');
    if (!isSeq(f.seq)) return reject('remote', 'bad-type', 'PROPOSE needs a positive integer seq.');
    const r = this.routed(from, f);
    if (r !== null) return r;
    if (this.mode === 'fifo') return reject('remote', 'bad-state', 'FIFO groups do not use proposals.');
    if (!this.members.has(from)) return reject('remote', 'not-member', `${from} is not a member of view ${this.installed?.viewId}.`);
    if (f.sender !== this.self) return reject('remote', 'bad-state', `A proposal for ${f.sender}'s message was sent to ${this.self}.`);
    const tooHigh = this.priorityTooHigh(f.priority.p, 'PROPOSE');
    if (tooHigh !== null) return tooHigh;
    const id = messageId(this.groupId, f.sender, f.seq);
    const mine = this.own.get(id);
    if (mine === undefined) {
      if (f.seq <= this.lastCommitted) return new OutputBuilder().build(); // already finalized: a late duplicate
      return reject('remote', 'not-found', `Proposal for message ${f.seq}, which this member never sent.`);
    }
    const had = mine.proposals.get(from);
    if (had !== undefined) {
      if (samePriority(had, f.priority)) return new OutputBuilder().build();
      return reject('remote', 'bad-state', `${from} changed its proposal for message ${f.seq}.`);
    }
    const out = new OutputBuilder();
    mine.proposals.set(from, f.priority);
    this.maybeFinalize(id, out);
    this.deliverReady(out);
    return out.build();
  }

  /** A sender's own message: finalized once every member's proposal is in. */
  protected maybeFinalize(id: MessageId, out: OutputBuilder): void {
    const mine = this.own.get(id);
    if (mine !== undefined && [...this.members].every((m) => mine.proposals.has(m))) this.finalize(id, out);
  }

  /** FINAL for our own message `id` = the max of the proposals it has; sent to the view. */
  protected finalize(id: MessageId, out: OutputBuilder): void {
    const mine = this.own.get(id);
    const entry = this.queue.get(id);
    if (mine === undefined || entry === undefined) return;
    const agreed = present(maxPriority(mine.proposals.values(), this.hooks.comparePriority), 'our own proposal is among them');
    this.own.delete(id);
    const final: FinalFrame = { t: 'final', groupId: this.groupId, viewId: this.viewIdNow(), sender: this.self, seq: entry.frame.seq, priority: agreed };
    if (this.members.size > 1) out.frames.push({ to: 'all', frame: final });
    this.prioritize(id, entry, agreed);
    entry.final = true;
    this.agreedMax = Math.max(this.agreedMax, agreed.p);
  }

  protected onFinal(from: PeerId, f: FinalFrame): EngineResult {
    if (f.sender !== from) return reject('remote', 'forged-sender', `FINAL from ${from} for ${f.sender}'s message: only the sender finalizes.`);
    if (!isValidPriority(f.priority)) return reject('remote', 'bad-type', 'A priority must be a positive safe integer.');
    if (!isSeq(f.seq)) return reject('remote', 'bad-type', 'FINAL needs a positive integer seq.');
    const r = this.routed(from, f);
    if (r !== null) return r;
    if (this.mode === 'fifo') return reject('remote', 'bad-state', 'FIFO groups do not use finals.');
    if (!this.members.has(from)) return reject('remote', 'not-member', `${from} is not a member of view ${this.installed?.viewId}.`);
    if (!this.members.has(f.priority.by)) return reject('remote', 'not-member', `Agreed priority names ${f.priority.by}, not a member.`);
    const tooHigh = this.priorityTooHigh(f.priority.p, 'FINAL');
    if (tooHigh !== null) return tooHigh;
    const id = messageId(this.groupId, f.sender, f.seq);
    const entry = this.queue.get(id);
    const st = this.senders.get(from);
    if (entry === undefined) {
      if (f.seq <= (st?.delivered ?? 0)) {
        const agreed = this.kept.get(id)?.agreed;
        if (agreed !== undefined && !samePriority(agreed, f.priority))
          return reject('remote', 'bad-state', `${from} sent a final for message ${f.seq} that differs from the one it was delivered at.`);
        return new OutputBuilder().build(); // delivered already: a resend
      }
      if (st?.held.has(f.seq) !== true) return reject('remote', 'not-found', `FINAL for message ${f.seq} of ${from}, which never arrived.`);
      const early = this.earlyFinals.get(id);
      if (early !== undefined && !samePriority(early, f.priority)) return reject('remote', 'bad-state', `${from} sent two different finals for message ${f.seq}.`);
      this.earlyFinals.set(id, f.priority);
      return new OutputBuilder().build();
    }
    if (entry.final) {
      if (samePriority(entry.priority, f.priority)) return new OutputBuilder().build();
      return reject('remote', 'bad-state', `${from} sent two different finals for message ${f.seq}.`);
    }
    const out = new OutputBuilder();
    this.prioritize(id, entry, f.priority);
    entry.final = true;
    this.agreedMax = Math.max(this.agreedMax, f.priority.p);
    this.deliverReady(out);
    return out.build();
  }

  protected prioritize(id: MessageId, entry: QueueEntry, priority: Priority): void {
    entry.priority = priority;
    this.heap.push(id, priority, entry.admitted);
  }

  /** ISIS delivery: from the head of the queue while the head is final. */
  protected deliverReady(out: OutputBuilder): void {
    if (this.mode === 'fifo') return;
    const current = (id: MessageId): Priority | undefined => this.queue.get(id)?.priority;
    for (;;) {
      const top = this.heap.peek(current);
      const head = top === null ? undefined : this.queue.get(top.id);
      if (top === null || head === undefined || !head.final) return;
      this.heap.pop();
      this.queue.delete(top.id);
      this.deliver(head.frame, head.priority, out);
    }
  }
}
