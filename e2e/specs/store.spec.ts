// The IndexedDB store in real Chromium, driven through the store-check page
// (apps/web/store-check.html exposes the real IdbStore). Each test uses its
// own database name so tests never see each other's data.

import { expect, test, type Page } from '@playwright/test';
// For the type of window.chorusStoreCheck (erased at run time).
import type {} from '../../apps/web/src/store-check.ts';

interface Msg {
  seq: number;
  groupId: string;
  order: string;
  body: string;
  sentAt: number;
  sender: string;
}

/** Seeds messages in the page through the real store (stored shape built in the browser), one write per group. */
async function put(page: Page, db: string, msgs: readonly Msg[]): Promise<void> {
  await page.evaluate(
    async ({ db, msgs }) => {
      const store = window.chorusStoreCheck.open(db);
      for (const groupId of new Set(msgs.map((m) => m.groupId))) {
        await store.putMessages(
          groupId as never,
          msgs
            .filter((m) => m.groupId === groupId)
            .map((m) => ({
              id: `${m.groupId}/${m.sender}:${m.seq}` as never,
              groupId: m.groupId as never,
              order: m.order,
              senderName: m.sender,
              deliveredAt: m.sentAt,
              frame: {
                t: 'data',
                groupId: m.groupId as never,
                viewId: 1 as never,
                sender: m.sender as never,
                seq: m.seq,
                lamport: 1,
                sentAt: m.sentAt,
                body: m.body,
                sig: 'sig',
              },
            })),
        );
      }
      await store.close();
    },
    { db, msgs },
  );
}

async function read(page: Page, db: string, groupId: string) {
  return page.evaluate(
    async ({ db, groupId }) => {
      const store = window.chorusStoreCheck.open(db);
      const first = await store.page(groupId as never, { limit: 2 });
      const rest = await store.page(groupId as never, { after: first.next, limit: 100 });
      const result = {
        all: (await store.page(groupId as never, { limit: 100 })).items.map((m) => m.frame.body),
        first: first.items.map((m) => m.frame.body),
        next: first.next,
        rest: rest.items.map((m) => m.frame.body),
        since: (await store.since(groupId as never, 2_000, 100)).map((m) => m.frame.body),
        latest: (await store.latest(groupId as never, 2)).map((m) => m.frame.body),
        before: (await store.before(groupId as never, '0003', 1)).map((m) => m.frame.body),
        beforeAll: (await store.before(groupId as never, '0003', 10)).map((m) => m.frame.body),
        beforeFirst: (await store.before(groupId as never, '0001', 10)).map((m) => m.frame.body),
        cursor: await store.cursor(groupId as never),
        count: await store.count(groupId as never),
      };
      await store.close();
      return result;
    },
    { db, groupId },
  );
}

const sample: Msg[] = [
  { seq: 1, groupId: 'g', order: '0003', body: 'third', sentAt: 1_000, sender: 'a' },
  { seq: 1, groupId: 'g', order: '0001', body: 'first', sentAt: 3_000, sender: 'b' },
  { seq: 2, groupId: 'g', order: '0002', body: 'second', sentAt: 2_000, sender: 'a' },
  { seq: 1, groupId: 'other', order: '0001', body: 'elsewhere', sentAt: 2_500, sender: 'c' },
];

test.beforeEach(async ({ page }) => {
  await page.goto('/store-check.html');
  await expect(page.getByRole('heading', { name: 'Chorus store check' })).toBeVisible();
});

test('pages by order key, queries since a time, and keeps the first copy of a message id', async ({ page }) => {
  await put(page, 'order', sample);
  // The same id again with another body (a second tab, or history overlapping a live delivery): no change.
  await put(page, 'order', [{ seq: 1, groupId: 'g', order: '0003', body: 'tampered', sentAt: 1_000, sender: 'a' }]);
  const r = await read(page, 'order', 'g');
  expect(r.all).toEqual(['first', 'second', 'third']);
  expect(r.first).toEqual(['first', 'second']);
  expect(r.next).toBe('0002');
  expect(r.rest).toEqual(['third']);
  expect(r.since).toEqual(['second', 'first']); // sentAt >= 2000, oldest first by sentAt
  expect(r.latest).toEqual(['second', 'third']);
  // The page before an order key (what a log reads as the person scrolls up): strictly below it, newest `limit`, oldest
  // first.
  expect(r.before).toEqual(['second']);
  expect(r.beforeAll).toEqual(['first', 'second']);
  expect(r.beforeFirst).toEqual([]);
  expect(r.cursor).toBe('0003');
  expect(r.count).toBe(3);
});

test('two tabs of one profile share the store and it survives a reload', async ({ page, context }) => {
  await put(page, 'shared', sample);
  const other = await context.newPage();
  await other.goto('/store-check.html');
  expect((await read(other, 'shared', 'g')).all).toEqual(['first', 'second', 'third']);
  await page.reload();
  expect((await read(page, 'shared', 'other')).all).toEqual(['elsewhere']);
});

test('a batch of writes from one frame lands in one go and every caller hears when it is durable', async ({ page }) => {
  const counts = await page.evaluate(async () => {
    const store = window.chorusStoreCheck.open('batch');
    const mk = (i: number) => ({
      id: `g/s:${i}` as never,
      groupId: 'g' as never,
      order: String(i).padStart(4, '0'),
      senderName: 's',
      deliveredAt: i,
      frame: {
        t: 'data' as const,
        groupId: 'g' as never,
        viewId: 1 as never,
        sender: 's' as never,
        seq: i,
        lamport: i,
        sentAt: i,
        body: `m${i}`,
        sig: 'x',
      },
    });
    // 100 separate calls in one tick, as a burst of deliveries would make them.
    const pending = Array.from({ length: 100 }, (_, i) => store.putMessages('g' as never, [mk(i + 1)]));
    const before = store.unsaved;
    await Promise.all(pending);
    const after = store.unsaved;
    const count = await store.count('g' as never);
    await store.close();
    return { before, after, count };
  });
  expect(counts).toEqual({ before: 100, after: 0, count: 100 });
});

