// An in-memory network of Transports for fast, many-seed tests: every frame
// is encoded to JSON text and parsed with the same parser the WebRTC mesh
// uses (a BATCH injected by a test is unpacked as the mesh does), so hostile input is refused exactly as on a real
// channel. Owns links, per-link FIFO queues, seeded delays and injected faults (cut links,
// crashes); knows nothing of groups' views or ordering.

import {
  asPeerId,
  encodeFrame,
  MAX_FRAME_BYTES,
  ok,
  parseChannelMessage,
  type GroupFrame,
  type GroupId,
  type LinkState,
  type MemberInfo,
  type PeerId,
  type ProtocolError,
} from '@chorus/protocol';
import { Emitter } from './emitter.ts';
import type { TrackerLink } from './tracker-link.ts';
import type { Transport, TransportEvents } from './transport.ts';

export interface MemoryNetworkOptions {
  /** Seeds the delay generator: one seed, one schedule of delays (timers still interleave with crypto). */
  readonly seed?: number;
  /** Per-frame delay range in ms; each link stays FIFO whatever the draw. */
  readonly minDelayMs?: number;
  readonly maxDelayMs?: number;
  /** Delay before a link reports up, as a data channel's handshake takes a moment. */
  readonly linkSetupMs?: number;
  /**
   * WebRTC opens a data channel at each end on its own: one end may already
   * send (and the other receive) before the other end's `link up` fires. Up
   * to this many ms (seeded) between the two ends' `up`; 0 (the default)
   * opens both at once.
   */
  readonly linkOpenSkewMs?: number;
}

/** Default delays: enough to reorder frames across links, small enough to keep a test fast. */
export const DEFAULT_MAX_DELAY_MS = 3;
export const DEFAULT_LINK_SETUP_MS = 2;

interface DirectedQueue {
  readonly items: { readonly at: number; readonly text: string; readonly link: Link | null; readonly epoch: number }[];
  timer: boolean;
}

interface Link {
  /** Bumped on every down: frames queued under an older epoch died with the channel. */
  epoch: number;
  up: boolean;
  /** Ends whose channel is open: they may send, and have been told `up`. */
  readonly open: Set<PeerId>;
}

const pairKey = (groupId: GroupId, a: PeerId, b: PeerId): string =>
  a < b ? `${groupId}|${a}|${b}` : `${groupId}|${b}|${a}`;

