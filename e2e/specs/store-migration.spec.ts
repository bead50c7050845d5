// Upgrading a browser's database from schema version 1 (messages keyed
// `sender:seq`) to version 2 (keyed `group/sender:seq`) in real Chromium
// IndexedDB: the old database is built here with the raw API, exactly as
// version 1 of IdbStore laid it out, then the real IdbStore opens it.

import { expect, test, type Page } from '@playwright/test';
// For the type of window.chorusStoreCheck (erased at run time).
import type {} from '../../apps/web/src/store-check.ts';

interface OldMessage {
  readonly id: string;
  readonly groupId: string;
  readonly sender: string;
  readonly seq: number;
  readonly order: string;
  readonly body: string;
}

/**
 * What a version 1 database can hold after Alice posted 3 in "cats", then
 * Alice and Bob talked in "dogs": Alice's first 3 in "dogs" were dropped as
 * duplicates of her "cats" messages. One record already has a version 2 id
 * (a build that wrote new ids into a version 1 database), and one message is
 * there under both spellings.
 */
const OLD: readonly OldMessage[] = [
  { id: 'alice:1', groupId: 'cats', sender: 'alice', seq: 1, order: '01:alice', body: 'cats 1' },
  { id: 'alice:2', groupId: 'cats', sender: 'alice', seq: 2, order: '02:alice', body: 'cats 2' },
  { id: 'alice:3', groupId: 'cats', sender: 'alice', seq: 3, order: '03:alice', body: 'cats 3' },
  { id: 'bob:1', groupId: 'dogs', sender: 'bob', seq: 1, order: '02:bob', body: 'dogs bob 1' },
  { id: 'bob:2', groupId: 'dogs', sender: 'bob', seq: 2, order: '04:bob', body: 'dogs bob 2' },
  { id: 'dogs/alice:4', groupId: 'dogs', sender: 'alice', seq: 4, order: '05:alice', body: 'dogs alice 4' },
  { id: 'dogs/bob:2', groupId: 'dogs', sender: 'bob', seq: 2, order: '04:bob', body: 'dogs bob 2 (new spelling)' },
];

/** Builds database `name` at version 1 of the schema, verbatim from idb-schema.ts at IDB_VERSION = 1, holding OLD. */
async function createVersion1(page: Page, name: string): Promise<void> {
  await page.evaluate(
    async ({ name, old }) => {
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const req = indexedDB.open(name, 1);
        req.onupgradeneeded = () => {
          const d = req.result;
          d.createObjectStore('identities', { keyPath: 'name' });
          d.createObjectStore('groups', { keyPath: 'groupId' });
          const messages = d.createObjectStore('messages', { keyPath: 'id' });
          messages.createIndex('by-group-order', ['groupId', 'order']);
          messages.createIndex('by-group-sent', ['groupId', 'frame.sentAt']);
          d.createObjectStore('cursors', { keyPath: 'groupId' });
        };
        req.onsuccess = () => resolve(req.result);
        req.onerror = () => reject(req.error);
      });
      const keyPair = (await crypto.subtle.generateKey({ name: 'Ed25519' }, false, [
        'sign',
        'verify',
      ])) as CryptoKeyPair;
      const tx = db.transaction(['identities', 'groups', 'messages', 'cursors'], 'readwrite');
      tx.objectStore('identities').put({ name: 'Bob', keyPair, createdAt: 1 });
      for (const g of ['cats', 'dogs']) {
        tx.objectStore('groups').put({ groupId: g, name: g, ordering: 'fifo', state: null });
      }
      tx.objectStore('cursors').put({ groupId: 'cats', order: '03:alice' });
      tx.objectStore('cursors').put({ groupId: 'dogs', order: '05:alice' });
      old.forEach((m, i) => {
        tx.objectStore('messages').put({
          id: m.id,
          groupId: m.groupId,
          order: m.order,
          senderName: m.sender,
          deliveredAt: 100 + i,
          frame: {
            t: 'data',
            groupId: m.groupId,
            viewId: 1,
            sender: m.sender,
            seq: m.seq,
            lamport: 1,
            sentAt: 1_000 + i,
            body: m.body,
            sig: 'sig',
          },
        });
      });
      await new Promise<void>((resolve, reject) => {
        tx.oncomplete = () => resolve();
        tx.onerror = () => reject(tx.error);
      });
      db.close();
    },
    { name, old: OLD },
  );
}

test.beforeEach(async ({ page }) => {
  await page.goto('/store-check.html');
  await expect(page.getByRole('heading', { name: 'Chorus store check' })).toBeVisible();
});

