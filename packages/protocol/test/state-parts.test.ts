// A joiner state larger than one frame goes as several last history pages
// (statePart) and is put together whole on the joiner's side; nothing is cut
// (issue 16: a state with more than MAX_FLUSH_ITEMS unstable messages was
// refused by every joiner's parser, and cutting it would lose messages).

import { describe, expect, it } from 'vitest';
import { asGroupId, asPeerId, asViewId } from '../src/ids.ts';
import { MAX_STATE_BYTES, splitStatePage, StatePartCollector } from '../src/history/state-parts.ts';
import { MAX_FLUSH_ITEMS, MAX_FRAME_BYTES, MAX_PARTS } from '../src/wire/caps.ts';
import { encodeFrame } from '../src/wire/canonical.ts';
import type { HistoryItem, HistoryResponseFrame, JoinerState } from '../src/wire/frames.ts';
import { HISTORY_PAGE_BYTES } from '../src/history/history-reader.ts';
import { withHeads } from '../src/session/heads.ts';
import { parseFrame } from '../src/wire/parse-frame.ts';
import { utf8ByteLength } from '../src/wire/utf8.ts';

const G = asGroupId('g1');
const A = asPeerId('a');
const SIG = `${'A'.repeat(85)}Q==`;
const stateOf = (n: number, agreed = 7, body = (i: number) => `m${i}`): JoinerState => ({
  viewId: asViewId(3),
  incarnation: asViewId(1),
  agreed,
  nextSeq: { a: n + 1 },
  unstable: Array.from({ length: n }, (_, i) => ({
    frame: {
      t: 'data' as const,
      groupId: G,
      viewId: asViewId(2),
      sender: A,
      seq: i + 1,
      lamport: i,
      sentAt: 0,
      body: body(i),
      sig: SIG,
    },
    agreed: { p: i + 1, by: A },
  })),
});
const lastPage = (state: JoinerState): HistoryResponseFrame => ({
  t: 'history-res',
  groupId: G,
  req: 1,
  done: true,
  state,
  items: [{ frame: { ...(state.unstable?.[0]?.frame ?? ({} as never)) }, order: '0001' }],
});

describe('splitStatePage and StatePartCollector', () => {
  it('a small state stays on one page, without statePart', () => {
    const page = lastPage(stateOf(10));
    expect(splitStatePage(page)).toEqual([page]);
    expect(new StatePartCollector().add(stateOf(10), undefined)).toEqual({ state: stateOf(10), heads: [] });
  });

  for (const [what, state] of [
    ['more unstable messages than a list may hold', stateOf(MAX_FLUSH_ITEMS * 3 + 5)],
    ['several MiB of long messages', stateOf(400, 7, (i) => `${i} ${'✓'.repeat(3990)}`)],
  ] as const) {
    it(`${what}: every part is a legal frame, and the joiner gets the whole state back`, () => {
      const parts = splitStatePage(lastPage(state));
      expect(parts.length).toBeGreaterThan(1);
      expect(parts[0]?.items).toHaveLength(1);
      for (const [i, p] of parts.entries()) {
        expect(p.statePart).toEqual({ index: i, count: parts.length });
        expect(p.done).toBe(true);
        if (i > 0) expect(p.items).toEqual([]);
        const text = encodeFrame(p);
        expect(utf8ByteLength(text)).toBeLessThanOrEqual(MAX_FRAME_BYTES);
        expect(parseFrame(text, { groupId: G, from: A }).ok).toBe(true);
      }
      const c = new StatePartCollector();
      // Out of order, one part twice (an answer asked twice).
      const order = [parts.length - 1, ...[...parts.keys()].reverse()];
      const results = order.map((i) => c.add(parts[i]?.state as JoinerState, parts[i]?.statePart));
      expect(results.slice(0, -1).every((r) => r === null)).toBe(true);
      expect(results.at(-1)).toEqual({ state, heads: [] });
      expect(c.held).toBe(0);
    });
  }

  it('parts of a newer hand-over replace the parts held of an older one', () => {
    const old = splitStatePage(lastPage(stateOf(MAX_FLUSH_ITEMS + 10, 7)));
    const newer = splitStatePage(lastPage(stateOf(MAX_FLUSH_ITEMS + 10, 9)));
    const c = new StatePartCollector();
    expect(c.add(old[0]?.state as JoinerState, old[0]?.statePart)).toBeNull();
    let last: ReturnType<StatePartCollector['add']> = null;
    for (const p of newer) last = c.add(p.state as JoinerState, p.statePart);
    expect(last).toEqual({ state: stateOf(MAX_FLUSH_ITEMS + 10, 9), heads: [] });
  });

  it(`a sponsor announcing ${MAX_PARTS} parts of ~250 kB is refused once they pass MAX_STATE_BYTES; every part is dropped`, () => {
    const big = stateOf(60, 7, (i) => `${i} ${'x'.repeat(4000)}`);
    const partBytes = utf8ByteLength(JSON.stringify(big.unstable)) + 1;
    const c = new StatePartCollector();
    let refusedAt = -1;
    for (let i = 0; i < MAX_PARTS && refusedAt < 0; i++) {
      const r = c.add(big, { index: i, count: MAX_PARTS });
      if (r !== null) {
        expect(r).toMatchObject({ refused: expect.stringContaining('over') });
        refusedAt = i;
      }
    }
    expect(refusedAt).toBeGreaterThan(0);
    expect(refusedAt * partBytes).toBeLessThanOrEqual(MAX_STATE_BYTES);
    expect((refusedAt + 1) * partBytes).toBeGreaterThan(MAX_STATE_BYTES);
    expect(c.held).toBe(0);
    // The collector is usable afterwards: an honest hand-over in parts comes through whole.
    const honest = stateOf(MAX_FLUSH_ITEMS + 10, 9);
    let last: ReturnType<StatePartCollector['add']> = null;
    for (const p of splitStatePage(lastPage(honest))) last = c.add(p.state as JoinerState, p.statePart);
    expect(last).toEqual({ state: honest, heads: [] });
  });
});

