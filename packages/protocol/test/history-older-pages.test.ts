// A sponsor's pages read backwards (src/history/history-reader.ts `olderPageSteps`,
// PROTOCOL.md §4, the joiner usable before its old pages finish): newest first,
// each page oldest first within it, together exactly what forward pages hand.
import { describe, expect, it } from 'vitest';
import { asPeerId, asViewId } from '../src/ids.ts';
import {
  HISTORY_BULK_PAGE_BYTES,
  HISTORY_PAGE_BYTES,
  readHistoryPageSync,
  readOlderPageSync,
  type HistoryRecord,
  type HistorySource,
  type OlderPage,
} from '../src/history/history-reader.ts';
import { MAX_BULK_HISTORY_ITEMS, MAX_HISTORY_ITEMS } from '../src/wire/caps.ts';
import type { HistoryItem, HistoryResponseFrame, JoinerState } from '../src/wire/frames.ts';
import { forwardStore, G, rec } from './history-fixtures.ts';
import { StoreModel } from '../sim/store-model.ts';

const A = asPeerId('ann');
const B = asPeerId('bob');

const forwardOnly = (records: readonly HistoryRecord[], max = 3): HistorySource => forwardStore(records, max);

/** The same records in the simulator's store model, which reads backwards itself (`before`). */
const model = (records: readonly HistoryRecord[]): StoreModel => {
  const m = new StoreModel();
  m.put(
    records.map((r) => ({ id: `${G}/${r.frame.sender}:${r.frame.seq}`, groupId: G, frame: r.frame, order: r.order })),
  );
  return m;
};

const state = (nextSeq: Record<string, number>, incarnation = 2): JoinerState => ({
  viewId: asViewId(5),
  incarnation: asViewId(incarnation),
  agreed: 0,
  nextSeq,
});

/** Every page of a backward paging, newest page first. */
const pageBack = (source: HistorySource, s: JoinerState, have: Record<string, number>, limit: number): OlderPage[] => {
  const pages: OlderPage[] = [];
  let before: string | null = null;
  for (let i = 0; i < 100; i++) {
    const page = readOlderPageSync(source, { groupId: G, state: s, have, before, limit, keyOf: () => null });
    pages.push(page);
    if (page.done) return pages;
    before = (page.items[0] as HistoryItem).order;
  }
  throw new Error('the paging did not end');
};

const ids = (items: readonly HistoryItem[]): string[] => items.map((i) => `${i.frame.sender}:${i.frame.seq}`);
const key = (n: number): string => String(n).padStart(4, '0');

// ann 1..12 and bob 1..8 interleaved; bob's 7 and 8 are beyond the state (the joiner's engine delivers them).
const records = [
  ...Array.from({ length: 12 }, (_, i) => rec(A, i + 1, key(2 * i + 1))),
  ...Array.from({ length: 8 }, (_, i) => rec(B, i + 1, key(2 * i + 2))),
];
const handOver = state({ [A]: 13, [B]: 7 });

