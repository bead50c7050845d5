// Relayed links (PROTOCOL.md §1.6): a Transport above the mesh. The session
// sends to a peer; when the direct channel is up the frame goes there, when
// only a route through a third member is, the frame's channel messages go in
// `relay` envelopes signed by us to that member, which forwards them. This
// layer is also that member for others: it forwards envelopes over its own
// direct channels, within a byte budget per origin, never relaying a relay.
// The mesh files know nothing of it; its tracker reports pass through here
// (report-filter.ts) so that a down direct link with a route is `relayed`.

import type { GroupFrame, GroupId, MemberInfo, PeerId, ProtocolError, RelayFrame, RelayKind } from '@chorus/protocol';
import {
  canonicalRelayText,
  FrameReader,
  PROBE_INTERVAL_MS,
  readPublicKey,
  RELAY_AFTER_MS,
  RelayRoute,
  ROUTE_TIMES,
  verifyText,
} from '@chorus/protocol';
import type { RouteChange, RouteTimes } from '@chorus/protocol';
import { Emitter } from '../emitter.ts';
import { wireCodec } from '../mesh/frame-codec.ts';
import type { Transport, TransportEvents } from '../transport.ts';
import type { LinkReporter } from './report-filter.ts';
import { ByteBudget } from './relay-routes.ts';
import type { PeerRoute } from './relay-routes.ts';

/** What one origin may push through us, sustained and in a burst (bytes of envelope text). */
export const RELAY_BUDGET_BYTES_PER_SEC = 512 * 1024;
export const RELAY_BUDGET_BURST_BYTES = 4 * 1024 * 1024;
/** A wanted peer reached neither directly nor through a relay by then is reported down (the mesh's never-opened). */
export const DEFAULT_UNREACHED_MS = 10_000;

export interface RelayTransportOptions {
  readonly inner: Transport;
  /** Where link reports go: the tracker (`reportLink`). */
  readonly report: LinkReporter;
  /** Signs a relay envelope's canonical text with our identity key (`signText`). */
  readonly sign: (text: string) => Promise<string>;
  /** The tracker's link grace time: a peer unreached this long is reported down. */
  readonly unreachedMs?: () => number;
  readonly now?: () => number;
  readonly relayAfterMs?: number;
  readonly probeIntervalMs?: number;
  /** The route's bounds (TTL, bad-relay gaps and window); the protocol's by default. */
  readonly times?: Partial<RouteTimes>;
  readonly budget?: { readonly perSecond: number; readonly burst: number };
}

interface GroupRoutes {
  readonly peers: Map<PeerId, PeerRoute>;
  /** Reads relayed channel messages, with the origin as sender (its own chunk reassembly). */
  readonly reader: FrameReader;
  readonly budgets: Map<PeerId, ByteBudget>;
}

const utf8Length = (s: string): number => new TextEncoder().encode(s).length;

export class RelayTransport implements Transport {
  readonly self: PeerId;
  readonly #inner: Transport;
  readonly #opts: RelayTransportOptions;
  readonly #now: () => number;
  readonly #events = new Emitter<TransportEvents>();
  readonly #groups = new Map<GroupId, GroupRoutes>();
  readonly #keys = new Map<string, Promise<CryptoKey | null>>();
  readonly #unsubscribe: (() => void)[];
  #timer: ReturnType<typeof setInterval> | null = null;
  #forwardHook: ((env: RelayFrame) => RelayFrame | null) | null = null;
  /** Envelopes this member dropped instead of forwarding (no link to the destination, over budget). */
  relayDropped = 0;
  /** Envelopes this member forwarded for others. */
  relayForwarded = 0;

