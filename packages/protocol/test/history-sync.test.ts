import { describe, expect, it } from 'vitest';
import { asGroupId, asPeerId, asViewId } from '../src/ids.ts';
import { HISTORY_PAGE_LIMIT, historyAfter, mergeHistory } from '../src/history/history-sync.ts';
import { totalOrderKey } from '../src/ordering/order-key.ts';
import type { HistoryItem } from '../src/wire/frames.ts';

const item = (sender: string, seq: number, p: number): HistoryItem => ({
  frame: {
    t: 'data',
    groupId: asGroupId('g'),
    viewId: asViewId(1),
    sender: asPeerId(sender),
    seq,
    lamport: seq,
    sentAt: seq,
    body: `${sender}${seq}`,
    sig: `s${sender}${seq}`,
  },
  order: totalOrderKey(1, { p, by: asPeerId('a') }),
});

const log = [item('a', 1, 1), item('b', 1, 2), item('a', 2, 3), item('b', 2, 10), item('c', 1, 11)];

describe('history hand-over', () => {
  it('pages the sponsor log after a cursor, oldest first', () => {
    const shuffled = [log[3], log[0], log[4], log[2], log[1]] as HistoryItem[];
    const p1 = historyAfter(shuffled, null, 2);
    expect(p1.items.map((i) => i.frame.body)).toEqual(['a1', 'b1']);
    expect(p1.done).toBe(false);
    const p2 = historyAfter(shuffled, p1.items.at(-1)?.order ?? null, 2);
    expect(p2.items.map((i) => i.frame.body)).toEqual(['a2', 'b2']);
    const p3 = historyAfter(shuffled, p2.items.at(-1)?.order ?? null, 2);
    expect(p3.items.map((i) => i.frame.body)).toEqual(['c1']);
    expect(p3.done).toBe(true);
    expect(historyAfter(shuffled, log[4]?.order ?? null, 2)).toEqual({ items: [], done: true });
    expect(historyAfter(log, null, 10_000).items).toHaveLength(Math.min(log.length, HISTORY_PAGE_LIMIT));
  });

  it('merges idempotently: the same page twice adds nothing the second time', () => {
    const first = mergeHistory([log[0] as HistoryItem], log.slice(0, 3));
    expect(first.added.map((i) => i.frame.body)).toEqual(['b1', 'a2']);
    const again = mergeHistory(first.log, log.slice(0, 3));
    expect(again.added).toEqual([]);
    expect(again.rejected).toEqual([]);
    expect(again.log).toEqual(first.log);
    expect(mergeHistory(again.log, log).log.map((i) => i.frame.body)).toEqual(['a1', 'b1', 'a2', 'b2', 'c1']);
  });

  it('rejects items whose order key disagrees with the log and keeps what it had', () => {
    const mine = log.slice(0, 3);
    const moved = { ...(log[1] as HistoryItem), order: totalOrderKey(1, { p: 99, by: asPeerId('a') }) };
    const squatter = { ...item('z', 1, 3) }; // another message at a2's place
    const r = mergeHistory(mine, [moved, squatter, log[3] as HistoryItem]);
    expect(r.rejected.map((x) => x.item.frame.body)).toEqual(['b1', 'z1']);
    expect(r.rejected.every((x) => x.error.code === 'bad-state' && x.error.message.length > 10)).toBe(true);
    expect(r.added.map((i) => i.frame.body)).toEqual(['b2']);
    expect(r.log.map((i) => i.order)).toEqual([...mine, log[3] as HistoryItem].map((i) => i.order));
  });
});
