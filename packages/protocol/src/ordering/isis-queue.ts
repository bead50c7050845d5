// ISIS total order on top of per-sender FIFO (mode 'total'): proposals, FINALs, the hold-back
// queue by priority and delivery from its head. In FIFO mode `admit` delivers at once.
// Owns: P (`proposedMax`), A (`agreedMax`), `queue` and its `heap`, our own messages'
// collected proposals (`own`) and FINALs that came before their DATA (`earlyFinals`).
// Belongs here: what happens from the moment a sender's next message goes up (`admit`) until
// it is delivered, and the PROPOSE, FINAL and ECHO frames (PROTOCOL.md §3.3 Echo: another sender's
// FINAL moves its message only once every other member echoed it alike; the bookkeeping is
// final-echo.ts; two signed FINALs of a sender that differ are a proof, final-proof.ts). FIFO gating
// is fifo-layer.ts; what a view change does to the queue is view-change.ts.

import { messageId } from '../ids.ts';
import type { MessageId, PeerId } from '../ids.ts';
import type { DataFrame, EchoEntry, EchoFrame, FinalFrame, Priority, ProposeFrame } from '../wire/frames.ts';
import type { EngineResult, Rejection } from './engine.ts';
import { isSeq } from './engine-state.ts';
import {
  disputedEvent,
  EchoBook,
  echoedOf,
  echoesNeeded,
  echoFrames,
  echoRefusal,
  finalBelow,
  isEchoEntry,
  sameEcho,
  type Echoed,
} from './final-echo.ts';
import { echoOfFinal, FinalWitness, finalOfEcho, type FinalProof } from './final-proof.ts';
import { FrameGate } from './frame-gate.ts';
import { HoldBackHeap } from './hold-back-heap.ts';
import { present } from './invariant.ts';
import { forwardedProposals, forwardFrames, forwardsDue, hearCopy, takeForward } from './propose-forward.ts';
import { isValidPriority, maxPriority, priorityCeiling, samePriority } from './priority.ts';
import { OutputBuilder, reject } from './rejection.ts';

export interface QueueEntry {
  readonly frame: DataFrame;
  /** Our proposal until a FINAL arrives and every other member echoed it, then the agreed priority. */
  priority: Priority;
  final: boolean;
  /**
   * Another sender's FINAL, applied but not yet echoed alike by every other member (PROTOCOL.md §3.3
   * Echo): the message keeps its place at our proposal until then, so nothing is delivered past it on
   * the word of a sender that may have told others another priority.
   */
  told?: Priority | undefined;
  /** The proposal this member made (kept for flush reports and resends). */
  readonly proposed: Priority;
  /** Admission counter: ties in the heap go in admission order. */
  readonly admitted: number;
  /** When it was admitted: its agreement inputs are overdue `agreementWaitMs` later (agreement-watch.ts). */
  readonly since: number;
  /** Members that sent us a copy of their PROPOSE for it, with it (they wait too, PROTOCOL.md §3.3 "Overdue"). */
  heard?: Map<PeerId, Priority>;
  /** When we last sent our own copy. */
  chased?: number;
}

export interface OwnMessage {
  readonly proposals: Map<PeerId, Priority>;
  readonly sentAt: number;
  /** Proposals forwarded for members whose own never came: proposer → forwarder → word (propose-forward.ts). */
  forwarded?: Map<PeerId, Map<PeerId, Priority>>;
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
  protected readonly earlyFinals = new Map<MessageId, FinalFrame>();
  /** The signed FINALs of others' messages this view: what each sender sent us, and proofs (final-proof.ts). */
  protected readonly witness = new FinalWitness();
  /** What the other members echoed of the FINALs they applied (PROTOCOL.md §3.3 Echo). */
  protected readonly echoes = new EchoBook();
  /** Messages whose FINAL some member echoed otherwise than we hold it: nobody delivers them in this view. */
  protected readonly disputed = new Set<MessageId>();

