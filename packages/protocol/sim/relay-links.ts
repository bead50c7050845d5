// Relayed links in the simulator (PROTOCOL.md §1.6), run by the shipped route
// logic: each end of a pair whose direct channel is shut holds the product's
// `RelayRoute` for the other, probes through every third member it has a
// direct channel to, numbers its envelopes, and acts on what `take` returns
// (deliver, resync with a reset, re-open, a new route, a bad relay). What the
// runtime adds around it — signatures, channels, timers — is modelled here:
// an envelope crosses two hops (each a channel's delay, FIFO per relay), a
// relay fault drops, alters (the signature check refuses it: `distrust`) or
// stalls (forwards probes only) what it carries. The simulator owns the
// sessions and the tracker; it acts on this module's calls to `RelayHost`.

import type { PeerId } from '../src/ids.ts';
import { RelayRoute } from '../src/relay/relay-route.ts';
import type { RouteEnvelope, RouteTimes } from '../src/relay/relay-route.ts';
import type { GroupFrame } from '../src/wire/frames.ts';

/** The product's RELAY_AFTER_MS, PROBE_INTERVAL_MS and route times next to its 10 s grace, on the sim's 2 s one. */
export const SIM_RELAY_AFTER_MS = 600;
export const SIM_PROBE_MS = 150;
export const SIM_ROUTE_TIMES: RouteTimes = { routeTtlMs: 600, badGaps: 4, badWindowMs: 4_000 };

export type RelayFault = 'none' | 'crash' | 'drop' | 'alter' | 'stall';

/** An envelope on its way: it reaches `to` at its time, if the pair is still the same (`gen`). */
export interface RelayEnvelopeEvent extends RouteEnvelope {
  readonly k: 'relay-env';
  readonly g: number;
  readonly gen: number;
  readonly from: PeerId;
  readonly to: PeerId;
  readonly via: PeerId;
  readonly frame: GroupFrame | null;
  /** The relay altered it: the destination's signature check refuses it. */
  readonly altered: boolean;
}

export interface RelayProbeEvent {
  readonly k: 'relay-probe';
  readonly g: number;
  readonly gen: number;
  readonly a: PeerId;
  readonly b: PeerId;
}

/** What the simulator does for the relay layer. */
export interface RelayHost {
  now(): number;
  /** Both ends of the pair still run their sessions. */
  alive(g: number, a: PeerId, b: PeerId): boolean;
  /** The members `end` has a direct channel to (its relay candidates). */
  open(g: number, end: PeerId): ReadonlySet<PeerId>;
  /** One hop's delay from `from` to `to`, or null when that channel is not up (the envelope is lost). */
  hop(g: number, from: PeerId, to: PeerId): number | null;
  schedule(at: number, ev: RelayEnvelopeEvent | RelayProbeEvent): void;
  deliver(g: number, to: PeerId, from: PeerId, frame: GroupFrame): void;
  /** The session at `end` sees its link to `peer` go down and up (its engine resends). */
  flap(g: number, end: PeerId, peer: PeerId): void;
  /** Both ends have a route (again, or another one): the link is up, relayed via `via`. */
  up(g: number, a: PeerId, b: PeerId, via: PeerId): void;
  /** An end lost its last route: the link is down. */
  down(g: number, a: PeerId, b: PeerId): void;
  log(line: string): void;
}

/** What the routes did over a run: links up through a relay, frames delivered, resyncs, bad and altering relays. */
export interface RelayCounts {
  up: number;
  delivered: number;
  resyncs: number;
  bad: number;
  altered: number;
}

interface Pair {
  readonly g: number;
  readonly a: PeerId;
  readonly b: PeerId;
  readonly gen: number;
  readonly routes: ReadonlyMap<PeerId, RelayRoute>;
  up: boolean;
  /** Relay faults on this pair's envelopes: the next msg dropped or altered, or every msg and reset dropped. */
  readonly dropNext: Set<PeerId>;
  readonly alterNext: Set<PeerId>;
  readonly stalls: Set<PeerId>;
  /** Arrival of the last envelope per (from, via): one relay keeps order. */
  readonly last: Map<string, number>;
}

const pairKey = (g: number, a: PeerId, b: PeerId): string => (a < b ? `${g}|${a}|${b}` : `${g}|${b}|${a}`);

export class SimRelays {
  readonly #pairs = new Map<string, Pair>();
  #gen = 0;

  constructor(
    private readonly host: RelayHost,
    private readonly counts: RelayCounts,
  ) {}

  /** The pair's direct channel just shut: both ends start their relay layer's routes. */
  start(g: number, a: PeerId, b: PeerId): void {
    const now = this.host.now();
    const routes = new Map([
      [a, new RelayRoute(b, now, false, SIM_ROUTE_TIMES)],
      [b, new RelayRoute(a, now, false, SIM_ROUTE_TIMES)],
    ]);
    const pair: Pair = {
      g,
      a,
      b,
      gen: ++this.#gen,
      routes,
      up: false,
      dropNext: new Set(),
      alterNext: new Set(),
      stalls: new Set(),
      last: new Map(),
    };
    this.#pairs.set(pairKey(g, a, b), pair);
    this.host.schedule(now + SIM_PROBE_MS, { k: 'relay-probe', g, gen: pair.gen, a, b });
  }

  /** The direct channel opened (or the pair is gone): what is in flight through relays is void. */
  end(g: number, a: PeerId, b: PeerId): void {
    this.#pairs.delete(pairKey(g, a, b));
  }

