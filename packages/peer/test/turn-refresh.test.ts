import { afterEach, describe, expect, it, vi } from 'vitest';
import type { IceServer } from '@chorus/protocol';
import { MIN_TURN_REFRESH_MS, TurnRefresher, turnRefreshDelayMs } from '../src/turn-refresh.ts';

const NOW = 1_800_000_000_000;
const turnFor = (expiryS: number): IceServer => ({
  urls: ['turn:t.example:3478'],
  username: `${expiryS}:p1`,
  credential: 'c',
});

describe('turnRefreshDelayMs', () => {
  it('renews at three quarters of the soonest TURN expiry; nothing to renew without one', () => {
    const servers = [{ urls: 'stun:s.example' }, turnFor(NOW / 1000 + 400), turnFor(NOW / 1000 + 100)];
    expect(turnRefreshDelayMs(servers, NOW)).toBe(75_000);
    expect(
      turnRefreshDelayMs([{ urls: 'stun:s.example', username: `${NOW / 1000 + 100}:x`, credential: 'c' }], NOW),
    ).toBeNull();
    expect(turnRefreshDelayMs([{ urls: 'turn:t.example', username: 'static-user', credential: 'c' }], NOW)).toBeNull();
    expect(turnRefreshDelayMs([], NOW)).toBeNull();
  });

  it('does not ask in a loop when our clock says they expired already, and never sooner than the floor', () => {
    expect(turnRefreshDelayMs([turnFor(NOW / 1000 - 10)], NOW)).toBeNull();
    expect(turnRefreshDelayMs([turnFor(NOW / 1000 + 1)], NOW)).toBe(MIN_TURN_REFRESH_MS);
  });
});

describe('TurnRefresher', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('fetches fresh credentials before expiry, applies them and schedules the next renewal; stop() cancels', async () => {
    vi.useFakeTimers({ now: NOW });
    let expiry = NOW / 1000 + 100;
    const applied: (readonly IceServer[])[] = [];
    const fetch = vi.fn(async () => {
      expiry = Math.floor(Date.now() / 1000) + 100;
      return [turnFor(expiry)];
    });
    const r = new TurnRefresher(fetch, (s) => applied.push(s));
    r.start([turnFor(expiry)]);
    await vi.advanceTimersByTimeAsync(74_999);
    expect(fetch).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(fetch).toHaveBeenCalledTimes(1);
    expect(applied).toEqual([[turnFor(expiry)]]);
    await vi.advanceTimersByTimeAsync(75_000);
    expect(fetch).toHaveBeenCalledTimes(2);
    r.stop();
    await vi.advanceTimersByTimeAsync(1_000_000);
    expect(fetch).toHaveBeenCalledTimes(2);
  });

  it('a tracker that does not know ice:servers is not asked again; a failed fetch is retried closer to expiry', async () => {
    vi.useFakeTimers({ now: NOW });
    const unknown = vi.fn(async () => {
      throw Object.assign(new Error('Unknown event'), { code: 'unknown-kind' });
    });
    new TurnRefresher(unknown, () => {}).start([turnFor(NOW / 1000 + 100)]);
    await vi.advanceTimersByTimeAsync(200_000);
    expect(unknown).toHaveBeenCalledTimes(1);

    const offline = vi.fn(async () => {
      throw Object.assign(new Error('Not connected'), { code: 'offline' });
    });
    new TurnRefresher(offline, () => {}).start([turnFor(Math.floor(Date.now() / 1000) + 100)]);
    await vi.advanceTimersByTimeAsync(200_000);
    // 75 s, then 75% of the 25 s left, … down to the 1 s floor, then expired: a bounded number of tries.
    expect(offline.mock.calls.length).toBeGreaterThan(2);
    expect(offline.mock.calls.length).toBeLessThan(20);
  });
});
