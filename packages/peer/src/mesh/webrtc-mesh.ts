// The WebRTC full mesh behind the Transport seam: one PairLink per (group,
// member), signaling through the tracker, link changes reported to the
// tracker (its link-grace eviction keeps views fully connected). Owns the
// links and the signals that arrive before their link exists; knows nothing
// of ordering, views or signatures.
//
// Delivery contract (see pair-link.ts): frames sent to a peer whose link is
// not up are dropped, not queued. The engine resends the gap after `link` up
// via high-water marks. While a link is up nothing is dropped: a burst waits
// in the link's outbound queue (outbound-queue.ts) until the channel drains.

import type {
  GroupFrame,
  GroupId,
  IceServer,
  IceTransportPolicy,
  LinkState,
  MemberInfo,
  PeerId,
  ProtocolError,
  SignalDelivery,
} from '@chorus/protocol';
import { asGroupId, asPeerId } from '@chorus/protocol';
import { Emitter } from '../emitter.ts';
import type { TrackerLink } from '../tracker-link.ts';
import type { Transport, TransportEvents } from '../transport.ts';
import { wireCodec } from './frame-codec.ts';
import type { FrameCodec } from './frame-codec.ts';
import { PairLink } from './pair-link.ts';
import type { SelectedPair } from './rtc-connection.ts';
import { parseSignalEnvelope } from './signal-envelope.ts';
import type { SignalEnvelope } from './signal-envelope.ts';

/**
 * Signals from a peer we have no link to yet (its offer can beat the
 * `joining` notice that makes the session call setPeers) wait this long.
 */
export const EARLY_SIGNAL_TTL_MS = 15_000;
/** An offer plus its trickled candidates is a few dozen signals; more is noise or abuse. */
export const MAX_EARLY_SIGNALS_PER_PEER = 64;
/** Distinct (group, peer) pairs with early signals; a bound on what strangers can make us hold. */
export const MAX_EARLY_SIGNAL_PAIRS = 256;
/**
 * A link never opened by then is reported down; the tracker's hello names its link grace time, this is for before it.
 */
export const DEFAULT_NEVER_OPENED_MS = 10_000;

export interface WebRtcMeshOptions {
  readonly tracker: TrackerLink;
  /** `@roamhq/wrtc` in Node; leave out in a browser. */
  readonly wrtc?: object;
  /** ICE servers; defaults to the tracker hello's list (empty before the first hello). */
  readonly iceServers?: () => readonly IceServer[];
  /** ICE transport policy; defaults to the tracker hello's (`all` when it says nothing). */
  readonly iceTransportPolicy?: () => IceTransportPolicy;
  /** Frame encoding; the wire module's by default. */
  readonly codec?: FrameCodec;
  readonly now?: () => number;
}

interface EarlySignals {
  readonly firstAt: number;
  readonly items: SignalEnvelope[];
}

const pairKey = (groupId: GroupId, peer: PeerId): string => `${groupId}\u0000${peer}`;

const randomId = (): string => {
  const bytes = new Uint8Array(12);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
};

export class WebRtcMesh implements Transport {
  readonly self: PeerId;
  readonly #tracker: TrackerLink;
  readonly #opts: WebRtcMeshOptions;
  readonly #codec: FrameCodec;
  readonly #now: () => number;
  readonly #events = new Emitter<TransportEvents>();
  readonly #groups = new Map<GroupId, Map<PeerId, PairLink>>();
  readonly #early = new Map<string, EarlySignals>();
  readonly #unsubscribe: () => void;

  constructor(opts: WebRtcMeshOptions) {
    this.#opts = opts;
    this.#tracker = opts.tracker;
    this.self = opts.tracker.peerId;
    this.#codec = opts.codec ?? wireCodec;
    this.#now = opts.now ?? Date.now;
    this.#unsubscribe = this.#tracker.on('signal', (d) => this.#onSignal(d));
  }

  on<K extends keyof TransportEvents>(event: K, listener: TransportEvents[K]): () => void {
    return this.#events.on(event, listener);
  }

  setPeers(groupId: GroupId, peers: readonly MemberInfo[]): void {
    const wanted = new Set(peers.map((p) => p.peerId).filter((p) => p !== this.self));
    let links = this.#groups.get(groupId);
    if (!links) {
      if (wanted.size === 0) return;
      links = new Map();
      this.#groups.set(groupId, links);
    }
    for (const [peer, link] of links) {
      if (!wanted.has(peer)) this.#remove(groupId, links, peer, link);
    }
    for (const peer of wanted) {
      if (links.has(peer)) continue;
      const link = this.#createLink(groupId, peer);
      links.set(peer, link);
      link.start();
      this.#replayEarly(groupId, peer, link);
    }
    if (links.size === 0) this.#groups.delete(groupId);
  }

  send(groupId: GroupId, to: PeerId, frame: GroupFrame): void {
    try {
      this.#groups.get(groupId)?.get(to)?.send(frame);
    } catch (e) {
      // Transport.send never throws; an encoding bug is reported, not raised.
      console.error('mesh: could not send a frame', e);
    }
  }

  openPeers(groupId: GroupId): readonly PeerId[] {
    const links = this.#groups.get(groupId);
    if (!links) return [];
    return [...links.values()].filter((l) => l.state === 'up').map((l) => l.peer);
  }

  /** Link state of one pair, or null when the peer is not wanted (diagnostics, tests). */
  linkState(groupId: GroupId, peer: PeerId): 'connecting' | 'up' | 'down' | null {
    return this.#groups.get(groupId)?.get(peer)?.state ?? null;
  }

