// packages/peer's MessageStore model test (fast-check commands: many groups
// with the same senders and seqs, duplicate copies, refused foreign records,
// reopens, pages by order and reads by time) against the SQLite store, the
// same commands the memory store and IndexedDB answer.
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { errorCode, errorMessage } from '@chorus/peer';
import {
  runStoreModel,
  storeCommands,
  type StoreUnderTest,
} from '../../../packages/peer/test/store-model/store-model.ts';
import { SqliteStore } from '../src/sqlite-store.ts';
import { tempHome } from './fixtures.ts';

function sqliteUnderTest(): StoreUnderTest {
  const file = join(tempHome(), 'model.sqlite');
  let store = new SqliteStore(file);
  return {
    put: async (groupId, items, history) => {
      try {
        await (history === true ? store.putHistory(groupId, items) : store.putMessages(groupId, items));
        return 'ok';
      } catch (e) {
        return { refused: `${errorCode(e)}: ${errorMessage(e)}` };
      }
    },
    page: (groupId, after, limit) => store.page(groupId, { after, limit }),
    since: (groupId, since, limit) => store.since(groupId, since, limit),
    cursor: (groupId) => store.cursor(groupId),
    count: (groupId) => store.count(groupId),
    reopen: async () => {
      await store.close();
      store = new SqliteStore(file);
    },
  };
}

describe('SqliteStore against the model', () => {
  it('many groups with the same senders and seqs, duplicates, refused foreign records, reopens, pages and times', async () => {
    await fc.assert(
      fc.asyncProperty(storeCommands(60), (cmds) => runStoreModel(cmds, sqliteUnderTest())),
      { numRuns: 40 },
    );
  });
});