  /**
   * A priority number no honest member can be at yet (see MAX_PRIORITY_STEP), or null when fine.
   * Only a member with state has a reference point: a joiner before its state, or a group that
   * starts afresh, accepts what it is told.
   */
  protected priorityTooHigh(p: number, what: string): Rejection | null {
    if (this.mode !== 'total' || !this.adopted) return null;
    const ceiling = priorityCeiling(this.proposedMax, this.agreedMax);
    if (p <= ceiling) return null;
    return reject(
      'remote',
      'too-large',
      `${what} carries priority ${p}, beyond ${ceiling}: no member can be that far ahead of this one.`,
    );
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
    const entry: QueueEntry = {
      frame: f,
      priority: mine,
      final: false,
      proposed: mine,
      admitted: this.admissions++,
      since: now,
    };
    this.queue.set(id, entry);
    this.heap.push(id, entry.priority, entry.admitted);
    if (early !== undefined) this.takeFinal(id, entry, early, out);
    if (f.sender === this.self) {
      this.own.set(id, { proposals: new Map([[this.self, mine]]), sentAt: now });
      this.maybeFinalize(id, out);
    } else {
      const propose: ProposeFrame = {
        t: 'propose',
        groupId: this.groupId,
        viewId: this.viewIdNow(),
        sender: f.sender,
        seq: f.seq,
        priority: mine,
      };
      out.frames.push({ to: f.sender, frame: propose });
    }
  }

