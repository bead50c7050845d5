// Stability and link repair: members announce their delivered counts (HWM); a message every
// member delivered is stable and leaves `kept`; a peer whose link came back gets what it lacks.
// Owns: `peerDelivered`, `repairing`, `lastHwmAt`, `lastAnnounced`.
// Belongs here: the HWM frame in both directions, pruning `kept`, resends after a link-up.
// Deciding when a link-up also resends flush-round frames is group-engine.ts (`linkUp`).

import type { PeerId } from '../ids.ts';
import type { DataFrame, EchoEntry, HighWaterFrame, Priority } from '../wire/frames.ts';
import type { EngineResult } from './engine.ts';
import { isCount, isSeq, unhold } from './engine-state.ts';
import { echoFrames } from './final-echo.ts';
import { echoOfFinal } from './final-proof.ts';
import { heldFinal } from './isis-queue.ts';
import { OutputBuilder, reject } from './rejection.ts';
import { ResumeFloors } from './resume-floors.ts';

/**
 * At most how often `tick` announces changed delivered counts: stability within a second keeps resend buffers small,
 * and batching keeps it to one tiny frame per member per second under load.
 */
export const HWM_INTERVAL_MS = 1_000;

export abstract class Stability extends ResumeFloors {
  protected readonly peerDelivered = new Map<PeerId, Map<PeerId, number>>();
  protected lastHwmAt: number | null = null;
  /** Delivered counts as last announced to the view; null = announce in this view. */
  protected lastAnnounced: string | null = null;
  /** Peers whose link came back: their next hwm tells us what to resend (a periodic one does not). */
  protected readonly repairing = new Set<PeerId>();

  protected onHwm(from: PeerId, f: HighWaterFrame, now: number): EngineResult {
    if (typeof f.delivered !== 'object' || f.delivered === null || !Object.values(f.delivered).every(isCount))
      return reject('remote', 'bad-type', 'hwm.delivered must map peer ids to non-negative integers.');
    const r = this.routed(from, f);
    if (r !== null) return r;
    if (!this.members.has(from))
      return reject('remote', 'not-member', `${from} is not a member of view ${this.installed?.viewId}.`);
    const out = new OutputBuilder();
    if (f.floor !== undefined) this.skipTo(from, f.floor, out, this.clockAt(now));
    // A member that counts fewer of our seqs than our floor has not learnt it (it adopted a state
    // taken before our floor reached its sponsor): tell it again.
    if (this.ownFloor !== null && (f.delivered[this.self] ?? 0) < this.ownFloor)
      out.frames.push({ to: from, frame: this.hwmFrame() });
    this.notePeerDelivered(from, f.delivered);
    if (!this.repairing.delete(from)) {
      // A periodic announcement only teaches stability; resending on it would duplicate frames still in flight.
      this.pruneStable();
      return out.build();
    }
    const theirs = f.delivered[this.self] ?? 0;
    // Our own messages they lack, with the FINAL when we know it.
    const ownFrames: { frame: DataFrame; agreed: Priority | null }[] = [];
    for (const k of this.kept.values())
      if (k.frame.sender === this.self && k.frame.seq > theirs)
        ownFrames.push({ frame: k.frame, agreed: k.agreed ?? null });
    for (const e of this.queue.values())
      if (e.frame.sender === this.self && e.frame.seq > theirs)
        ownFrames.push({ frame: e.frame, agreed: e.final ? e.priority : null });
    ownFrames.sort((a, b) => a.frame.seq - b.frame.seq);
    for (const o of ownFrames) {
      out.frames.push({ to: from, frame: o.frame });
      if (o.agreed !== null)
        out.frames.push({
          to: from,
          frame: {
            t: 'final',
            groupId: this.groupId,
            viewId: this.viewIdNow(),
            sender: this.self,
            seq: o.frame.seq,
            priority: o.agreed,
            version: o.frame.sig,
          },
        });
    }
    // Our proposals for their messages that are still open (the PROPOSE may have been lost).
    for (const e of this.queue.values())
      if (e.frame.sender === from && heldFinal(e) === undefined)
        out.frames.push({
          to: from,
          frame: {
            t: 'propose',
            groupId: this.groupId,
            viewId: this.viewIdNow(),
            sender: from,
            seq: e.frame.seq,
            priority: e.proposed,
          },
        });
    // Our echoes of others' messages of this view it has not delivered (the ECHO may have been lost).
    const echoes: EchoEntry[] = [];
    const view = this.viewIdNow();
    for (const [id, k] of this.kept) {
      const got = this.witness.got(id);
      if (
        got !== undefined &&
        k.frame.viewId === view &&
        k.frame.sender !== from &&
        k.frame.sender !== this.self &&
        k.frame.seq > (f.delivered[k.frame.sender] ?? 0)
      )
        echoes.push(echoOfFinal(got, false));
    }
    for (const [id, e] of this.queue) {
      const got = this.witness.got(id);
      if (got !== undefined && e.frame.sender !== from && e.frame.sender !== this.self)
        echoes.push(echoOfFinal(got, heldFinal(e) === undefined));
    }
    if (this.mode === 'total' && echoes.length > 0)
      out.frames.push(...echoFrames(this.groupId, view, this.self, [from], echoes));
    this.pruneStable();
    return out.build();
  }

