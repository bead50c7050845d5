// The view gate of the group engine: where a view-tagged frame goes (processed now, kept for a
// later view, ignored, refused), and the frames kept for a later view with each peer's budget.
// Owns: `futureList`/`futureUse`. Belongs here: deciding by a frame's view alone whether it is
// processed; bounding and pruning what waits. What a processed frame does belongs to its layer.

import type { PeerId, ViewId } from '../ids.ts';
import type { EngineFrame } from '../wire/frames.ts';
import { jsonBytes } from '../wire/parts.ts';
import type { EngineResult, Rejection } from './engine.ts';
import { EngineState, isCount, isFlushRound } from './engine-state.ts';
import { OutputBuilder, reject } from './rejection.ts';

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
 * 16 MiB holds that, and one peer's unsigned FLUSH frames for made-up views cannot
 * fill the heap (unbounded, 300 of 1 MiB added 93 MB). Beyond it: `too-many`.
 */
export const MAX_BUFFERED_BYTES_PER_PEER = 16 * 1024 * 1024;

/**
 * What departed peers (members of an installed view that a later one leaves out) may keep waiting,
 * all of them together: FLUSH and FLUSH-OK frames for later views (their DATA, HWM, PROPOSE and
 * FINAL are dropped at that install), at most MAX_GONE_VIEWS views each, the newest. A later session
 * of such a peer id (a reload) sends a FLUSH for each view it takes part in, the newest being the
 * one still to come; a departed liar's FLUSH frames for made-up far views would otherwise stay for
 * good, each peer id it ever used with its own budget (PROTOCOL.md §7.5, H4).
 */
export const MAX_BUFFERED_BYTES_GONE = MAX_BUFFERED_BYTES_PER_PEER;
export const MAX_GONE_VIEWS = 2;

export interface Buffered {
  readonly from: PeerId;
  readonly frame: EngineFrame;
  /** Its JSON size, charged to `from`'s budget while it waits. */
  readonly bytes: number;
}

export abstract class FrameGate extends EngineState {
  protected futureList: Buffered[] = [];
  /**
   * Per peer: frames and bytes in `future` (MAX_BUFFERED_FRAMES, MAX_BUFFERED_BYTES_PER_PEER).
   * Invariant: exactly the count and the sum of `bytes` of that peer's entries in `futureList`.
   */
  protected readonly futureUse = new Map<PeerId, { frames: number; bytes: number }>();

  /** After our FLUSH left, the old view is frozen: its own frames are ignored (view-change.ts). */
  protected abstract oldViewFrozen(): boolean;

  /** Where a view-tagged frame goes: processed now, kept for a later view, ignored, or refused. */
  protected gate(frame: { readonly viewId: ViewId }): 'process' | 'buffer' | 'ignore' | Rejection {
    if (!isCount(frame.viewId)) return reject('remote', 'bad-type', 'viewId must be a non-negative integer.');
    if (this.installed === null) return 'buffer';
    if (frame.viewId < this.installed.viewId)
      return reject(
        'remote',
        'old-view',
        `Frame of view ${frame.viewId} arrived after view ${this.installed.viewId} was installed.`,
      );
    if (frame.viewId > this.installed.viewId || !this.adopted) return 'buffer';
    // After our FLUSH left, the old view is frozen: the flushes carry everything survivors have.
    return this.oldViewFrozen() ? 'ignore' : 'process';
  }

  /** Frames waiting for a later view; every replacement of the list recounts the per-peer budgets. */
  protected get future(): Buffered[] {
    return this.futureList;
  }

  protected set future(list: Buffered[]) {
    this.futureList = list;
    this.futureUse.clear();
    for (const b of list) {
      const use = this.futureUse.get(b.from) ?? { frames: 0, bytes: 0 };
      use.frames += 1;
      use.bytes += b.bytes;
      this.futureUse.set(b.from, use);
    }
  }

