// A sponsor's pages read backwards (src/history/history-reader.ts `olderPageSteps`,
// PROTOCOL.md §4, the joiner usable before its old pages finish): newest first,
// each page oldest first within it, together exactly what forward pages hand.
import { describe, expect, it } from 'vitest';
import { asPeerId, asViewId } from '../src/ids.ts';
import {
  HISTORY_PAGE_BYTES,
  readHistoryPageSync,
  readOlderPageSync,
  type HistoryRecord,
  type HistorySource,
  type OlderPage,
} from '../src/history/history-reader.ts';
import type { HistoryItem, JoinerState } from '../src/wire/frames.ts';
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

  it('an empty history, or one the joiner holds whole, is one done page without items', () => {
    expect(pageBack(model([]), handOver, {}, 4)).toEqual([{ items: [], done: true }]);
    expect(pageBack(model(records), handOver, { [A]: 13, [B]: 7 }, 4)).toEqual([{ items: [], done: true }]);
  });
});