test('a version 1 database is upgraded in place: every message kept, keyed by its group', async ({ page }) => {
  await createVersion1(page, 'migrate');

  const after = await page.evaluate(async () => {
    const store = window.chorusStoreCheck.open('migrate');
    const db = await store.open();
    const ids = async (g: string) =>
      (await store.page(g as never, { limit: 100 })).items.map((m) => `${m.id} ${m.frame.body}`);
    const result = {
      version: db.version,
      cats: await ids('cats'),
      dogs: await ids('dogs'),
      since: (await store.since('dogs' as never, 0, 100)).map((m) => m.id),
      cursors: [await store.cursor('cats' as never), await store.cursor('dogs' as never)],
      lastOrders: [await store.lastOrder('cats' as never), await store.lastOrder('dogs' as never)],
      groups: [(await store.getGroup('cats' as never))?.name, (await store.getGroup('dogs' as never))?.name],
      identity: (await store.keys().get('Bob'))?.privateKey.extractable,
      keys: (await db.getAll('batches')).flatMap((b) => b.ids).sort(),
      legacy: db.objectStoreNames.contains('messages'),
    };
    await store.close();
    return result;
  });
  // Through every step to the current schema (3 adds the files' object stores, 4 moves messages to batches).
  expect(after.version).toBe(4);
  expect(after.legacy).toBe(false);
  expect(after.cats).toEqual(['cats/alice:1 cats 1', 'cats/alice:2 cats 2', 'cats/alice:3 cats 3']);
  // The copy already under the new id was the first one stored there: it is kept, the old spelling goes.
  expect(after.dogs).toEqual([
    'dogs/bob:1 dogs bob 1',
    'dogs/bob:2 dogs bob 2 (new spelling)',
    'dogs/alice:4 dogs alice 4',
  ]);
  expect(after.since).toEqual(['dogs/bob:1', 'dogs/alice:4', 'dogs/bob:2']); // by sentAt
  expect(after.keys).toEqual([
    'cats/alice:1',
    'cats/alice:2',
    'cats/alice:3',
    'dogs/alice:4',
    'dogs/bob:1',
    'dogs/bob:2',
  ]);
  // "dogs" shows a gap (Alice's seqs 1-3 are missing below her 4): its next history sync starts from the
  // beginning, to refill what version 1 dropped; "cats" has none and syncs on from where it was.
  expect(after.cursors).toEqual(['03:alice', null]);
  expect(after.lastOrders).toEqual(['03:alice', '05:alice']);
  expect(after.groups).toEqual(['cats', 'dogs']);
  expect(after.identity).toBe(false);

  // That sync hands over the whole history: the messages version 1 could not hold now fit beside
  // their namesakes of the other group, also after a reload (a new connection to the upgraded database).
  const cursors = await page.evaluate(async () => {
    const store = window.chorusStoreCheck.open('migrate');
    const dogs = (seq: number, order: string, body: string) => ({
      id: `dogs/alice:${seq}` as never,
      groupId: 'dogs' as never,
      order,
      senderName: 'alice',
      deliveredAt: 200 + seq,
      frame: {
        t: 'data' as const,
        groupId: 'dogs' as never,
        viewId: 1 as never,
        sender: 'alice' as never,
        seq,
        lamport: 1,
        sentAt: 2_000 + seq,
        body,
        sig: 'sig',
      },
    });
    // The first history page, up to below the old last key: the gap is not known to be filled yet.
    await store.putMessages(
      'dogs' as never,
      [1, 2, 3].map((seq) => dogs(seq, `0${seq}:alice~`, `dogs alice ${seq}`)),
    );
    const midway = await store.cursor('dogs' as never);
    // The last page reaches the old last key (a copy of a stored message): the sync may go on from there.
    await store.putMessages('dogs' as never, [dogs(4, '05:alice', 'dogs alice 4 (copy)')]);
    const done = await store.cursor('dogs' as never);
    await store.close();
    return { midway, done };
  });
  expect(cursors).toEqual({ midway: null, done: '05:alice' });
  await page.reload();
  const refilled = await page.evaluate(async () => {
    const store = window.chorusStoreCheck.open('migrate');
    const bodies = async (g: string) => (await store.page(g as never, { limit: 100 })).items.map((m) => m.frame.body);
    const result = { cats: await bodies('cats'), dogs: await bodies('dogs') };
    await store.close();
    return result;
  });
  expect(refilled.cats).toEqual(['cats 1', 'cats 2', 'cats 3']);
  expect(refilled.dogs).toEqual([
    'dogs alice 1',
    'dogs alice 2',
    'dogs bob 1',
    'dogs alice 3',
    'dogs bob 2 (new spelling)',
    'dogs alice 4',
  ]);
});

