// How many messages a tab's profile has made durable in IndexedDB, read with
// the raw API. Delivery writes are batched (about 50 ms), so a message can be
// on screen a moment before it is stored; a test that reloads a tab cut off
// from the network waits for this count, because then the page can only show
// what it stored (whatever else it missed comes back from members on rejoin).

import type { Page } from '@playwright/test';

export const storedMessageCount = (page: Page): Promise<number> =>
  page.evaluate(
    () =>
      new Promise<number>((resolve, reject) => {
        const open = indexedDB.open('chorus');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const db = open.result;
          if (!db.objectStoreNames.contains('batches')) {
            db.close();
            resolve(0);
            return;
          }
          // One `by-id` entry per message (schema 4 keeps a write's messages in one record).
          const count = db.transaction('batches').objectStore('batches').index('by-id').count();
          count.onsuccess = () => {
            db.close();
            resolve(count.result);
          };
          count.onerror = () => reject(count.error);
        };
      }),
  );