  constructor(opts: RelayTransportOptions) {
    this.#opts = opts;
    this.#inner = opts.inner;
    this.self = opts.inner.self;
    this.#now = opts.now ?? Date.now;
    const t = opts.inner;
    this.#unsubscribe = [
      t.on('frame', (g, from, frame) => this.#onFrame(g, from, frame)),
      t.on('link', (g, peer, state) => this.#onDirect(g, peer, state)),
      t.on('reject', (g, from, error) => this.#events.emit('reject', g, from, error)),
      t.on('turn', (g, peer, problem) => this.#events.emit('turn', g, peer, problem)),
    ];
  }

  on<K extends keyof TransportEvents>(event: K, listener: TransportEvents[K]): () => void {
    return this.#events.on(event, listener);
  }

  setPeers(groupId: GroupId, peers: readonly MemberInfo[]): void {
    const wanted = new Map(peers.filter((p) => p.peerId !== this.self).map((p) => [p.peerId, p]));
    let g = this.#groups.get(groupId);
    if (!g && wanted.size > 0) {
      g = { peers: new Map(), reader: new FrameReader(groupId), budgets: new Map() };
      this.#groups.set(groupId, g);
    }
    if (g) {
      const open = new Set(this.#inner.openPeers(groupId));
      for (const [peer, r] of g.peers) {
        if (wanted.has(peer)) continue;
        g.peers.delete(peer);
        g.budgets.delete(peer);
        g.reader.dropPeer(peer);
        // A deliberate removal: the session hears `down`, the tracker nothing (as the mesh does).
        if (r.route.via !== null) this.#events.emit('link', groupId, peer, 'down');
      }
      for (const [peer, info] of wanted) {
        const r = g.peers.get(peer);
        if (r) r.info = info;
        else g.peers.set(peer, this.#newRoute(info, open.has(peer)));
      }
      if (g.peers.size === 0) this.#groups.delete(groupId);
    }
    this.#inner.setPeers(groupId, peers);
    this.#schedule();
  }

  send(groupId: GroupId, to: PeerId, frame: GroupFrame): void {
    const r = this.#groups.get(groupId)?.peers.get(to);
    if (!r || r.route.via === null) {
      this.#inner.send(groupId, to, frame);
      return;
    }
    for (const text of wireCodec.encode(frame)) this.#envelope(groupId, r, 'msg', text, null);
  }

  openPeers(groupId: GroupId): readonly PeerId[] {
    const direct = this.#inner.openPeers(groupId);
    const g = this.#groups.get(groupId);
    if (!g) return direct;
    const relayed = [...g.peers.values()].filter((r) => r.route.via !== null).map((r) => r.info.peerId);
    return [...direct, ...relayed.filter((p) => !direct.includes(p))];
  }

  /** The member our frames to `peer` go through, or null when the link is direct or down (the members panel). */
  relayOf(groupId: GroupId, peer: PeerId): PeerId | null {
    return this.#groups.get(groupId)?.peers.get(peer)?.route.via ?? null;
  }

  /** The mesh's own link reports come here (report-filter.ts): a down direct link with a route is `relayed`. */
  readonly fromMesh: LinkReporter = (groupId, peer, state, via) => {
    const r = this.#groups.get(groupId)?.peers.get(peer);
    if (state === 'down' && r?.route.via) this.#opts.report(groupId, peer, 'relayed', r.route.via);
    else this.#opts.report(groupId, peer, state, via);
  };

  /** Debug (tests): rewrite or drop (null) every envelope this member forwards for others — a lying relay. */
  setForwardHook(hook: ((env: RelayFrame) => RelayFrame | null) | null): void {
    this.#forwardHook = hook;
  }

  close(groupId?: GroupId): void {
    this.#inner.close(groupId);
    if (groupId === undefined) {
      this.#groups.clear();
      for (const off of this.#unsubscribe) off();
      this.#events.clear();
    } else this.#groups.delete(groupId);
    this.#schedule();
  }

  // ---- outbound ----

  /** Queues one envelope to `r`'s peer: through `relays` (a probe's, a reset's) or the route in use at sending time. */
  #envelope(groupId: GroupId, r: PeerRoute, kind: RelayKind, body: string, relays: readonly PeerId[] | null): void {
    // A probe says which n comes next, so the far end notices envelopes lost at the tail.
    const n = r.route.nextN(kind);
    const fields = { groupId, from: this.self, to: r.info.peerId, n, kind, body };
    r.outbound = r.outbound
      .then(() => this.#opts.sign(canonicalRelayText(fields)))
      .then((sig) => {
        for (const via of relays ?? (r.route.via === null ? [] : [r.route.via]))
          this.#inner.send(groupId, via, { t: 'relay', ...fields, sig });
      })
      .catch((e: unknown) => console.error('relay: could not sign an envelope', e));
  }

  // ---- inbound ----

  #onFrame(groupId: GroupId, link: PeerId, frame: GroupFrame): void {
    if (frame.t !== 'relay') {
      this.#events.emit('frame', groupId, link, frame);
      return;
    }
    const g = this.#groups.get(groupId);
    if (!g) return;
    if (frame.to !== this.self) {
      this.#forward(groupId, g, link, frame);
      return;
    }
    const r = g.peers.get(frame.from);
    // An envelope from the origin itself has nothing to relay; one from a stranger has no key to check.
    if (!r || frame.from === link) return;
    r.inbound = r.inbound
      .then(() => this.#verified(groupId, g, r, link, frame))
      .catch((e: unknown) => console.error('relay: could not take an envelope', e));
  }

  async #verified(groupId: GroupId, g: GroupRoutes, r: PeerRoute, link: PeerId, env: RelayFrame): Promise<void> {
    const key = await this.#key(r.info.publicKey);
    const good = key !== null && (await verifyText(key, canonicalRelayText(env), env.sig));
    if (!good) {
      // The relay handed us something the origin did not sign: counted against the relay.
      const error: ProtocolError = {
        code: 'bad-signature',
        message: `A relayed envelope "from" ${env.from} is not signed by it (relay ${link}).`,
      };
      this.#events.emit('reject', groupId, link, error);
      // Not through that one again: we stop probing through it, so the far end loses the route there too.
      this.#apply(groupId, r, r.route.distrust(link, error.message, this.#open(groupId), this.#now()));
      return;
    }
    if (this.#groups.get(groupId)?.peers.get(env.from) === r) this.#take(groupId, g, r, link, env);
  }

  #forward(groupId: GroupId, g: GroupRoutes, link: PeerId, env: RelayFrame): void {
    if (env.from !== link) {
      // No relay of relay: only the origin may hand us its envelopes.
      const message = `A relay envelope from ${env.from} came from ${link}; envelopes are relayed once, by one member.`;
      this.#events.emit('reject', groupId, link, { code: 'forged-sender', message });
      return;
    }
    const now = this.#now();
    let budget = g.budgets.get(link);
    if (!budget) {
      const b = this.#opts.budget ?? { perSecond: RELAY_BUDGET_BYTES_PER_SEC, burst: RELAY_BUDGET_BURST_BYTES };
      budget = new ByteBudget(b.perSecond, b.burst, now);
      g.budgets.set(link, budget);
    }
    const open = this.#inner.openPeers(groupId).includes(env.to);
    const out = this.#forwardHook ? this.#forwardHook(env) : env;
    if (!g.peers.has(env.to) || !open || out === null || !budget.take(utf8Length(env.body) + 256, now)) {
      this.relayDropped += 1;
      return;
    }
    this.relayForwarded += 1;
    this.#inner.send(groupId, env.to, out);
  }

  /** A verified envelope of `r`'s peer through `via`. */
  #take(groupId: GroupId, g: GroupRoutes, r: PeerRoute, via: PeerId, env: RelayFrame): void {
    const now = this.#now();
    const peer = r.info.peerId;
    const t = r.route.take(via, env, this.#open(groupId), now);
    this.#apply(groupId, r, t.change);
    if (t.bad !== null) this.#events.emit('reject', groupId, t.bad.relay, { code: 'bad-state', message: t.bad.why });
    if (t.replay) {
      const message = `Relay ${via} handed on a probe of ${peer} it had handed on before (a replay); refused.`;
      this.#events.emit('reject', groupId, via, { code: 'replay', message });
    }
    if (t.resync) this.#resync(groupId, r);
    else if (t.flap) this.#flap(groupId, peer);
    if (!t.deliver) return;
    for (const res of g.reader.readMessage(peer, env.body, now)) {
      if (!res.ok) this.#events.emit('reject', groupId, peer, res.error);
      else if (res.value.t === 'relay') {
        const message = 'A relayed channel message carries a relay envelope; envelopes are relayed once.';
        this.#events.emit('reject', groupId, peer, { code: 'bad-type', message });
      } else this.#events.emit('frame', groupId, peer, res.value);
    }
  }

  /** Envelopes of the peer were lost: ask it to re-open its side, and re-open ours (the engines resend, §3.7). */
  #resync(groupId: GroupId, r: PeerRoute): void {
    // Through every relay we may use, not only ours: a relay that drops resets cannot hide the loss.
    const open = this.#inner.openPeers(groupId);
    const relays = open.filter((x) => this.#groups.get(groupId)?.peers.has(x) && r.route.mayRelay(x, this.self));
    this.#envelope(groupId, r, 'reset', '', relays);
    this.#flap(groupId, r.info.peerId);
  }

  #flap(groupId: GroupId, peer: PeerId): void {
    this.#events.emit('link', groupId, peer, 'down');
    this.#events.emit('link', groupId, peer, 'up');
  }

  #key(publicKey: string): Promise<CryptoKey | null> {
    let key = this.#keys.get(publicKey);
    if (!key) {
      key = readPublicKey(publicKey).then((res) => (res.ok ? res.value : null));
      this.#keys.set(publicKey, key);
    }
    return key;
  }

  // ---- routes ----

  #onDirect(groupId: GroupId, peer: PeerId, state: 'up' | 'down'): void {
    const g = this.#groups.get(groupId);
    const r = g?.peers.get(peer);
    // The relayed link ends: the session re-opens on the direct one and resends there.
    if (r?.route.direct(state, this.#now())) this.#events.emit('link', groupId, peer, 'down');
    this.#events.emit('link', groupId, peer, state);
    // Routes through this peer may have ended with its channel.
    if (g && state === 'down') for (const other of g.peers.values()) this.#choose(groupId, other);
  }

  #open(groupId: GroupId): ReadonlySet<PeerId> {
    return new Set(this.#inner.openPeers(groupId));
  }

  #newRoute(info: MemberInfo, directUp: boolean): PeerRoute {
    const route = new RelayRoute(info.peerId, this.#now(), directUp, { ...ROUTE_TIMES, ...this.#opts.times });
    return { info, route, inbound: Promise.resolve(), outbound: Promise.resolve() };
  }

  /** Picks the relay for `r` now, and tells the session and the tracker when that changes. */
  #choose(groupId: GroupId, r: PeerRoute): void {
    this.#apply(groupId, r, r.route.choose(this.#open(groupId), this.#now()));
  }

  #apply(groupId: GroupId, r: PeerRoute, change: RouteChange | null): void {
    if (change === null) return;
    const peer = r.info.peerId;
    if (change.next !== null) {
      this.#opts.report(groupId, peer, 'relayed', change.next);
      // Moving to another relay re-opens the link: frames in flight on the old route may be lost.
      if (change.prev !== null) this.#events.emit('link', groupId, peer, 'down');
      this.#events.emit('link', groupId, peer, 'up');
      return;
    }
    // The last route is gone and the direct link is not up: down, to the session and the tracker.
    this.#opts.report(groupId, peer, 'down');
    this.#events.emit('link', groupId, peer, 'down');
  }

  #tick(): void {
    const now = this.#now();
    const after = this.#opts.relayAfterMs ?? RELAY_AFTER_MS;
    const unreached = this.#opts.unreachedMs?.() ?? DEFAULT_UNREACHED_MS;
    for (const [groupId, g] of this.#groups) {
      const open = this.#inner.openPeers(groupId);
      for (const r of g.peers.values()) {
        this.#choose(groupId, r);
        if (!r.route.probing(now, after)) continue;
        for (const x of open)
          if (g.peers.has(x) && r.route.mayRelay(x, this.self))
            this.#envelope(groupId, r, 'probe', r.route.probeBody(x, now), [x]);
        if (r.route.unreached(now, unreached)) this.#opts.report(groupId, r.info.peerId, 'down');
      }
    }
  }

  #schedule(): void {
    if (this.#groups.size > 0 && this.#timer === null) {
      this.#timer = setInterval(() => this.#tick(), this.#opts.probeIntervalMs ?? PROBE_INTERVAL_MS);
      (this.#timer as { unref?: () => void }).unref?.();
    } else if (this.#groups.size === 0 && this.#timer !== null) {
      clearInterval(this.#timer);
      this.#timer = null;
    }
  }
}
