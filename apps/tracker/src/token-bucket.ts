// Per-session rate limiting: a token bucket allows bursts (a join's offers
// and candidates) but caps the sustained rate.

import type { RateLimit } from './config.ts';

export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly limit: RateLimit,
    now: number,
  ) {
    this.tokens = limit.burst;
    this.last = now;
  }

  /** Whether the bucket refilled completely by `now` (its history no longer matters). */
  isFull(now: number): boolean {
    return this.tokens + (Math.max(0, now - this.last) / 1000) * this.limit.perSecond >= this.limit.burst;
  }

  take(now: number): boolean {
    const elapsed = Math.max(0, now - this.last) / 1000;
    this.last = now;
    this.tokens = Math.min(this.limit.burst, this.tokens + elapsed * this.limit.perSecond);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/**
 * The same bucket kept in two slots of a shared number array (tokens at `i`,
 * last refill at `i + 1`): a session's three buckets are one array of six
 * doubles instead of three objects (tracker memory per idle connection).
 */
export function takeToken(slots: number[], i: number, limit: RateLimit, now: number): boolean {
  const elapsed = Math.max(0, now - (slots[i + 1] as number)) / 1000;
  slots[i + 1] = now;
  const tokens = Math.min(limit.burst, (slots[i] as number) + elapsed * limit.perSecond);
  if (tokens < 1) {
    slots[i] = tokens;
    return false;
  }
  slots[i] = tokens - 1;
  return true;
}
