// Joiners: a sponsor hands a joiner the group's state (`joinerState`), the joiner adopts it
// (`adoptJoinerState`), possibly in the middle of the flush for the view that adds it.
// Owns no fields of its own: adoption sets `adopted`, `incarnation`, the counters and the floors.
// Belongs here: building and adopting JoinerState. A joiner's part in a flush is view-change.ts.

import { asViewId, messageId } from '../ids.ts';
import type { PeerId } from '../ids.ts';
import type { JoinerState } from '../wire/frames.ts';
import type { EngineResult } from './engine.ts';
import { isCount, isSeq, isFlushRound, staleSeqReason } from './engine-state.ts';
import { MAX_RESUME_LAMPORT } from './lamport.ts';
import { isValidPriority } from './priority.ts';
import { OutputBuilder, reject } from './rejection.ts';
import { FlushOkRelay } from './flush-ok-relay.ts';

export abstract class JoinerAdoption extends FlushOkRelay {
  joinerState(): JoinerState {
    const nextSeq: Record<string, number> = {};
    for (const [s, st] of this.senders) nextSeq[s] = st.delivered + 1;
    const unstable = [...this.kept.values()].map((k) =>
      k.agreed === undefined ? { frame: k.frame } : { frame: k.frame, agreed: k.agreed },
    );
    return {
      viewId: this.installed?.viewId ?? asViewId(0),
      incarnation: asViewId(this.incarnation),
      agreed: this.agreedMax,
      nextSeq,
      unstable,
    };
  }

  observeClock(lamport: number): void {
    // A believable time only, as a resumed clock (lamport.ts): one signed frame must not push our drafts out of range.
    if (isCount(lamport) && lamport <= MAX_RESUME_LAMPORT) this.lamport = Math.max(this.lamport, lamport);
  }

  /** Own seqs the adoption left to be drafted again (PROTOCOL.md §3.1 "Re-issue"), or null. */
  protected reissue: { readonly from: number; readonly to: number } | null = null;

  adoptJoinerState(state: JoinerState, offer?: { readonly from: number; readonly to: number }): EngineResult {
    if (this.installed === null)
      return reject(
        'local',
        'bad-state',
        'No view is installed yet; adopt state after the view that adds this member.',
      );
    if (this.adopted) return reject('local', 'bad-state', 'This member already has state.');
    // A joiner flushing (as `joining`) for the view the state was taken in: the sponsor's flush of
    // that view is over and the state holds its outcome, so the joiner installs it now instead of
    // waiting for every participant's FLUSH (one it missed would hold it there for good).
    const jump = this.flush !== null && state.viewId === this.flush.target.viewId ? this.flush : null;
    const target = jump?.target ?? this.installed;
    if (state.viewId !== target.viewId)
      return reject(
        'remote',
        state.viewId < target.viewId ? 'old-view' : 'future-view',
        `Joiner state is for view ${state.viewId}, installed is ${this.installed.viewId}.`,
      );
    if (
      !isCount(state.agreed) ||
      !isCount(state.incarnation) ||
      state.incarnation > state.viewId ||
      typeof state.nextSeq !== 'object' ||
      state.nextSeq === null ||
      !Object.values(state.nextSeq).every(isSeq)
    )
      return reject(
        'remote',
        'bad-type',
        'Joiner state needs a non-negative agreed, an incarnation not after its view and positive next seqs.',
      );
    const handed = state.unstable ?? [];
    if (
      !Array.isArray(handed) ||
      !handed.every(
        (u) =>
          typeof u === 'object' &&
          u !== null &&
          u.frame?.t === 'data' &&
          u.frame.groupId === this.groupId &&
          isSeq(u.frame.seq) &&
          u.frame.seq < (state.nextSeq[u.frame.sender] ?? 1) &&
          (u.agreed === undefined || isValidPriority(u.agreed)),
      )
    )
      return reject(
        'remote',
        'bad-type',
        'Joiner state carries an unstable message that is malformed or beyond its next seq.',
      );
    const out = new OutputBuilder();
    if (jump !== null) {
      const mine = jump.reports.get(this.self);
      this.lastFlush =
        mine === undefined
          ? null
          : {
              frame: mine,
              ok: this.latestOk(jump),
              participants: jump.participants,
              answered: new Set(),
            };
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
      this.kept.set(
        messageId(this.groupId, u.frame.sender, u.frame.seq),
        u.agreed === undefined ? { frame: u.frame } : { frame: u.frame, agreed: u.agreed },
      );
      // The group's clock, as far as the state shows it (a believable one: the sponsor is not checked here).
      if (isCount(u.frame.lamport) && u.frame.lamport <= MAX_RESUME_LAMPORT)
        this.lamport = Math.max(this.lamport, u.frame.lamport);
    }
    const ownDelivered = this.senders.get(this.self)?.delivered ?? 0;
    // Our seqs the group lacks and our store holds (up to our resume point, nothing drafted yet): drafted
    // again under the same seqs, so the floor stops below them and our count goes on from there.
    const top = this.seqFloor;
    const idle = this.inFlight.length === 0 && this.outbox.length === 0 && this.lastDrafted === top;
    if (offer !== undefined && idle && offer.to === top && top > ownDelivered) {
      const from = Math.max(ownDelivered + 1, offer.from);
      if (from <= top) {
        this.reissue = { from, to: top };
        this.seqFloor = from - 1;
        this.lastDrafted = this.lastCommitted = from - 1;
      }
    }
    // Our own seq goes on after what the group has of this peer id (an earlier session: re-join, false removal).
    this.seqFloor = Math.max(this.seqFloor, ownDelivered);
    this.lastDrafted = Math.max(this.lastDrafted, this.seqFloor);
    this.lastCommitted = Math.max(this.lastCommitted, this.seqFloor);
    for (const f of this.outbox)
      // At or below the group's count: delivered in a joining flush if it travelled in one, else its id was taken.
      if (f.seq <= ownDelivered && !this.flushedOwn.has(f.seq))
        out.events.push({
          type: 'message-dropped',
          id: messageId(this.groupId, this.self, f.seq),
          reason: staleSeqReason,
        });
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
      if (this.flush === null)
        for (const p of [...this.members].sort())
          if (p !== this.self) out.frames.push({ to: p, frame: this.hwmFrame() });
    }
    // Mid-flush (a newer view arrived first), the flush's completion sends and replays what waited.
    if (this.flush === null) this.afterReady(out, this.clock);
    return out.build();
  }
}
