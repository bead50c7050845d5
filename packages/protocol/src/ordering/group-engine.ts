// The ordering engine of one group on one peer: FIFO per sender, ISIS total order on top of it
// (mode 'total'), and view changes by FLUSH. This file is the public face (OrderingEngine): the
// entry points and the debug projection; each concern lives in its own layer, one class
// extending the next:
//   engine-state.ts     identity, view, clocks, per-sender counters, kept messages, deliver
//   frame-gate.ts       frames of a later view: route, buffer within budget, prune
//   isis-queue.ts       proposals, FINALs, the priority queue (total order)
//   fifo-layer.ts       DATA and the per-sender FIFO hold-back
//   resume-floors.ts    where an earlier engine of this peer id left its seqs and counts
//   stability.ts        HWM, pruning stable messages, link repair
//   view-change.ts      FLUSH / FLUSH-OK and installing a view
//   joiner-adoption.ts  a sponsor's state for a joiner
// Never here: sockets, clocks, randomness, signatures — `now` comes in as an argument, the
// runtime signs drafts and verifies every inbound DATA before `receive`.
// Belongs here: only the OrderingEngine methods themselves, dispatching to the layers.

import { messageId } from '../ids.ts';
import type { PeerId, ViewId } from '../ids.ts';
import type { View } from '../tracker/events.ts';
import type { DataFrame, EngineFrame, ProposeFrame, SignedFields } from '../wire/frames.ts';
import type { EngineResult, OrderingEngine, Rejection } from './engine.ts';
import { isRejection } from './engine.ts';
import type { EngineDebugState } from './engine-debug.ts';
import { p2s, sortedRecord } from './engine-debug.ts';
import { isSeq, staleSeqReason } from './engine-state.ts';
import { splitFlush } from './flush-parts.ts';
import { invariant, present } from './invariant.ts';
import { JoinerAdoption } from './joiner-adoption.ts';
import {
  dueForCopy,
  overdueMembers,
  showsState,
  UNSHOWN_STATE_GRACES,
  type AgreementState,
} from './agreement-watch.ts';
import { OutputBuilder, reject } from './rejection.ts';

export type { EngineDebugState } from './engine-debug.ts';
export { MAX_HELD_BYTES_PER_SENDER, MAX_HOLD_BACK_AHEAD } from './fifo-layer.ts';
export {
  MAX_BUFFERED_BYTES_GONE,
  MAX_BUFFERED_BYTES_PER_PEER,
  MAX_BUFFERED_FRAMES,
  MAX_GONE_VIEWS,
} from './frame-gate.ts';
export { HWM_INTERVAL_MS } from './stability.ts';

export class GroupEngine extends JoinerAdoption implements OrderingEngine {
  get view(): View | null {
    return this.installed;
  }

  /** False for a joiner until adoptJoinerState: such a member cannot sponsor anyone. */
  get hasState(): boolean {
    return this.adopted;
  }

  get resumeFloor(): number | null {
    return this.ownFloor;
  }

  get reissued(): { readonly from: number; readonly to: number } | null {
    return this.reissue;
  }

  // ---- sending ----

  draft(body: string, now: number): SignedFields | Rejection {
    if (this.installed === null)
      return reject('local', 'bad-state', 'Cannot send before the first view of the group is installed.');
    if (typeof body !== 'string') return reject('local', 'bad-type', 'A message body must be a string.');
    const viewId = this.flush?.target.viewId ?? this.installed.viewId;
    this.lastDrafted += 1;
    this.lamport += 1;
    const fields: SignedFields = {
      groupId: this.groupId,
      viewId,
      sender: this.self,
      seq: this.lastDrafted,
      lamport: this.lamport,
      sentAt: now,
      body,
    };
    this.inFlight.push(fields);
    return fields;
  }

