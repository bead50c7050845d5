// One end's state of a relayed link to one peer (PROTOCOL.md §1.6), and every
// decision on it: envelope numbering, which relay to use, what a verified
// envelope means (deliver, a gap to resync, a reset to re-open), and when a
// relay is bad for the pair. Pure: no keys, no channels, no timers. The peer
// runtime's relay layer (packages/peer `src/relay/`) and the simulator both
// drive it and act on what it returns.

import type { PeerId } from '../ids.ts';
import type { RelayKind } from '../wire/frames.ts';
import { probeBodyText, readProbeBody } from '../wire/relay-frame.ts';

/** A wanted direct link not up this long (after wanted, or after it went down) is probed through the others. */
export const RELAY_AFTER_MS = 4_000;
/** One probe per candidate relay this often, while the direct link is not up. */
export const PROBE_INTERVAL_MS = 1_000;
/** A route through a relay lapses this long after the last fresh envelope that came through it. */
export const ROUTE_TTL_MS = 4_000;
/**
 * A relay through which envelopes of the pair were lost this many times (the peer's resets, and gaps
 * we see on it) within BAD_RELAY_WINDOW_MS is bad for the pair: it forwards probes but drops what
 * matters. Not used for that peer again.
 */
export const BAD_RELAY_GAPS = 4;
export const BAD_RELAY_WINDOW_MS = 20_000;

export interface RouteTimes {
  readonly routeTtlMs: number;
  readonly badGaps: number;
  readonly badWindowMs: number;
}

export const ROUTE_TIMES: RouteTimes = {
  routeTtlMs: ROUTE_TTL_MS,
  badGaps: BAD_RELAY_GAPS,
  badWindowMs: BAD_RELAY_WINDOW_MS,
};

/** The relay in use changed (`null`: none, the link is down). */
export interface RouteChange {
  readonly prev: PeerId | null;
  readonly next: PeerId | null;
}

/** What the layer does with a verified envelope, in this order: change route, resync or flap, deliver. */
export interface Taken {
  readonly change: RouteChange | null;
  /** Envelopes of the peer were lost: send it a `reset` and re-open the link (the engines resend). */
  readonly resync: boolean;
  /** The peer lost envelopes of ours (its `reset`): re-open the link. */
  readonly flap: boolean;
  /** Hand the body to the reader (a `msg`). */
  readonly deliver: boolean;
  /** A relay just found bad for the pair (ours, not necessarily the one the envelope came through), and why. */
  readonly bad: { readonly relay: PeerId; readonly why: string } | null;
  /** A probe the relay handed us before (its `seq` is not above the last one through it): refused. */
  readonly replay: boolean;
}

/** The part of an envelope the route needs (already verified against the origin's key). */
export interface RouteEnvelope {
  readonly n: number;
  readonly kind: RelayKind;
  readonly body: string;
}

export class RelayRoute {
  /** When the peer was wanted, or its direct link last went down: probing starts RELAY_AFTER_MS later. */
  since: number;
  directUp: boolean;
  /** Relay → when a fresh envelope of the peer last came through it. */
  readonly heard = new Map<PeerId, number>();
  /** The relay in use (our envelopes go through it); non-null exactly while the link is up through a relay. */
  via: PeerId | null = null;
  /** Highest `n` of a msg/reset envelope taken from the peer (0: none yet). */
  lastIn = 0;
  /** The relay the last msg envelope taken came through. */
  lastInVia: PeerId | null = null;
  /**
   * `n` of the last msg/reset envelope sent to the peer. Starts at the clock's milliseconds, as probe
   * `seq`s do: a route made anew for the same peer (it left and came back, a joiner became a member)
   * numbers above what the far end took from the old one, so its envelopes are not taken for replays.
   */
  lastOut: number;
  /** Relays never used for this peer again (one that altered an envelope, or lost too many), and why. */
  readonly distrusted = new Map<PeerId, string>();
  /** We said the link is down and nothing since. */
  reportedDown = false;
  /** When `via` last changed: losses in the TTL after a change are the change's, not a relay's. */
  #viaSince = 0;
  /** Relay → when envelopes were lost through it lately. */
  readonly #gaps = new Map<PeerId, number[]>();
  /** `seq` of our last probe to the peer. */
  #probeSeq = 0;
  /** Relay → our probes' `seq` sent through it within the TTL → when. */
  readonly #sent = new Map<PeerId, Map<number, number>>();
  /** Relay → `seq` of the peer's last probe through it: what our next probe there echoes. */
  readonly #probeIn = new Map<PeerId, number>();

