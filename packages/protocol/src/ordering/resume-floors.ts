// Resume floors: where this peer id's own seqs and the group's counts go on after an earlier
// engine of the same peer id (a reload, a re-join, a false removal; see create-engine.ts
// EngineResume). Owns: `seqFloor`, `resumeAgreed`, `resumeDelivered`, `ownFloor`, `flushedOwn`.
// Belongs here: the floors themselves and claiming them when this member gains state without a
// sponsor. Where they are sent (hwm.floor, a joining FLUSH) is stability.ts and view-change.ts.

import type { GroupId, Ordering, PeerId } from '../ids.ts';
import type { EngineHooks } from './engine-hooks.ts';
import type { EngineResume } from './create-engine.ts';
import { FifoLayer } from './fifo-layer.ts';

export abstract class ResumeFloors extends FifoLayer {
  /**
   * Own seqs at or below this belong to an earlier engine of this peer id (from `resume`, or
   * the sponsor's nextSeq for us): the group or our store already has messages with those ids.
   */
  protected seqFloor = 0;
  /** A from the store of an earlier session (`resume.agreed`). */
  protected resumeAgreed = 0;
  /** Per-sender delivered counts from the store of an earlier session (`resume.delivered`). */
  protected resumeDelivered: Readonly<Record<string, number>> = {};
  /**
   * Our seqs up to here were used by an earlier engine of this peer id but the state we adopted
   * counts fewer of them (the group went through an empty view): our hwm says so (`floor`), and
   * members start their FIFO gate for us after it. Null when the group's count covers them.
   */
  protected ownFloor: number | null = null;
  /** Seqs of our outbox frames that travelled inside one of our joining FLUSHes (the group may have delivered them). */
  protected readonly flushedOwn = new Set<number>();

  constructor(mode: Ordering, self: PeerId, groupId: GroupId, hooks: EngineHooks, resume: EngineResume | null = null) {
    super(mode, self, groupId, hooks, resume);
    if (resume !== null) {
      this.seqFloor = resume.ownSeq;
      // Applied only if we gain state without a sponsor: a sponsor's A is the group's, and one from our
      // store could be far above it (an older era of the group), so far that members would refuse our proposals.
      this.resumeAgreed = resume.agreed;
      this.resumeDelivered = resume.delivered ?? {};
    }
  }

  /**
   * Starting with state of our own (no sponsor): our earlier session's seqs count as delivered, so
   * joiners we sponsor expect what follows, and A goes on above the priorities our store holds.
   */
  protected claimOwnFloor(alone = false): void {
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
}
