// The ordering engine of one group on one peer: FIFO per sender, ISIS total
// order on top of it (mode 'total'), and view changes by FLUSH. State here:
// sequence numbers, the Lamport clock, FIFO hold-back, the ISIS queue and
// proposals, unstable messages kept for resends and flushes, peers' delivered
// counts, frames buffered for a later view. Never here: sockets, clocks,
// randomness, signatures — `now` comes in as an argument, the runtime signs
// drafts and verifies every inbound DATA before `receive`.
//
// Every handler validates its whole input before it changes anything, so a
// Rejection always leaves the state as it was (h11's rule).

import { asViewId, messageId } from '../ids.ts';
import type { GroupId, MessageId, Ordering, PeerId, ViewId } from '../ids.ts';
import type { View } from '../tracker/events.ts';
import type {
  DataFrame,
  EngineFrame,
  FinalFrame,
  FlushFrame,
  FlushOkFrame,
  HighWaterFrame,
  JoinerState,
  PendingReport,
  Priority,
  ProposeFrame,
  SignedFields,
} from '../wire/frames.ts';
import type { EngineResult, OrderingEngine, Rejection } from './engine.ts';
import type { EngineResume } from './create-engine.ts';
import type { EngineHooks } from './engine-hooks.ts';
import { FlushAssembler, splitFlush } from './flush-parts.ts';
import { isStateless, resolveFlush } from './flush-resolution.ts';
import { HoldBackHeap } from './hold-back-heap.ts';
import { lamportCeiling, MAX_RESUME_LAMPORT } from './lamport.ts';
import { fifoOrderKey, totalOrderKey } from './order-key.ts';
import { ABANDONED_FLUSH_MARGIN, isValidPriority, maxPriority, priorityCeiling, samePriority } from './priority.ts';
import { OutputBuilder, reject } from './rejection.ts';
import { flushParticipants } from './view-membership.ts';
import { MAX_PARTS } from '../wire/caps.ts';
import { jsonBytes } from '../wire/parts.ts';

/** How far ahead of the next expected seq a sender may run: bounds hold-back memory a peer can make us spend. */
export const MAX_HOLD_BACK_AHEAD = 10_000;
/**
 * Frames one peer may have waiting for a view we have not installed (or, on a
 * joiner, for its state). Per peer, so one member's flood cannot crowd out the
 * others' frames; a count as well as bytes because small frames cost heap too.
 */
export const MAX_BUFFERED_FRAMES = 10_000;
/**
 * Bytes (JSON, UTF-8) one peer may have waiting, the same way. An honest peer is
 * at most a view or two ahead: its FLUSH for the next view (even a burst of a
 * thousand maximum-length unstable messages is ~12 MiB) and what it says in that
 * view before we install it; on a joiner, what it says while the history syncs.
 * 16 MiB holds that, and one peer's unsigned FLUSH frames for made-up views can
 * no longer fill the heap (300 of 1 MiB added 93 MB). Beyond it: `too-many`.
 */
export const MAX_BUFFERED_BYTES_PER_PEER = 16 * 1024 * 1024;
/** At most how often `tick` announces changed delivered counts: stability within a second keeps resend buffers small, and batching keeps it to one tiny frame per member per second under load. */
export const HWM_INTERVAL_MS = 1_000;

interface SenderState {
  /** Next seq that goes up to the ordering layer (FIFO delivery, or ISIS). */
  next: number;
  /** Highest seq delivered to the application; all lower ones are delivered too. */
  delivered: number;
  /** FIFO hold-back: DATA that arrived ahead of `next`. */
  readonly held: Map<number, DataFrame>;
}

interface QueueEntry {
  readonly frame: DataFrame;
  /** Our proposal until a FINAL arrives, then the agreed priority. */
  priority: Priority;
  final: boolean;
  /** The proposal this member made (kept for flush reports and resends). */
  readonly proposed: Priority;
  /** Admission counter: ties in the heap go in admission order. */
  readonly admitted: number;
}

interface OwnMessage {
  readonly proposals: Map<PeerId, Priority>;
  readonly sentAt: number;
}

interface KeptMessage {
  readonly frame: DataFrame;
  /** Total order: the priority it was delivered at. */
  readonly agreed?: Priority;
}

interface FlushState {
  readonly target: View;
  readonly participants: readonly PeerId[];
  readonly reports: Map<PeerId, FlushFrame>;
  /** Pending messages the dropDeadSenderPending hook told us to drop. */
  readonly hookDropped: Set<MessageId>;
  sent: boolean;
  /** We hold every report and sent our FLUSH-OK: we are bound to deliver this flush's resolution. */
  oked: boolean;
  /** Participants whose FLUSH-OK we hold (ours included); the view is installed when all have. */
  readonly oks: Set<PeerId>;
}

/** FLUSH and FLUSH-OK: the two rounds of a view change, kept apart from the view's own frames. */
const isFlushRound = (f: EngineFrame): f is FlushFrame | FlushOkFrame => f.t === 'flush' || f.t === 'flush-ok';

interface Buffered {
  readonly from: PeerId;
  readonly frame: EngineFrame;
  /** Its JSON size, charged to `from`'s budget while it waits. */
  readonly bytes: number;
}

/** A read-only picture of the engine for the simulator (S6, L2) and for before/after comparisons in tests. */
export interface EngineDebugState {
  readonly viewId: number | null;
  readonly flushingTo: number | null;
  readonly flushSent: boolean;
  readonly adopted: boolean;
  /** The view the group's current log began in (0 until this member has state). */
  readonly incarnation: number;
  /** Largest proposal made (ISIS `P`). */
  readonly proposedMax: number;
  /** Largest agreed priority seen (ISIS `A`). */
  readonly agreedMax: number;
  readonly lamport: number;
  readonly lastDrafted: number;
  readonly lastCommitted: number;
  readonly inFlight: number;
  readonly outbox: readonly number[];
  readonly senders: Readonly<Record<string, { next: number; delivered: number; held: readonly number[] }>>;
  /** The ISIS hold-back queue, by message id. */
  readonly queue: readonly { id: string; p: number; by: string; final: boolean }[];
  readonly ownProposals: Readonly<Record<string, readonly string[]>>;
  readonly earlyFinals: readonly string[];
  readonly learnedFinals: readonly string[];
  readonly kept: readonly string[];
  readonly peerDelivered: Readonly<Record<string, Readonly<Record<string, number>>>>;
  readonly buffered: number;
  /** Bytes of buffered frames per sending peer (MAX_BUFFERED_BYTES_PER_PEER). */
  readonly bufferedBytes: Readonly<Record<string, number>>;
  readonly repairing: readonly string[];
  readonly flushReports: readonly string[];
  /** Sum of every hold-back structure: must reach 0 once faults heal (L2). */
  readonly holdBackSize: number;
}

const staleSeqReason =
  'its seq was drafted before this member learned that an earlier session of its peer id already used it; send the body again';
const isCount = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
const isSeq = (n: unknown): n is number => isCount(n) && n >= 1;
const p2s = (x: Priority): string => `${x.p}:${x.by}`;
const byIdThenSeq = (a: DataFrame, b: DataFrame): number =>
  a.sender < b.sender ? -1 : a.sender > b.sender ? 1 : a.seq - b.seq;