  protected buffer(from: PeerId, frame: EngineFrame): EngineResult {
    const bytes = jsonBytes(frame);
    const use = this.futureUse.get(from) ?? { frames: 0, bytes: 0 };
    if (use.frames >= MAX_BUFFERED_FRAMES)
      return reject(
        'remote',
        'too-many',
        `${from} already has ${MAX_BUFFERED_FRAMES} frames waiting for a view change.`,
      );
    if (use.bytes + bytes > MAX_BUFFERED_BYTES_PER_PEER)
      return reject(
        'remote',
        'too-many',
        `${from} already has ${use.bytes} bytes waiting for a view change; ${bytes} more exceed ${MAX_BUFFERED_BYTES_PER_PEER}.`,
      );
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
  protected dropStaleFuture(from: PeerId, viewId: ViewId): void {
    if (
      this.futureUse.has(from) &&
      this.future.some((b) => b.from === from && !isFlushRound(b.frame) && b.frame.viewId > viewId)
    )
      this.future = this.future.filter((b) => b.from !== from || isFlushRound(b.frame) || b.frame.viewId <= viewId);
  }

  /**
   * The same for a peer the installed view leaves out (it crashed or left before it sent us a frame
   * of a view we installed): its DATA, HWM, PROPOSE and FINAL of a later view are an earlier
   * session's. A later view with that peer in it (a re-join) cannot have given it state yet — its
   * flush needs our FLUSH-OK, which comes after this install — so it sent us none of those for it.
   */
  protected dropGoneFuture(viewId: ViewId, before: ReadonlySet<PeerId>): void {
    const gone = (b: Buffered): boolean =>
      !this.members.has(b.from) && !isFlushRound(b.frame) && b.frame.viewId > viewId;
    if (this.future.some(gone)) this.future = this.future.filter((b) => !gone(b));
    for (const p of before) if (!this.members.has(p)) this.departed.add(p);
    for (const p of this.members) this.departed.delete(p);
    this.boundDepartedFlushes(viewId);
  }

  /** Peers that left an installed view and have not come back, while they have frames waiting. */
  protected readonly departed = new Set<PeerId>();

  /**
   * Flush-round frames of departed peers for later views: of each peer the frames of its
   * MAX_GONE_VIEWS newest views, and of all of them together at most MAX_BUFFERED_BYTES_GONE (the
   * peers with the most bytes go first).
   */
  protected boundDepartedFlushes(viewId: ViewId): void {
    const theirs = new Map<PeerId, Buffered[]>();
    for (const b of this.future)
      if (this.departed.has(b.from) && b.frame.viewId > viewId) theirs.set(b.from, [...(theirs.get(b.from) ?? []), b]);
    for (const p of [...this.departed]) if (!theirs.has(p)) this.departed.delete(p);
    const keep = new Map<PeerId, { frames: Set<Buffered>; bytes: number }>();
    for (const [p, frames] of theirs) {
      const newest = [...new Set(frames.map((b) => b.frame.viewId))].sort((x, y) => y - x).slice(0, MAX_GONE_VIEWS);
      const kept = frames.filter((b) => newest.includes(b.frame.viewId));
      keep.set(p, { frames: new Set(kept), bytes: kept.reduce((n, b) => n + b.bytes, 0) });
    }
    let total = [...keep.values()].reduce((n, k) => n + k.bytes, 0);
    for (const [p, k] of [...keep].sort((x, y) => y[1].bytes - x[1].bytes || (x[0] < y[0] ? -1 : 1))) {
      if (total <= MAX_BUFFERED_BYTES_GONE) break;
      total -= k.bytes;
      keep.delete(p);
      this.departed.delete(p);
    }
    const dropped = (b: Buffered): boolean =>
      theirs.has(b.from) && b.frame.viewId > viewId && keep.get(b.from)?.frames.has(b) !== true;
    if (this.future.some(dropped)) this.future = this.future.filter((b) => !dropped(b));
  }

  protected routed(from: PeerId, frame: EngineFrame & { readonly viewId: ViewId }): EngineResult | null {
    const g = this.gate(frame);
    if (g === 'process') {
      if (!isFlushRound(frame)) this.dropStaleFuture(from, frame.viewId);
      return null;
    }
    if (g === 'buffer') return this.buffer(from, frame);
    if (g === 'ignore') return new OutputBuilder().build();
    return g;
  }
}