  constructor(
    readonly peer: PeerId,
    now: number,
    directUp: boolean,
    readonly times: RouteTimes = ROUTE_TIMES,
  ) {
    this.since = now;
    this.directUp = directUp;
    this.lastOut = Math.floor(now);
    this.#probeSeq = Math.floor(now);
  }

  /** `n` of the next envelope to the peer: a msg or reset takes one, a probe says which comes next. */
  nextN(kind: RelayKind): number {
    return kind === 'probe' ? this.lastOut + 1 : ++this.lastOut;
  }

  /** The body of our next probe through `via`: a fresh `seq`, echoing the peer's last one through `via`. */
  probeBody(via: PeerId, now: number): string {
    const seq = (this.#probeSeq = Math.max(this.#probeSeq + 1, Math.floor(now)));
    let sent = this.#sent.get(via);
    if (!sent) this.#sent.set(via, (sent = new Map()));
    for (const [s, at] of sent) if (now - at > this.times.routeTtlMs) sent.delete(s);
    sent.set(seq, now);
    return probeBodyText({ seq, echo: this.#probeIn.get(via) ?? null });
  }

  /** Whether `x` may carry this pair's envelopes (it is a third member we do not distrust). */
  mayRelay(x: PeerId, self: PeerId): boolean {
    return x !== this.peer && x !== self && !this.distrusted.has(x);
  }

  /** Probing is due: the direct link has not been up for `relayAfterMs`. */
  probing(now: number, relayAfterMs: number): boolean {
    return !this.directUp && now - this.since >= relayAfterMs;
  }

  /** Never through `x` again (it altered an envelope, or lost too many). */
  distrust(x: PeerId, why: string, open: ReadonlySet<PeerId>, now: number): RouteChange | null {
    this.distrusted.set(x, why);
    this.heard.delete(x);
    return this.choose(open, now);
  }

  /**
   * The relay to use now: the lowest peer id among those heard within the TTL whose direct link is up
   * at our end (`open`); none while the direct link is up. Forgets relays heard too long ago.
   */
  choose(open: ReadonlySet<PeerId>, now: number): RouteChange | null {
    for (const [x, at] of this.heard)
      if (now - at > this.times.routeTtlMs || !open.has(x) || this.distrusted.has(x)) this.heard.delete(x);
    let next: PeerId | null = null;
    if (!this.directUp) for (const x of this.heard.keys()) if (next === null || x < next) next = x;
    const prev = this.via;
    if (next === prev) return null;
    this.via = next;
    this.#viaSince = now;
    if (next !== null) this.reportedDown = false;
    else {
      this.since = now;
      this.reportedDown = true;
    }
    return { prev, next };
  }

  /** The direct channel went up or down. True when a relayed link ends because it is up (the session re-opens). */
  direct(state: 'up' | 'down', now: number): boolean {
    this.directUp = state === 'up';
    this.since = now;
    this.reportedDown = false;
    if (state !== 'up' || this.via === null) return false;
    this.via = null;
    this.heard.clear();
    return true;
  }

  /** Nothing reached the peer for `unreachedMs`: true once, when it is time to say it is down. */
  unreached(now: number, unreachedMs: number): boolean {
    if (this.directUp || this.via !== null || this.reportedDown || now - this.since < unreachedMs) return false;
    this.reportedDown = true;
    return true;
  }

  /** A verified envelope of the peer, through `via`. */
  take(via: PeerId, env: RouteEnvelope, open: ReadonlySet<PeerId>, now: number): Taken {
    const prev = this.via;
    const result = (t: Partial<Omit<Taken, 'change'>>): Taken => ({
      change: this.via === prev ? null : { prev, next: this.via },
      resync: t.resync ?? false,
      flap: t.flap ?? false,
      deliver: t.deliver ?? false,
      bad: t.bad ?? null,
      replay: t.replay ?? false,
    });
    if (this.directUp || this.distrusted.has(via)) return result({});
    if (env.kind === 'probe') {
      const p = readProbeBody(env.body);
      if (p === null || p.seq <= (this.#probeIn.get(via) ?? 0)) return result({ replay: true });
      this.#probeIn.set(via, p.seq);
      // The route is alive when the peer answers, through it, a probe we sent through it lately: an old
      // probe replayed by the relay echoes nothing recent, and no one but the peer can sign an answer.
      const sentAt = p.echo === null ? undefined : this.#sent.get(via)?.get(p.echo);
      if (sentAt !== undefined && now - sentAt <= this.times.routeTtlMs) this.heard.set(via, now);
    } else if (env.n > this.lastIn && this.heard.has(via)) this.heard.set(via, now); // new, so not a replay
    this.choose(open, now);
    if (this.via === null) return result({});
    let resync = false;
    let flap = false;
    let deliver = false;
    if (env.kind === 'probe') {
      // The origin sent envelopes up to n - 1 and we took fewer: some were lost. Only a probe that came
      // the way of the last envelope we took (or of our route, before any) says so: one relay keeps order.
      // Before anything was taken, the first probe gives the origin's base (its numbers start at its clock).
      if (this.lastIn === 0) this.lastIn = env.n - 1;
      else if (via === (this.lastInVia ?? this.via) && env.n - 1 > this.lastIn) {
        this.lastIn = env.n - 1;
        resync = true;
      }
    } else {
      if (env.n <= this.lastIn) return result({}); // a replay, or overtaken on another route
      const gap = this.lastIn !== 0 && env.n > this.lastIn + 1;
      this.lastIn = env.n;
      if (env.kind === 'reset') flap = true;
      else {
        this.lastInVia = via;
        resync = gap;
        deliver = true;
      }
    }
    // A reset says the peer lost envelopes of ours: they went through our route, whichever relay the reset
    // came through (the peer sends its resets through every relay, so a relay cannot hide them). A gap we
    // see counts when the peer's envelopes demonstrably take our route (a relay dropping resets too).
    const ours = via === this.via && (this.lastInVia ?? this.via) === this.via;
    const lostVia = flap || (resync && ours) ? this.via : null;
    const why = lostVia === null ? null : this.#lost(lostVia, open, now);
    return result({ resync, flap, deliver, bad: lostVia === null || why === null ? null : { relay: lostVia, why } });
  }

  /** Envelopes of ours were lost through `via`: past the bound it is bad for the pair. Returns why, once. */
  #lost(via: PeerId, open: ReadonlySet<PeerId>, now: number): string | null {
    const { badGaps, badWindowMs, routeTtlMs } = this.times;
    // While the ends move to a route (not at the same moment, up to a TTL apart) envelopes are lost.
    if (now - this.#viaSince < 2 * routeTtlMs) return null;
    const recent = (this.#gaps.get(via) ?? []).filter((at) => now - at < badWindowMs);
    recent.push(now);
    this.#gaps.set(via, recent);
    if (recent.length < badGaps) return null;
    this.#gaps.delete(via);
    const why =
      `Relay ${via} lost envelopes of the link to ${this.peer} ${recent.length} times within ` +
      `${Math.round(badWindowMs / 1000)} s (it forwards probes but not messages); it is not used for ${this.peer} again.`;
    this.distrust(via, why, open, now);
    return why;
  }
}