  /**
   * `from` says its seqs up to `floor` are none of this incarnation (hwm.floor): its FIFO gate goes
   * on after them. Ignored once we admitted any of its messages past our count (an honest sender
   * sends its floor before its first message in the incarnation, on the same link).
   */
  protected skipTo(from: PeerId, floor: number, out: OutputBuilder, now: number): void {
    if (!this.adopted || !isSeq(floor)) return;
    const st = this.sender(from);
    if (floor <= st.delivered || st.next !== st.delivered + 1) return;
    for (const seq of [...st.held.keys()]) if (seq <= floor) unhold(st, seq);
    st.delivered = floor;
    st.next = floor + 1;
    this.releaseHeld(st, out, now);
    this.deliverReady(out);
  }

  protected notePeerDelivered(peer: PeerId, delivered: Readonly<Record<string, number>>): void {
    const m = this.peerDelivered.get(peer) ?? new Map<PeerId, number>();
    for (const [s, n] of Object.entries(delivered)) m.set(s as PeerId, Math.max(m.get(s as PeerId) ?? 0, n));
    this.peerDelivered.set(peer, m);
  }

  /** Drop kept messages every member of the view has delivered: nobody can need them again. */
  protected pruneStable(): void {
    for (const [id, k] of this.kept) {
      const s = k.frame.sender;
      const stable = [...this.members].every((m) =>
        m === this.self
          ? (this.senders.get(s)?.delivered ?? 0) >= k.frame.seq
          : (this.peerDelivered.get(m)?.get(s) ?? 0) >= k.frame.seq,
      );
      if (!stable) continue;
      this.kept.delete(id);
      this.witness.forget(id);
    }
  }

  protected deliveredCounts(): Record<string, number> {
    const d: Record<string, number> = {};
    for (const [s, st] of this.senders) d[s] = st.delivered;
    return d;
  }

  protected hwmFrame(): HighWaterFrame {
    const base = {
      t: 'hwm' as const,
      groupId: this.groupId,
      viewId: this.viewIdNow(),
      delivered: this.deliveredCounts(),
    };
    return this.ownFloor === null ? base : { ...base, floor: this.ownFloor };
  }

  /** From `tick` outside a flush: announce our delivered counts when due and changed. */
  protected announceCounts(now: number, out: OutputBuilder): void {
    const due = this.lastHwmAt === null || now - this.lastHwmAt >= HWM_INTERVAL_MS;
    if (due && this.installed !== null && this.adopted && this.members.size > 1) {
      // Announce only when our counts changed: the group falls quiet once everyone has said its last word.
      const counts = this.hwmFrame();
      const text = JSON.stringify(counts.delivered);
      if (text !== this.lastAnnounced) {
        this.lastHwmAt = now;
        this.lastAnnounced = text;
        out.frames.push({ to: 'all', frame: counts });
      }
    }
  }
}
