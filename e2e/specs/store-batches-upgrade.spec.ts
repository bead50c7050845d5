// Upgrading a browser's database from schema version 3 (one `messages`
// record per message) to version 4 (one `batches` record per write,
// packages/peer/src/idb-batches.ts) in real Chromium IndexedDB: the version 3
// database is built here with the raw API, as idb-schema.ts laid it out at
// IDB_VERSION = 3, then the real IdbStore opens it.

import { expect, test, type Page } from '@playwright/test';
// For the type of window.chorusStoreCheck (erased at run time).
import type {} from '../../apps/web/src/store-check.ts';

/**
 * "big": 1 203 messages of two senders (more than two batch records' worth, 7 of them sharing one order key so a
 * record boundary falls inside a tie), "small": 3; plus one record that is not a message (no frame).
 */
async function createVersion3(page: Page, name: string): Promise<void> {
  await page.evaluate(async (name) => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open(name, 3);
      req.onupgradeneeded = () => {
        const d = req.result;
        d.createObjectStore('identities', { keyPath: 'name' });
        d.createObjectStore('groups', { keyPath: 'groupId' });
        const messages = d.createObjectStore('messages', { keyPath: 'id' });
        messages.createIndex('by-group-order', ['groupId', 'order']);
        messages.createIndex('by-group-sent', ['groupId', 'frame.sentAt']);
        d.createObjectStore('cursors', { keyPath: 'groupId' });
        d.createObjectStore('blobs', { keyPath: 'hash' });
        d.createObjectStore('blobChunks', { keyPath: ['hash', 'index'] });
      };
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
    const tx = db.transaction(['groups', 'messages', 'cursors', 'blobs'], 'readwrite');
    const pad = (n: number): string => String(n).padStart(6, '0');
    const put = (groupId: string, sender: string, seq: number, order: string, sentAt: number) =>
      tx.objectStore('messages').put({
        id: `${groupId}/${sender}:${seq}`,
        groupId,
        order,
        senderName: sender,
        deliveredAt: sentAt,
        frame: {
          t: 'data',
          groupId,
          viewId: 1,
          sender,
          seq,
          lamport: 1,
          sentAt,
          body: `${groupId} ${sender} ${seq}`,
          sig: 's',
        },
      });
    for (let i = 1; i <= 1_203; i++) {
      const sender = i % 2 === 0 ? 'bob' : 'alice';
      // Messages 496-502 share one order key: the upgrade reads 500 at a time.
      put('big', sender, Math.ceil(i / 2), i >= 496 && i <= 502 ? pad(496) : pad(i), 10_000 + i);
    }
    for (let i = 1; i <= 3; i++) put('small', 'cy', i, pad(i), 5_000 - i);
    tx.objectStore('messages').put({ id: 'small/cy:9', groupId: 'small', order: pad(9), senderName: 'cy' });
    tx.objectStore('groups').put({ groupId: 'big', name: 'big', ordering: 'total', state: null });
    tx.objectStore('cursors').put({ groupId: 'big', order: pad(1_203) });
    tx.objectStore('cursors').put({ groupId: 'small', order: pad(9) });
    tx.objectStore('blobs').put({ hash: 'h', root: 'r', size: 1, chunkSize: 10240, complete: true });
    await new Promise<void>((resolve, reject) => {
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
    });
    db.close();
  }, name);
}

test.beforeEach(async ({ page }) => {
  await page.goto('/store-check.html');
  await expect(page.getByRole('heading', { name: 'Chorus store check' })).toBeVisible();
});

