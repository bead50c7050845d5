// View changes by FLUSH: a new view from the tracker starts a flush; every participant sends its
// FLUSH report (unstable messages, pending proposals and finals, delivered counts), then FLUSH-OK
// restating every report's signed hash once it holds them (flush-agreement.ts); the view is installed
// when every participant's FLUSH-OK stands for the same digest of them, and the resolution
// (flush-resolution.ts) is delivered. Frames that waited for the view are replayed.
// Owns: `flush` (the flush under way), `flushParts`, `lastFlush`, `learnedFinals`.
// Belongs here: FLUSH and FLUSH-OK, installing a view, abandoning a flush for a newer view.
// A joiner taking state from its sponsor is joiner-adoption.ts.

import { asViewId, messageId } from '../ids.ts';
import type { MessageId, PeerId } from '../ids.ts';
import type { View } from '../tracker/events.ts';
import type { DataFrame, EngineFrame, FlushFrame, FlushOkFrame, PendingReport, Priority } from '../wire/frames.ts';
import type { EngineResult, Rejection } from './engine.ts';
import { clearHeld, isCount, isFlushRound } from './engine-state.ts';
import { carriedIncarnation, highestFlushPriority, validateFlush } from './flush-checks.ts';
import { advanceAgreement, flushOkOf, newAgreement, noteFlushOk, reportHash } from './flush-agreement.ts';
import type { FlushAgreement } from './flush-agreement.ts';
import type { FlushProof } from './flush-proof.ts';
import { FlushAssembler, splitFlush } from './flush-parts.ts';
import { isStateless, resolveFlush } from './flush-resolution.ts';
import type { ResolvedMessage } from './flush-resolution.ts';
import type { Buffered } from './frame-gate.ts';
import { present } from './invariant.ts';
import { ABANDONED_FLUSH_MARGIN } from './priority.ts';
import { heldFinal } from './isis-queue.ts';
import { OutputBuilder, reject } from './rejection.ts';
import { Stability } from './stability.ts';
import { flushParticipants } from './view-membership.ts';

export interface FlushState extends FlushAgreement {
  readonly target: View;
  sent: boolean;
}

/** Our FLUSH for the installed view, kept so a peer still flushing for it (its copy was lost) gets it again. */
export interface LastFlush {
  readonly frame: FlushFrame;
  /** Our FLUSH-OK (null for a joiner that took state before it held every report). */
  readonly ok: FlushOkFrame | null;
  readonly participants: readonly PeerId[];
  readonly answered: Set<PeerId>;
}

const byIdThenSeq = (a: DataFrame, b: DataFrame): number =>
  a.sender < b.sender ? -1 : a.sender > b.sender ? 1 : a.seq - b.seq;

export abstract class ViewChange extends Stability {
  /**
   * The flush under way. Invariant: for a view newer than `installed`; oked only once sent; reports and digests
   * only from participants.
   */
  protected flush: FlushState | null = null;
  /** FLUSH reports that came in parts, until each is whole. */
  protected readonly flushParts = new FlushAssembler();
  /** Our FLUSH for the installed view: a peer still flushing for it (its copy was lost) gets it again. */
  protected lastFlush: LastFlush | null = null;
  /** Agreed priorities read in other members' FLUSH frames: facts we pass on even if that flush never completes. */
  protected readonly learnedFinals = new Map<MessageId, Priority>();

  /** Frames that waited for a view are replayed through the engine's entry point (group-engine.ts). */
  abstract receive(from: PeerId, frame: EngineFrame, now: number): EngineResult;

  protected oldViewFrozen(): boolean {
    return this.flush?.sent === true;
  }

