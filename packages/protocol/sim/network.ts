// The simulated data channels: one per pair of nodes, reliable and FIFO in
// each direction with a random delay, like an SCTP data channel. A channel
// that goes down loses what was in flight (its epoch changes, so arrivals
// stamped with the old epoch are dropped) and carries nothing until it is
// up again.

import type { PeerId } from '../src/ids.ts';
import type { Prng } from './prng.ts';

/** Typical one-way latency spread of a data channel on a LAN/WAN mix. */
export const LINK_MIN_DELAY_MS = 1;
export const LINK_MAX_DELAY_MS = 40;
/** Now and then a frame is much slower (a congested path), still in FIFO order. */
export const LINK_SLOW_DELAY_MS = 250;
const SLOW_FRAME_CHANCE = 0.05;

interface Channel {
  up: boolean;
  epoch: number;
  /** Arrival time of the last frame per direction, so later frames never overtake it. */
  readonly lastArrival: Map<PeerId, number>;
  /** Directions whose next frame is delivered twice. */
  readonly duplicateNext: Set<PeerId>;
}

export interface Arrival {
  readonly at: number;
  readonly epoch: number;
  readonly twice: boolean;
}

const key = (a: PeerId, b: PeerId): string => (a < b ? `${a}|${b}` : `${b}|${a}`);

export class Network {
  private readonly channels = new Map<string, Channel>();
  /**
   * Pairs whose direct channel cannot open and whose frames travel through a
   * third node (PROTOCOL.md §1.6): two hops, each like a channel, and lost when
   * either hop is down (the ends notice on their next route check).
   */
  private readonly relays = new Map<string, PeerId>();

  constructor(
    private readonly rng: Prng,
    /**
     * Delays of the frames added after the seeds were numbered (ECHO, PROTOCOL.md §3.3): drawn from a
     * stream of their own, so every other frame of a numbered seed keeps the delay it had.
     */
    private readonly sideRng: Prng = rng,
  ) {}

  private channel(a: PeerId, b: PeerId): Channel {
    const k = key(a, b);
    let c = this.channels.get(k);
    if (c === undefined) {
      c = { up: false, epoch: 0, lastArrival: new Map(), duplicateNext: new Set() };
      this.channels.set(k, c);
    }
    return c;
  }

  isUp(a: PeerId, b: PeerId): boolean {
    return this.channels.get(key(a, b))?.up === true;
  }

  epochOf(a: PeerId, b: PeerId): number {
    return this.channels.get(key(a, b))?.epoch ?? -1;
  }

  /** Whether a frame stamped with `epoch` may still arrive. */
  current(a: PeerId, b: PeerId, epoch: number): boolean {
    const c = this.channels.get(key(a, b));
    return c !== undefined && c.up && c.epoch === epoch;
  }

  /** The direct channel opens (a relayed route it replaces ends: what was in flight on it is lost). */
  up(a: PeerId, b: PeerId): void {
    const c = this.channel(a, b);
    c.up = true;
    c.epoch++;
    this.relays.delete(key(a, b));
  }

  /** The pair's link is up again, through `via`; frames in flight before are lost. */
  relayVia(a: PeerId, b: PeerId, via: PeerId): void {
    this.down(a, b);
    this.up(a, b);
    this.relays.set(key(a, b), via);
  }

  /** The node the pair's frames go through, or null (direct, or down). */
  relayOf(a: PeerId, b: PeerId): PeerId | null {
    return this.isUp(a, b) ? (this.relays.get(key(a, b)) ?? null) : null;
  }

  /** The channel closes; everything in flight on it is lost. */
  down(a: PeerId, b: PeerId): void {
    const c = this.channels.get(key(a, b));
    if (c === undefined || !c.up) return;
    c.up = false;
    c.epoch++;
    c.lastArrival.clear();
  }

  markDuplicate(from: PeerId, to: PeerId): void {
    this.channel(from, to).duplicateNext.add(from);
  }

  /** When a frame sent now from `from` to `to` arrives, or null if the channel is down. */
  schedule(from: PeerId, to: PeerId, now: number, side = false): Arrival | null {
    const c = this.channels.get(key(from, to));
    if (c === undefined || !c.up) return null;
    const rng = side ? this.sideRng : this.rng;
    const hop = (): number =>
      rng.chance(SLOW_FRAME_CHANCE) ? LINK_SLOW_DELAY_MS : rng.int(LINK_MIN_DELAY_MS, LINK_MAX_DELAY_MS);
    const via = this.relays.get(key(from, to));
    // A relayed frame needs both hops up; one lost here is noticed by the ends' route check.
    if (via !== undefined && (!this.isUp(from, via) || !this.isUp(via, to))) return null;
    const delay = via === undefined ? hop() : hop() + hop();
    const at = Math.max(now + delay, c.lastArrival.get(from) ?? 0);
    c.lastArrival.set(from, at);
    const twice = c.duplicateNext.delete(from);
    return { at, epoch: c.epoch, twice };
  }
}
