// The state every layer of the group engine reads (engine-state → frame-gate → isis-queue →
// fifo-layer → resume-floors → stability → view-change → joiner-adoption → group-engine, each
// class extending the one before). Owns: the engine's identity, the installed view and its
// members, whether this member has state, the Lamport clock, its own send counters, per-sender
// FIFO counters, the delivered-but-unstable messages (`kept`) and the one way to deliver.
// Belongs here: a field or helper read by three or more layers. A field one concern owns lives
// in that concern's file; a later layer may read it, an earlier one asks through an abstract method.
//
// Every handler validates its whole input before it changes anything, so a Rejection always
// leaves the state as it was (h11's rule).

import { asViewId, messageId } from '../ids.ts';
import type { GroupId, MessageId, Ordering, PeerId, ViewId } from '../ids.ts';
import type { View } from '../tracker/events.ts';
import type { DataFrame, EngineFrame, FlushFrame, FlushOkFrame, Priority, SignedFields } from '../wire/frames.ts';
import type { Rejection } from './engine.ts';
import type { EngineHooks } from './engine-hooks.ts';
import type { EngineResume } from './create-engine.ts';
import { lamportCeiling } from './lamport.ts';
import { fifoOrderKey, totalOrderKey } from './order-key.ts';
import { jsonBytes } from '../wire/parts.ts';
import type { OutputBuilder } from './rejection.ts';
import { reject } from './rejection.ts';

export interface SenderState {
  /** Next seq that goes up to the ordering layer (FIFO delivery, or ISIS). */
  next: number;
  /** Highest seq delivered to the application; all lower ones are delivered too. */
  delivered: number;
  /** FIFO hold-back: DATA that arrived ahead of `next`. Change it only through holdBack/unhold/clearHeld. */
  readonly held: Map<number, DataFrame>;
  /** Bytes (JSON) of `held` (MAX_HELD_BYTES_PER_SENDER). Invariant: the sum of jsonBytes over `held`. */
  heldBytes: number;
}

/** Holds back `f`, which arrived ahead of its sender's `next`. */
export const holdBack = (st: SenderState, f: DataFrame): void => {
  st.held.set(f.seq, f);
  st.heldBytes += jsonBytes(f);
};

/** Lets go of held seq `seq` (released in order, or passed by a floor). */
export const unhold = (st: SenderState, seq: number): void => {
  const f = st.held.get(seq);
  if (f === undefined) return;
  st.held.delete(seq);
  st.heldBytes -= jsonBytes(f);
};

export const clearHeld = (st: SenderState): void => {
  st.held.clear();
  st.heldBytes = 0;
};

export interface KeptMessage {
  readonly frame: DataFrame;
  /** Total order: the priority it was delivered at. */
  readonly agreed?: Priority;
}

/** FLUSH and FLUSH-OK: the two rounds of a view change, kept apart from the view's own frames. */
export const isFlushRound = (f: EngineFrame): f is FlushFrame | FlushOkFrame => f.t === 'flush' || f.t === 'flush-ok';

export const staleSeqReason =
  'its seq was drafted before this member learned that an earlier session of its peer id already used it; send the body again';
export const isCount = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
export const isSeq = (n: unknown): n is number => isCount(n) && n >= 1;

