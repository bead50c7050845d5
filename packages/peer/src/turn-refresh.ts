// TURN REST credentials expire (the tracker mints them for TURN_CREDENTIAL_TTL_S,
// 24 h by default, with the expiry in the username `${unixExpiry}:${peerId}`).
// A tab that stays connected longer would get 401 from the TURN server for
// every new link; so before they run out the tracker client asks for fresh
// ones (`ice:servers`) and the next connection attempt uses them. A reconnect
// gets fresh ones with its hello anyway.

import type { IceServer } from '@chorus/protocol';

/** Renew when this share of the credentials' remaining life has passed. */
export const TURN_REFRESH_AT = 0.75;
/** Never sooner than this after the last renewal. */
export const MIN_TURN_REFRESH_MS = 1_000;

const isTurnUrl = (u: string): boolean => u.startsWith('turn:') || u.startsWith('turns:');

/**
 * Milliseconds until the TURN credentials in `servers` should be renewed;
 * null when none carries an expiry, or when they look expired already by our
 * clock (a clock that far off would make us ask in a loop: the next hello
 * brings fresh ones instead).
 */
export function turnRefreshDelayMs(servers: readonly IceServer[], nowMs: number): number | null {
  let soonest = Infinity;
  for (const s of servers) {
    const urls = typeof s.urls === 'string' ? [s.urls] : s.urls;
    const m = s.username === undefined ? null : /^(\d{1,12}):/.exec(s.username);
    if (m && urls.some(isTurnUrl)) soonest = Math.min(soonest, Number(m[1]) * 1000);
  }
  const left = soonest - nowMs;
  if (!Number.isFinite(left) || left <= 0) return null;
  return Math.max(MIN_TURN_REFRESH_MS, Math.floor(left * TURN_REFRESH_AT));
}

/** Keeps one session's TURN credentials fresh while it is online; stop() on disconnect. */
export class TurnRefresher {
  readonly #fetch: () => Promise<readonly IceServer[]>;
  readonly #apply: (servers: readonly IceServer[]) => void;
  readonly #now: () => number;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #round = 0;

  constructor(
    fetch: () => Promise<readonly IceServer[]>,
    apply: (servers: readonly IceServer[]) => void,
    now: () => number = Date.now,
  ) {
    this.#fetch = fetch;
    this.#apply = apply;
    this.#now = now;
  }

  start(servers: readonly IceServer[]): void {
    this.stop();
    const delay = turnRefreshDelayMs(servers, this.#now());
    if (delay === null) return;
    const round = this.#round;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#fetch().then(
        (fresh) => {
          if (round !== this.#round || !Array.isArray(fresh)) return;
          this.#apply(fresh);
          this.start(fresh);
        },
        (e: unknown) => {
          // A tracker without `ice:servers` never will have it; anything else: try again closer to expiry.
          if (round === this.#round && (e as { code?: unknown })?.code !== 'unknown-kind') this.start(servers);
        },
      );
    }, delay);
  }

  stop(): void {
    this.#round += 1;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }
}