/** mulberry32: tiny, seedable, good enough to spread delays. */
function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class MemoryNetwork {
  readonly #transports = new Map<PeerId, MemoryTransport>();
  readonly #links = new Map<string, Link>();
  /** Pairs cut by the test (both directions, every group). */
  readonly #cut = new Set<string>();
  readonly #crashed = new Set<PeerId>();
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  /** Frames in flight per direction (`group|from|to`), oldest first. */
  readonly #queues = new Map<string, DirectedQueue>();
  readonly #random: () => number;
  readonly #minDelay: number;
  readonly #maxDelay: number;
  readonly #linkSetup: number;
  readonly #openSkew: number;
  /** Frames sent to a peer without an open link (a real channel would not carry them either), or filtered out. */
  droppedFrames = 0;
  #dropWhere: ((groupId: GroupId, from: PeerId, to: PeerId, frame: GroupFrame) => boolean) | null = null;

  constructor(opts: MemoryNetworkOptions = {}) {
    this.#random = seededRandom(opts.seed ?? 1);
    this.#minDelay = opts.minDelayMs ?? 0;
    this.#maxDelay = opts.maxDelayMs ?? DEFAULT_MAX_DELAY_MS;
    this.#linkSetup = opts.linkSetupMs ?? DEFAULT_LINK_SETUP_MS;
    this.#openSkew = opts.linkOpenSkewMs ?? 0;
  }

  /**
   * The transport of `self`. With `tracker` it reports its links there as the
   * WebRTC mesh does (up; down unless this end removed the peer itself), which
   * the tracker needs to install a joiner.
   */
  transport(self: PeerId | string, tracker?: Pick<TrackerLink, 'reportLink'>): MemoryTransport {
    const id = asPeerId(self);
    const existing = this.#transports.get(id);
    if (existing) return existing;
    const t = new MemoryTransport(id, this, tracker);
    this.#transports.set(id, t);
    return t;
  }

  /** Cut every channel between two peers (as a NAT rebinding or a flaky Wi-Fi would). */
  cut(a: PeerId, b: PeerId): void {
    this.#cut.add(a < b ? `${a}|${b}` : `${b}|${a}`);
    this.#refreshAll();
  }

  heal(a: PeerId, b: PeerId): void {
    this.#cut.delete(a < b ? `${a}|${b}` : `${b}|${a}`);
    this.#refreshAll();
  }

  /** The peer's process dies: its channels go down, frames in flight to and from it are lost. */
  crash(peer: PeerId): void {
    this.#crashed.add(peer);
    this.#refreshAll();
  }

  /**
   * Deliver raw text to `to` as if `from` had sent it on their channel (for
   * hostile-input tests). Goes through the parser like every frame.
   */
  inject(groupId: GroupId, from: PeerId, to: PeerId, text: string): void {
    this.#schedule(groupId, from, to, text);
  }

  /**
   * Lose every frame the predicate picks (a peer that stops answering, a
   * middlebox eating one kind of frame) until called again with null.
   */
  dropFrames(predicate: ((groupId: GroupId, from: PeerId, to: PeerId, frame: GroupFrame) => boolean) | null): void {
    this.#dropWhere = predicate;
  }

  /**
   * True while a delivery or a link opening is pending: a test waits for quiet before asserting that nothing happened.
   */
  get busy(): boolean {
    return this.#timers.size > 0;
  }

  /** Stop every pending delivery (end of a test). */
  close(): void {
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    this.#queues.clear();
  }

  // ---- used by MemoryTransport ----

  /** Re-evaluate the links of one group after someone changed its peer set. */
  refresh(groupId: GroupId): void {
    const peers = [...this.#transports.values()];
    for (let i = 0; i < peers.length; i++) {
      for (let j = i + 1; j < peers.length; j++) {
        const a = peers[i] as MemoryTransport;
        const b = peers[j] as MemoryTransport;
        const wanted =
          a.wants(groupId, b.self) &&
          b.wants(groupId, a.self) &&
          !this.#crashed.has(a.self) &&
          !this.#crashed.has(b.self) &&
          !this.#cut.has(a.self < b.self ? `${a.self}|${b.self}` : `${b.self}|${a.self}`);
        this.#setLink(groupId, a, b, wanted);
      }
    }
  }

  /** Whether `a`'s end of its channel to `b` is open (it can send; it was told `up`). */
  isUp(groupId: GroupId, a: PeerId, b: PeerId): boolean {
    const link = this.#links.get(pairKey(groupId, a, b));
    return link?.up === true && link.open.has(a);
  }

  send(groupId: GroupId, from: PeerId, to: PeerId, frame: GroupFrame): void {
    if (
      this.#crashed.has(from) ||
      !this.isUp(groupId, from, to) ||
      this.#dropWhere?.(groupId, from, to, frame) === true
    ) {
      this.droppedFrames += 1;
      return;
    }
    this.#schedule(groupId, from, to, encodeFrame(frame));
  }

  #refreshAll(): void {
    const groups = new Set<GroupId>();
    for (const t of this.#transports.values()) for (const g of t.groupIds()) groups.add(g);
    for (const g of groups) this.refresh(g);
  }

  #setLink(groupId: GroupId, a: MemoryTransport, b: MemoryTransport, wanted: boolean): void {
    const key = pairKey(groupId, a.self, b.self);
    let link = this.#links.get(key);
    if (!link) {
      if (!wanted) return;
      link = { epoch: 0, up: false, open: new Set() };
      this.#links.set(key, link);
    }
    if (wanted && !link.up) {
      // Opening takes a moment; the link only comes up if nobody changed their mind meanwhile.
      const epoch = ++link.epoch;
      const l = link;
      this.#later(this.#linkSetup, () => {
        if (l.epoch !== epoch || l.up) return;
        if (!(a.wants(groupId, b.self) && b.wants(groupId, a.self))) return;
        l.up = true;
        const openEnd = (end: MemoryTransport, other: MemoryTransport): void => {
          if (l.epoch !== epoch || !l.up) return;
          l.open.add(end.self);
          end.emitLink(groupId, other.self, 'up');
        };
        if (this.#openSkew === 0) {
          openEnd(a, b);
          openEnd(b, a);
          return;
        }
        const [first, second] = this.#random() < 0.5 ? [a, b] : [b, a];
        openEnd(first, second);
        this.#later(this.#random() * this.#openSkew, () => openEnd(second, first));
      });
    } else if (!wanted && (link.up || link.epoch > 0)) {
      // Only an end that was told `up` hears `down`.
      const wasOpen = new Set(link.up ? link.open : []);
      link.up = false;
      link.open.clear();
      link.epoch += 1;
      if (wasOpen.has(a.self) && !this.#crashed.has(a.self)) a.emitLink(groupId, b.self, 'down');
      if (wasOpen.has(b.self) && !this.#crashed.has(b.self)) b.emitLink(groupId, a.self, 'down');
    }
  }

  #schedule(groupId: GroupId, from: PeerId, to: PeerId, text: string): void {
    const link = this.#links.get(pairKey(groupId, from, to));
    const key = `${groupId}|${from}|${to}`;
    let q = this.#queues.get(key);
    if (!q) {
      q = { items: [], timer: false };
      this.#queues.set(key, q);
    }
    const delay = this.#minDelay + this.#random() * (this.#maxDelay - this.#minDelay);
    const last = q.items.at(-1)?.at ?? 0;
    // One queue per direction, drained in order: timers alone would reorder (Node truncates fractional delays).
    q.items.push({ at: Math.max(Date.now() + delay, last), text, link: link ?? null, epoch: link?.epoch ?? -1 });
    this.#drain(groupId, from, to, q);
  }

  /** Delivers what is due, in order, in a loop (thousands may be due at once: no recursion per item). */
  #drain(groupId: GroupId, from: PeerId, to: PeerId, q: DirectedQueue): void {
    for (let head = q.items[0]; !q.timer && head !== undefined; head = q.items[0]) {
      const wait = head.at - Date.now();
      if (wait > 0) {
        q.timer = true;
        this.#later(Math.ceil(wait), () => {
          q.timer = false;
          this.#drain(groupId, from, to, q);
        });
        return;
      }
      q.items.shift();
      // An injected frame (no link) is delivered regardless; a real one only on the channel it was sent on.
      const alive = head.link === null || (head.link.epoch === head.epoch && head.link.up);
      if (alive && !this.#crashed.has(to)) this.#transports.get(to)?.deliver(groupId, from, head.text);
    }
  }

  #later(ms: number, fn: () => void): void {
    const t = setTimeout(
      () => {
        this.#timers.delete(t);
        fn();
      },
      Math.max(0, ms),
    );
    this.#timers.add(t);
  }
}