  /** Candidate types of the selected ICE pair of an open link (diagnostics, tests: is it relayed?). */
  selectedPair(groupId: GroupId, peer: PeerId): Promise<SelectedPair | null> {
    return this.#groups.get(groupId)?.get(peer)?.selectedPair() ?? Promise.resolve(null);
  }

  /** Texts waiting for a channel to drain, over all links (diagnostics, metrics). */
  queuedTexts(): number {
    let n = 0;
    for (const links of this.#groups.values()) for (const l of links.values()) n += l.queued;
    return n;
  }

  /** Debug/test hook: destroy one data channel as a network failure would; the link reconnects. */
  dropLink(groupId: GroupId, peer: PeerId): boolean {
    const link = this.#groups.get(groupId)?.get(peer);
    if (!link || link.state !== 'up') return false;
    link.fail();
    return true;
  }

  /** Debug/test hook: raw text to one peer, unencoded and unchecked, as a hostile peer would send it. */
  sendRaw(groupId: GroupId, to: PeerId, text: string): boolean {
    return this.#groups.get(groupId)?.get(to)?.sendRaw(text) ?? false;
  }

  close(groupId?: GroupId): void {
    const groups = groupId === undefined ? [...this.#groups.keys()] : [groupId];
    for (const g of groups) {
      const links = this.#groups.get(g);
      if (!links) continue;
      for (const [peer, link] of links) this.#remove(g, links, peer, link);
      this.#groups.delete(g);
    }
    for (const key of [...this.#early.keys()]) {
      if (groupId === undefined || key.startsWith(`${groupId}\u0000`)) this.#early.delete(key);
    }
  }

  /** close() plus stop listening to the tracker: the mesh is finished. */
  destroy(): void {
    this.close();
    this.#unsubscribe();
    this.#events.clear();
  }

  #createLink(groupId: GroupId, peer: PeerId): PairLink {
    const policy =
      this.#opts.iceTransportPolicy ?? ((): IceTransportPolicy => this.#tracker.hello?.iceTransportPolicy ?? 'all');
    const base = {
      self: this.self,
      groupId,
      peer,
      iceServers: this.#opts.iceServers ?? (() => this.#tracker.hello?.iceServers ?? []),
      iceTransportPolicy: policy,
      codec: this.#codec,
      now: this.#now,
      randomId,
      neverOpenedMs: () => this.#tracker.hello?.linkGraceMs ?? DEFAULT_NEVER_OPENED_MS,
    };
    return new PairLink(this.#opts.wrtc ? { ...base, wrtc: this.#opts.wrtc } : base, {
      sendSignal: (data) => this.#tracker.signal(groupId, peer, data),
      up: () => this.#linkChanged(groupId, peer, 'up'),
      down: () => this.#linkChanged(groupId, peer, 'down'),
      // Only the tracker hears it: the session was never told `up`, so it gets no `down` either.
      neverOpened: () => this.#tracker.reportLink(groupId, peer, 'down'),
      frame: (frame: GroupFrame) => this.#events.emit('frame', groupId, peer, frame),
      reject: (error: ProtocolError) => this.#events.emit('reject', groupId, peer, error),
      turnFailed: (message) => this.#events.emit('turn', groupId, peer, { message, fatal: policy() === 'relay' }),
    });
  }

  #linkChanged(groupId: GroupId, peer: PeerId, state: LinkState): void {
    this.#tracker.reportLink(groupId, peer, state);
    this.#events.emit('link', groupId, peer, state);
  }

  /** A deliberate removal: the session learns `down` (if it was up) but the tracker is not told — nothing failed. */
  #remove(groupId: GroupId, links: Map<PeerId, PairLink>, peer: PeerId, link: PairLink): void {
    const wasUp = link.state === 'up';
    // What the removed member sent and this link holds is handed up first, under the old view
    // (group-entry.ts applyView sets the links before the session installs the view).
    link.close({ drain: true });
    links.delete(peer);
    if (wasUp) this.#events.emit('link', groupId, peer, 'down');
  }

  #onSignal(delivery: SignalDelivery): void {
    const env = parseSignalEnvelope(delivery.data);
    if (!env) return;
    const groupId = asGroupId(delivery.groupId);
    const from = asPeerId(delivery.from);
    const link = this.#groups.get(groupId)?.get(from);
    if (link) {
      link.handleSignal(env);
      return;
    }
    this.#holdEarly(groupId, from, env);
  }

  #holdEarly(groupId: GroupId, from: PeerId, env: SignalEnvelope): void {
    const now = this.#now();
    for (const [key, early] of this.#early) {
      if (now - early.firstAt > EARLY_SIGNAL_TTL_MS) this.#early.delete(key);
    }
    const key = pairKey(groupId, from);
    let early = this.#early.get(key);
    if (!early) {
      if (this.#early.size >= MAX_EARLY_SIGNAL_PAIRS) return;
      early = { firstAt: now, items: [] };
      this.#early.set(key, early);
    }
    // A new offer supersedes whatever an older attempt left behind.
    if (env.kind === 'rtc' && env.rtc.type === 'offer') early.items.length = 0;
    if (early.items.length < MAX_EARLY_SIGNALS_PER_PEER) early.items.push(env);
  }

  #replayEarly(groupId: GroupId, peer: PeerId, link: PairLink): void {
    const key = pairKey(groupId, peer);
    const early = this.#early.get(key);
    if (!early) return;
    this.#early.delete(key);
    if (this.#now() - early.firstAt > EARLY_SIGNAL_TTL_MS) return;
    for (const env of early.items) link.handleSignal(env);
  }
}