test('a version 3 database moves to batches: every message kept and read as before, an unreadable record kept and reported', async ({
  page,
}) => {
  await createVersion3(page, 'v3');
  const after = await page.evaluate(async () => {
    const store = window.chorusStoreCheck.open('v3');
    const db = await store.open();
    const all: string[] = [];
    for (let after: string | null = null; ;) {
      const page = await store.page('big' as never, { after, limit: 200 });
      all.push(...page.items.map((m) => m.id));
      if (page.next === null) break;
      after = page.next;
    }
    const result = {
      version: db.version,
      count: await store.count('big' as never),
      ids: all,
      latest: (await store.latest('big' as never, 3)).map((m) => m.frame.body),
      before: (await store.before('big' as never, '000497', 2)).map((m) => m.frame.body),
      since: (await store.since('big' as never, 11_201, 10)).map((m) => m.frame.body),
      small: (await store.since('small' as never, 0, 10)).map((m) => m.frame.body),
      cursors: [await store.cursor('big' as never), await store.cursor('small' as never)],
      group: (await store.getGroup('big' as never))?.ordering,
      blob: (await store.blobs().getBlob('h'))?.complete,
      legacy: (await db.getAll('messages')).map((m) => m.id),
      problems: window.chorusStoreCheck.problems().map((p) => `${p.kind}: ${p.message}`),
    };
    await store.close();
    return result;
  });
  expect(after.version).toBe(4);
  expect(after.count).toBe(1_203);
  // Every message once, in (order key, id) order as schema 3's index gave them: the tie at 000496 by id.
  const expected = Array.from({ length: 1_203 }, (_, k) => {
    const i = k + 1;
    return { i, id: `big/${i % 2 === 0 ? 'bob' : 'alice'}:${Math.ceil(i / 2)}`, order: i >= 496 && i <= 502 ? 496 : i };
  })
    .sort((a, b) => a.order - b.order || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((m) => m.id);
  expect(after.ids).toEqual(expected);
  expect(after.latest).toEqual(['big alice 601', 'big bob 601', 'big alice 602']);
  // Below order key 000497: the tie at 000496 (seven messages), whose newest two by id are Bob's.
  expect(after.before).toEqual(['big bob 250', 'big bob 251']);
  expect(after.since).toEqual(['big alice 601', 'big bob 601', 'big alice 602']);
  expect(after.small).toEqual(['small cy 3', 'small cy 2', 'small cy 1']);
  expect(after.cursors).toEqual(['001203', '000009']);
  expect(after.group).toBe('total');
  expect(after.blob).toBe(true);
  // The record that is no message is kept where it was, out of the reads, and said.
  expect(after.legacy).toEqual(['small/cy:9']);
  expect(after.problems).toEqual([
    expect.stringMatching(
      /^unreadable: .*1 message record\(s\) from an older version could not be read .*small\/cy:9: no frame/,
    ),
  ]);

  // After the upgrade: a stored id is kept as it was (first copy wins), a total-order history moves it to the
  // group's key, a new one is written; also after a reload (a new connection).
  const written = await page.evaluate(async () => {
    const store = window.chorusStoreCheck.open('v3');
    const msg = (seq: number, order: string, body: string) => ({
      id: `big/alice:${seq}` as never,
      groupId: 'big' as never,
      order,
      senderName: 'alice',
      deliveredAt: 1,
      frame: {
        t: 'data' as const,
        groupId: 'big' as never,
        viewId: 1 as never,
        sender: 'alice' as never,
        seq,
        lamport: 1,
        sentAt: 1,
        body,
        sig: 's',
      },
    });
    await store.putMessages('big' as never, [msg(1, '000001', 'tampered'), msg(700, '009999', 'new')]);
    await store.putHistory('big' as never, [msg(2, '009000', 'tampered too')]);
    await store.close();
    return null;
  });
  expect(written).toBeNull();
  await page.reload();
  const reread = await page.evaluate(async () => {
    const store = window.chorusStoreCheck.open('v3');
    const result = {
      first: (await store.page('big' as never, { limit: 1 })).items.map((m) => m.frame.body),
      newest: (await store.latest('big' as never, 2)).map((m) => `${m.order} ${m.frame.body}`),
      count: await store.count('big' as never),
    };
    await store.close();
    return result;
  });
  expect(reread).toEqual({
    first: ['big alice 1'],
    newest: ['009000 big alice 2', '009999 new'],
    count: 1_204,
  });
});