  installView(view: View, now: number): EngineResult {
    if (view.groupId !== this.groupId)
      return reject(
        'remote',
        'bad-state',
        `A view of group ${view.groupId} reached the engine of group ${this.groupId}.`,
      );
    if (!isCount(view.viewId)) return reject('remote', 'bad-type', 'viewId must be a non-negative integer.');
    const latest = this.flush?.target ?? this.installed;
    // The same view again: re-sent after a tracker restart.
    if (latest !== null && view.viewId === latest.viewId) return new OutputBuilder().build();
    if (latest !== null && view.viewId < latest.viewId)
      return reject('remote', 'old-view', `View ${view.viewId} arrived after view ${latest.viewId}.`);
    if (!view.members.some((m) => m.peerId === this.self))
      return reject(
        'local',
        'not-member',
        `This peer is not a member of view ${view.viewId}; the group session should close.`,
      );
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
    // Our FLUSH-OK for the abandoned view may have let someone install it: deliver what they did. Not
    // when a participant named other reports: an installer holds the same digest from every
    // participant, so that one and we cannot both agree with it, and another member bound with
    // other reports may deliver theirs (§3.4 "Same reports everywhere").
    // Nor when the tracker evicts a participant on a proof about this flush: nobody installed it.
    const proven = abandoned !== null && view.changes.some((c) => c.flush === abandoned.target.viewId);
    if (abandoned !== null && abandoned.oked && abandoned.disputes.size === 0 && !proven)
      this.applyResolution(abandoned, out);
    else if (abandoned !== null && abandoned.sent)
      this.agreedMax = Math.max(this.agreedMax, this.abandonedCeiling(abandoned));
    this.flush = { target: view, sent: false, ...newAgreement(participants) };
    out.events.push({ type: 'blocked', reason: 'view-change' });
    // Flushes for this view that arrived before the tracker told us about it.
    const later: Buffered[] = [];
    for (const b of this.future) {
      if (b.frame.t === 'flush' && b.frame.viewId === view.viewId && participants.includes(b.from)) {
        this.flush.reports.set(b.from, b.frame);
        this.learnFinals(b.frame);
      } else if (b.frame.t === 'flush-ok' && b.frame.viewId === view.viewId && participants.includes(b.from))
        noteFlushOk(this.flush, b.from, b.frame);
      else if (!(isFlushRound(b.frame) && b.frame.viewId <= view.viewId)) later.push(b);
    }
    this.future = later;
    this.maybeSendFlush(out, this.clock);
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
  protected abandonedCeiling(fl: FlushState): number {
    if (this.mode !== 'total' || !this.adopted) return 0;
    const seen = fl.participants.flatMap((p) => {
      const frame = fl.reports.get(p);
      return frame === undefined ? [] : [{ from: p, frame }];
    });
    return resolveFlush(this.mode, seen, this.hooks.comparePriority).agreed + ABANDONED_FLUSH_MARGIN;
  }

  /** Send our FLUSH once no draft of an older view is still being signed (it must be in the flush). */
  protected maybeSendFlush(out: OutputBuilder, now: number): void {
    const fl = this.flush;
    if (fl === null || fl.sent || this.inFlight.some((d) => d.viewId < fl.target.viewId)) return;
    const report = this.buildFlush(fl);
    const frame = { ...report, report: reportHash(report) }; // what the session signs (§3.4 "Signed reports")
    // A report over one frame's caps travels in parts (flush-parts.ts); the receiver acts on it whole.
    const parts = splitFlush(frame);
    for (const p of fl.participants)
      if (p !== this.self) for (const part of parts) out.frames.push({ to: p, frame: part });
    fl.reports.set(this.self, frame);
    fl.sent = true;
    this.maybeComplete(out, now);
  }

  protected buildFlush(fl: FlushState): FlushFrame {
    const carried = this.outbox.filter((f) => f.viewId < fl.target.viewId);
    const base = { t: 'flush' as const, groupId: this.groupId, viewId: fl.target.viewId };
    if (!this.adopted) {
      for (const f of carried) this.flushedOwn.add(f.seq);
      // A resumed peer tells a group that starts afresh where its seq and A go on (resolveFlush reads
      // only its own entry): nobody else can know, and the others' FIFO gates must not wait for seq 1.
      const floor = this.seqFloor > 0 ? { [this.self]: this.seqFloor } : {};
      return {
        ...base,
        unstable: carried,
        pending: [],
        agreed: Math.max(this.agreedMax, this.resumeAgreed),
        delivered: floor,
        joining: true,
      };
    }
    const unstable: DataFrame[] = [...carried];
    const pending: PendingReport[] = [];
    for (const k of this.kept.values()) {
      unstable.push(k.frame);
      if (k.agreed !== undefined) pending.push({ sender: k.frame.sender, seq: k.frame.seq, final: k.agreed });
    }
    for (const st of this.senders.values()) unstable.push(...st.held.values());
    for (const [id, e] of this.queue) {
      unstable.push(e.frame);
      // A FINAL some member echoed otherwise is no agreement: nobody delivered the message (§3.3 Echo).
      const final = this.disputed.has(id) ? undefined : (heldFinal(e) ?? this.learnedFinals.get(id));
      pending.push(
        final !== undefined
          ? { sender: e.frame.sender, seq: e.frame.seq, proposed: e.proposed, final }
          : { sender: e.frame.sender, seq: e.frame.seq, proposed: e.proposed },
      );
    }
    unstable.sort(byIdThenSeq);
    pending.sort((a, b) => (a.sender < b.sender ? -1 : a.sender > b.sender ? 1 : a.seq - b.seq));
    const installed =
      this.installed === null
        ? {}
        : { installed: { viewId: this.installed.viewId, members: [...this.members].sort() } };
    return {
      ...base,
      unstable,
      pending,
      agreed: this.agreedMax,
      delivered: this.deliveredCounts(),
      ...installed,
      incarnation: asViewId(this.incarnation),
    };
  }

  protected learnFinals(f: FlushFrame): void {
    if (this.mode !== 'total') return;
    for (const r of f.pending)
      if (r.final !== undefined) this.learnedFinals.set(messageId(this.groupId, r.sender, r.seq), r.final);
  }

  protected onFlush(from: PeerId, part: FlushFrame, now: number): EngineResult {
    const bad = validateFlush(part, this.groupId);
    if (bad !== null) return reject('remote', 'bad-type', bad);
    // The one exception to validate-before-mutate: a report in parts is checked once whole, and a
    // whole report refused below is dropped with its parts (a sender resends all of them on link-up).
    const f = this.flushParts.add(from, part);
    if (f === null) return new OutputBuilder().build(); // more parts are due
    if ('rejected' in f) return f;
    const refused = this.refuseReport(from, f);
    if (refused !== null) return refused;
    const last = this.lastFlush;
    if (last !== null && f.viewId === last.frame.viewId && last.participants.includes(from) && from !== this.self) {
      // The peer may still be flushing for the view we installed (our FLUSH did not reach it): answer
      // once per link-up, so two installed members that both see a duplicate do not ping-pong.
      const out = new OutputBuilder();
      if (!last.answered.has(from)) {
        last.answered.add(from);
        for (const frame of splitFlush(last.frame)) out.frames.push({ to: from, frame });
        if (last.ok !== null) out.frames.push({ to: from, frame: last.ok });
      }
      return out.build();
    }
    if (this.installed !== null && f.viewId <= this.installed.viewId)
      return reject(
        'remote',
        'old-view',
        `FLUSH for view ${f.viewId} arrived after view ${this.installed.viewId} was installed.`,
      );
    const fl = this.flush;
    if (fl !== null && f.viewId < fl.target.viewId)
      return reject(
        'remote',
        'old-view',
        `FLUSH for view ${f.viewId} arrived while flushing for view ${fl.target.viewId}.`,
      );
    if (fl === null || f.viewId > fl.target.viewId) return this.buffer(from, f);
    if (!fl.participants.includes(from))
      return reject('remote', 'not-member', `${from} does not take part in the flush for view ${f.viewId}.`);
    if (fl.reports.has(from)) return new OutputBuilder().build();
    const out = new OutputBuilder();
    fl.reports.set(from, f);
    this.learnFinals(f);
    this.maybeComplete(out, this.clockAt(now));
    return out.build();
  }

  /** Why `by`'s whole report `f` is refused (a priority past its bound, content it did not sign), or null. */
  protected refuseReport(by: PeerId, f: FlushFrame): Rejection | null {
    // No lamport ceiling: members' differ (a joiner has none) and a split flush waits (PROTOCOL.md §3.2 "Bound").
    const tooHigh = this.priorityTooHigh(highestFlushPriority(f), 'FLUSH');
    if (tooHigh !== null) return tooHigh;
    if (f.report !== undefined && f.report !== reportHash(f))
      return reject('remote', 'bad-signature', `${by}'s FLUSH for view ${f.viewId} is not the report it signed.`);
    return null;
  }

  /**
   * Round two of a view change. With every participant's FLUSH we send FLUSH-OK with their digest
   * and are bound to the resolution; the view is installed once every participant's FLUSH-OK names
   * our digest. Two members that install resolve the same reports (a liar that sent them different
   * ones stalls the flush instead), and a participant removed unawares cannot complete a flush that
   * the others abandoned for a newer view without it, delivering what they never will (seed 1148931).
   */
  protected maybeComplete(out: OutputBuilder, now: number): void {
    const fl = this.flush;
    if (fl === null || !fl.sent) return;
    const step = advanceAgreement(fl, this.self, this.groupId, fl.target.viewId);
    if (step.send !== null)
      for (const p of fl.participants) if (p !== this.self) out.frames.push({ to: p, frame: step.send });
    for (const proof of step.proofs) this.provedFlush(proof, out);
    for (const p of step.disputed)
      out.events.push({
        type: 'flush-disputed',
        viewId: fl.target.viewId,
        by: p,
        reason: `${p} holds other FLUSH reports for view ${fl.target.viewId} than this member: one of the participants sent members different reports, or ${p} lies; nobody installs the view until it changes`,
      });
    if (!step.complete) return;
    this.applyResolution(fl, out);
    const mine = fl.reports.get(this.self);
    this.lastFlush =
      mine === undefined
        ? null
        : { frame: mine, ok: this.latestOk(fl), participants: fl.participants, answered: new Set() };
    this.flush = null;
    this.finishInstall(fl.target, out, now);
  }

  /** Our FLUSH-OK of a flush, or null before we hold every report. */
  protected latestOk(fl: FlushState): FlushOkFrame | null {
    return flushOkOf(fl, this.self, this.groupId, fl.target.viewId);
  }

  /** A reporter signed two reports for this view: the proof goes out (the flush stays disputed). */
  protected provedFlush(proof: FlushProof, out: OutputBuilder): void {
    out.events.push({ type: 'flush-equivocation', by: proof.flush.reporter, viewId: proof.flush.viewId, proof });
  }

  protected onFlushOk(from: PeerId, f: FlushOkFrame, now: number): EngineResult {
    if (!isCount(f.viewId) || typeof f.reports !== 'string')
      return reject('remote', 'bad-type', 'FLUSH-OK needs a non-negative integer viewId and a reports digest.');
    const last = this.lastFlush;
    // A copy for the view we installed (we had its FLUSH-OK already): nothing to do.
    if (last !== null && f.viewId === last.frame.viewId && last.participants.includes(from))
      return new OutputBuilder().build();
    if (this.installed !== null && f.viewId <= this.installed.viewId)
      return reject(
        'remote',
        'old-view',
        `FLUSH-OK for view ${f.viewId} arrived after view ${this.installed.viewId} was installed.`,
      );
    const fl = this.flush;
    if (fl !== null && f.viewId < fl.target.viewId)
      return reject(
        'remote',
        'old-view',
        `FLUSH-OK for view ${f.viewId} arrived while flushing for view ${fl.target.viewId}.`,
      );
    if (fl === null || f.viewId > fl.target.viewId) return this.buffer(from, f);
    if (!fl.participants.includes(from))
      return reject('remote', 'not-member', `${from} does not take part in the flush for view ${f.viewId}.`);
    const wrong = noteFlushOk(fl, from, f);
    if (wrong !== null)
      return reject('remote', 'bad-state', `${from}'s FLUSH-OK for view ${f.viewId} ${wrong}: no digest.`);
    const out = new OutputBuilder();
    this.maybeComplete(out, this.clockAt(now));
    return out.build();
  }

  /**
   * Deliver what the flush decided and take on its counts: at install, or when we abandon a flush we sent FLUSH-OK for.
   */
  protected applyResolution(fl: FlushState, out: OutputBuilder): void {
    const reports = fl.participants.map((p) => ({
      from: p,
      frame: present(fl.reports.get(p), `a flush resolves with every participant's report (${p})`),
    }));
    const outcome = resolveFlush(this.mode, reports, this.hooks.comparePriority);
    if (!this.adopted && !outcome.anyState) {
      // Nobody delivered anything. Members with state (still empty) say which incarnation we
      // join; without any, the group starts afresh here: a new incarnation.
      this.adopted = true;
      this.incarnation = carriedIncarnation(reports.map((r) => r.frame)) ?? fl.target.viewId;
      this.claimOwnFloor();
    }
    if (this.adopted) {
      for (const m of outcome.messages) {
        if (m.frame.seq <= (this.senders.get(m.frame.sender)?.delivered ?? 0)) continue;
        this.deliverResolved(fl, m, out);
      }
      for (const [s, end] of outcome.ends) {
        const st = this.sender(s);
        st.delivered = Math.max(st.delivered, end);
        st.next = Math.max(st.next, st.delivered + 1);
      }
      for (const st of this.senders.values()) clearHeld(st);
      for (const f of outcome.dropped)
        out.events.push({
          type: 'message-dropped',
          id: messageId(this.groupId, f.sender, f.seq),
          reason: 'an earlier message of its sender was lost with the sender',
        });
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
    this.echoes.clear();
    this.witness.clear();
    this.disputed.clear();
    this.learnedFinals.clear();
    this.outbox = this.outbox.filter((f) => f.viewId >= fl.target.viewId);
  }

  /** One message the resolution of flush `fl` delivers here (not delivered here before). */
  protected deliverResolved(_fl: FlushState, m: ResolvedMessage, out: OutputBuilder): void {
    this.raiseClock(m.frame.lamport);
    this.deliver(m.frame, m.agreed, out);
  }

  protected finishInstall(view: View, out: OutputBuilder, now: number): void {
    this.installed = view;
    const before = this.members;
    this.members = new Set(view.members.map((m) => m.peerId));
    this.dropGoneFuture(view.viewId, before);
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
        for (const p of [...this.members].sort())
          if (p !== this.self && !this.repairing.has(p)) out.frames.push({ to: p, frame: this.hwmFrame() });
      this.afterReady(out, now);
    }
    this.pruneStable();
  }

  /** The view is installed and we have state: send what waited, then process frames that waited for this view. */
  protected afterReady(out: OutputBuilder, now: number): void {
    const installed = present(this.installed, 'frames wait for a view that is installed');
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
}
