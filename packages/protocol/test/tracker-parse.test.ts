import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MAX_ID_CHARS,
  MAX_NAME_CHARS,
  MAX_PASSWORD_CHARS,
  MAX_SIGNAL_DATA_BYTES,
  helloSigningText,
  parseCreateGroup,
  parseGroupRef,
  parseHello,
  parseJoinGroup,
  parseLinkReport,
  parseMetricsReport,
  parseSignal,
} from '../src/tracker/parse.ts';
import type { Result } from '../src/result.ts';

const KEY = 'A'.repeat(43) + '=';
const SIG = 'B'.repeat(86) + '==';
const code = (r: Result<unknown>): string | null => (r.ok ? null : r.error.code);

describe('tracker event parsers', () => {
  it('accepts a well-formed hello and brands the peer id', () => {
    const r = parseHello({ peerId: 'p_abc-1', name: 'Alice Ångström', publicKey: KEY, signature: SIG });
    expect(r).toEqual({
      ok: true,
      value: { peerId: 'p_abc-1', name: 'Alice Ångström', publicKey: KEY, signature: SIG },
    });
  });

  it('rejects hellos field by field with a stable code', () => {
    const good = { peerId: 'p1', name: 'Alice', publicKey: KEY, signature: SIG };
    expect(code(parseHello(null))).toBe('bad-type');
    expect(code(parseHello([good]))).toBe('bad-type');
    expect(code(parseHello({ ...good, peerId: undefined }))).toBe('missing-field');
    expect(code(parseHello({ ...good, peerId: 'a b' }))).toBe('bad-type');
    expect(code(parseHello({ ...good, peerId: 'x'.repeat(MAX_ID_CHARS + 1) }))).toBe('too-long');
    expect(code(parseHello({ ...good, name: '   ' }))).toBe('missing-field');
    expect(code(parseHello({ ...good, name: ' Alice' }))).toBe('bad-type');
    expect(code(parseHello({ ...good, name: 'A'.repeat(MAX_NAME_CHARS + 1) }))).toBe('too-long');
    expect(code(parseHello({ ...good, name: 'Al\u202eice' }))).toBe('bad-type');
    expect(code(parseHello({ ...good, name: 'Al\nice' }))).toBe('bad-type');
    expect(code(parseHello({ ...good, publicKey: KEY.slice(1) }))).toBe('bad-type');
    expect(code(parseHello({ ...good, signature: '!'.repeat(88) }))).toBe('bad-type');
    expect(code(parseHello({ ...good, signature: 7 }))).toBe('bad-type');
  });

  it('takes an optional role from a closed set (a display label for archivists)', () => {
    const good = { peerId: 'p1', name: 'archivist', publicKey: KEY, signature: SIG };
    expect(parseHello({ ...good, role: 'archivist' })).toEqual({ ok: true, value: { ...good, role: 'archivist' } });
    expect(code(parseHello({ ...good, role: 'admin' }))).toBe('bad-type');
    expect(code(parseHello({ ...good, role: 1 }))).toBe('bad-type');
  });

  it('counts name length in characters, not UTF-16 units', () => {
    expect(parseHello({ peerId: 'p1', name: '😀'.repeat(MAX_NAME_CHARS), publicKey: KEY, signature: SIG }).ok).toBe(
      true,
    );
  });

  it('parses group creation: ordering is a closed set, password optional and capped', () => {
    expect(parseCreateGroup({ name: 'Lobby', ordering: 'fifo' })).toEqual({
      ok: true,
      value: { name: 'Lobby', ordering: 'fifo' },
    });
    expect(parseCreateGroup({ name: 'Lobby', ordering: 'total', password: 'pw' })).toEqual({
      ok: true,
      value: { name: 'Lobby', ordering: 'total', password: 'pw' },
    });
    expect(parseCreateGroup({ name: 'Lobby', ordering: 'total', password: '' })).toEqual({
      ok: true,
      value: { name: 'Lobby', ordering: 'total' },
    });
    expect(code(parseCreateGroup({ name: 'Lobby', ordering: 'FIFO' }))).toBe('bad-type');
    expect(code(parseCreateGroup({ name: 'Lobby' }))).toBe('missing-field');
    expect(
      code(parseCreateGroup({ name: 'Lobby', ordering: 'fifo', password: 'x'.repeat(MAX_PASSWORD_CHARS + 1) })),
    ).toBe('too-long');
  });

  it('parses joins and group refs', () => {
    expect(parseJoinGroup({ groupId: 'gAbc', password: 'pw' })).toEqual({
      ok: true,
      value: { groupId: 'gAbc', password: 'pw' },
    });
    expect(parseJoinGroup({ groupId: 'gAbc' })).toEqual({ ok: true, value: { groupId: 'gAbc' } });
    expect(code(parseJoinGroup({ groupId: 'g/../x' }))).toBe('bad-type');
    expect(code(parseGroupRef({}))).toBe('missing-field');
    expect(code(parseGroupRef({ groupId: '' }))).toBe('too-long');
    expect(code(parseGroupRef('gAbc'))).toBe('bad-type');
  });

  it('parses signals: refuses a client-set from, missing data, non-JSON and oversized data', () => {
    const data = { type: 'offer', sdp: 'v=0' };
    expect(parseSignal({ groupId: 'g1', to: 'p2', data })).toEqual({
      ok: true,
      value: { groupId: 'g1', to: 'p2', data },
    });
    expect(code(parseSignal({ groupId: 'g1', to: 'p2', from: 'p3', data }))).toBe('forged-sender');
    expect(code(parseSignal({ groupId: 'g1', to: 'p2' }))).toBe('missing-field');
    expect(code(parseSignal({ groupId: 'g1', to: 'p2', data: () => 1 }))).toBe('bad-type');
    expect(code(parseSignal({ groupId: 'g1', to: 'p2', data: 'x'.repeat(MAX_SIGNAL_DATA_BYTES) }))).toBe('too-large');
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    expect(code(parseSignal({ groupId: 'g1', to: 'p2', data: cyclic }))).toBe('bad-type');
  });

  it('parses link and metrics reports', () => {
    expect(parseLinkReport({ groupId: 'g1', peer: 'p2', state: 'down' })).toEqual({
      ok: true,
      value: { groupId: 'g1', peer: 'p2', state: 'down' },
    });
    expect(code(parseLinkReport({ groupId: 'g1', peer: 'p2', state: 'DOWN' }))).toBe('bad-type');
    expect(parseLinkReport({ groupId: 'g1', peer: 'p2', state: 'relayed', via: 'p3' })).toEqual({
      ok: true,
      value: { groupId: 'g1', peer: 'p2', state: 'relayed', via: 'p3' },
    });
    expect(code(parseLinkReport({ groupId: 'g1', peer: 'p2', state: 'relayed' }))).toBe('missing-field');
    expect(code(parseLinkReport({ groupId: 'g1', peer: 'p2', state: 'relayed', via: 'a/b' }))).toBe('bad-type');
    expect(code(parseLinkReport({ groupId: 'g1', peer: 'p2', state: 'up', via: 'p3' }))).toBe('bad-type');
    const m = {
      groupId: 'g1',
      sent: 1,
      received: 2,
      total: 3,
      throughputPerSec: 0.5,
      latencyP50Ms: 4,
      latencyP99Ms: 9,
      rejectedFrames: 0,
    };
    expect(parseMetricsReport(m)).toEqual({ ok: true, value: m });
    expect(code(parseMetricsReport({ ...m, sent: Number.NaN }))).toBe('bad-type');
    expect(code(parseMetricsReport({ ...m, total: Infinity }))).toBe('bad-type');
    expect(code(parseMetricsReport({ ...m, received: '2' }))).toBe('bad-type');
    expect(code(parseMetricsReport({ ...m, rejectedFrames: undefined }))).toBe('missing-field');
  });

  it('never throws and always answers a code and a sentence, whatever comes in', () => {
    const parsers = [
      parseHello,
      parseCreateGroup,
      parseJoinGroup,
      parseGroupRef,
      parseSignal,
      parseLinkReport,
      parseMetricsReport,
    ];
    fc.assert(
      fc.property(
        fc.anything({ withBigInt: true, withMap: true, withSet: true, withTypedArray: true, withNullPrototype: true }),
        (x) => {
          for (const p of parsers) {
            const r = p(x);
            if (!r.ok) {
              expect(typeof r.error.code).toBe('string');
              expect(r.error.message.length).toBeGreaterThan(10);
            }
          }
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it('signs hellos over a fixed text', () => {
    expect(helloSigningText('n0nce', 'p1', 'Alice')).toBe('chorus-hello:n0nce:p1:Alice');
  });
});
