import { describe, expect, it } from 'vitest';
import { asGroupId, asPeerId, asViewId, messageId, type GroupId } from '@chorus/protocol';
import { MemoryStore } from '../src/memory-store.ts';
import type { StoredMessage } from '../src/storage.ts';

const g = asGroupId('g1');
const other = asGroupId('g2');

function msg(
  groupId: GroupId,
  sender: string,
  seq: number,
  order: string,
  sentAt: number,
  body = `m${seq}`,
): StoredMessage {
  const s = asPeerId(sender);
  return {
    id: messageId(groupId, s, seq),
    groupId,
    senderName: sender.toUpperCase(),
    deliveredAt: sentAt + 1,
    order,
    frame: { t: 'data', groupId, viewId: asViewId(1), sender: s, seq, lamport: seq, sentAt, body, sig: 'x' },
  };
}

describe('MemoryStore', () => {
  it('keeps the first copy of a message id and ignores later ones', async () => {
    const store = new MemoryStore();
    await store.putMessages(g, [msg(g, 'a', 1, '001', 10, 'first')]);
    await store.putMessages(g, [msg(g, 'a', 1, '001', 10, 'second'), msg(g, 'a', 1, '001', 10, 'third')]);
    const page = await store.page(g, { limit: 10 });
    expect(page.items.map((m) => m.frame.body)).toEqual(['first']);
    expect(await store.count(g)).toBe(1);
  });

  it('pages by order key, strictly after the cursor, and keeps groups apart', async () => {
    const store = new MemoryStore();
    // Inserted out of order, as history pages and live deliveries interleave.
    await store.putMessages(g, [msg(g, 'b', 1, '003', 5), msg(g, 'a', 1, '001', 30)]);
    await store.putMessages(other, [msg(other, 'c', 1, '002', 1)]);
    await store.putMessages(g, [msg(g, 'a', 2, '002', 20), msg(g, 'a', 3, '004', 40)]);
    const first = await store.page(g, { limit: 2 });
    expect(first.items.map((m) => m.order)).toEqual(['001', '002']);
    expect(first.next).toBe('002');
    const second = await store.page(g, { after: first.next, limit: 2 });
    expect(second.items.map((m) => m.order)).toEqual(['003', '004']);
    expect(second.next).toBeNull();
    expect((await store.page(g, { after: '004', limit: 2 })).items).toEqual([]);
    expect((await store.page(other, { limit: 10 })).items.map((m) => m.id)).toEqual(['g2/c:1']);
  });

  it('reads the newest page strictly below an order key, oldest first (a log scrolling up)', async () => {
    const store = new MemoryStore();
    await store.putMessages(g, [
      msg(g, 'a', 3, '003', 3),
      msg(g, 'a', 1, '001', 1),
      msg(g, 'a', 4, '004', 4),
      msg(g, 'a', 2, '002', 2),
    ]);
    await store.putMessages(other, [msg(other, 'c', 1, '000', 1)]);
    expect((await store.before(g, null, 2)).map((m) => m.order)).toEqual(['003', '004']);
    expect((await store.before(g, '003', 5)).map((m) => m.order)).toEqual(['001', '002']);
    expect((await store.before(g, '0025', 1)).map((m) => m.order)).toEqual(['002']);
    expect(await store.before(g, '001', 5)).toEqual([]);
    expect(await store.before(asGroupId('none'), null, 5)).toEqual([]);
  });

  it('keeps order when a backfill writes older pages below what it holds, in runs and in scattered batches', async () => {
    const store = new MemoryStore();
    const key = (i: number): string => String(i).padStart(6, '0');
    const all = Array.from({ length: 12_000 }, (_, i) => msg(g, 'a', i + 1, key(i), i));
    // The newest page first, then older pages (one of them larger than one splice takes), newest first.
    await store.putMessages(g, all.slice(11_800));
    await store.putMessages(g, all.slice(6_000, 11_800).reverse());
    await store.putMessages(g, all.slice(5_800, 6_000));
    // A batch whose items go to several places at once, shuffled, with copies of held ones.
    const scattered = all.slice(0, 5_800).filter((_, i) => i % 2 === 0);
    await store.putMessages(g, [...scattered.reverse(), all[6_001]!, all[11_900]!]);
    await store.putMessages(
      g,
      all.slice(0, 5_800).filter((_, i) => i % 2 === 1),
    );
    const read = await store.page(g, { limit: 5_000 });
    const rest = await store.before(g, null, 5_000);
    expect(await store.count(g)).toBe(12_000);
    expect(read.items.map((m) => m.order)).toEqual(all.slice(0, 5_000).map((m) => m.order));
    expect(rest.map((m) => m.order)).toEqual(all.slice(7_000).map((m) => m.order));
  });

  it('answers "since a time" by sentAt, inclusive, oldest first', async () => {
    const store = new MemoryStore();
    await store.putMessages(g, [
      msg(g, 'a', 1, '001', 30),
      msg(g, 'a', 2, '002', 10),
      msg(g, 'b', 1, '003', 20),
      msg(g, 'b', 2, '004', 20),
    ]);
    const got = await store.since(g, 20, 10);
    expect(got.map((m) => m.id)).toEqual(['g1/b:1', 'g1/b:2', 'g1/a:1']);
    expect((await store.since(g, 20, 1)).map((m) => m.id)).toEqual(['g1/b:1']);
  });

  it('cursor is the highest order key ever stored, null for an unknown group', async () => {
    const store = new MemoryStore();
    expect(await store.cursor(g)).toBeNull();
    await store.putMessages(g, [msg(g, 'a', 2, '005', 1), msg(g, 'a', 1, '002', 1)]);
    expect(await store.cursor(g)).toBe('005');
  });

  it('keeps the same sender and seq in two groups as two messages', async () => {
    const store = new MemoryStore();
    await store.putMessages(g, [msg(g, 'a', 1, '001', 10, 'cats 1')]);
    await store.putMessages(other, [msg(other, 'a', 1, '001', 10, 'dogs 1')]);
    expect((await store.page(g, { limit: 10 })).items.map((m) => m.frame.body)).toEqual(['cats 1']);
    expect((await store.page(other, { limit: 10 })).items.map((m) => m.frame.body)).toEqual(['dogs 1']);
  });

  it('refuses a whole write holding a record of another group, and keeps what it had', async () => {
    const store = new MemoryStore();
    await store.putMessages(g, [msg(g, 'a', 1, '001', 10, 'kept')]);
    const filedElsewhere = msg(other, 'b', 1, '002', 10);
    const signedElsewhere = { ...msg(g, 'b', 1, '002', 10), frame: msg(other, 'b', 1, '002', 10).frame };
    const oldId = { ...msg(g, 'b', 1, '002', 10), id: 'b:1' as never };
    for (const bad of [filedElsewhere, signedElsewhere, oldId]) {
      await expect(store.putMessages(g, [msg(g, 'a', 2, '003', 11), bad])).rejects.toMatchObject({
        code: 'wrong-group',
      });
    }
    expect((await store.page(g, { limit: 10 })).items.map((m) => m.frame.body)).toEqual(['kept']);
    expect(await store.count(other)).toBe(0);
    expect(await store.cursor(g)).toBe('001');
  });

  it('a reopened connection sees everything the closed one stored', async () => {
    const first = new MemoryStore();
    await first.putMessages(g, [msg(g, 'a', 1, '001', 10)]);
    await first.putGroup({ groupId: g, name: 'general', ordering: 'fifo', state: null });
    const second = first.reopen();
    await first.close();
    expect(await second.count(g)).toBe(1);
    expect((await second.getGroup(g))?.name).toBe('general');
  });

  it('remembers group records and refuses use after close', async () => {
    const store = new MemoryStore();
    await store.putGroup({ groupId: g, name: 'general', ordering: 'total', state: null });
    expect(await store.getGroup(g)).toEqual({ groupId: g, name: 'general', ordering: 'total', state: null });
    expect(await store.getGroup(other)).toBeNull();
    await store.close();
    await expect(store.count(g)).rejects.toThrow(/closed/);
  });

  it('keeps a file chunk as it was stored when the caller changes its buffer afterwards', async () => {
    const store = new MemoryStore();
    const file = new Uint8Array(4096).fill(7);
    // A whole buffer (a one-chunk file) and a chunk in the middle of a larger one (a file being sent).
    await store.putChunk('h', 0, { bytes: file.subarray(0, 4096), proof: [] });
    await store.putChunk('h', 1, { bytes: file.subarray(1024, 2048), proof: [] });
    file.fill(0);
    expect((await store.getChunk('h', 0))?.bytes.every((b) => b === 7)).toBe(true);
    expect((await store.getChunk('h', 1))?.bytes.every((b) => b === 7)).toBe(true);
  });
});
