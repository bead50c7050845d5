// One group's inbound frames on their way to the core: verified per sending
// peer in arrival order. A live DATA whose verdict can be had at once (Node,
// its sender's key known, nothing of that peer's still being verified) is
// handed over in the same turn it arrived — no promise chain, no thread-pool
// hop; anything else queues behind the peer's earlier frames and goes
// through the FrameVerifier's asynchronous checks. Holds only the per-peer
// chains, each dropped once idle so a departed peer leaves nothing behind.

import type { GroupFrame, PeerId } from '@chorus/protocol';
import { nextTurn } from '../next-turn.ts';
import type { FrameVerifier, Verified } from './frame-verifier.ts';

export class InboundFrames {
  readonly #chains = new Map<PeerId, Promise<void>>();

  constructor(
    private readonly verifier: FrameVerifier,
    /** True once the session is closed: nothing more is verified or taken. */
    private readonly closed: () => boolean,
    /** A frame's turn came, before its asynchronous verification (a DATA checked at once never gets here). */
    private readonly arriving: (from: PeerId, frame: GroupFrame) => void,
    /** A verified frame or history page for the core. */
    private readonly take: (from: PeerId, v: Verified) => void,
    /** Taking a frame threw (a bug): reported, and the peer's later frames still go on. */
    private readonly failed: (from: PeerId, frame: GroupFrame, e: unknown) => void,
  ) {}

  push(from: PeerId, frame: GroupFrame): void {
    const prev = this.#chains.get(from);
    const now = prev === undefined && !this.closed() ? this.verifier.verifyNow(from, frame) : undefined;
    if (now === null) return; // failed its check, reported by the verifier
    if (now !== undefined) {
      try {
        this.take(from, { kind: 'frame', frame: now });
      } catch (e) {
        this.failed(from, frame, e);
      }
      return;
    }
    const next = (prev ?? Promise.resolve())
      .then(() => this.#verify(from, frame))
      .catch((e: unknown) => this.failed(from, frame, e));
    this.#chains.set(from, next);
    void next.then(() => {
      if (this.#chains.get(from) === next) this.#chains.delete(from);
    });
  }

  async #verify(from: PeerId, frame: GroupFrame): Promise<void> {
    if (this.closed()) return;
    this.arriving(from, frame);
    // A history page's next request (asked as it arrives) leaves at the end of this turn (the mesh
    // writes a turn's frames then): the page is checked and stored in the next, while the sponsor
    // reads and sends the next page, instead of holding the request until this one is stored.
    if (frame.t === 'history-res') await nextTurn();
    const v = await this.verifier.verify(from, frame);
    if (v !== null) this.take(from, v);
  }
}
