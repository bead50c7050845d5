// The `withhold` hostile kind (PROTOCOL.md §7.6, §3.3 "Forwarded proposals"): a member that keeps its
// PROPOSE for one sender's messages (its proposal and its copies) from that sender only, and sends
// everything else, copies to the other members included. Until forwarded proposals, the others heard
// from everyone and reported the sender `stalled`, and it was evicted (H1). `variant` odd: it also
// forwards the victim made-up low proposals of every other member it knows (and never a real one), so
// the honest side's rule that a forwarded word counts only when every other member forwarded one
// (and the largest is taken) is what keeps the FINAL at or above the honest proposals.

import type { PeerId } from '../src/ids.ts';
import type { GroupFrame, ProposeFrame } from '../src/wire/frames.ts';

export class ProposeWithholder {
  /** The sender it withholds from: the first whose message it proposes for while lying. */
  victim: PeerId | null = null;
  /** Members it has sent to (whom it can name in a made-up forward). */
  private readonly known = new Set<PeerId>();

  constructor(
    private readonly self: PeerId,
    private readonly forge: boolean,
  ) {}

  /** What goes to `to` instead of `frame` (a single PROPOSE: `proposes` frames are split before). */
  outbound(to: PeerId, frame: GroupFrame): GroupFrame[] {
    this.known.add(to);
    if (frame.t !== 'propose' || frame.sender !== to) return [frame];
    this.victim ??= to;
    if (to !== this.victim) return [frame];
    if (!this.forge) return frame.forwarded === true ? [frame] : [];
    if (frame.forwarded === true) return [];
    return [...this.known].filter((q) => q !== to && q !== this.self).map((q) => this.madeUp(frame, q));
  }

  private madeUp(frame: ProposeFrame, by: PeerId): ProposeFrame {
    return { ...frame, priority: { p: 1, by }, forwarded: true };
  }
}
