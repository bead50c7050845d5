// A FLUSH report or joiner state larger than one frame travels in parts
// (issue 16: a late joiner of a group with thousands of unstable messages
// never became a member, because the one-frame FLUSH was refused at the wire
// caps and the view change never ended). Every frame is checked here the way
// a real channel checks it: encoded, capped and parsed.

import { describe, expect, it } from 'vitest';
import { asGroupId, asPeerId, asViewId } from '../src/ids.ts';
import { FLUSH_PART_BYTES, FlushAssembler, MAX_FLUSH_REPORT_BYTES, splitFlush } from '../src/ordering/flush-parts.ts';
import { EngineMesh, GROUP, makeView } from '../src/ordering/testing/engine-mesh.ts';
import { MAX_FLUSH_ITEMS, MAX_FRAME_BYTES, MAX_PARTS } from '../src/wire/caps.ts';
import { encodeFrame } from '../src/wire/canonical.ts';
import type { DataFrame, FlushFrame } from '../src/wire/frames.ts';
import { parseFrame } from '../src/wire/parse-frame.ts';
import { utf8ByteLength } from '../src/wire/utf8.ts';

const SIG = `${'A'.repeat(85)}Q==`;

/** Every frame queued between engines crosses a real parser (caps included) before it is delivered. */
function runThroughWire(m: EngineMesh, ids: readonly string[]): { refused: string[]; largest: number } {
  const refused: string[] = [];
  let largest = 0;
  for (let moved = true; moved;) {
    moved = false;
    for (const from of ids)
      for (const to of ids) {
        if (from === to) continue;
        for (const frame of m.take(from, to)) {
          moved = true;
          // Test signatures are not base64: every signature field (a FINAL's, a report's or a FLUSH-OK's
          // own, which the session adds, and the reporters' on the reports a FLUSH-OK restates) goes as SIG.
          const signed =
            frame.t === 'final' || frame.t === 'flush'
              ? { ...frame, sig: SIG }
              : frame.t === 'flush-ok'
                ? { ...frame, sig: SIG, held: (frame.held ?? []).map((h) => ({ ...h, sig: SIG })) }
                : frame;
          const text = JSON.stringify(signed, (k, v: unknown) =>
            ['sig', 'version', 'final'].includes(k) && typeof v === 'string' ? SIG : v,
          );
          largest = Math.max(largest, utf8ByteLength(text));
          const parsed = parseFrame(text, { groupId: GROUP, from: asPeerId(from) });
          if (!parsed.ok) {
            refused.push(`${from}>${to} ${frame.t}: ${parsed.error.code} ${parsed.error.message}`);
            continue;
          }
          // The engine gets the frame as sent (the test signature is not base64), once it passed the wire.
          const r = m.deliverFrame(from, to, frame);
          if ('rejected' in r) refused.push(`${from}>${to} ${frame.t}: engine ${r.error.code} ${r.error.message}`);
        }
      }
  }
  return { refused, largest };
}

describe('FLUSH in parts', () => {
  for (const mode of ['fifo', 'total'] as const) {
    for (const [what, count, body] of [
      ['more unstable messages than one frame may list', MAX_FLUSH_ITEMS + 500, (i: number) => `burst ${i}`],
      ['unstable long messages worth several MiB', 300, (i: number) => `${i} ${'✓'.repeat(3990)}`],
    ] as const) {
      it(`${mode}: ${what}: the view change that adds a joiner ends, and the joiner takes part`, () => {
        const m = EngineMesh.started(mode, ['a', 'b']);
        // No tick, so no high-water marks: everything a and b deliver stays unstable.
        for (let i = 0; i < count; i++) m.send('a', body(i));
        expect(runThroughWire(m, ['a', 'b']).refused).toEqual([]);
        expect(m.bodies('b')).toHaveLength(count);

        m.add('c');
        m.installView(makeView(2, ['a', 'b', 'c'], [['c', 'joined']]));
        const wire = runThroughWire(m, ['a', 'b', 'c']);
        expect(wire.refused).toEqual([]);
        expect(wire.largest).toBeLessThanOrEqual(MAX_FRAME_BYTES);
        expect(m.engine('a').view?.viewId).toBe(2);
        expect(m.engine('b').view?.viewId).toBe(2);

        m.apply('c', m.engine('c').adoptJoinerState(m.engine('a').joinerState()));
        m.send('c', 'hello from c');
        m.send('a', 'welcome');
        expect(runThroughWire(m, ['a', 'b', 'c']).refused).toEqual([]);
        for (const id of ['a', 'b']) expect(m.bodies(id).slice(count).sort()).toEqual(['hello from c', 'welcome']);
        expect(m.bodies('c').sort()).toEqual(['hello from c', 'welcome']);
        expect(m.rejections).toEqual([]);
      });
    }
  }

  it('a member that crashes after its FLUSH parts left: the survivor gets every unstable message from them', () => {
    const m = EngineMesh.started('fifo', ['a', 'b', 'c']);
    const count = MAX_FLUSH_ITEMS + 100;
    for (let i = 0; i < count; i++) m.send('a', `m${i}`);
    // Only b got a's messages; c's link from a is lost, then a crashes.
    m.lose('a', 'c');
    runThroughWire(m, ['a', 'b']);
    m.lose('a', 'c');
    m.crash('a');
    expect(m.bodies('c')).toHaveLength(0);
    m.installView(makeView(2, ['b', 'c'], [['a', 'failed']]));
    const wire = runThroughWire(m, ['b', 'c']);
    expect(wire.refused).toEqual([]);
    expect(m.bodies('c')).toEqual(m.bodies('b'));
    expect(m.bodies('c')).toHaveLength(count);
  });

  it('a small report stays one frame without a part (the wire is unchanged for it)', () => {
    const m = EngineMesh.started('total', ['a', 'b']);
    m.send('a', 'one');
    m.run();
    m.add('c');
    m.installView(makeView(2, ['a', 'b', 'c'], [['c', 'joined']]), ['a', 'b']);
    const flushes = m.pending('a', 'b').filter((f) => f.t === 'flush') as FlushFrame[];
    expect(flushes).toHaveLength(1);
    expect(flushes[0]?.part).toBeUndefined();
  });
});

