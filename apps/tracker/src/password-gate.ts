// Password checks (one scrypt each) are rationed three ways: per session
// (socket-session.ts), per network address and for the whole node, so many
// sockets from one address, or many addresses at once, cannot buy the
// tracker's CPU or guess a group's password quickly.

import type { RateLimit } from './config.ts';
import { TokenBucket } from './token-bucket.ts';

/** Addresses whose bucket is full again hold no information: forget them so the map stays small. */
const PRUNE_EVERY_TAKES = 1_000;

export class PasswordGate {
  private readonly global: TokenBucket;
  private readonly byAddress = new Map<string, TokenBucket>();
  private takes = 0;

  constructor(
    private readonly perAddress: RateLimit,
    global: RateLimit,
    now: number,
  ) {
    this.global = new TokenBucket(global, now);
  }

  /** One password check from `address` now, or false when over a limit (nothing is spent then on the global bucket). */
  take(address: string, now: number): boolean {
    if (++this.takes % PRUNE_EVERY_TAKES === 0) this.prune(now);
    let bucket = this.byAddress.get(address);
    if (bucket === undefined) this.byAddress.set(address, (bucket = new TokenBucket(this.perAddress, now)));
    return bucket.take(now) && this.global.take(now);
  }

  private prune(now: number): void {
    for (const [address, bucket] of this.byAddress) if (bucket.isFull(now)) this.byAddress.delete(address);
  }
}