export class GroupEngine implements OrderingEngine {
  private installed: View | null = null;
  private members = new Set<PeerId>();
  /** False until this member has state: a joiner before adoptJoinerState. */
  private adopted = false;
  /**
   * The view in which the group's current log began (PROTOCOL.md §3.11): set when this member
   * gains state without a sponsor (a group that starts afresh), or adopted from the sponsor.
   * Total-order keys carry it, so the logs of two incarnations never interleave.
   */
  private incarnation = 0;
  private lamport = 0;
  private proposedMax = 0;
  private agreedMax = 0;
  private lastDrafted = 0;
  private lastCommitted = 0;
  private readonly inFlight: SignedFields[] = [];
  /** Signed own DATA waiting for a view to be installed (or for state, on a joiner). */
  private outbox: DataFrame[] = [];
  private readonly senders = new Map<PeerId, SenderState>();
  private readonly queue = new Map<MessageId, QueueEntry>();
  /** Index of `queue` by priority; every change of an entry's priority goes through `prioritize`. */
  private readonly heap: HoldBackHeap;
  private admissions = 0;
  private readonly own = new Map<MessageId, OwnMessage>();
  /** Agreed priorities read in other members' FLUSH frames: facts we pass on even if that flush never completes. */
  private readonly learnedFinals = new Map<MessageId, Priority>();
  /** FINALs that arrived while the DATA still waited in FIFO hold-back. */
  private readonly earlyFinals = new Map<MessageId, Priority>();
  private readonly kept = new Map<MessageId, KeptMessage>();
  private readonly peerDelivered = new Map<PeerId, Map<PeerId, number>>();
  private futureList: Buffered[] = [];
  /** Per peer: frames and bytes in `future` (MAX_BUFFERED_FRAMES, MAX_BUFFERED_BYTES_PER_PEER). */
  private readonly futureUse = new Map<PeerId, { frames: number; bytes: number }>();
  private flush: FlushState | null = null;
  /** FLUSH reports that came in parts, until each is whole. */
  private readonly flushParts = new FlushAssembler();
  /** Our FLUSH for the installed view: a peer still flushing for it (its copy was lost) gets it again. */
  private lastFlush: { readonly frame: FlushFrame; readonly ok: FlushOkFrame; readonly participants: readonly PeerId[]; readonly answered: Set<PeerId> } | null = null;
  private lastHwmAt: number | null = null;
  /** Delivered counts as last announced to the view; null = announce in this view. */
  private lastAnnounced: string | null = null;
  /** Peers whose link came back: their next hwm tells us what to resend (a periodic one does not). */
  private readonly repairing = new Set<PeerId>();
  /**
   * Own seqs at or below this belong to an earlier engine of this peer id (from `resume`, or
   * the sponsor's nextSeq for us): the group or our store already has messages with those ids.
   */
  private seqFloor = 0;
  /** A from the store of an earlier session (`resume.agreed`). */
  private resumeAgreed = 0;
  /** Per-sender delivered counts from the store of an earlier session (`resume.delivered`). */
  private resumeDelivered: Readonly<Record<string, number>> = {};
  /**
   * Our seqs up to here were used by an earlier engine of this peer id but the state we adopted
   * counts fewer of them (the group went through an empty view): our hwm says so (`floor`), and
   * members start their FIFO gate for us after it. Null when the group's count covers them.
   */
  private ownFloor: number | null = null;
  /** Seqs of our outbox frames that travelled inside one of our joining FLUSHes (the group may have delivered them). */
  private readonly flushedOwn = new Set<number>();
  /** Per sender, the next seq past what the session shows already (markShown): delivered marked `shown`. */
  private readonly shown = new Map<string, number>();
  /** Latest `now` seen, for the calls that have none (adoptJoinerState): only the test hooks read send times. */
  private clock = 0;

  constructor(
    readonly mode: Ordering,
    readonly self: PeerId,
    readonly groupId: GroupId,
    private readonly hooks: EngineHooks,
    resume: EngineResume | null = null,
  ) {
    this.heap = new HoldBackHeap(hooks.comparePriority);
    if (resume !== null) {
      this.seqFloor = resume.ownSeq;
      this.lastDrafted = resume.ownSeq;
      this.lastCommitted = resume.ownSeq;
      this.lamport = resume.lamport;
      // Applied only if we gain state without a sponsor: a sponsor's A is the group's, and one from our
      // store could be far above it (an older era of the group), so far that members would refuse our proposals.
      this.resumeAgreed = resume.agreed;
      this.resumeDelivered = resume.delivered ?? {};
    }
  }

  get view(): View | null {
    return this.installed;
  }

  /** False for a joiner until adoptJoinerState: such a member cannot sponsor anyone. */
  get hasState(): boolean {
    return this.adopted;
  }

  // ---- sending ----

  draft(body: string, now: number): SignedFields | Rejection {
    if (this.installed === null) return reject('local', 'bad-state', 'Cannot send before the first view of the group is installed.');
    if (typeof body !== 'string') return reject('local', 'bad-type', 'A message body must be a string.');
    const viewId = this.flush?.target.viewId ?? this.installed.viewId;
    this.lastDrafted += 1;
    this.lamport += 1;
    const fields: SignedFields = { groupId: this.groupId, viewId, sender: this.self, seq: this.lastDrafted, lamport: this.lamport, sentAt: now, body };
    this.inFlight.push(fields);
    return fields;
  }

  send(frame: DataFrame, now: number): EngineResult {
    const d = this.inFlight[0];
    if (d === undefined) return reject('local', 'bad-state', 'send() was called without an outstanding draft.');
    if (
      frame.t !== 'data' || frame.groupId !== d.groupId || frame.viewId !== d.viewId || frame.sender !== d.sender ||
      frame.seq !== d.seq || frame.lamport !== d.lamport || frame.sentAt !== d.sentAt || frame.body !== d.body
    )
      return reject('local', 'bad-state', `send() must commit the oldest draft (seq ${d.seq}) unchanged.`);
    const out = new OutputBuilder();
    this.clock = Math.max(this.clock, now);
    this.inFlight.shift();
    if (frame.seq <= this.seqFloor) {
      // Drafted before the sponsor told us our earlier session's last seq: its id is taken.
      out.events.push({ type: 'message-dropped', id: messageId(this.groupId, this.self, frame.seq), reason: staleSeqReason });
      this.maybeSendFlush(out);
      return out.build();
    }
    this.lastCommitted = frame.seq;
    const installed = this.installed as View;
    if (this.adopted && frame.viewId === installed.viewId && this.flush?.sent !== true) this.multicastOwn(frame, now, out);
    else this.outbox.push(frame);
    this.maybeSendFlush(out);
    return out.build();
  }

  private multicastOwn(signed: DataFrame, now: number, out: OutputBuilder): void {
    const st = this.sender(this.self);
    st.next = Math.max(st.next, signed.seq + 1);
    // Total order: our own proposal rides along (see DataFrame.proposal); it is made before the frame leaves.
    const frame = this.mode === 'total' ? { ...signed, proposal: this.nextProposal() } : signed;
    const at = out.frames.length;
    this.admit(frame, out, now);
    out.frames.splice(at, 0, { to: 'all', frame });
    this.deliverReady(out);
  }

  /**
   * A priority number no honest member can be at yet (see MAX_PRIORITY_STEP), or null when fine.
   * Only a member with state has a reference point: a joiner before its state, or a group that
   * starts afresh, accepts what it is told.
   */
  private priorityTooHigh(p: number, what: string): Rejection | null {
    if (this.mode !== 'total' || !this.adopted) return null;
    const ceiling = priorityCeiling(this.proposedMax, this.agreedMax);
    if (p <= ceiling) return null;
    return reject('remote', 'too-large', `${what} carries priority ${p}, beyond ${ceiling}: no member can be that far ahead of this one.`);
  }

  /**
   * A Lamport time no honest member can be at yet (see MAX_LAMPORT_STEP), or null when fine.
   * Like priorities, only a member with state has a reference point.
   */
  private lamportTooHigh(lamport: number, what: string): Rejection | null {
    if (!this.adopted) return null;
    const ceiling = lamportCeiling(this.lamport);
    if (lamport <= ceiling) return null;
    return reject('remote', 'too-large', `${what} carries lamport ${lamport}, beyond ${ceiling}: no member's clock can be that far ahead of this one.`);
  }

