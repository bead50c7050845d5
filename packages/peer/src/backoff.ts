// Exponential backoff with full jitter (AWS architecture blog's "full
// jitter"): the delay before retry n is uniform in [0, min(cap, base * 2^n)],
// floored at `minMs` so a retry never spins. Used by the mesh to re-offer a
// lost data channel; the tracker socket uses socket.io's own capped backoff.

export interface BackoffOptions {
  readonly baseMs: number;
  readonly capMs: number;
  /** Lower bound of every delay. */
  readonly minMs?: number;
  /** Randomness is a parameter so tests can pin it. */
  readonly random?: () => number;
}

export class Backoff {
  readonly #baseMs: number;
  readonly #capMs: number;
  readonly #minMs: number;
  readonly #random: () => number;
  #attempt = 0;

  constructor(opts: BackoffOptions) {
    this.#baseMs = opts.baseMs;
    this.#capMs = opts.capMs;
    this.#minMs = opts.minMs ?? 0;
    this.#random = opts.random ?? Math.random;
  }

  get attempt(): number {
    return this.#attempt;
  }

  /** The delay before the next retry; each call grows the window until the cap. */
  next(): number {
    // 2^30 already dwarfs any cap; clamping the exponent keeps the number finite.
    const window = Math.min(this.#capMs, this.#baseMs * 2 ** Math.min(this.#attempt, 30));
    this.#attempt += 1;
    return Math.max(this.#minMs, Math.floor(this.#random() * window));
  }

  /** After a success the next failure starts from the smallest window again. */
  reset(): void {
    this.#attempt = 0;
  }
}
