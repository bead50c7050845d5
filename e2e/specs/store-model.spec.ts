// The MessageStore model test (packages/peer/test/store-model/store-model.ts)
// against the real IndexedDB store in Chromium, through the store-check page:
// fast-check runs here, every store call is a page.evaluate, and "reopen"
// closes the store and reloads the page. The memory store runs the same
// commands in packages/peer/test/store-model.test.ts.

import fc from 'fast-check';
import { expect, test, type Page } from '@playwright/test';
import type { GroupId } from '@chorus/protocol';
import type { HistoryPage, StoredMessage } from '../../packages/peer/src/storage.ts';
import { runStoreModel, storeCommands, type StoreUnderTest } from '../../packages/peer/test/store-model/store-model.ts';
// For the type of window.chorusStoreCheck (erased at run time).
import type {} from '../../apps/web/src/store-check.ts';

type IdbStoreHandle = ReturnType<Window['chorusStoreCheck']['open']>;

async function openStore(page: Page, db: string): Promise<void> {
  await page.evaluate((db) => {
    (window as unknown as { modelStore: unknown }).modelStore = window.chorusStoreCheck.open(db);
  }, db);
}

function browserUnderTest(page: Page, db: string): StoreUnderTest {
  return {
    put: (groupId, items, history) =>
      page.evaluate(
        async ({ groupId, items, history }) => {
          const store = (window as unknown as { modelStore: IdbStoreHandle }).modelStore;
          try {
            await (history === true ? store.putHistory(groupId, items) : store.putMessages(groupId, items));
            return 'ok' as const;
          } catch (e) {
            return {
              refused: `${(e as { code?: string }).code ?? 'no code'}: ${e instanceof Error ? e.message : String(e)}`,
            };
          }
        },
        { groupId, items, history },
      ),
    page: (groupId, after, limit): Promise<HistoryPage> =>
      page.evaluate(
        ({ groupId, after, limit }) =>
          (window as unknown as { modelStore: IdbStoreHandle }).modelStore.page(groupId, { after, limit }),
        { groupId, after, limit },
      ),
    since: (groupId, since, limit): Promise<readonly StoredMessage[]> =>
      page.evaluate(
        ({ groupId, since, limit }) =>
          (window as unknown as { modelStore: IdbStoreHandle }).modelStore.since(groupId, since, limit),
        { groupId, since, limit },
      ),
    cursor: (groupId: GroupId) =>
      page.evaluate(
        (groupId) => (window as unknown as { modelStore: IdbStoreHandle }).modelStore.cursor(groupId),
        groupId,
      ),
    lastOrder: (groupId: GroupId) =>
      page.evaluate(
        (groupId) => (window as unknown as { modelStore: IdbStoreHandle }).modelStore.lastOrder(groupId),
        groupId,
      ),
    count: (groupId: GroupId) =>
      page.evaluate(
        (groupId) => (window as unknown as { modelStore: IdbStoreHandle }).modelStore.count(groupId),
        groupId,
      ),
    reopen: async () => {
      await page.evaluate(() => (window as unknown as { modelStore: IdbStoreHandle }).modelStore.close());
      await page.reload();
      await expect(page.getByRole('heading', { name: 'Chorus store check' })).toBeVisible();
      await openStore(page, db);
    },
  };
}

test('IdbStore against the model: many groups with the same senders and seqs, duplicates, refused foreign records, reloads, pages and times', async ({
  page,
}) => {
  test.setTimeout(300_000);
  await page.goto('/store-check.html');
  await expect(page.getByRole('heading', { name: 'Chorus store check' })).toBeVisible();
  let run = 0;
  await fc.assert(
    fc.asyncProperty(storeCommands(40), async (cmds) => {
      const db = `model-${++run}`;
      await openStore(page, db);
      await runStoreModel(cmds, browserUnderTest(page, db));
      await page.evaluate(() => (window as unknown as { modelStore: IdbStoreHandle }).modelStore.close());
    }),
    { numRuns: 25, verbose: 1 },
  );
  // Nothing of the page's own problems list: no write failed on the way.
  await expect(page.getByRole('list', { name: 'Store problems' }).getByRole('listitem')).toHaveCount(0);
});