  /** ISIS: p = max(P, A) + 1, by us. */
  private nextProposal(): Priority {
    return { p: Math.max(this.proposedMax, this.agreedMax) + 1, by: this.self };
  }

  // ---- receiving ----

  receive(from: PeerId, frame: EngineFrame, now: number): EngineResult {
    this.clock = Math.max(this.clock, now);
    if (frame.groupId !== this.groupId)
      return reject('remote', 'bad-state', `A frame for group ${String(frame.groupId)} arrived on group ${this.groupId}.`);
    switch (frame.t) {
      case 'data':
        return this.onData(from, frame, now);
      case 'propose':
        return this.onPropose(from, frame, now);
      case 'final':
        return this.onFinal(from, frame);
      case 'flush':
        return this.onFlush(from, frame, now);
      case 'flush-ok':
        return this.onFlushOk(from, frame);
      case 'hwm':
        return this.onHwm(from, frame);
      default:
        return reject('remote', 'unknown-kind', 'The ordering engine does not handle this kind of frame.');
    }
  }

  /** Where a view-tagged frame goes: processed now, kept for a later view, ignored, or refused. */
  private gate(frame: { readonly viewId: ViewId }): 'process' | 'buffer' | 'ignore' | Rejection {
    if (!isCount(frame.viewId)) return reject('remote', 'bad-type', 'viewId must be a non-negative integer.');
    if (this.installed === null) return 'buffer';
    if (frame.viewId < this.installed.viewId)
      return reject('remote', 'old-view', `Frame of view ${frame.viewId} arrived after view ${this.installed.viewId} was installed.`);
    if (frame.viewId > this.installed.viewId || !this.adopted) return 'buffer';
    // After our FLUSH left, the old view is frozen: the flushes carry everything survivors have.
    return this.flush?.sent === true ? 'ignore' : 'process';
  }

  /** Frames waiting for a later view; every replacement of the list recounts the per-peer budgets. */
  private get future(): Buffered[] {
    return this.futureList;
  }

  private set future(list: Buffered[]) {
    this.futureList = list;
    this.futureUse.clear();
    for (const b of list) {
      const use = this.futureUse.get(b.from) ?? { frames: 0, bytes: 0 };
      use.frames += 1;
      use.bytes += b.bytes;
      this.futureUse.set(b.from, use);
    }
  }

  private buffer(from: PeerId, frame: EngineFrame): EngineResult {
    const bytes = jsonBytes(frame);
    const use = this.futureUse.get(from) ?? { frames: 0, bytes: 0 };
    if (use.frames >= MAX_BUFFERED_FRAMES)
      return reject('remote', 'too-many', `${from} already has ${MAX_BUFFERED_FRAMES} frames waiting for a view change.`);
    if (use.bytes + bytes > MAX_BUFFERED_BYTES_PER_PEER)
      return reject('remote', 'too-many', `${from} already has ${use.bytes} bytes waiting for a view change; ${bytes} more exceed ${MAX_BUFFERED_BYTES_PER_PEER}.`);
    this.futureList.push({ from, frame, bytes });
    this.futureUse.set(from, { frames: use.frames + 1, bytes: use.bytes + bytes });
    return new OutputBuilder().build();
  }

  /**
   * `from` sent us a frame of view `viewId` (installed here), so its engine had installed it; its
   * DATA, HWM, PROPOSE and FINAL of a later view that reached us before it come from an earlier
   * session of that peer id (an engine's installed view never goes back) - an incarnation whose view
   * ids ran above this one's (restore offset, PROTOCOL.md §2 Restore). They would wait for that view
   * for good (and fill the peer's buffer budget): drop them. Flush-round frames stay: a FLUSH for the
   * next view goes out before the sender's last frames of the view it leaves.
   */
  private dropStaleFuture(from: PeerId, viewId: ViewId): void {
    if (this.futureUse.has(from) && this.future.some((b) => b.from === from && !isFlushRound(b.frame) && b.frame.viewId > viewId))
      this.future = this.future.filter((b) => b.from !== from || isFlushRound(b.frame) || b.frame.viewId <= viewId);
  }

  /**
   * The same for a peer the installed view leaves out (it crashed or left before it sent us a frame
   * of a view we installed): its DATA, HWM, PROPOSE and FINAL of a later view are an earlier
   * session's. A later view with that peer in it (a re-join) cannot have given it state yet — its
   * flush needs our FLUSH-OK, which comes after this install — so it sent us none of those for it.
   */
  private dropGoneFuture(viewId: ViewId): void {
    const gone = (b: Buffered): boolean => !this.members.has(b.from) && !isFlushRound(b.frame) && b.frame.viewId > viewId;
    if (this.future.some(gone)) this.future = this.future.filter((b) => !gone(b));
  }

  private routed(from: PeerId, frame: EngineFrame & { readonly viewId: ViewId }): EngineResult | null {
    const g = this.gate(frame);
    if (g === 'process') {
      if (!isFlushRound(frame)) this.dropStaleFuture(from, frame.viewId);
      return null;
    }
    if (g === 'buffer') return this.buffer(from, frame);
    if (g === 'ignore') return new OutputBuilder().build();
    return g;
  }

  private onData(from: PeerId, f: DataFrame, now: number): EngineResult {
    if (f.sender !== from) return reject('remote', 'forged-sender', `DATA from ${from} claims sender ${f.sender}.`);
    if (!isSeq(f.seq) || !isCount(f.lamport)) return reject('remote', 'bad-type', 'DATA needs a positive integer seq and a non-negative lamport.');
    if (f.proposal !== undefined && (!isValidPriority(f.proposal) || f.proposal.by !== f.sender))
      return reject('remote', 'bad-type', "DATA carries a proposal that is not its sender's own valid priority.");
    const r = this.routed(from, f);
    if (r !== null) return r;
    if (from === this.self) return reject('remote', 'replay', 'A peer sent this member its own message.');
    if (!this.members.has(from)) return reject('remote', 'not-member', `${from} is not a member of view ${this.installed?.viewId}.`);
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
      return reject('remote', 'replay', `Message ${f.seq} of ${from} was already delivered${had === undefined ? '' : ' with other content'}.`);
    }
    const holding = st?.held.get(f.seq) ?? (f.seq < next ? this.queue.get(id)?.frame : undefined);
    if (holding !== undefined || f.seq < next) {
      // A resend we already hold is idempotent; the same id with other signed content is equivocation:
      // the first copy stays, the second is refused.
      if (holding === undefined || sameSigned(holding, f)) return new OutputBuilder().build();
      return reject('remote', 'replay', `${from} sent message ${f.seq} again with other content; the first copy is kept.`);
    }
    if (f.seq - next > MAX_HOLD_BACK_AHEAD)
      return reject('remote', 'too-many', `Message ${f.seq} of ${from} is more than ${MAX_HOLD_BACK_AHEAD} ahead of ${next}.`);