const G = asGroupId('g1');
const frameOf = (seq: number, body = 'x'): DataFrame => ({
  t: 'data',
  groupId: G,
  viewId: asViewId(1),
  sender: asPeerId('a'),
  seq,
  lamport: seq,
  sentAt: 0,
  body,
  sig: SIG,
});
const report = (n: number, viewId = 2): FlushFrame => ({
  t: 'flush',
  groupId: G,
  viewId: asViewId(viewId),
  unstable: Array.from({ length: n }, (_, i) => frameOf(i + 1, 'y'.repeat(200))),
  pending: Array.from({ length: n }, (_, i) => ({
    sender: asPeerId('a'),
    seq: i + 1,
    final: { p: i + 1, by: asPeerId('a') },
  })),
  agreed: n,
  delivered: { a: n },
  report: `${'A'.repeat(43)}=`,
  sig: SIG,
});

describe('splitFlush and FlushAssembler', () => {
  it('parts fit the caps, keep the order, and put together give the report back', () => {
    const whole = report(5000);
    const parts = splitFlush(whole);
    expect(parts.length).toBeGreaterThan(1);
    expect(parts.length).toBeLessThanOrEqual(MAX_PARTS);
    for (const [i, p] of parts.entries()) {
      expect(p.part).toEqual({ index: i, count: parts.length });
      expect(p.unstable.length + p.pending.length).toBeLessThanOrEqual(MAX_FLUSH_ITEMS);
      expect(utf8ByteLength(encodeFrame(p))).toBeLessThanOrEqual(FLUSH_PART_BYTES + 1024);
      const parsed = parseFrame(encodeFrame(p), { groupId: G, from: asPeerId('a') });
      expect(parsed.ok).toBe(true);
    }
    const asm = new FlushAssembler();
    // Out of order and with a repeated part (a resend after a link came back).
    const shuffled = [...parts].reverse();
    const results = [shuffled[0] as FlushFrame, ...shuffled].map((p) => asm.add(asPeerId('a'), p));
    expect(results.slice(0, -1).every((r) => r === null)).toBe(true);
    expect(results.at(-1)).toEqual(whole);
    expect(asm.size).toBe(0);
  });

  it('parts that disagree are refused and change nothing; a newer view replaces an unfinished report', () => {
    const parts = splitFlush(report(3000));
    const asm = new FlushAssembler();
    expect(asm.add(asPeerId('a'), parts[0] as FlushFrame)).toBeNull();
    const other = { ...(parts[1] as FlushFrame), agreed: 1 };
    const r = asm.add(asPeerId('a'), other);
    expect(r !== null && 'rejected' in r && r.error.code).toBe('bad-state');
    const recount = { ...(parts[1] as FlushFrame), part: { index: 1, count: parts.length + 1 } };
    const r2 = asm.add(asPeerId('a'), recount);
    expect(r2 !== null && 'rejected' in r2 && r2.error.code).toBe('bad-state');
    // The refusals kept nothing: the real remaining parts complete the report.
    let last: unknown = null;
    for (const p of parts.slice(1)) last = asm.add(asPeerId('a'), p);
    expect(last).toEqual(report(3000));
    // A newer view's report replaces an unfinished one of the same peer.
    const newer = splitFlush(report(3000, 3));
    expect(asm.add(asPeerId('a'), parts[0] as FlushFrame)).toBeNull();
    for (const p of newer.slice(0, -1)) expect(asm.add(asPeerId('a'), p)).toBeNull();
    expect(asm.add(asPeerId('a'), newer.at(-1) as FlushFrame)).toEqual(report(3000, 3));
  });

  it('the engine refuses a malformed part and keeps its state', () => {
    const m = EngineMesh.started('fifo', ['a', 'b']);
    m.add('c');
    m.installView(makeView(2, ['a', 'b', 'c'], [['c', 'joined']]), ['b']);
    const before = JSON.stringify(m.engine('b').debugState());
    for (const part of [
      { index: 2, count: 2 },
      { index: 0, count: 0 },
      { index: 0, count: MAX_PARTS + 1 },
      { index: -1, count: 2 },
    ]) {
      const r = m.engine('b').receive(asPeerId('a'), { ...report(1), groupId: GROUP, part }, 10);
      expect('rejected' in r && r.error.code).toBe('bad-type');
    }
    expect(JSON.stringify(m.engine('b').debugState())).toBe(before);
  });
});