export abstract class EngineState {
  /** Never goes back to null, and its view id only grows. */
  protected installed: View | null = null;
  /** Invariant: the peer ids of `installed` (empty before the first view). */
  protected members = new Set<PeerId>();
  /** False until this member has state: a joiner before adoptJoinerState. */
  protected adopted = false;
  /**
   * The view in which the group's current log began (PROTOCOL.md §3.11): set when this member
   * gains state without a sponsor (a group that starts afresh), or adopted from the sponsor.
   * Total-order keys carry it, so the logs of two incarnations never interleave.
   */
  protected incarnation = 0;
  protected lamport = 0;
  /** The last own seq drafted. Invariant: lastCommitted <= lastDrafted. */
  protected lastDrafted = 0;
  /** The last own seq committed (`send`), or the floor of an earlier session when that is higher. */
  protected lastCommitted = 0;
  /**
   * Drafts out for signing, oldest first. Invariant: ascending seqs, none past lastDrafted; empty while no view is
   * installed.
   */
  protected readonly inFlight: SignedFields[] = [];
  /** Signed own DATA waiting for a view to be installed (or for state, on a joiner). */
  protected outbox: DataFrame[] = [];
  /** Per sender. Invariant: delivered < next, and every held seq > next (it waits behind a gap). */
  protected readonly senders = new Map<PeerId, SenderState>();
  /**
   * Delivered messages not known to be stable yet (for resends, flush reports, a joiner's state).
   * Invariant: each is delivered (its seq <= its sender's `delivered`).
   */
  protected readonly kept = new Map<MessageId, KeptMessage>();
  /** Per sender, the next seq past what the session shows already (markShown): delivered marked `shown`. */
  protected readonly shown = new Map<string, number>();
  /**
   * Latest `now` of an accepted input, for the steps that have none (adopting a joiner state, a
   * flush that completes): only the send times of our own messages read it. A refused input leaves it.
   */
  protected clock = 0;

  constructor(
    readonly mode: Ordering,
    readonly self: PeerId,
    readonly groupId: GroupId,
    protected readonly hooks: EngineHooks,
    resume: EngineResume | null = null,
  ) {
    if (resume !== null) {
      this.lastDrafted = resume.ownSeq;
      this.lastCommitted = resume.ownSeq;
      this.lamport = resume.lamport;
    }
  }

  /**
   * A Lamport time no honest member can be at yet (see MAX_LAMPORT_STEP), or null when fine.
   * Like priorities, only a member with state has a reference point.
   */
  /** The clock as it reads once an input at `now` is accepted; `clock` itself moves only then. */
  protected clockAt(now: number): number {
    return Math.max(this.clock, now);
  }

  /**
   * Moves our clock up to `lamport`, but at most one MAX_LAMPORT_STEP from where it stands: what a
   * FLUSH report hands us is taken alike by every participant (a joiner without state has no
   * ceiling to judge it by, and refusing it at some members only would split the flush), and this
   * cap is what keeps one signed frame from pushing our drafts out of range (PROTOCOL.md §3.2).
   */
  protected raiseClock(lamport: number): void {
    this.lamport = Math.max(this.lamport, Math.min(lamport, lamportCeiling(this.lamport)));
  }

  protected lamportTooHigh(lamport: number, what: string): Rejection | null {
    if (!this.adopted) return null;
    const ceiling = lamportCeiling(this.lamport);
    if (lamport <= ceiling) return null;
    return reject(
      'remote',
      'too-large',
      `${what} carries lamport ${lamport}, beyond ${ceiling}: no member's clock can be that far ahead of this one.`,
    );
  }

  protected deliver(f: DataFrame, agreed: Priority | null, out: OutputBuilder): void {
    const id = messageId(this.groupId, f.sender, f.seq);
    const st = this.sender(f.sender);
    st.delivered = Math.max(st.delivered, f.seq);
    // Alone in the view, a delivered message is stable at once: no high-water mark will ever come to
    // prune it, and keeping it would grow the next FLUSH and hand-over state without bound.
    const alone = this.members.size === 1 && this.members.has(this.self);
    if (!alone) this.kept.set(id, agreed === null ? { frame: f } : { frame: f, agreed });
    const order = agreed === null ? fifoOrderKey(f.lamport, f.sender, f.seq) : totalOrderKey(this.incarnation, agreed);
    const shown = f.seq < (this.shown.get(f.sender) ?? 1); // the session shows it already (markShown)
    out.deliveries.push(
      shown
        ? { id, frame: f, order, viewId: this.viewIdNow(), shown }
        : { id, frame: f, order, viewId: this.viewIdNow() },
    );
  }

  protected sender(s: PeerId): SenderState {
    let st = this.senders.get(s);
    if (st === undefined) {
      st = { next: 1, delivered: 0, held: new Map(), heldBytes: 0 };
      this.senders.set(s, st);
    }
    return st;
  }

  protected viewIdNow(): ViewId {
    return this.installed?.viewId ?? asViewId(0);
  }
}
