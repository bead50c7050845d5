// What the mesh accepts as signaling from another peer (relayed, not vetted,
// by the tracker), and the reconnect backoff it uses. Pure pieces, no WebRTC.

import { describe, expect, it } from 'vitest';
import { Backoff } from '../src/backoff.ts';
import {
  MAX_CONNECTION_ID_CHARS,
  parseSignalEnvelope,
  restartEnvelope,
  rtcEnvelope,
} from '../src/mesh/signal-envelope.ts';

describe('parseSignalEnvelope', () => {
  it('accepts what the mesh sends: offers, candidates and restart requests', () => {
    expect(parseSignalEnvelope(rtcEnvelope('c1', { type: 'offer', sdp: 'v=0' }))).toEqual({
      c: 'c1',
      kind: 'rtc',
      rtc: { type: 'offer', sdp: 'v=0' },
    });
    expect(parseSignalEnvelope(rtcEnvelope('c1', { candidate: { candidate: 'a=x', sdpMid: '0' } }))?.kind).toBe('rtc');
    expect(parseSignalEnvelope(restartEnvelope('c9'))).toEqual({ c: 'c9', kind: 'restart' });
  });

  it('refuses anything else instead of handing it to simple-peer (which would tear the connection down)', () => {
    const refused: unknown[] = [
      null,
      'offer',
      42,
      [],
      {},
      { c: '', rtc: { type: 'offer', sdp: 'x' } },
      { c: 'x'.repeat(MAX_CONNECTION_ID_CHARS + 1), rtc: { type: 'offer', sdp: 'x' } },
      { c: 7, rtc: { type: 'offer', sdp: 'x' } },
      { c: 'c1' },
      { c: 'c1', rtc: 'sdp' },
      { c: 'c1', rtc: { type: 5, sdp: 'x' } },
      { c: 'c1', rtc: { type: 'offer', sdp: { evil: true } } },
      // simple-peer destroys a connection on signal data with none of these fields.
      { c: 'c1', rtc: { type: 'offer' } },
      { c: 'c1', restart: 'yes' },
    ];
    for (const data of refused) expect(parseSignalEnvelope(data), JSON.stringify(data)).toBeNull();
  });
});

describe('Backoff', () => {
  it('grows its window up to the cap, never goes below the floor, and starts over after reset', () => {
    const top = new Backoff({ baseMs: 100, capMs: 1_000, minMs: 50, random: () => 0.999 });
    expect([1, 2, 3, 4, 5, 6].map(() => top.next())).toEqual([99, 199, 399, 799, 999, 999]);
    top.reset();
    expect(top.next()).toBe(99);
    const bottom = new Backoff({ baseMs: 100, capMs: 1_000, minMs: 50, random: () => 0 });
    expect([1, 2, 3].map(() => bottom.next())).toEqual([50, 50, 50]);
    expect(bottom.attempt).toBe(3);
  });
});