    const out = new OutputBuilder();
    this.lamport = Math.max(this.lamport, f.lamport);
    const s = this.sender(from);
    if (this.mode === 'total' && !this.hooks.fifoGateUnderIsis) {
      // Deliberately broken variant: no FIFO gate below ISIS.
      s.next = Math.max(s.next, f.seq + 1);
      this.admit(f, out, now);
    } else if (f.seq === s.next) {
      this.admit(f, out, now);
      s.next += 1;
      for (let h = s.held.get(s.next); h !== undefined; h = s.held.get(s.next)) {
        s.held.delete(s.next);
        this.admit(h, out, now);
        s.next += 1;
      }
    } else s.held.set(f.seq, f);
    this.deliverReady(out);
    return out.build();
  }

  /** The next message of a sender goes up: delivered (FIFO) or proposed for (ISIS). */
  private admit(f: DataFrame, out: OutputBuilder, now: number): void {
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
      this.maybeFinalize(id, out, false);
    } else {
      const propose: ProposeFrame = { t: 'propose', groupId: this.groupId, viewId: this.viewIdNow(), sender: f.sender, seq: f.seq, priority: mine };
      out.frames.push({ to: f.sender, frame: propose });
    }
  }

  private onPropose(from: PeerId, f: ProposeFrame, _now: number): EngineResult {
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
    this.maybeFinalize(id, out, false);
    this.deliverReady(out);
    return out.build();
  }

  /** A sender's own message: FINAL = max of every member's proposal (or, broken, of what it has). */
  private maybeFinalize(id: MessageId, out: OutputBuilder, force: boolean): void {
    const mine = this.own.get(id);
    const entry = this.queue.get(id);
    if (mine === undefined || entry === undefined) return;
    if (!force && ![...this.members].every((m) => mine.proposals.has(m))) return;
    const agreed = maxPriority(mine.proposals.values(), this.hooks.comparePriority) as Priority;
    this.own.delete(id);
    const final: FinalFrame = { t: 'final', groupId: this.groupId, viewId: this.viewIdNow(), sender: this.self, seq: entry.frame.seq, priority: agreed };
    if (this.members.size > 1) out.frames.push({ to: 'all', frame: final });
    this.prioritize(id, entry, agreed);
    entry.final = true;
    this.agreedMax = Math.max(this.agreedMax, agreed.p);
  }

  private onFinal(from: PeerId, f: FinalFrame): EngineResult {
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

  private prioritize(id: MessageId, entry: QueueEntry, priority: Priority): void {
    entry.priority = priority;
    this.heap.push(id, priority, entry.admitted);
  }

  /** ISIS delivery: from the head of the queue while the head is final. */
  private deliverReady(out: OutputBuilder): void {
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

  private deliver(f: DataFrame, agreed: Priority | null, out: OutputBuilder): void {
    const id = messageId(this.groupId, f.sender, f.seq);
    const st = this.sender(f.sender);
    st.delivered = Math.max(st.delivered, f.seq);
    // Alone in the view, a delivered message is stable at once: no high-water mark will ever come to
    // prune it, and keeping it would grow the next FLUSH and hand-over state without bound.
    const alone = this.members.size === 1 && this.members.has(this.self);
    if (!alone) this.kept.set(id, agreed === null ? { frame: f } : { frame: f, agreed });
    const order = agreed === null ? fifoOrderKey(f.lamport, f.sender, f.seq) : totalOrderKey(this.incarnation, agreed);
    const shown = f.seq < (this.shown.get(f.sender) ?? 1); // the session shows it already (markShown)
    out.deliveries.push(shown ? { id, frame: f, order, viewId: this.viewIdNow(), shown } : { id, frame: f, order, viewId: this.viewIdNow() });
  }

  // ---- stability and link repair ----

  private onHwm(from: PeerId, f: HighWaterFrame): EngineResult {
    if (typeof f.delivered !== 'object' || f.delivered === null || !Object.values(f.delivered).every(isCount))
      return reject('remote', 'bad-type', 'hwm.delivered must map peer ids to non-negative integers.');
    const r = this.routed(from, f);
    if (r !== null) return r;
    if (!this.members.has(from)) return reject('remote', 'not-member', `${from} is not a member of view ${this.installed?.viewId}.`);
    const out = new OutputBuilder();
    if (f.floor !== undefined) this.skipTo(from, f.floor, out);
    // A member that counts fewer of our seqs than our floor has not learnt it (it adopted a state
    // taken before our floor reached its sponsor): tell it again.
    if (this.ownFloor !== null && (f.delivered[this.self] ?? 0) < this.ownFloor) out.frames.push({ to: from, frame: this.hwmFrame() });
    this.notePeerDelivered(from, f.delivered);
    if (!this.repairing.delete(from)) {
      // A periodic announcement only teaches stability; resending on it would duplicate frames still in flight.
      this.pruneStable();
      return out.build();
    }
    const theirs = f.delivered[this.self] ?? 0;
    // Our own messages they lack, with the FINAL when we know it.
    const ownFrames: { frame: DataFrame; agreed: Priority | null }[] = [];
    for (const k of this.kept.values()) if (k.frame.sender === this.self && k.frame.seq > theirs) ownFrames.push({ frame: k.frame, agreed: k.agreed ?? null });
    for (const e of this.queue.values())
      if (e.frame.sender === this.self && e.frame.seq > theirs) ownFrames.push({ frame: e.frame, agreed: e.final ? e.priority : null });
    ownFrames.sort((a, b) => a.frame.seq - b.frame.seq);
    for (const o of ownFrames) {
      out.frames.push({ to: from, frame: o.frame });
      if (o.agreed !== null)
        out.frames.push({ to: from, frame: { t: 'final', groupId: this.groupId, viewId: this.viewIdNow(), sender: this.self, seq: o.frame.seq, priority: o.agreed } });
    }
    // Our proposals for their messages that are still open (the PROPOSE may have been lost).
    for (const e of this.queue.values())
      if (e.frame.sender === from && !e.final)
        out.frames.push({ to: from, frame: { t: 'propose', groupId: this.groupId, viewId: this.viewIdNow(), sender: from, seq: e.frame.seq, priority: e.proposed } });
    this.pruneStable();
    return out.build();
  }

  /**
   * `from` says its seqs up to `floor` are none of this incarnation (hwm.floor): its FIFO gate goes
   * on after them. Ignored once we admitted any of its messages past our count (an honest sender
   * sends its floor before its first message in the incarnation, on the same link).
   */
  private skipTo(from: PeerId, floor: number, out: OutputBuilder): void {
    if (!this.adopted || !isSeq(floor)) return;
    const st = this.sender(from);
    if (floor <= st.delivered || st.next !== st.delivered + 1) return;
    for (const seq of [...st.held.keys()]) if (seq <= floor) st.held.delete(seq);
    st.delivered = floor;
    st.next = floor + 1;
    for (let h = st.held.get(st.next); h !== undefined; h = st.held.get(st.next)) {
      st.held.delete(st.next);
      this.admit(h, out, this.clock);
      st.next += 1;
    }
    this.deliverReady(out);
  }

  private notePeerDelivered(peer: PeerId, delivered: Readonly<Record<string, number>>): void {
    const m = this.peerDelivered.get(peer) ?? new Map<PeerId, number>();
    for (const [s, n] of Object.entries(delivered)) m.set(s as PeerId, Math.max(m.get(s as PeerId) ?? 0, n));
    this.peerDelivered.set(peer, m);
  }

  /** Drop kept messages every member of the view has delivered: nobody can need them again. */
  private pruneStable(): void {
    for (const [id, k] of this.kept) {
      const s = k.frame.sender;
      const stable = [...this.members].every((m) =>
        m === this.self ? (this.senders.get(s)?.delivered ?? 0) >= k.frame.seq : (this.peerDelivered.get(m)?.get(s) ?? 0) >= k.frame.seq,
      );
      if (stable) this.kept.delete(id);
    }
  }

  private deliveredCounts(): Record<string, number> {
    const d: Record<string, number> = {};
    for (const [s, st] of this.senders) d[s] = st.delivered;
    return d;
  }

  private hwmFrame(): HighWaterFrame {
    const base = { t: 'hwm' as const, groupId: this.groupId, viewId: this.viewIdNow(), delivered: this.deliveredCounts() };
    return this.ownFloor === null ? base : { ...base, floor: this.ownFloor };
  }

  linkUp(peer: PeerId, _now: number): EngineResult {
    const out = new OutputBuilder();
    if (peer === this.self) return out.build();
    const fl = this.flush;
    if (fl !== null) {
      // Our FLUSH may have died with the old channel; a second copy is a no-op at the far end.
      // The hwm exchange waits for the new view (an hwm of the old one would be refused there).
      const mine = fl.reports.get(this.self);
      if (mine !== undefined && fl.participants.includes(peer)) for (const frame of splitFlush(mine)) out.frames.push({ to: peer, frame });
      if (fl.oked && fl.participants.includes(peer)) out.frames.push({ to: peer, frame: this.flushOkFrame(fl.target.viewId) });
      if (fl.target.members.some((m) => m.peerId === peer)) this.repairing.add(peer);
      return out.build();
    }
    const last = this.lastFlush;
    if (last !== null && last.participants.includes(peer)) {
      // Our FLUSH for the installed view may never have reached this peer: we sent it while our end
      // of the channel was still closed (a link to a fellow joiner opens after the tracker installed
      // the view), and the flush completed here before that end opened. The peer may still be
      // flushing for that view and would wait for it forever. Send it once more; marked answered, so
      // the copy of its own FLUSH that an installed peer sends back is not answered again.
      last.answered.add(peer);
      for (const frame of splitFlush(last.frame)) out.frames.push({ to: peer, frame });
      out.frames.push({ to: peer, frame: last.ok });
    }
    if (this.installed !== null && this.adopted && this.members.has(peer)) {
      this.repairing.add(peer);
      out.frames.push({ to: peer, frame: this.hwmFrame() });
    }
    return out.build();
  }

  tick(now: number): EngineResult {
    const out = new OutputBuilder();
    const timeout = this.hooks.finalizeOnTimeoutMs;
    if (timeout !== null && this.flush?.sent !== true) {
      for (const [id, m] of [...this.own]) if (now - m.sentAt >= timeout) this.maybeFinalize(id, out, true);
      this.deliverReady(out);
    }
    const due = this.lastHwmAt === null || now - this.lastHwmAt >= HWM_INTERVAL_MS;
    if (due && this.installed !== null && this.adopted && this.flush === null && this.members.size > 1) {
      // Announce only when our counts changed: the group falls quiet once everyone has said its last word.
      const counts = this.hwmFrame();
      const text = JSON.stringify(counts.delivered);
      if (text !== this.lastAnnounced) {
        this.lastHwmAt = now;
        this.lastAnnounced = text;
        out.frames.push({ to: 'all', frame: counts });
      }
    }
    return out.build();
  }

  // ---- views ----

  installView(view: View, now: number): EngineResult {
    if (view.groupId !== this.groupId) return reject('remote', 'bad-state', `A view of group ${view.groupId} reached the engine of group ${this.groupId}.`);
    if (!isCount(view.viewId)) return reject('remote', 'bad-type', 'viewId must be a non-negative integer.');
    const latest = this.flush?.target ?? this.installed;
    if (latest !== null && view.viewId === latest.viewId) return new OutputBuilder().build(); // re-sent after a tracker restart
    if (latest !== null && view.viewId < latest.viewId)
      return reject('remote', 'old-view', `View ${view.viewId} arrived after view ${latest.viewId}.`);
    if (!view.members.some((m) => m.peerId === this.self))
      return reject('local', 'not-member', `This peer is not a member of view ${view.viewId}; the group session should close.`);
    const out = new OutputBuilder();
    const participants = flushParticipants(view);
    this.clock = Math.max(this.clock, now);
    if ((this.installed === null && view.members.length === 1) || !participants.includes(this.self)) {
      // The first member of a brand-new group (empty state), or a joiner: it does not take part in
      // this view's flush and gets its state from the sponsor. (A member with state that the tracker
      // lists as joined again keeps its state: see PROTOCOL.md §3, limits.)
      const founds = this.installed === null && view.members.length === 1;
      if (this.installed === null) this.adopted = founds;
      if (founds) this.incarnation = view.viewId; // nobody to take state from: a new incarnation
      if (this.adopted) this.claimOwnFloor(founds);
      this.flush = null;
      this.lastFlush = null;
      this.finishInstall(view, out, now);
      return out.build();
    }
    const abandoned = this.flush;
    // Our FLUSH-OK for the abandoned view may have let someone install it: deliver what they did.
    if (abandoned !== null && abandoned.oked) this.applyResolution(abandoned, out);
    else if (abandoned !== null && abandoned.sent) this.agreedMax = Math.max(this.agreedMax, this.abandonedCeiling(abandoned));
    this.flush = { target: view, participants, reports: new Map(), hookDropped: new Set(), sent: false, oked: false, oks: new Set() };
    out.events.push({ type: 'blocked', reason: 'view-change' });
    // Flushes for this view that arrived before the tracker told us about it.
    const later: Buffered[] = [];
    for (const b of this.future) {
      if (b.frame.t === 'flush' && b.frame.viewId === view.viewId && participants.includes(b.from)) {
        this.flush.reports.set(b.from, b.frame);
        this.learnFinals(b.frame);
      } else if (b.frame.t === 'flush-ok' && b.frame.viewId === view.viewId && participants.includes(b.from)) this.flush.oks.add(b.from);
      else if (!(isFlushRound(b.frame) && b.frame.viewId <= view.viewId)) later.push(b);
    }
    this.future = later;
    this.maybeSendFlush(out);
    return out.build();
  }

  /**
   * A flush we sent our FLUSH for and never saw complete may have completed at
   * members that then crashed: they delivered its 'above' messages at
   * (B + i, lowest participant), pairs our next resolution could hand out again
   * to other messages (seed 6137). Raise A above anything that resolution can
   * have used: its B and message count from the reports we hold, plus
   * ABANDONED_FLUSH_MARGIN for what the reports we never got can add. Only
   * total order has priorities.
   */
  private abandonedCeiling(fl: FlushState): number {
    if (this.mode !== 'total' || !this.adopted) return 0;
    const seen = fl.participants.flatMap((p) => {
      const frame = fl.reports.get(p);
      return frame === undefined ? [] : [{ from: p, frame }];
    });
    return resolveFlush(this.mode, seen, this.hooks.comparePriority).agreed + ABANDONED_FLUSH_MARGIN;
  }

  /** Send our FLUSH once no draft of an older view is still being signed (it must be in the flush). */
  private maybeSendFlush(out: OutputBuilder): void {
    const fl = this.flush;
    if (fl === null || fl.sent || this.inFlight.some((d) => d.viewId < fl.target.viewId)) return;
    const frame = this.buildFlush(fl);
    // A report over one frame's caps travels in parts (flush-parts.ts); the receiver acts on it whole.
    const parts = splitFlush(frame);
    for (const p of fl.participants) if (p !== this.self) for (const part of parts) out.frames.push({ to: p, frame: part });
    fl.reports.set(this.self, frame);
    fl.sent = true;
    this.maybeComplete(out);
  }

  private buildFlush(fl: FlushState): FlushFrame {
    const carried = this.outbox.filter((f) => f.viewId < fl.target.viewId);
    const base = { t: 'flush' as const, groupId: this.groupId, viewId: fl.target.viewId };
    if (!this.adopted) {
      for (const f of carried) this.flushedOwn.add(f.seq);
      // A resumed peer tells a group that starts afresh where its seq and A go on (resolveFlush reads
      // only its own entry): nobody else can know, and the others' FIFO gates must not wait for seq 1.
      const floor = this.seqFloor > 0 ? { [this.self]: this.seqFloor } : {};
      return { ...base, unstable: carried, pending: [], agreed: Math.max(this.agreedMax, this.resumeAgreed), delivered: floor, joining: true };
    }
    const alive = new Set(fl.target.members.map((m) => m.peerId));
    const unstable: DataFrame[] = [...carried];
    const pending: PendingReport[] = [];
    for (const k of this.kept.values()) {
      unstable.push(k.frame);
      if (k.agreed !== undefined) pending.push({ sender: k.frame.sender, seq: k.frame.seq, final: k.agreed });
    }
    for (const st of this.senders.values()) unstable.push(...st.held.values());
    for (const [id, e] of this.queue) {
      if (!e.final && !alive.has(e.frame.sender) && this.hooks.dropDeadSenderPending(this.self, e.frame)) {
        fl.hookDropped.add(id);
        continue;
      }
      unstable.push(e.frame);
      const final = e.final ? e.priority : this.learnedFinals.get(id);
      pending.push(final !== undefined ? { sender: e.frame.sender, seq: e.frame.seq, proposed: e.proposed, final } : { sender: e.frame.sender, seq: e.frame.seq, proposed: e.proposed });
    }
    unstable.sort(byIdThenSeq);
    pending.sort((a, b) => (a.sender < b.sender ? -1 : a.sender > b.sender ? 1 : a.seq - b.seq));
    const installed = this.installed === null ? {} : { installed: { viewId: this.installed.viewId, members: [...this.members].sort() } };
    return { ...base, unstable, pending, agreed: this.agreedMax, delivered: this.deliveredCounts(), ...installed, incarnation: asViewId(this.incarnation) };
  }

  private learnFinals(f: FlushFrame): void {
    if (this.mode !== 'total') return;
    for (const r of f.pending) if (r.final !== undefined) this.learnedFinals.set(messageId(this.groupId, r.sender, r.seq), r.final);
  }

  private onFlush(from: PeerId, part: FlushFrame, _now: number): EngineResult {
    const bad = validateFlush(part, this.groupId);
    if (bad !== null) return reject('remote', 'bad-type', bad);
    const f = this.flushParts.add(from, part);
    if (f === null) return new OutputBuilder().build(); // more parts are due
    if ('rejected' in f) return f;
    const tooHigh =
      this.priorityTooHigh(highestFlushPriority(f), 'FLUSH') ?? this.lamportTooHigh(f.unstable.reduce((m, d) => Math.max(m, d.lamport), 0), 'FLUSH');
    if (tooHigh !== null) return tooHigh;
    const last = this.lastFlush;
    if (last !== null && f.viewId === last.frame.viewId && last.participants.includes(from) && from !== this.self) {
      // The peer may still be flushing for the view we installed (our FLUSH did not reach it): answer
      // once per link-up, so two installed members that both see a duplicate do not ping-pong.
      const out = new OutputBuilder();
      if (!last.answered.has(from)) {
        last.answered.add(from);
        for (const frame of splitFlush(last.frame)) out.frames.push({ to: from, frame });
        out.frames.push({ to: from, frame: last.ok });
      }
      return out.build();
    }
    if (this.installed !== null && f.viewId <= this.installed.viewId)
      return reject('remote', 'old-view', `FLUSH for view ${f.viewId} arrived after view ${this.installed.viewId} was installed.`);
    const fl = this.flush;
    if (fl !== null && f.viewId < fl.target.viewId)
      return reject('remote', 'old-view', `FLUSH for view ${f.viewId} arrived while flushing for view ${fl.target.viewId}.`);
    if (fl === null || f.viewId > fl.target.viewId) return this.buffer(from, f);
    if (!fl.participants.includes(from)) return reject('remote', 'not-member', `${from} does not take part in the flush for view ${f.viewId}.`);
    if (fl.reports.has(from)) return new OutputBuilder().build();
    const out = new OutputBuilder();
    fl.reports.set(from, f);
    this.learnFinals(f);
    this.maybeComplete(out);
    return out.build();
  }

  /**
   * Round two of a view change. With every participant's FLUSH we send FLUSH-OK and are bound to
   * its resolution; the view is installed once every participant sent FLUSH-OK. Without the second
   * round a participant removed unawares could complete a flush that the others abandoned for a
   * newer view without it, and deliver what they never will (seed 1148931).
   */
  private maybeComplete(out: OutputBuilder): void {
    const fl = this.flush;
    if (fl === null || !fl.sent || !fl.participants.every((p) => fl.reports.has(p))) return;
    if (!fl.oked) {
      fl.oked = true;
      fl.oks.add(this.self);
      const ok = this.flushOkFrame(fl.target.viewId);
      for (const p of fl.participants) if (p !== this.self) out.frames.push({ to: p, frame: ok });
    }
    if (!fl.participants.every((p) => fl.oks.has(p))) return;
    this.applyResolution(fl, out);
    const mine = fl.reports.get(this.self);
    this.lastFlush = mine === undefined ? null : { frame: mine, ok: this.flushOkFrame(fl.target.viewId), participants: fl.participants, answered: new Set() };
    this.flush = null;
    this.finishInstall(fl.target, out, this.clock);
  }

  private flushOkFrame(viewId: ViewId): FlushOkFrame {
    return { t: 'flush-ok', groupId: this.groupId, viewId };
  }

  private onFlushOk(from: PeerId, f: FlushOkFrame): EngineResult {
    if (!isCount(f.viewId)) return reject('remote', 'bad-type', 'FLUSH-OK viewId must be a non-negative integer.');
    const last = this.lastFlush;
    // A copy for the view we installed (we had its FLUSH-OK already): nothing to do.
    if (last !== null && f.viewId === last.frame.viewId && last.participants.includes(from)) return new OutputBuilder().build();
    if (this.installed !== null && f.viewId <= this.installed.viewId)
      return reject('remote', 'old-view', `FLUSH-OK for view ${f.viewId} arrived after view ${this.installed.viewId} was installed.`);
    const fl = this.flush;
    if (fl !== null && f.viewId < fl.target.viewId)
      return reject('remote', 'old-view', `FLUSH-OK for view ${f.viewId} arrived while flushing for view ${fl.target.viewId}.`);
    if (fl === null || f.viewId > fl.target.viewId) return this.buffer(from, f);
    if (!fl.participants.includes(from)) return reject('remote', 'not-member', `${from} does not take part in the flush for view ${f.viewId}.`);
    const out = new OutputBuilder();
    fl.oks.add(from);
    this.maybeComplete(out);
    return out.build();
  }

  /** Deliver what the flush decided and take on its counts: at install, or when we abandon a flush we sent FLUSH-OK for. */
  private applyResolution(fl: FlushState, out: OutputBuilder): void {
    const outcome = resolveFlush(
      this.mode,
      fl.participants.map((p) => ({ from: p, frame: fl.reports.get(p) as FlushFrame })),
      this.hooks.comparePriority,
    );
    if (!this.adopted && !outcome.anyState) {
      // Nobody delivered anything. Members with state (still empty) say which incarnation we
      // join; without any, the group starts afresh here: a new incarnation.
      this.adopted = true;
      this.incarnation = carriedIncarnation(fl.participants.map((p) => fl.reports.get(p) as FlushFrame)) ?? fl.target.viewId;
      this.claimOwnFloor();
    }
    if (this.adopted) {
      for (const m of outcome.messages) {
        if (m.frame.seq <= (this.senders.get(m.frame.sender)?.delivered ?? 0)) continue;
        if (fl.hookDropped.has(m.id)) {
          out.events.push({ type: 'message-dropped', id: m.id, reason: 'dropped at view change (test hook)' });
          continue;
        }
        this.lamport = Math.max(this.lamport, m.frame.lamport);
        this.deliver(m.frame, m.agreed, out);
      }
      for (const [s, end] of outcome.ends) {
        const st = this.sender(s);
        st.delivered = Math.max(st.delivered, end);
        st.next = Math.max(st.next, st.delivered + 1);
      }
      for (const st of this.senders.values()) st.held.clear();
      for (const f of outcome.dropped)
        out.events.push({ type: 'message-dropped', id: messageId(this.groupId, f.sender, f.seq), reason: 'an earlier message of its sender was lost with the sender' });
      this.agreedMax = Math.max(this.agreedMax, outcome.agreed);
      for (const p of fl.participants) {
        const r = fl.reports.get(p);
        if (p !== this.self && r !== undefined && !isStateless(r)) this.notePeerDelivered(p, r.delivered);
      }
    }
    this.queue.clear();
    this.heap.clear();
    this.own.clear();
    this.earlyFinals.clear();
    this.learnedFinals.clear();
    this.outbox = this.outbox.filter((f) => f.viewId >= fl.target.viewId);
  }

  private finishInstall(view: View, out: OutputBuilder, now: number): void {
    this.installed = view;
    this.members = new Set(view.members.map((m) => m.peerId));
    this.dropGoneFuture(view.viewId);
    for (const p of [...this.peerDelivered.keys()]) if (!this.members.has(p)) this.peerDelivered.delete(p);
    for (const p of [...this.repairing]) if (!this.members.has(p)) this.repairing.delete(p);
    this.flushParts.prune(this.members, view.viewId);
    this.lastAnnounced = null; // new members (and the survivors' pruning) need our counts once in this view
    out.events.push({ type: 'view-installed', view });
    if (this.adopted) {
      // Links that came back during the flush: now exchange high-water marks in this view.
      for (const p of [...this.repairing].sort()) out.frames.push({ to: p, frame: this.hwmFrame() });
      // Our floor goes ahead of our first message in this view (a member may not have it yet).
      if (this.ownFloor !== null)
        for (const p of [...this.members].sort()) if (p !== this.self && !this.repairing.has(p)) out.frames.push({ to: p, frame: this.hwmFrame() });
      this.afterReady(out, now);
    }
    this.pruneStable();
  }

  /** The view is installed and we have state: send what waited, then process frames that waited for this view. */
  private afterReady(out: OutputBuilder, now: number): void {
    const installed = this.installed as View;
    const waiting = this.outbox.filter((f) => f.viewId === installed.viewId);
    this.outbox = this.outbox.filter((f) => f.viewId > installed.viewId);
    for (const f of waiting) this.multicastOwn(f, now, out);
    const replay: Buffered[] = [];
    const later: Buffered[] = [];
    for (const b of this.future) {
      if (isFlushRound(b.frame) ? b.frame.viewId > installed.viewId : b.frame.viewId >= installed.viewId) {
        if (!isFlushRound(b.frame) && b.frame.viewId === installed.viewId) replay.push(b);
        else later.push(b);
      }
    }
    this.future = later;
    for (const b of replay) {
      const r = this.receive(b.from, b.frame, now);
      // A buffered frame that turns out bad for this view is dropped; it changed nothing.
      if ('rejected' in r) continue;
      out.frames.push(...r.frames);
      out.deliveries.push(...r.deliveries);
      out.events.push(...r.events);
    }
  }

  // ---- joiners ----

  joinerState(): JoinerState {
    const nextSeq: Record<string, number> = {};
    for (const [s, st] of this.senders) nextSeq[s] = st.delivered + 1;
    const unstable = [...this.kept.values()].map((k) => (k.agreed === undefined ? { frame: k.frame } : { frame: k.frame, agreed: k.agreed }));
    return { viewId: this.installed?.viewId ?? asViewId(0), incarnation: asViewId(this.incarnation), agreed: this.agreedMax, nextSeq, unstable };
  }

  adoptJoinerState(state: JoinerState): EngineResult {
    if (this.installed === null) return reject('local', 'bad-state', 'No view is installed yet; adopt state after the view that adds this member.');
    if (this.adopted) return reject('local', 'bad-state', 'This member already has state.');
    // A joiner flushing (as `joining`) for the view the state was taken in: the sponsor's flush of
    // that view is over and the state holds its outcome, so the joiner installs it now instead of
    // waiting for every participant's FLUSH (one it missed would hold it there for good).
    const jump = this.flush !== null && state.viewId === this.flush.target.viewId ? this.flush : null;
    const target = jump?.target ?? this.installed;
    if (state.viewId !== target.viewId)
      return reject('remote', state.viewId < target.viewId ? 'old-view' : 'future-view', `Joiner state is for view ${state.viewId}, installed is ${this.installed.viewId}.`);
    if (!isCount(state.agreed) || !isCount(state.incarnation) || state.incarnation > state.viewId || typeof state.nextSeq !== 'object' || state.nextSeq === null || !Object.values(state.nextSeq).every(isSeq))
      return reject('remote', 'bad-type', 'Joiner state needs a non-negative agreed, an incarnation not after its view and positive next seqs.');
    const handed = state.unstable ?? [];
    if (
      !Array.isArray(handed) ||
      !handed.every((u) => typeof u === 'object' && u !== null && u.frame?.t === 'data' && u.frame.groupId === this.groupId && isSeq(u.frame.seq) &&
        u.frame.seq < (state.nextSeq[u.frame.sender] ?? 1) && (u.agreed === undefined || isValidPriority(u.agreed)))
    )
      return reject('remote', 'bad-type', 'Joiner state carries an unstable message that is malformed or beyond its next seq.');
    const out = new OutputBuilder();
    if (jump !== null) {
      const mine = jump.reports.get(this.self);
      this.lastFlush = mine === undefined ? null : { frame: mine, ok: this.flushOkFrame(jump.target.viewId), participants: jump.participants, answered: new Set() };
      this.flush = null;
      this.outbox = this.outbox.filter((f) => f.viewId >= jump.target.viewId);
      this.future = this.future.filter((b) => !(isFlushRound(b.frame) && b.frame.viewId <= jump.target.viewId));
      this.finishInstall(jump.target, out, this.clock);
    }
    this.agreedMax = Math.max(this.agreedMax, state.agreed);
    this.incarnation = state.incarnation;
    for (const [s, n] of Object.entries(state.nextSeq)) {
      const st = this.sender(s as PeerId);
      st.delivered = Math.max(st.delivered, n - 1);
      st.next = Math.max(st.next, n);
    }
    for (const u of handed) {
      this.kept.set(messageId(this.groupId, u.frame.sender, u.frame.seq), u.agreed === undefined ? { frame: u.frame } : { frame: u.frame, agreed: u.agreed });
      // The group's clock, as far as the state shows it (a believable one: the sponsor is not checked here).
      if (isCount(u.frame.lamport) && u.frame.lamport <= MAX_RESUME_LAMPORT) this.lamport = Math.max(this.lamport, u.frame.lamport);
    }
    const ownDelivered = this.senders.get(this.self)?.delivered ?? 0;
    // Our own seq goes on after what the group has of this peer id (an earlier session: re-join, false removal).
    this.seqFloor = Math.max(this.seqFloor, ownDelivered);
    this.lastDrafted = Math.max(this.lastDrafted, this.seqFloor);
    this.lastCommitted = Math.max(this.lastCommitted, this.seqFloor);
    for (const f of this.outbox)
      // At or below the group's count: delivered in a joining flush if it travelled in one, else its id was taken.
      if (f.seq <= ownDelivered && !this.flushedOwn.has(f.seq))
        out.events.push({ type: 'message-dropped', id: messageId(this.groupId, this.self, f.seq), reason: staleSeqReason });
    this.outbox = this.outbox.filter((f) => f.seq > ownDelivered);
    this.flushedOwn.clear();
    this.adopted = true;
    if (this.seqFloor > ownDelivered) {
      // The group lacks our earlier seqs (it went through an empty view since): they are none of
      // this incarnation. Count them as delivered here and tell every member before our first
      // message in it, on the same links; a flush carries it in our delivered count (resolveFlush).
      const own = this.sender(this.self);
      own.delivered = this.seqFloor;
      own.next = this.seqFloor + 1;
      this.ownFloor = this.seqFloor;
      if (this.flush === null) for (const p of [...this.members].sort()) if (p !== this.self) out.frames.push({ to: p, frame: this.hwmFrame() });
    }
    // Mid-flush (a newer view arrived first), the flush's completion sends and replays what waited.
    if (this.flush === null) this.afterReady(out, this.clock);
    return out.build();
  }

  markShown(shown: Readonly<Record<string, number>>): void {
    for (const [sender, next] of Object.entries(shown)) if (isSeq(next)) this.shown.set(sender, Math.max(this.shown.get(sender) ?? 1, next));
  }

  // ---- helpers ----

  /**
   * Starting with state of our own (no sponsor): our earlier session's seqs count as delivered, so
   * joiners we sponsor expect what follows, and A goes on above the priorities our store holds.
   */
  private claimOwnFloor(alone = false): void {
    this.agreedMax = Math.max(this.agreedMax, this.resumeAgreed);
    // Founding a view alone, the stored counts of every sender are the group's (nobody can disagree);
    // in a flush that starts afresh, each sender's own report decides (resolveFlush).
    if (alone)
      for (const [sender, n] of Object.entries(this.resumeDelivered)) {
        if (sender === this.self) continue;
        const other = this.sender(sender as PeerId);
        other.delivered = Math.max(other.delivered, n);
        other.next = Math.max(other.next, other.delivered + 1);
      }
    if (this.seqFloor === 0) return;
    const st = this.sender(this.self);
    st.delivered = Math.max(st.delivered, this.seqFloor);
    st.next = Math.max(st.next, st.delivered + 1);
  }

  private sender(s: PeerId): SenderState {
    let st = this.senders.get(s);
    if (st === undefined) {
      st = { next: 1, delivered: 0, held: new Map() };
      this.senders.set(s, st);
    }
    return st;
  }

  private viewIdNow(): ViewId {
    return this.installed?.viewId ?? asViewId(0);
  }

  debugState(): EngineDebugState {
    const senders: Record<string, { next: number; delivered: number; held: number[] }> = {};
    let held = 0;
    for (const [s, st] of [...this.senders].sort((x, y) => (x[0] < y[0] ? -1 : 1))) {
      senders[s] = { next: st.next, delivered: st.delivered, held: [...st.held.keys()].sort((a, b) => a - b) };
      held += st.held.size;
    }
    const ownProposals: Record<string, string[]> = {};
    for (const [id, m] of this.own) ownProposals[id] = [...m.proposals.values()].map(p2s).sort();
    const peerDelivered: Record<string, Record<string, number>> = {};
    for (const [p, m] of this.peerDelivered) peerDelivered[p] = Object.fromEntries([...m].sort((x, y) => (x[0] < y[0] ? -1 : 1)));
    return {
      viewId: this.installed?.viewId ?? null,
      flushingTo: this.flush?.target.viewId ?? null,
      flushSent: this.flush?.sent ?? false,
      adopted: this.adopted,
      incarnation: this.incarnation,
      proposedMax: this.proposedMax,
      agreedMax: this.agreedMax,
      lamport: this.lamport,
      lastDrafted: this.lastDrafted,
      lastCommitted: this.lastCommitted,
      inFlight: this.inFlight.length,
      outbox: this.outbox.map((f) => f.seq),
      senders,
      queue: [...this.queue].map(([id, e]) => ({ id, p: e.priority.p, by: e.priority.by, final: e.final })).sort((a, b) => (a.id < b.id ? -1 : 1)),
      ownProposals,
      earlyFinals: [...this.earlyFinals].map(([id, p]) => `${id}@${p2s(p)}`).sort(),
      learnedFinals: [...this.learnedFinals].map(([id, p]) => `${id}@${p2s(p)}`).sort(),
      kept: [...this.kept.keys()].sort(),
      peerDelivered,
      buffered: this.future.length,
      bufferedBytes: Object.fromEntries([...this.futureUse].map(([p, u]) => [p, u.bytes]).sort((x, y) => (String(x[0]) < String(y[0]) ? -1 : 1))),
      repairing: [...this.repairing].sort(),
      flushReports: [...(this.flush?.reports.keys() ?? [])].sort(),
      holdBackSize: held + this.queue.size + this.earlyFinals.size + this.future.length + this.outbox.length,
    };
  }
}

/** Same sender, seq and signed fields: a resend, not a second message under the same id. */
const sameSigned = (a: DataFrame, b: DataFrame): boolean =>
  a.sig === b.sig && a.body === b.body && a.lamport === b.lamport && a.viewId === b.viewId && a.sentAt === b.sentAt;

/** The incarnation the members with state report in a flush (they share one), or null if none does. */
const carriedIncarnation = (reports: readonly FlushFrame[]): number | null => {
  let inc: number | null = null;
  for (const r of reports) if (r.joining !== true && r.incarnation !== undefined) inc = Math.max(inc ?? 0, r.incarnation);
  return inc;
};

/** The largest priority number a FLUSH reports (its A unless joining, proposals, finals, DATA proposals). */
const highestFlushPriority = (f: FlushFrame): number => {
  let max = f.joining === true ? 0 : f.agreed;
  for (const r of f.pending) max = Math.max(max, r.proposed?.p ?? 0, r.final?.p ?? 0);
  for (const d of f.unstable) max = Math.max(max, d.proposal?.p ?? 0);
  return max;
};

/** Shape checks on a FLUSH beyond what the wire parser guarantees; null when fine. */
const validateFlush = (f: FlushFrame, groupId: GroupId): string | null => {
  if (!isCount(f.viewId)) return 'FLUSH viewId must be a non-negative integer.';
  if (!Array.isArray(f.unstable) || !Array.isArray(f.pending)) return 'FLUSH unstable and pending must be lists.';
  if (!isCount(f.agreed)) return 'FLUSH agreed must be a non-negative integer.';
  if (f.part !== undefined && !(isCount(f.part.index) && isCount(f.part.count) && f.part.index < f.part.count && f.part.count <= MAX_PARTS))
    return `FLUSH part must be {index, count} with index < count ≤ ${MAX_PARTS}.`;
  if (typeof f.delivered !== 'object' || f.delivered === null || !Object.values(f.delivered).every(isCount))
    return 'FLUSH delivered must map peer ids to non-negative integers.';
  for (const d of f.unstable) {
    if (typeof d !== 'object' || d === null || d.t !== 'data' || d.groupId !== groupId || !isSeq(d.seq) || !isCount(d.lamport) || typeof d.sender !== 'string')
      return 'FLUSH carries a malformed DATA frame.';
    if (d.viewId > f.viewId) return 'FLUSH carries DATA of a later view.';
  }
  for (const p of f.pending) {
    if (typeof p !== 'object' || p === null || !isSeq(p.seq) || typeof p.sender !== 'string') return 'FLUSH pending report needs a sender and a positive seq.';
    if ((p.proposed !== undefined && !isValidPriority(p.proposed)) || (p.final !== undefined && !isValidPriority(p.final)))
      return 'FLUSH pending report carries an invalid priority.';
  }
  return null;
};