  send(frame: DataFrame, now: number): EngineResult {
    const d = this.inFlight[0];
    if (d === undefined) return reject('local', 'bad-state', 'send() was called without an outstanding draft.');
    if (
      frame.t !== 'data' ||
      frame.groupId !== d.groupId ||
      frame.viewId !== d.viewId ||
      frame.sender !== d.sender ||
      frame.seq !== d.seq ||
      frame.lamport !== d.lamport ||
      frame.sentAt !== d.sentAt ||
      frame.body !== d.body
    )
      return reject('local', 'bad-state', `send() must commit the oldest draft (seq ${d.seq}) unchanged.`);
    const out = new OutputBuilder();
    this.clock = Math.max(this.clock, now);
    this.inFlight.shift();
    if (frame.seq <= this.seqFloor) {
      // Drafted before the sponsor told us our earlier session's last seq: its id is taken.
      out.events.push({
        type: 'message-dropped',
        id: messageId(this.groupId, this.self, frame.seq),
        reason: staleSeqReason,
      });
      this.maybeSendFlush(out, this.clock);
      return out.build();
    }
    this.lastCommitted = frame.seq;
    const installed = present(this.installed, 'a draft exists only once a view is installed');
    if (this.adopted && frame.viewId === installed.viewId && this.flush?.sent !== true)
      this.multicastOwn(frame, now, out);
    else this.outbox.push(frame);
    this.maybeSendFlush(out, this.clock);
    return out.build();
  }

  // ---- receiving ----

  receive(from: PeerId, frame: EngineFrame, now: number): EngineResult {
    if (frame.groupId !== this.groupId)
      return reject(
        'remote',
        'bad-state',
        `A frame for group ${String(frame.groupId)} arrived on group ${this.groupId}.`,
      );
    const result = this.dispatch(from, frame, now);
    // The handlers read the clock as `clockAt(now)`; it moves only for an accepted frame.
    if (!isRejection(result)) this.clock = this.clockAt(now);
    if (!isRejection(result) && showsState(frame) && 'viewId' in frame && frame.viewId === this.installed?.viewId)
      this.#shown.set(from, frame.viewId);
    return result;
  }

  private dispatch(from: PeerId, frame: EngineFrame, now: number): EngineResult {
    switch (frame.t) {
      case 'data':
        return this.onData(from, frame, now);
      case 'propose':
        return this.onPropose(from, frame, now);
      case 'final':
        return this.onFinal(from, frame);
      case 'echo':
        return this.onEcho(from, frame);
      case 'flush':
        // A report relayed for its reporter (PROTOCOL.md §3.4 "Relay") names one other than the link's peer.
        if (frame.reporter !== undefined && frame.reporter !== from) return this.onRelayedFlush(from, frame, now);
        return this.onFlush(from, frame, now);
      case 'flush-ok':
        if (frame.sender !== undefined && frame.sender !== from) return this.onRelayedFlushOk(from, frame, now);
        return this.onFlushOk(from, frame, now);
      case 'flush-ask':
        return this.onFlushAsk(from, frame, now);
      case 'hwm':
        return this.onHwm(from, frame, now);
      default:
        return reject('remote', 'unknown-kind', 'The ordering engine does not handle this kind of frame.');
    }
  }

  linkUp(peer: PeerId, _now: number): EngineResult {
    const out = new OutputBuilder();
    if (peer === this.self) return out.build();
    const fl = this.flush;
    if (fl !== null) {
      // Our FLUSH may have died with the old channel; a second copy is a no-op at the far end.
      // The hwm exchange waits for the new view (an hwm of the old one would be refused there).
      const mine = fl.reports.get(this.self);
      if (mine !== undefined && fl.participants.includes(peer))
        for (const frame of splitFlush(mine)) out.frames.push({ to: peer, frame });
      const ok = this.latestOk(fl);
      if (ok !== null && fl.participants.includes(peer)) out.frames.push({ to: peer, frame: ok });
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
      if (last.ok !== null) out.frames.push({ to: peer, frame: last.ok });
    }
    if (this.installed !== null && this.adopted && this.members.has(peer)) {
      this.repairing.add(peer);
      out.frames.push({ to: peer, frame: this.hwmFrame() });
    }
    return out.build();
  }