  protected onPropose(from: PeerId, f: ProposeFrame, _now: number): EngineResult {
    if (f.forwarded !== true && f.priority?.by !== from)
      return reject('remote', 'forged-sender', `A proposal from ${from} names proposer ${String(f.priority?.by)}.`);
    if (!isValidPriority(f.priority))
      return reject('remote', 'bad-type', 'A priority must be a positive safe integer.');
    if (!isSeq(f.seq)) return reject('remote', 'bad-type', 'PROPOSE needs a positive integer seq.');
    const r = this.routed(from, f);
    if (r !== null) return r;
    if (this.mode === 'fifo') return reject('remote', 'bad-state', 'FIFO groups do not use proposals.');
    if (!this.members.has(from))
      return reject('remote', 'not-member', `${from} is not a member of view ${this.installed?.viewId}.`);
    const tooHigh = this.priorityTooHigh(f.priority.p, 'PROPOSE');
    if (tooHigh !== null) return tooHigh;
    const id = messageId(this.groupId, f.sender, f.seq);
    if (f.forwarded === true) return this.onForwarded(from, id, f);
    // Another sender's message: a copy, the proposer's word that it proposed and waits (§3.3 "Overdue").
    if (f.sender !== this.self) {
      if (f.sender === from)
        return reject(
          'remote',
          'bad-state',
          `${from} proposed for its own message: a sender's proposal rides its DATA.`,
        );
      const entry = this.queue.get(id);
      const out = new OutputBuilder();
      if (entry !== undefined && hearCopy(entry, from, f.priority)) this.forwardIfDue(id, entry, out);
      return out.build();
    }
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

  /** Another member's proposal for our own message, forwarded by one that holds its copy (propose-forward.ts). */
  private onForwarded(from: PeerId, id: MessageId, f: ProposeFrame): EngineResult {
    const taken = takeForward(f, from, this.self, this.members, this.own.get(id), this.lastCommitted);
    if (taken !== 'kept') return taken === 'ignored' ? new OutputBuilder().build() : taken;
    const out = new OutputBuilder();
    this.maybeFinalize(id, out);
    this.deliverReady(out);
    return out.build();
  }

  /** Waiting on a FINAL with every other member's copy in hand: the copies go to the sender, which may lack them. */
  protected forwardIfDue(id: MessageId, entry: QueueEntry, out: OutputBuilder): void {
    const copies = forwardsDue(entry, this.members, this.self, this.witness.got(id) !== undefined);
    out.frames.push(...forwardFrames(entry, copies, this.viewIdNow()));
  }

  /**
   * A sender's own message: finalized once every member's proposal is in, its own or, for one whose own never
   * came, the largest that every other member forwarded (propose-forward.ts).
   */
  protected maybeFinalize(id: MessageId, out: OutputBuilder): void {
    const mine = this.own.get(id);
    if (mine === undefined) return;
    const taken = forwardedProposals(mine, this.members, this.self, this.hooks.comparePriority);
    if (taken === null) return;
    for (const [q, p] of taken) mine.proposals.set(q, p);
    this.finalize(id, out);
  }

  /** FINAL for our own message `id` = the max of the proposals it has; sent to the view. */
  protected finalize(id: MessageId, out: OutputBuilder): void {
    const mine = this.own.get(id);
    const entry = this.queue.get(id);
    if (mine === undefined || entry === undefined) return;
    const agreed = present(
      maxPriority(mine.proposals.values(), this.hooks.comparePriority),
      'our own proposal is among them',
    );
    this.own.delete(id);
    const final: FinalFrame = {
      t: 'final',
      groupId: this.groupId,
      viewId: this.viewIdNow(),
      sender: this.self,
      seq: entry.frame.seq,
      priority: agreed,
      version: entry.frame.sig,
    };
    if (this.members.size > 1) out.frames.push({ to: 'all', frame: final });
    this.prioritize(id, entry, agreed);
    entry.final = true;
    this.agreedMax = Math.max(this.agreedMax, agreed.p);
  }

  protected onFinal(from: PeerId, f: FinalFrame): EngineResult {
    if (f.sender !== from)
      return reject(
        'remote',
        'forged-sender',
        `FINAL from ${from} for ${f.sender}'s message: only the sender finalizes.`,
      );
    if (!isValidPriority(f.priority))
      return reject('remote', 'bad-type', 'A priority must be a positive safe integer.');
    if (!isSeq(f.seq)) return reject('remote', 'bad-type', 'FINAL needs a positive integer seq.');
    const r = this.routed(from, f);
    if (r !== null) return r;
    if (this.mode === 'fifo') return reject('remote', 'bad-state', 'FIFO groups do not use finals.');
    if (!this.members.has(from))
      return reject('remote', 'not-member', `${from} is not a member of view ${this.installed?.viewId}.`);
    if (!this.members.has(f.priority.by))
      return reject('remote', 'not-member', `Agreed priority names ${f.priority.by}, not a member.`);
    const tooHigh = this.priorityTooHigh(f.priority.p, 'FINAL');
    if (tooHigh !== null) return tooHigh;
    const id = messageId(this.groupId, f.sender, f.seq);
    const entry = this.queue.get(id);
    const st = this.senders.get(from);
    if (entry === undefined) {
      if (f.seq <= (st?.delivered ?? 0)) {
        const agreed = this.kept.get(id)?.agreed;
        if (agreed !== undefined && !samePriority(agreed, f.priority))
          return reject(
            'remote',
            'bad-state',
            `${from} sent a final for message ${f.seq} that differs from the one it was delivered at.`,
          );
        return new OutputBuilder().build(); // delivered already: a resend
      }
      if (st?.held.has(f.seq) !== true)
        return reject('remote', 'not-found', `FINAL for message ${f.seq} of ${from}, which never arrived.`);
      const early = this.earlyFinals.get(id);
      if (early !== undefined) return this.secondFinal(id, early, f);
      this.earlyFinals.set(id, f);
      this.witness.receive(id, f);
      return new OutputBuilder().build();
    }
    const got = this.witness.got(id);
    if (got !== undefined) return this.secondFinal(id, got, f);
    const out = new OutputBuilder();
    this.takeFinal(id, entry, f, out);
    this.deliverReady(out);
    return out.build();
  }

  /**
   * The sender's FINAL for a message it sent us one for already: a resend, or the proof that it
   * signed two (reported once; the message stays disputed), else refused.
   */
  private secondFinal(id: MessageId, had: FinalFrame, f: FinalFrame): EngineResult {
    if (samePriority(had.priority, f.priority) && had.version === f.version) return new OutputBuilder().build();
    const proof = this.witness.see(id, f);
    if (proof === null)
      return reject('remote', 'bad-state', `${f.sender} sent two different finals for message ${f.seq}.`);
    const out = new OutputBuilder();
    this.proved(id, proof, out);
    return out.build();
  }

  /** The sender's FINAL for a message in the queue: applied (and echoed), or objected to. */
  protected takeFinal(id: MessageId, entry: QueueEntry, f: FinalFrame, out: OutputBuilder): void {
    const proof = this.witness.receive(id, f);
    if (proof !== null) this.proved(id, proof, out);
    else if (f.version !== entry.frame.sig && this.witness.prove(id))
      this.proved(id, { final: f, other: entry.frame }, out);
    // A FINAL below our own proposal, or with a made-up pair, is no maximum of the proposals.
    const wrong = finalBelow(f, entry.proposed, entry.frame, this.self, this.hooks.comparePriority);
    if (wrong === null) this.applyFinal(id, entry, f, out);
    else this.object(id, entry, f, wrong, out);
  }

  /** The sender signed two things about `id` it cannot both mean: the message waits, and the proof goes out. */
  protected proved(id: MessageId, proof: FinalProof, out: OutputBuilder): void {
    this.disputed.add(id);
    out.events.push({ type: 'final-equivocation', id, by: proof.final.sender, proof });
  }

  /**
   * A FINAL we refuse: it is not applied, and we echo our own proposal instead, so every member that
   * applied the sender's word sees the dispute (and none reports it as agreed at the view change).
   */
  private object(id: MessageId, entry: QueueEntry, f: FinalFrame, why: string, out: OutputBuilder): void {
    const sender = entry.frame.sender;
    out.events.push({ type: 'final-disputed', id, by: sender, reason: `${sender}'s final ${why}` });
    const e: EchoEntry = echoOfFinal(f, true);
    out.frames.push(...echoFrames(this.groupId, this.viewIdNow(), this.self, this.members, [e]));
  }

  /** Another sender's FINAL: held until every other member echoed it alike (then the message moves), and echoed. */
  private applyFinal(id: MessageId, entry: QueueEntry, f: FinalFrame, out: OutputBuilder): void {
    const final = f.priority;
    entry.told = final;
    this.agreedMax = Math.max(this.agreedMax, final.p);
    const mine: Echoed = { priority: final, sig: entry.frame.sig };
    out.frames.push(...echoFrames(this.groupId, this.viewIdNow(), this.self, this.members, [echoOfFinal(f, false)]));
    for (const by of this.echoes.contradicting(id, mine))
      this.dispute(id, by, this.echoes.of(id, by) as Echoed, mine, out);
    this.promote(id, entry);
  }

  private dispute(id: MessageId, by: PeerId, theirs: Echoed, mine: Echoed, out: OutputBuilder): void {
    this.disputed.add(id);
    out.events.push(disputedEvent(id, by, theirs, mine));
  }

  /** Every other member but the sender echoed exactly the FINAL `told` and the version we hold. */
  protected echoesAgree(id: MessageId, entry: QueueEntry, told: Priority): boolean {
    return this.echoes.confirmed(
      id,
      { priority: told, sig: entry.frame.sig },
      echoesNeeded(this.members, this.self, entry.frame.sender),
    );
  }

  /** The FINAL we hold was echoed alike by every other member but the sender: the message takes its place. */
  private promote(id: MessageId, entry: QueueEntry): void {
    const told = entry.told;
    if (told === undefined || entry.final) return;
    if (!this.echoesAgree(id, entry, told)) return;
    this.prioritize(id, entry, told);
    entry.final = true;
    entry.told = undefined;
  }

  protected onEcho(from: PeerId, f: EchoFrame): EngineResult {
    if (!Array.isArray(f.finals) || !f.finals.every(isEchoEntry))
      return reject(
        'remote',
        'bad-type',
        'ECHO entries need a sender, a positive seq, a valid priority, a version and the FINAL signature.',
      );
    const r = this.routed(from, f);
    if (r !== null) return r;
    if (this.mode === 'fifo') return reject('remote', 'bad-state', 'FIFO groups do not echo finals.');
    if (!this.members.has(from))
      return reject('remote', 'not-member', `${from} is not a member of view ${this.installed?.viewId}.`);
    const tooHigh = this.priorityTooHigh(
      f.finals.reduce((m, e) => Math.max(m, e.priority.p), 0),
      'ECHO',
    );
    if (tooHigh !== null) return tooHigh;
    const refused = echoRefusal(f, from, this.self, this.members, this.echoes);
    if (refused !== null) return refused;
    const out = new OutputBuilder();
    for (const e of f.finals) {
      const id = messageId(this.groupId, e.sender, e.seq);
      const theirs = echoedOf(e);
      // The sender's own signature on what the echo restates: with another it signed, a proof.
      const proof = this.witness.see(id, finalOfEcho(f, e));
      if (proof !== null) this.proved(id, proof, out);
      if (e.seq <= (this.senders.get(e.sender)?.delivered ?? 0)) {
        // Delivered here already (after every echo agreed, or by a flush): a late word that differs is a lie.
        const k = this.kept.get(id);
        if (k?.agreed !== undefined && !sameEcho({ priority: k.agreed, sig: k.frame.sig }, theirs))
          out.events.push(disputedEvent(id, from, theirs, { priority: k.agreed, sig: k.frame.sig }));
        continue;
      }
      if (this.echoes.hear(from, id, theirs) !== 'new') continue;
      const entry = this.queue.get(id);
      if (entry !== undefined && e.sig !== entry.frame.sig && this.witness.prove(id))
        this.proved(id, { final: finalOfEcho(f, e), other: entry.frame }, out);
      const held = entry === undefined ? undefined : heldFinal(entry);
      if (entry === undefined || held === undefined) continue;
      if (!sameEcho({ priority: held, sig: entry.frame.sig }, theirs))
        this.dispute(id, from, theirs, { priority: held, sig: entry.frame.sig }, out);
      else this.promote(id, entry);
    }
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
      this.echoes.forget(top.id);
      this.deliver(head.frame, head.priority, out);
    }
  }
}

/** The FINAL a queue entry holds: agreed (and echoed), or applied and waiting for the echoes. */
export const heldFinal = (e: QueueEntry): Priority | undefined => (e.final ? e.priority : e.told);