test('a full disk shows a problem, keeps every accepted message and saves them once there is room', async ({
  page,
}) => {
  await put(page, 'quota', sample.slice(0, 1));
  // Chromium's in-memory (incognito) profiles ignore quota overrides, so the disk filling up is injected
  // where the browser reports it: IDBObjectStore.put throwing QuotaExceededError.
  const failed = await page.evaluate(async () => {
    const w = window as unknown as { quotaStore: ReturnType<typeof window.chorusStoreCheck.open>; diskFull: boolean };
    const realPut = IDBObjectStore.prototype.put;
    w.diskFull = true;
    IDBObjectStore.prototype.put = function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['put']>) {
      if (w.diskFull) throw new DOMException('The disk is full (injected by the test).', 'QuotaExceededError');
      return realPut.apply(this, args);
    };
    const store = window.chorusStoreCheck.open('quota');
    w.quotaStore = store;
    try {
      await store.putMessages('g' as never, [
        {
          id: 'g/late:1' as never,
          groupId: 'g' as never,
          order: '0009',
          senderName: 'late',
          deliveredAt: 1,
          frame: {
            t: 'data',
            groupId: 'g' as never,
            viewId: 1 as never,
            sender: 'late' as never,
            seq: 1,
            lamport: 1,
            sentAt: 9_000,
            body: 'kept',
            sig: 'x',
          },
        },
      ]);
      return { rejected: false, unsaved: store.unsaved };
    } catch {
      return { rejected: true, unsaved: store.unsaved };
    }
  });
  expect(failed).toEqual({ rejected: true, unsaved: 1 });
  await expect(
    page
      .getByRole('list', { name: 'Store problems' })
      .getByRole('listitem')
      .filter({ hasText: /^quota: .*no room/ }),
  ).toHaveCount(1);

  // Room again: the store retries by itself and the message is saved, nothing lost.
  await page.evaluate(() => {
    (window as unknown as { diskFull: boolean }).diskFull = false;
  });
  await expect.poll(() => page.evaluate(() => window.chorusStoreCheck.recovered())).toBe(1);
  const saved = await page.evaluate(async () => {
    const store = (window as unknown as { quotaStore: ReturnType<typeof window.chorusStoreCheck.open> }).quotaStore;
    const items = (await store.page('g' as never, { limit: 10 })).items.map((m) => m.frame.body);
    return { unsaved: store.unsaved, items };
  });
  expect(saved).toEqual({ unsaved: 0, items: ['third', 'kept'] });
});

test('another tab upgrading the schema is not blocked: this tab steps aside and says to reload', async ({
  page,
  context,
}) => {
  await put(page, 'upgrade', sample);
  await page.evaluate(() => {
    (window as unknown as { held: unknown }).held = window.chorusStoreCheck.open('upgrade').open();
  });
  const other = await context.newPage();
  await other.goto('/store-check.html');
  const upgraded = await other.evaluate(
    () =>
      new Promise<number>((resolve, reject) => {
        const req = indexedDB.open('upgrade', 99);
        req.onsuccess = () => {
          const v = req.result.version;
          req.result.close();
          resolve(v);
        };
        req.onerror = () => reject(req.error);
      }),
  );
  expect(upgraded).toBe(99);
  await expect(
    page
      .getByRole('list', { name: 'Store problems' })
      .getByRole('listitem')
      .filter({ hasText: /^version-change: .*Reload/ }),
  ).toHaveCount(1);
});

test('a key pair is stored non-extractable, shared by tabs, and the first writer of a name wins', async ({
  page,
  context,
}) => {
  const stored = await page.evaluate(async () => {
    const store = window.chorusStoreCheck.open('keys');
    const keys = store.keys();
    const gen = () =>
      crypto.subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify']) as Promise<CryptoKeyPair>;
    const first = await gen();
    await keys.put('alice', first);
    await keys.put('alice', await gen()); // a second tab racing on the same name
    const got = await keys.get('alice');
    const data = new TextEncoder().encode('hello');
    const sig = await crypto.subtle.sign('Ed25519', got!.privateKey, data);
    const verifiesWithFirst = await crypto.subtle.verify('Ed25519', first.publicKey, sig, data);
    await store.close();
    return { extractable: got!.privateKey.extractable, verifiesWithFirst, sig: Array.from(new Uint8Array(sig)) };
  });
  expect(stored.extractable).toBe(false);
  expect(stored.verifiesWithFirst).toBe(true);

  const other = await context.newPage();
  await other.goto('/store-check.html');
  const sameUser = await other.evaluate(async (sig) => {
    const store = window.chorusStoreCheck.open('keys');
    const pair = await store.keys().get('alice');
    const ok = await crypto.subtle.verify(
      'Ed25519',
      pair!.publicKey,
      new Uint8Array(sig),
      new TextEncoder().encode('hello'),
    );
    const nobody = await store.keys().get('bob');
    await store.close();
    return { ok, nobody };
  }, stored.sig);
  expect(sameUser).toEqual({ ok: true, nobody: null });
});