test('a write holding a message of another group is refused whole, and nothing stored is lost', async ({ page }) => {
  const r = await page.evaluate(async () => {
    const store = window.chorusStoreCheck.open('refuse');
    const mk = (g: string, seq: number, filedUnder = g) => ({
      id: `${filedUnder}/alice:${seq}` as never,
      groupId: filedUnder as never,
      order: `0${seq}`,
      senderName: 'alice',
      deliveredAt: seq,
      frame: {
        t: 'data' as const,
        groupId: g as never,
        viewId: 1 as never,
        sender: 'alice' as never,
        seq,
        lamport: 1,
        sentAt: seq,
        body: `${g} ${seq}`,
        sig: 'sig',
      },
    });
    await store.putMessages('cats' as never, [mk('cats', 1)]);
    const refusals: string[] = [];
    for (const bad of [mk('dogs', 1), mk('dogs', 1, 'cats')]) {
      try {
        await store.putMessages('cats' as never, [mk('cats', 2), bad]);
        refusals.push('accepted');
      } catch (e) {
        refusals.push((e as { code?: string }).code ?? 'no code');
      }
    }
    const result = {
      refusals,
      unsaved: store.unsaved,
      cats: (await store.page('cats' as never, { limit: 10 })).items.map((m) => m.frame.body),
      dogs: await store.count('dogs' as never),
    };
    await store.close();
    return result;
  });
  expect(r).toEqual({ refusals: ['wrong-group', 'wrong-group'], unsaved: 0, cats: ['cats 1'], dogs: 0 });
});

test('an upgrade that fails leaves the version 1 database as it was, and the next open upgrades it', async ({
  page,
}) => {
  await createVersion1(page, 'interrupted');
  const failed = await page.evaluate(async () => {
    // The disk fails in the middle of the rewrite: the third message put of the upgrade throws.
    const realPut = IDBObjectStore.prototype.put;
    let puts = 0;
    IDBObjectStore.prototype.put = function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['put']>) {
      if (this.name === 'messages' && ++puts === 3) throw new DOMException('Injected by the test.', 'UnknownError');
      return realPut.apply(this, args);
    };
    const store = window.chorusStoreCheck.open('interrupted');
    let opened = true;
    try {
      await store.open();
    } catch {
      opened = false;
    }
    IDBObjectStore.prototype.put = realPut;
    const raw = await new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open('interrupted');
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
    const keys = await new Promise<string[]>((resolve) => {
      const req = raw.transaction('messages').objectStore('messages').getAllKeys();
      req.onsuccess = () => resolve(req.result.map(String).sort());
    });
    const version = raw.version;
    raw.close();
    return { opened, version, keys, problems: window.chorusStoreCheck.problems().map((p) => p.kind) };
  });
  expect(failed).toEqual({
    opened: false,
    version: 1,
    keys: ['alice:1', 'alice:2', 'alice:3', 'bob:1', 'bob:2', 'dogs/alice:4', 'dogs/bob:2'],
    problems: ['unavailable'],
  });

  const retried = await page.evaluate(async () => {
    const store = window.chorusStoreCheck.open('interrupted');
    const bodies = async (g: string) => (await store.page(g as never, { limit: 100 })).items.map((m) => m.id);
    const db = await store.open();
    const result = { version: db.version, cats: await bodies('cats'), dogs: await bodies('dogs') };
    // Schema 3's object stores for files' blobs (PROTOCOL.md §10.4): a chunk written is read back, once.
    const blobs = store.blobs();
    await blobs.putBlob({ hash: 'h', root: 'r', size: 3, chunkSize: 10240, complete: true });
    await blobs.putChunk('h', 0, { bytes: new Uint8Array([1, 2, 3]), proof: [] });
    await blobs.putChunk('h', 0, { bytes: new Uint8Array([9, 9, 9]), proof: [] });
    await blobs.putBlob({ hash: 'h', root: 'r', size: 3, chunkSize: 10240, complete: false });
    Object.assign(result, {
      chunk: [...((await blobs.getChunk('h', 0))?.bytes ?? [])],
      indexes: await blobs.chunkIndexes('h'),
      complete: (await blobs.getBlob('h'))?.complete,
    });
    await store.close();
    return result;
  });
  expect(retried).toEqual({
    version: 4,
    cats: ['cats/alice:1', 'cats/alice:2', 'cats/alice:3'],
    dogs: ['dogs/bob:1', 'dogs/bob:2', 'dogs/alice:4'],
    chunk: [1, 2, 3],
    indexes: [0],
    complete: true,
  });
});