describe('history pages read backwards', () => {
  for (const [name, source] of [
    ['a store that reads backwards (the simulator model)', model(records)],
    ['a store that only pages forward (a scan per read)', forwardOnly(records)],
  ] as const) {
    it(`${name}: newest first, each page in order, together exactly the forward paging's items`, () => {
      const have = { [A]: 3 }; // the joiner holds ann 1 and 2
      const pages = pageBack(source, handOver, have, 4);
      // Every page's keys increase, and each page sits wholly below the one asked before it.
      for (const p of pages) {
        const keys = p.items.map((i) => i.order);
        expect(keys).toEqual([...keys].sort());
      }
      for (let i = 1; i < pages.length; i++) {
        const newer = pages[i - 1]!.items[0]!.order;
        expect(pages[i]!.items.every((it) => it.order < newer)).toBe(true);
      }
      expect(pages.map((p) => p.done)).toEqual(pages.map((_, i) => i === pages.length - 1));
      // The newest page: the four newest items the state counts (bob's 7 and 8 are newer, not counted).
      expect(ids(pages[0]!.items)).toEqual(['ann:9', 'ann:10', 'ann:11', 'ann:12']);
      const forward = readHistoryPageSync(source, {
        groupId: G,
        state: handOver,
        req: { t: 'history-req', groupId: G, req: 1, have, after: null, limit: 200 },
        keyOf: () => null,
      });
      const backward = [...pages].reverse().flatMap((p) => p.items);
      expect(ids(backward)).toEqual(ids(forward.items));
      // Not what the joiner holds, not what the state does not count.
      expect(ids(backward)).not.toContain('ann:2');
      expect(ids(backward)).not.toContain('bob:7');
      expect(ids(backward)).toContain('ann:3');
      expect(ids(backward)).toContain('bob:6');
    });
  }

  it('a page stops at HISTORY_PAGE_BYTES, keeping its newest items; the next page goes on below them', () => {
    const big = 'x'.repeat(100 * 1024);
    const rs = [1, 2, 3, 4].map((n) => rec(A, n, key(n), 3, `${big}${n}`));
    const pages = pageBack(model(rs), state({ [A]: 5 }), {}, 200);
    expect(pages.map((p) => ids(p.items))).toEqual([
      ['ann:3', 'ann:4'],
      ['ann:1', 'ann:2'],
    ]);
    for (const p of pages) expect(JSON.stringify(p.items).length).toBeLessThanOrEqual(HISTORY_PAGE_BYTES + 200);
  });

  /** A joiner's whole backward paging through the sponsor's answers (`readHistoryPageSync`), `bulk` or not. */
  const pagingOf = (source: HistorySource, s: JoinerState, bulk?: number): HistoryResponseFrame[] => {
    const pages: HistoryResponseFrame[] = [];
    let before: string | null = null;
    for (let req = 1; req < 200; req++) {
      const ask = {
        t: 'history-req' as const,
        groupId: G,
        req,
        have: {},
        after: null,
        limit: MAX_HISTORY_ITEMS,
        before,
      };
      const page = readHistoryPageSync(source, {
        groupId: G,
        state: s,
        req: bulk === undefined ? ask : { ...ask, bulk },
        keyOf: () => null,
      });
      pages.push(page);
      if (page.done) return pages;
      before = (page.items[0] as HistoryItem).order;
    }
    throw new Error('the paging did not end');
  };

  it('bulk: pages below a key hold up to `bulk` items; the newest page (with the state) and a request without it keep the limit', () => {
    const n = 2_500;
    const rs = Array.from({ length: n }, (_, i) => rec(A, i + 1, key(i + 1)));
    const s = state({ [A]: n + 1 });
    const bulk = pagingOf(model(rs), s, MAX_BULK_HISTORY_ITEMS);
    expect(bulk.map((p) => p.items.length)).toEqual([200, 1000, 1000, 300]);
    expect(bulk[0]!.state).toEqual(s);
    // A joiner that predates `bulk` (or a sponsor that ignores it, which is the same paging) gets pages of `limit`.
    const plain = pagingOf(model(rs), s);
    expect(plain.map((p) => p.items.length)).toEqual([...Array.from({ length: 12 }, () => 200), 100]);
    const all = (pages: HistoryResponseFrame[]): string[] => [...pages].reverse().flatMap((p) => ids(p.items));
    expect(all(bulk)).toEqual(all(plain));
    expect(new Set(all(bulk)).size).toBe(n);
    // A smaller `bulk` is taken at its word; a larger one than the cap is cut to it.
    expect(pagingOf(model(rs), s, 500).map((p) => p.items.length)).toEqual([200, 500, 500, 500, 500, 300]);
  });

  it('bulk: a page stops at HISTORY_BULK_PAGE_BYTES, one item always fits', () => {
    const big = 'x'.repeat(100 * 1024);
    const rs = Array.from({ length: 12 }, (_, i) => rec(A, i + 1, key(i + 1), 3, `${big}${i}`));
    const pages = pagingOf(model(rs), state({ [A]: 13 }), MAX_BULK_HISTORY_ITEMS);
    // The newest page: two items beside the state (HISTORY_PAGE_BYTES); then five per bulk page (512 KiB).
    expect(pages.map((p) => p.items.length)).toEqual([2, 5, 5]);
    for (const p of pages.slice(1))
      expect(JSON.stringify(p.items).length).toBeLessThanOrEqual(HISTORY_BULK_PAGE_BYTES + 200);
    const huge = [rec(A, 1, key(1), 3, 'y'.repeat(600 * 1024)), rec(A, 2, key(2), 3, 'z')];
    expect(pagingOf(model(huge), state({ [A]: 3 }), MAX_BULK_HISTORY_ITEMS).map((p) => ids(p.items))).toEqual([
      ['ann:2'],
      ['ann:1'],
    ]);
  });

  it('an empty history, or one the joiner holds whole, is one done page without items', () => {
    expect(pageBack(model([]), handOver, {}, 4)).toEqual([{ items: [], done: true }]);
    expect(pageBack(model(records), handOver, { [A]: 13, [B]: 7 }, 4)).toEqual([{ items: [], done: true }]);
  });
});