  tick(now: number): EngineResult {
    const out = new OutputBuilder();
    if (this.flush === null) this.announceCounts(now, out);
    else this.askForMissing(now, out);
    return out.build();
  }

  /** Members whose PROPOSE, FINAL or ECHO we have waited on for `waitMs` (agreement-watch.ts); none in a flush. */
  agreementOverdue(now: number, waitMs: number): readonly PeerId[] {
    if (this.mode !== 'total' || this.flush !== null || this.installed === null) return [];
    const v = this.installed.viewId;
    if (this.#watched?.viewId !== v) this.#watched = { viewId: v, at: now };
    const late = overdueMembers(this.agreementState(), now, waitMs);
    // A member that has shown no state in this view may be syncing its history: judged later (UNSHOWN_STATE_GRACES).
    if (now - this.#watched.at >= UNSHOWN_STATE_GRACES * waitMs) return late;
    return late.filter((p) => this.#shown.get(p) === v);
  }

  /**
   * Halfway to the bound, for each message of another sender still waiting here: a copy of our PROPOSE to every
   * member (we proposed and wait), the sender's signed FINAL that an echo brought us if the sender's own never
   * came (PROTOCOL.md §3.3 "Overdue"), and, holding every other member's copy but no FINAL, those copies to the
   * sender (§3.3 "Forwarded proposals"; also as the last copy comes, isis-queue.ts).
   */
  chaseAgreement(now: number, waitMs: number): EngineResult {
    const out = new OutputBuilder();
    if (this.mode !== 'total' || this.flush !== null || this.installed === null) return out.build();
    for (const [id, e] of dueForCopy(this.agreementState(), now, waitMs)) {
      e.chased = now;
      const relayed = this.witness.first(id);
      if (e.told === undefined && this.witness.got(id) === undefined && relayed !== undefined)
        this.takeFinal(id, e, relayed, out);
      const { sender, seq } = e.frame;
      const copy: ProposeFrame = {
        t: 'propose',
        groupId: this.groupId,
        viewId: this.viewIdNow(),
        sender,
        seq,
        priority: e.proposed,
      };
      out.frames.push({ to: 'all', frame: copy });
      this.forwardIfDue(id, e, out);
    }
    this.deliverReady(out);
    return out.build();
  }

  /** Per member, the last view in which it sent us a frame only a member with state sends (agreement-watch.ts). */
  readonly #shown = new Map<PeerId, ViewId>();
  /** The installed view as agreementOverdue first saw it, and when. */
  #watched: { readonly viewId: ViewId; readonly at: number } | null = null;

  private agreementState(): AgreementState {
    return {
      self: this.self,
      members: this.members,
      own: this.own,
      queue: this.queue,
      disputed: this.disputed,
      echoed: (id, by) => this.echoes.of(id, by) !== undefined,
    };
  }

  markShown(shown: Readonly<Record<string, number>>): void {
    for (const [sender, next] of Object.entries(shown))
      if (isSeq(next)) this.shown.set(sender, Math.max(this.shown.get(sender) ?? 1, next));
  }

  /**
   * Throws an InvariantError (invariant.ts) if a field breaks what its doc says always holds.
   * `debugState()` runs it first, so the simulator and the tests check it after every step.
   */
  protected checkInvariants(): void {
    invariant(this.lastCommitted <= this.lastDrafted, 'lastCommitted <= lastDrafted');
    invariant(
      this.inFlight.every((d, i) => d.seq <= this.lastDrafted && (i === 0 || this.inFlight[i - 1]!.seq < d.seq)),
      'inFlight: ascending seqs, none past lastDrafted',
    );
    invariant(this.installed !== null || this.inFlight.length === 0, 'no draft before a view is installed');
    invariant(
      this.installed === null
        ? this.members.size === 0
        : this.members.size === this.installed.members.length &&
            this.installed.members.every((m) => this.members.has(m.peerId)),
      "members are the installed view's",
    );
    for (const [s, st] of this.senders) {
      invariant(st.delivered < st.next, `senders[${s}]: delivered < next`);
      for (const seq of st.held.keys()) invariant(seq > st.next, `senders[${s}]: held seq ${seq} > next ${st.next}`);
      // Kept by holdBack/unhold/clearHeld (summing the frames' JSON here would make every check quadratic).
      invariant(st.heldBytes >= 0 && (st.held.size === 0) === (st.heldBytes === 0), `senders[${s}]: heldBytes`);
    }
    for (const [id, k] of this.kept)
      invariant(k.frame.seq <= (this.senders.get(k.frame.sender)?.delivered ?? 0), `kept ${id} is delivered`);
    for (const id of this.own.keys())
      invariant(this.queue.get(id)?.final === false, `own ${id} waits in the queue, not final`);
    for (const id of this.earlyFinals.keys()) invariant(!this.queue.has(id), `earlyFinals ${id} not in the queue`);
    for (const [id, e] of this.queue)
      invariant(
        e.told === undefined || (!e.final && e.frame.sender !== this.self),
        `queue ${id}: a held FINAL is another sender's, not yet final`,
      );
    const counted = new Map<PeerId, { frames: number; bytes: number }>();
    for (const b of this.future) {
      const c = counted.get(b.from) ?? { frames: 0, bytes: 0 };
      c.frames += 1;
      c.bytes += b.bytes;
      counted.set(b.from, c);
    }
    invariant(
      counted.size === this.futureUse.size,
      'futureUse has an entry for exactly the peers with buffered frames',
    );
    for (const [p, use] of this.futureUse)
      invariant(
        counted.get(p)?.frames === use.frames && counted.get(p)?.bytes === use.bytes,
        `futureUse[${p}] counts its buffered frames`,
      );
    const fl = this.flush;
    if (fl !== null) {
      invariant(
        this.installed === null || fl.target.viewId > this.installed.viewId,
        'a flush is for a view newer than the installed one',
      );
      invariant(fl.sent || !fl.oked, 'FLUSH-OK only after our FLUSH');
      invariant(
        [...fl.reports.keys(), ...fl.digests.keys(), ...fl.held.keys()].every((p) => fl.participants.includes(p)),
        'flush reports, FLUSH-OKs and digests come from participants',
      );
    }
  }

  /** What the simulator's checker reads after every step (S6, L2); checks the invariants, copies no state. */
  debugCounters(): Pick<EngineDebugState, 'adopted' | 'incarnation' | 'proposedMax' | 'agreedMax' | 'holdBackSize'> {
    this.checkInvariants();
    const { adopted, incarnation, proposedMax, agreedMax } = this;
    return { adopted, incarnation, proposedMax, agreedMax, holdBackSize: this.holdBackSize() };
  }

  private holdBackSize(): number {
    let held = 0;
    for (const st of this.senders.values()) held += st.held.size;
    return held + this.queue.size + this.earlyFinals.size + this.future.length + this.outbox.length;
  }

  /** Every field, in a JSON-comparable form (sorted keys and lists); checks the invariants first. */
  debugState(): EngineDebugState {
    this.checkInvariants();
    const senders: Record<string, { next: number; delivered: number; held: number[] }> = {};
    for (const [s, st] of [...this.senders].sort((x, y) => (x[0] < y[0] ? -1 : 1)))
      senders[s] = { next: st.next, delivered: st.delivered, held: [...st.held.keys()].sort((a, b) => a - b) };
    const ownProposals: Record<string, string[]> = {};
    for (const [id, m] of this.own) ownProposals[id] = [...m.proposals.values()].map(p2s).sort();
    const ownForwarded: Record<string, string[]> = {};
    for (const [id, m] of this.own)
      if (m.forwarded !== undefined)
        ownForwarded[id] = [...m.forwarded.values()].flatMap((w) => [...w].map(([f, p]) => `${f}>${p2s(p)}`)).sort();
    const peerDelivered: Record<string, Record<string, number>> = {};
    for (const [p, m] of this.peerDelivered) peerDelivered[p] = sortedRecord(m);
    const fl = this.flush;
    const last = this.lastFlush;
    const kept = [...this.kept.keys()].sort();
    const queued = [...this.queue].sort((a, b) => (a[0] < b[0] ? -1 : 1));
    const queueProposed: Record<string, string> = {};
    for (const [id, e] of queued) queueProposed[id] = `${p2s(e.proposed)}#${e.admitted}`;
    const keptAgreed: Record<string, string> = {};
    for (const id of kept) {
      const agreed = this.kept.get(id)?.agreed;
      if (agreed !== undefined) keptAgreed[id] = p2s(agreed);
    }
    return {
      viewId: this.installed?.viewId ?? null,
      members: [...this.members].sort(),
      flushingTo: fl?.target.viewId ?? null,
      flushSent: fl?.sent ?? false,
      flushOked: fl?.oked ?? false,
      flushParticipants: [...(fl?.participants ?? [])].sort(),
      flushOks: [...new Set([...(fl?.digests.keys() ?? []), ...(fl?.held.keys() ?? [])])].sort(),
      flushParts: this.flushParts.debug(),
      relayParts: this.relayParts.debug(),
      flushWanted: [...(fl?.wanted.keys() ?? [])].sort(),
      lastFlush:
        last === null
          ? null
          : {
              viewId: last.frame.viewId,
              participants: [...last.participants].sort(),
              answered: [...last.answered].sort(),
            },
      adopted: this.adopted,
      incarnation: this.incarnation,
      proposedMax: this.proposedMax,
      agreedMax: this.agreedMax,
      lamport: this.lamport,
      clock: this.clock,
      lastDrafted: this.lastDrafted,
      lastCommitted: this.lastCommitted,
      inFlight: this.inFlight.length,
      inFlightSeqs: this.inFlight.map((d) => d.seq),
      outbox: this.outbox.map((f) => f.seq),
      seqFloor: this.seqFloor,
      ownFloor: this.ownFloor,
      flushedOwn: [...this.flushedOwn].sort((a, b) => a - b),
      resumeAgreed: this.resumeAgreed,
      resumeDelivered: sortedRecord(Object.entries(this.resumeDelivered)),
      shown: sortedRecord(this.shown),
      senders,
      queue: queued.map(([id, e]) => ({
        id,
        p: e.priority.p,
        by: e.priority.by,
        final: e.final,
        ...(e.told === undefined ? {} : { told: p2s(e.told) }),
      })),
      queueProposed,
      admissions: this.admissions,
      heapSize: this.heap.size,
      echoes: this.echoes.size,
      disputed: [...this.disputed].sort(),
      ownProposals,
      ownSentAt: Object.fromEntries([...this.own].map(([id, m]) => [id, m.sentAt])),
      ownForwarded,
      earlyFinals: [...this.earlyFinals].map(([id, f]) => `${id}@${p2s(f.priority)}`).sort(),
      finalsSeen: this.witness.size,
      learnedFinals: [...this.learnedFinals].map(([id, p]) => `${id}@${p2s(p)}`).sort(),
      kept,
      keptAgreed,
      peerDelivered,
      buffered: this.future.length,
      bufferedFrames: this.future.map((b) => `${b.from}:${b.frame.t}@${b.frame.viewId}`),
      heldBytes: Object.fromEntries(
        [...this.senders]
          .filter(([, st]) => st.heldBytes > 0)
          .map(([s, st]) => [s, st.heldBytes])
          .sort((x, y) => (String(x[0]) < String(y[0]) ? -1 : 1)),
      ),
      bufferedBytes: Object.fromEntries(
        [...this.futureUse].map(([p, u]) => [p, u.bytes]).sort((x, y) => (String(x[0]) < String(y[0]) ? -1 : 1)),
      ),
      repairing: [...this.repairing].sort(),
      lastHwmAt: this.lastHwmAt,
      lastAnnounced: this.lastAnnounced,
      flushReports: [...(fl?.reports.keys() ?? [])].sort(),
      holdBackSize: this.holdBackSize(),
    };
  }
}
