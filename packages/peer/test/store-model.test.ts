// The MessageStore model test (test/store-model/store-model.ts) against the
// memory store; e2e/specs/store-model.spec.ts runs the same commands against
// the IndexedDB store in Chromium.
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { errorMessage, errorCode } from '../src/chorus-error.ts';
import { MemoryStore } from '../src/memory-store.ts';
import { runStoreModel, storeCommands, type StoreUnderTest } from './store-model/store-model.ts';

function memoryUnderTest(): StoreUnderTest {
  let store = new MemoryStore();
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
    lastOrder: (groupId) => store.lastOrder(groupId),
    count: (groupId) => store.count(groupId),
    reopen: async () => {
      const next = store.reopen();
      await store.close();
      store = next;
    },
  };
}

describe('MemoryStore against the model', () => {
  it('many groups with the same senders and seqs, duplicates, refused foreign records, reopens, pages and times', async () => {
    await fc.assert(
      fc.asyncProperty(storeCommands(60), (cmds) => runStoreModel(cmds, memoryUnderTest())),
      { numRuns: 300 },
    );
  });
});
