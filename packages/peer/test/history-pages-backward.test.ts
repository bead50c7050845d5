// The sponsor's read for a backward history paging (PROTOCOL.md §4) over a
// real MessageStore: the newest page first with the state, older pages below
// it, read through the store's own `before`; together exactly what the
// forward paging hands.
import { describe, expect, it } from 'vitest';
import {
  asGroupId,
  asPeerId,
  asViewId,
  messageId,
  type HistoryRequestFrame,
  type HistoryResponseFrame,
  type JoinerState,
} from '@chorus/protocol';
import { MemoryStore } from '../src/memory-store.ts';
import { readHistoryPage } from '../src/session/history-pages.ts';
import type { StoredMessage } from '../src/storage.ts';

const g = asGroupId('g1');
const ann = asPeerId('ann');
const bob = asPeerId('bob');

const msg = (sender: typeof ann, seq: number, order: number): StoredMessage => ({
  id: messageId(g, sender, seq),
  groupId: g,
  senderName: sender.toUpperCase(),
  deliveredAt: order,
  order: String(order).padStart(8, '0'),
  frame: {
    t: 'data',
    groupId: g,
    viewId: asViewId(1),
    sender,
    seq,
    lamport: order,
    sentAt: order,
    body: `m${seq}`,
    sig: 'x',
  },
});

const state: JoinerState = {
  viewId: asViewId(4),
  incarnation: asViewId(1),
  agreed: 0,
  nextSeq: { [ann]: 301, [bob]: 300 },
};
const req = (n: number, before: string | null | undefined, after: string | null = null): HistoryRequestFrame => ({
  t: 'history-req',
  groupId: g,
  req: n,
  have: { [ann]: 11 },
  after,
  limit: 200,
  ...(before === undefined ? {} : { before }),
});
const ids = (items: HistoryResponseFrame['items']): string[] => items.map((i) => `${i.frame.sender}:${i.frame.seq}`);

describe('a sponsor reading history backwards from its store', () => {
  it('newest page first with the state, then older pages, together the forward paging', async () => {
    const store = new MemoryStore();
    // ann 1..300 and bob 1..300 interleaved; bob's 300 is beyond the state, ann's 1..10 the joiner holds.
    const all: StoredMessage[] = [];
    for (let i = 1; i <= 300; i++) all.push(msg(ann, i, 2 * i - 1), msg(bob, i, 2 * i));
    await store.putMessages(g, all);
    const keyOf = (): string | null => null;

    const backward: HistoryResponseFrame[] = [];
    let before: string | null = null;
    for (let n = 1; n < 20; n++) {
      const page = await readHistoryPage(store, g, state, req(n, before), keyOf);
      backward.push(page);
      if (page.done) break;
      before = page.items[0]!.order;
    }
    expect(backward[0]!.state).toEqual(state);
    expect(backward.slice(1).every((p) => p.state === undefined)).toBe(true);
    expect(ids(backward[0]!.items).slice(-2)).toEqual(['bob:299', 'ann:300']);
    expect(backward.map((p) => p.done)).toEqual(backward.map((_, i) => i === backward.length - 1));

    const forward: HistoryResponseFrame['items'][number][] = [];
    let after: string | null = null;
    for (let n = 1; n < 20; n++) {
      const page = await readHistoryPage(store, g, state, req(n, undefined, after), keyOf);
      forward.push(...page.items);
      if (page.done) break;
      after = page.items.at(-1)!.order;
    }
    const back = [...backward].reverse().flatMap((p) => p.items);
    expect(ids(back)).toEqual(ids(forward));
    expect(back).toHaveLength(290 + 299);
  });
});
