// Writes a long stored history straight into a tab's IndexedDB (the raw API,
// the schema of packages/peer/src/idb-schema.ts), the way years of chatting
// would have left it: `count` messages of one group from an archive sender,
// with FIFO order keys of lamport 0 (below anything the live group sends) and
// bodies `seed 0` … `seed <count-1>`, 500 to a `batches` record with its
// index keys (idb-batches.ts's batchRecord). The app reads them as cached history
// (records are not re-verified on read); nothing sends them to anyone.

import type { Page } from '@playwright/test';

export async function seedHistory(page: Page, groupId: string, count: number): Promise<void> {
  await page.evaluate(
    ({ groupId, count }) =>
      new Promise<void>((resolve, reject) => {
        const open = indexedDB.open('chorus');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const db = open.result;
          const tx = db.transaction('batches', 'readwrite');
          const store = tx.objectStore('batches');
          const pad = (n: number): string => String(n).padStart(16, '0');
          const start = Date.now() - count * 1_000;
          const sender = 'seed-archive';
          for (let from = 0; from < count; from += 500) {
            const items = [];
            for (let seq = from; seq < Math.min(count, from + 500); seq++) {
              const sentAt = start + seq * 1_000;
              items.push({
                id: `${groupId}/${sender}:${seq}`,
                groupId,
                senderName: 'Archive',
                deliveredAt: sentAt,
                order: `${pad(0)}:${sender}:${pad(seq)}`,
                frame: {
                  t: 'data',
                  groupId,
                  viewId: 1,
                  sender,
                  seq,
                  lamport: 0,
                  sentAt,
                  body: `seed ${seq}`,
                  sig: 'seeded',
                },
              });
            }
            store.add({
              groupId,
              items,
              ids: items.map((m) => m.id),
              orders: items.map((m) => [groupId, m.order, m.id]),
              sents: items.map((m) => [groupId, m.frame.sentAt, m.id]),
            });
          }
          tx.oncomplete = () => {
            db.close();
            resolve();
          };
          tx.onerror = () => reject(tx.error);
        };
      }),
    { groupId, count },
  );
}

/** The id of a joined group as this tab stored it (the group records of the store), by its name. */
export async function storedGroupId(page: Page, name: string): Promise<string> {
  const id = await page.evaluate(
    (name) =>
      new Promise<string | null>((resolve, reject) => {
        const open = indexedDB.open('chorus');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const db = open.result;
          const all = db.transaction('groups').objectStore('groups').getAll();
          all.onsuccess = () => {
            db.close();
            resolve((all.result as { groupId: string; name: string }[]).find((g) => g.name === name)?.groupId ?? null);
          };
          all.onerror = () => reject(all.error);
        };
      }),
    name,
  );
  if (id === null) throw new Error(`No stored group named ${name}.`);
  return id;
}
