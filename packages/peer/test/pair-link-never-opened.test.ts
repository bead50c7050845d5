// A member whose channel to us never opens must not look healthy to the
// tracker (issue 12, finding 2): a wanted link that was never up is reported
// down once the link grace time has passed, once; a link that went away
// (closed) before then is not reported.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { asGroupId, asPeerId } from '@chorus/protocol';
import { wireCodec } from '../src/mesh/frame-codec.ts';
import { PairLink } from '../src/mesh/pair-link.ts';

afterEach(() => {
  vi.useRealTimers();
});

/** We are 'p9' and 'p1' offers (the smaller id): we wait for an offer that never comes. */
const waitingLink = (neverOpened: () => void): PairLink =>
  new PairLink(
    {
      self: asPeerId('p9'),
      groupId: asGroupId('g'),
      peer: asPeerId('p1'),
      iceServers: () => [],
      codec: wireCodec,
      now: () => Date.now(),
      randomId: () => 'r',
      neverOpenedMs: () => 1_000,
    },
    { sendSignal: () => {}, up: () => {}, down: () => {}, neverOpened, frame: () => {}, reject: () => {} },
  );

describe('a link that never opens', () => {
  it('is reported once after the grace time, not before', () => {
    vi.useFakeTimers();
    const reports: number[] = [];
    const link = waitingLink(() => reports.push(Date.now()));
    expect(link.initiator).toBe(false);
    const started = Date.now();
    link.start();
    vi.advanceTimersByTime(999);
    expect(reports).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(reports).toEqual([started + 1_000]);
    vi.advanceTimersByTime(60_000);
    expect(reports).toHaveLength(1);
    link.close();
  });

  it('is not reported when it was closed (no longer wanted) first', () => {
    vi.useFakeTimers();
    const reports: number[] = [];
    const link = waitingLink(() => reports.push(Date.now()));
    link.start();
    vi.advanceTimersByTime(500);
    link.close();
    vi.advanceTimersByTime(5_000);
    expect(reports).toEqual([]);
  });
});
