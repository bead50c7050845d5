// IndexedDB throughput in the browser: the real store (IdbStore, batched
// writes, paged reads) against the unbatched way (one transaction per
// message), on fresh databases of the same schema. Browser-only code.
import { openDB } from 'idb';
import { IdbStore } from '@chorus/peer';
import type { StoredMessage } from '@chorus/peer';
import { messageId, type DataFrame, type GroupId, type PeerId, type ViewId } from '@chorus/protocol';

const now = (): number => performance.now();

/** Page size of the reads: the store's history page size (peer.ts reads 500 at a time). */
const READ_PAGE = 500;

/** Messages shaped as the group session stores them (signature bytes are not checked by the store). */
const synthetic = (groupId: string, count: number, offset: number): StoredMessage[] =>
  Array.from({ length: count }, (_, k) => {
    const i = offset + k;
    const sender = `bench${i % 8}` as PeerId;
    const seq = Math.floor(i / 8) + 1;
    const frame: DataFrame = {
      t: 'data',
      groupId: groupId as GroupId,
      viewId: 1 as ViewId,
      sender,
      seq,
      lamport: i + 1,
      sentAt: 1_700_000_000_000 + i,
      body: `message ${i} ${'x'.repeat(100)}`,
      sig: 'A'.repeat(88),
    };
    return {
      id: messageId(groupId as GroupId, sender, seq),
      groupId: groupId as GroupId,
      senderName: `Bench ${i % 8}`,
      deliveredAt: frame.sentAt,
      frame,
      order: String(i).padStart(12, '0'),
    };
  });

export const idbHandlers = (): Record<string, (args: any) => unknown> => ({
  /** Batched writes through IdbStore: every batch handed over at once, timed until all are durable. */
  'idb-store-write': async ({ count, batch }: { count: number; batch: number }) => {
    const store = new IdbStore({ name: `bench-idb-${Date.now()}-${Math.random().toString(36).slice(2)}` });
    await store.open();
    const groupId = 'g-bench';
    const batches = Array.from({ length: Math.ceil(count / batch) }, (_, b) =>
      synthetic(groupId, Math.min(batch, count - b * batch), b * batch),
    );
    const t0 = now();
    await Promise.all(batches.map((items) => store.putMessages(groupId as GroupId, items)));
    const writeMs = now() - t0;
    // Reads: walk the whole history page by page, as a reload or a sponsor does.
    const t1 = now();
    let read = 0;
    let after: string | null = null;
    for (;;) {
      const page = await store.page(groupId as GroupId, { after, limit: READ_PAGE });
      read += page.items.length;
      if (page.next === null) break;
      after = page.next;
    }
    const readMs = now() - t1;
    const stored = await store.count(groupId as GroupId);
    await store.close();
    return { writesPerSec: (count * 1000) / writeMs, readsPerSec: (read * 1000) / readMs, stored, read };
  },
  /** Baseline: one IndexedDB transaction per message (write) and per key (read), same schema and records. */
  'idb-raw-single': async ({ count }: { count: number }) => {
    const db = await openDB(`bench-raw-${Date.now()}-${Math.random().toString(36).slice(2)}`, 1, {
      upgrade(d) {
        const s = d.createObjectStore('messages', { keyPath: 'id' });
        s.createIndex('by-group-order', ['groupId', 'order']);
        s.createIndex('by-group-sent', ['groupId', 'frame.sentAt']);
      },
    });
    const items = synthetic('g-raw', count, 0);
    const t0 = now();
    for (const m of items) {
      const tx = db.transaction('messages', 'readwrite');
      await tx.store.put(m);
      await tx.done;
    }
    const writeMs = now() - t0;
    const t1 = now();
    let found = 0;
    for (const m of items) if ((await db.get('messages', m.id)) !== undefined) found += 1;
    const readMs = now() - t1;
    db.close();
    return { writesPerSec: (count * 1000) / writeMs, readsPerSec: (found * 1000) / readMs, stored: count, read: found };
  },
});