  /** Whether frames between the pair go through the relay layer. */
  relayed(g: number, a: PeerId, b: PeerId): boolean {
    return this.#pairs.has(pairKey(g, a, b));
  }

  /** The relay `end` sends through to `peer` now (null: none). */
  viaOf(g: number, end: PeerId, peer: PeerId): PeerId | null {
    return this.#pairs.get(pairKey(g, end, peer))?.routes.get(end)?.via ?? null;
  }

  /** A fault of the relay `end` uses now: returns it, or null when there is none. */
  fault(g: number, a: PeerId, b: PeerId, fault: Exclude<RelayFault, 'none' | 'crash'>): PeerId | null {
    const pair = this.#pairs.get(pairKey(g, a, b));
    const via = pair?.routes.get(a)?.via ?? null;
    if (!pair || via === null) return null;
    (fault === 'drop' ? pair.dropNext : fault === 'alter' ? pair.alterNext : pair.stalls).add(via);
    return via;
  }

  /** A frame of `from` to `to` on a relayed link: one msg envelope through `from`'s route, or lost. */
  send(g: number, from: PeerId, to: PeerId, frame: GroupFrame): void {
    const pair = this.#pairs.get(pairKey(g, from, to));
    const route = pair?.routes.get(from);
    if (!pair || !route || route.via === null) return;
    this.#envelope(pair, from, route.via, { n: route.nextN('msg'), kind: 'msg', body: '' }, frame);
  }

  /** One probe round of the pair: each end picks its route and probes through every candidate. */
  probe(ev: RelayProbeEvent): void {
    const pair = this.#pairs.get(pairKey(ev.g, ev.a, ev.b));
    if (!pair || pair.gen !== ev.gen) return;
    if (!this.host.alive(pair.g, pair.a, pair.b)) {
      this.#pairs.delete(pairKey(ev.g, ev.a, ev.b));
      return;
    }
    const now = this.host.now();
    for (const [end, route] of pair.routes) {
      const open = this.host.open(pair.g, end);
      route.choose(open, now);
      if (!route.probing(now, SIM_RELAY_AFTER_MS)) continue;
      for (const x of open)
        if (route.mayRelay(x, end))
          this.#envelope(pair, end, x, { n: route.nextN('probe'), kind: 'probe', body: route.probeBody(x, now) });
    }
    this.#settle(pair);
    this.host.schedule(now + SIM_PROBE_MS, ev);
  }

  /** An envelope reaches its destination. */
  arrive(ev: RelayEnvelopeEvent): void {
    const pair = this.#pairs.get(pairKey(ev.g, ev.from, ev.to));
    if (!pair || pair.gen !== ev.gen || !this.host.alive(pair.g, pair.a, pair.b)) return;
    const route = pair.routes.get(ev.to);
    if (!route) return;
    const now = this.host.now();
    const open = this.host.open(pair.g, ev.to);
    if (ev.altered) {
      this.host.log(`${ev.to} refuses an envelope of ${ev.from} that relay ${ev.via} altered: never through it again`);
      route.distrust(ev.via, `relay ${ev.via} altered an envelope`, open, now);
      this.counts.altered++;
      this.#settle(pair);
      return;
    }
    const t = route.take(ev.via, ev, open, now);
    if (t.bad !== null) {
      this.counts.bad++;
      this.host.log(`${ev.to}: ${t.bad.why}`);
    }
    if (t.replay) throw new Error(`relay: ${ev.to} refused a probe of ${ev.from} as a replay; no sim relay replays`);
    this.#settle(pair);
    if (t.resync) {
      this.counts.resyncs++;
      // Through every relay it may use, as the runtime does: a relay that drops resets cannot hide a loss.
      const n = route.nextN('reset');
      for (const x of open)
        if (route.mayRelay(x, ev.to)) this.#envelope(pair, ev.to, x, { n, kind: 'reset', body: '' });
    }
    if ((t.resync || t.flap) && pair.up) this.host.flap(pair.g, ev.to, ev.from);
    if (t.deliver && ev.frame !== null && pair.up) {
      this.counts.delivered++;
      this.host.deliver(pair.g, ev.to, ev.from, ev.frame);
    }
  }

  /** The link is up when both ends have a route; tell the simulator when that changes. */
  #settle(pair: Pair): void {
    const [ra, rb] = [pair.routes.get(pair.a), pair.routes.get(pair.b)];
    const via = ra?.via ?? null;
    const up = via !== null && (rb?.via ?? null) !== null;
    if (up === pair.up) return;
    pair.up = up;
    if (up) {
      this.counts.up++;
      this.host.up(pair.g, pair.a, pair.b, via);
    } else this.host.down(pair.g, pair.a, pair.b);
  }

  #envelope(pair: Pair, from: PeerId, via: PeerId, env: RouteEnvelope, frame: GroupFrame | null = null): void {
    const to = from === pair.a ? pair.b : pair.a;
    let altered = false;
    if (env.kind !== 'probe') {
      if (pair.stalls.has(via)) return;
      if (env.kind === 'msg' && pair.dropNext.delete(via)) return;
      if (env.kind === 'msg') altered = pair.alterNext.delete(via);
    }
    const first = this.host.hop(pair.g, from, via);
    const second = this.host.hop(pair.g, via, to);
    if (first === null || second === null) return;
    const k = `${from}|${via}`;
    const at = Math.max(this.host.now() + first + second, pair.last.get(k) ?? 0);
    pair.last.set(k, at);
    this.host.schedule(at, { k: 'relay-env', g: pair.g, gen: pair.gen, from, to, via, ...env, frame, altered });
  }
}