describe('heads beside a state (PROTOCOL.md §4 "Heads")', () => {
  /** Senders h0…h(n-1), each with one head of `chars` characters at its seq 5 (nextSeq 6). */
  const headsOf = (n: number, chars: number): { state: JoinerState; heads: HistoryItem[] } => {
    const heads = Array.from({ length: n }, (_, i) => ({
      frame: {
        t: 'data' as const,
        groupId: G,
        viewId: asViewId(2),
        sender: asPeerId(`h${i}`),
        seq: 5,
        lamport: 9,
        sentAt: 0,
        body: `${i} ${'y'.repeat(chars)}`,
        sig: SIG,
      },
      order: '-',
    }));
    const state = { ...stateOf(1), nextSeq: { a: 2, ...Object.fromEntries(heads.map((h) => [h.frame.sender, 6])) } };
    return { state, heads };
  };

  it('ride with the state across its parts, every part a legal frame, and come back whole', () => {
    const { state, heads } = headsOf(400, 3000);
    const parts = splitStatePage({ ...lastPage(state), heads });
    expect(parts.length).toBeGreaterThan(1);
    for (const p of parts) {
      const text = encodeFrame(p);
      expect(utf8ByteLength(text)).toBeLessThanOrEqual(MAX_FRAME_BYTES);
      expect(parseFrame(text, { groupId: G, from: A }).ok).toBe(true);
    }
    const c = new StatePartCollector();
    let last: ReturnType<StatePartCollector['add']> = null;
    for (const p of parts) last = c.add(p.state as JoinerState, p.statePart, p.heads);
    expect(last).toEqual({ state, heads });
  });

  it('come only beside a state (else bad-type)', () => {
    const { heads } = headsOf(1, 10);
    const page = { t: 'history-res', groupId: G, req: 1, items: [], done: false, heads };
    expect(parseFrame(JSON.stringify(page), { groupId: G, from: A })).toMatchObject({
      ok: false,
      error: { code: 'bad-type' },
    });
  });

  it("share the newest page's bytes with its items: the oldest items make room and the page is then not done", () => {
    const { state, heads } = headsOf(20, 3000);
    const item = (k: number): HistoryItem => ({
      frame: { ...(state.unstable?.[0]?.frame ?? ({} as never)), seq: k, body: 'z'.repeat(3000) },
      order: String(1000 + k),
    });
    const items = Array.from({ length: 80 }, (_, k) => item(k + 1));
    const page: HistoryResponseFrame = { ...lastPage(state), items, done: true };
    const out = withHeads(page, heads, {});
    expect(out.heads).toHaveLength(20);
    expect(out.done).toBe(false);
    expect(out.items).toEqual(items.slice(items.length - out.items.length));
    expect(utf8ByteLength(JSON.stringify([...out.items, ...(out.heads ?? []), out.state]))).toBeLessThanOrEqual(
      HISTORY_PAGE_BYTES,
    );
    // A joiner that holds them (its `have`) is handed none, and the page keeps its items.
    const held = withHeads(page, heads, Object.fromEntries(heads.map((h) => [h.frame.sender, 6])));
    expect(held).toBe(page);
  });
});