describe('parser: parts', () => {
  const ctx = { groupId: G, from: asPeerId('a') };
  const flush = { ...report(1), part: { index: 0, count: 2 } };
  const page = {
    t: 'history-res',
    groupId: G,
    req: 4,
    items: [],
    done: true,
    state: { viewId: 2, incarnation: 1, agreed: 0, nextSeq: { a: 2 } },
    statePart: { index: 1, count: 3 },
  };
  const code = (v: unknown): string => {
    const r = parseFrame(JSON.stringify(v), ctx);
    return r.ok ? 'ok' : r.error.code;
  };

  it('accepts well-formed parts', () => {
    expect(code(flush)).toBe('ok');
    expect(code(page)).toBe('ok');
    const r = parseFrame(JSON.stringify(page), ctx);
    expect(r.ok && r.value.t === 'history-res' && r.value.statePart).toEqual({ index: 1, count: 3 });
  });

  it('refuses bad parts with a reason', () => {
    for (const part of [
      { index: 2, count: 2 },
      { index: -1, count: 2 },
      { index: 0, count: 0 },
      { index: 0.5, count: 2 },
      { index: 0 },
      'first',
      null,
      [0, 2],
    ])
      expect(['bad-type', 'missing-field']).toContain(code({ ...flush, part }));
    expect(code({ ...flush, part: { index: 0, count: MAX_PARTS + 1 } })).toBe('too-many');
    expect(code({ ...page, statePart: { index: 3, count: 3 } })).toBe('bad-type');
    expect(code({ ...page, statePart: { index: 0, count: MAX_PARTS + 1 } })).toBe('too-many');
    const { state: _s, ...noState } = page;
    expect(code(noState)).toBe('bad-type'); // a part of a state that is not there
    // A part also comes on a page that is not the last: the newest page of a backward paging carries the state
    // (PROTOCOL.md §4); a joiner takes a state only from the page its paging expects it on.
    expect(parseFrame(JSON.stringify({ ...page, done: false }), ctx).ok).toBe(true);
  });
});

describe('FLUSH parts: per-peer byte budget (issue 12)', () => {
  const G = asGroupId('g1');
  const filler: DataFrame[] = Array.from({ length: 60 }, (_, i) => ({
    t: 'data',
    groupId: G,
    viewId: asViewId(1),
    sender: asPeerId('m'),
    seq: i + 1,
    lamport: 1,
    sentAt: 1,
    body: 'x'.repeat(4000),
    sig: SIG,
  }));
  const partOf = (index: number, count: number): FlushFrame => ({
    t: 'flush',
    groupId: G,
    viewId: asViewId(5),
    unstable: filler,
    pending: [],
    agreed: 0,
    delivered: {},
    part: { index, count },
  });

  it(`a peer announcing ${MAX_PARTS} parts of ~250 kB is refused once its parts pass MAX_FLUSH_REPORT_BYTES; they are dropped, another peer's report still assembles`, () => {
    const asm = new FlushAssembler();
    const m = asPeerId('m');
    const partBytes = utf8ByteLength(JSON.stringify(partOf(0, MAX_PARTS)));
    let refusedAt = -1;
    for (let i = 0; i < MAX_PARTS && refusedAt < 0; i++) {
      const r = asm.add(m, partOf(i, MAX_PARTS));
      if (r !== null) {
        expect(r).toMatchObject({ rejected: true, fault: 'remote', error: { code: 'too-large' } });
        refusedAt = i;
      }
    }
    expect(refusedAt).toBeGreaterThan(0);
    expect(refusedAt * partBytes).toBeLessThanOrEqual(MAX_FLUSH_REPORT_BYTES);
    expect((refusedAt + 1) * partBytes).toBeGreaterThan(MAX_FLUSH_REPORT_BYTES);
    expect(asm.bytesOf(m)).toBe(0);
    expect(asm.size).toBe(0);

    const honest = asPeerId('h');
    expect(asm.add(honest, partOf(0, 2))).toBeNull();
    expect(asm.add(honest, partOf(1, 2))).toMatchObject({ t: 'flush', unstable: [...filler, ...filler] });
  });
});