export class MemoryTransport implements Transport {
  readonly self: PeerId;
  readonly #network: MemoryNetwork;
  readonly #events = new Emitter<TransportEvents>();
  readonly #peers = new Map<GroupId, Set<PeerId>>();
  readonly #tracker: Pick<TrackerLink, 'reportLink'> | undefined;

  constructor(self: PeerId, network: MemoryNetwork, tracker?: Pick<TrackerLink, 'reportLink'>) {
    this.self = self;
    this.#network = network;
    this.#tracker = tracker;
  }

  setPeers(groupId: GroupId, peers: readonly MemberInfo[]): void {
    this.#peers.set(groupId, new Set(peers.map((p) => p.peerId).filter((p) => p !== this.self)));
    this.#network.refresh(groupId);
  }

  send(groupId: GroupId, to: PeerId, frame: GroupFrame): void {
    this.#network.send(groupId, this.self, to, frame);
  }

  openPeers(groupId: GroupId): readonly PeerId[] {
    return [...(this.#peers.get(groupId) ?? [])].filter((p) => this.#network.isUp(groupId, this.self, p));
  }

  on<K extends keyof TransportEvents>(event: K, listener: TransportEvents[K]): () => void {
    return this.#events.on(event, listener);
  }

  close(groupId?: GroupId): void {
    const groups = groupId === undefined ? [...this.#peers.keys()] : [groupId];
    for (const g of groups) {
      this.#peers.delete(g);
      this.#network.refresh(g);
    }
  }

  // ---- used by MemoryNetwork ----

  wants(groupId: GroupId, peer: PeerId): boolean {
    return this.#peers.get(groupId)?.has(peer) === true;
  }

  groupIds(): readonly GroupId[] {
    return [...this.#peers.keys()];
  }

  emitLink(groupId: GroupId, peer: PeerId, state: LinkState): void {
    if (state === 'up' || this.wants(groupId, peer)) this.#tracker?.reportLink(groupId, peer, state);
    this.#events.emit('link', groupId, peer, state);
  }

  /** Test hook: what the WebRTC mesh says when a TURN server gives no relay address. */
  emitTurn(groupId: GroupId, peer: PeerId, problem: { readonly message: string; readonly fatal: boolean }): void {
    this.#events.emit('turn', groupId, peer, problem);
  }

  deliver(groupId: GroupId, from: PeerId, text: string): void {
    // This transport never splits frames, so a message may be as big as a whole frame.
    const parsed = parseChannelMessage(text, { groupId, from, maxBytes: MAX_FRAME_BYTES });
    if (!parsed.ok) {
      this.#events.emit('reject', groupId, from, parsed.error);
      return;
    }
    const members = parsed.value.kind === 'batch' ? parsed.value.members : [ok(parsed.value.frame)];
    for (const r of members) {
      if (!r.ok) this.#events.emit('reject', groupId, from, r.error);
      else if (r.value.t === 'chunk') {
        // A chunk here is a peer misbehaving.
        const error: ProtocolError = {
          code: 'bad-type',
          message: 'The in-memory transport does not carry chunked frames.',
        };
        this.#events.emit('reject', groupId, from, error);
      } else this.#events.emit('frame', groupId, from, r.value);
    }
  }
}
