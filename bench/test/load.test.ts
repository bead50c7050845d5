import { describe, expect, it } from 'vitest';
import { BODY_BYTES, makeBody, parseBody, Recorder, runLoad } from '../lib/load.ts';

describe('message bodies', () => {
  it('carry tag, sender, seq and stamp and are padded to a chat-like size', () => {
    const body = makeBody('lat-8', 'peer-3', 42, 1234.5);
    expect(body.length).toBeGreaterThanOrEqual(BODY_BYTES);
    expect(parseBody(body)).toEqual({ tag: 'lat-8', sender: 'peer-3', seq: 42, stamp: 1234.5 });
  });

  it('rejects bodies that are not bench messages', () => {
    expect(parseBody('hello')).toBeNull();
    expect(parseBody('a|b|c|d')).toBeNull();
  });
});

describe('Recorder', () => {
  it('counts every arrival of a tag but times only those stamped after the warm-up', () => {
    const r = new Recorder();
    r.expectTag('t', 1000);
    r.record(makeBody('t', 's', 1, 900), 905);
    r.record(makeBody('t', 's', 2, 1100), 1103);
    r.record(makeBody('other', 's', 1, 1100), 1200);
    const got = r.take('t');
    expect(got.count).toBe(2);
    expect(got.latencies).toEqual([3]);
    expect(got.firstAt).toBe(905);
  });

  it('notices a sender whose messages arrive out of order', () => {
    const r = new Recorder();
    r.expectTag('t', 0);
    r.record(makeBody('t', 'a', 2, 1), 2);
    r.record(makeBody('t', 'a', 1, 1), 2);
    r.record(makeBody('t', 'b', 1, 1), 2);
    expect(r.take('t').outOfOrder).toBe(1);
  });

  it('wakes a waiter when the count is reached and gives up after its timeout', async () => {
    const r = new Recorder();
    r.expectTag('t', 0);
    const reached = r.waitFor('t', 2, 5_000);
    r.record(makeBody('t', 'a', 1, 1), 2);
    r.record(makeBody('t', 'a', 2, 1), 2);
    await expect(reached).resolves.toBe(true);
    await expect(r.waitFor('t', 3, 10)).resolves.toBe(false);
  });
});

describe('runLoad', () => {
  it('sends rate × duration messages with increasing sequence numbers', async () => {
    const seqs: number[] = [];
    const out = await runLoad({ tag: 't', sender: 's', startAt: 0, durationMs: 100, ratePerSec: 200 }, (body) => {
      seqs.push(parseBody(body)?.seq ?? -1);
    });
    expect(out.sent).toBe(20);
    expect(seqs).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(out.failedSends).toBe(0);
  });

  it('counts sends that throw or reject instead of losing track of them', async () => {
    let n = 0;
    const out = await runLoad({ tag: 't', sender: 's', startAt: 0, durationMs: 50, ratePerSec: 100 }, () => {
      n += 1;
      if (n === 2) throw new Error('boom');
      return n === 3 ? Promise.reject(new Error('no')) : undefined;
    });
    expect(out.sent).toBe(5);
    expect(out.failedSends).toBe(2);
  });
});
