// Two tabs of one browser share the store. A tab that delivered a total-order
// message at a key only it computed and crashed leaves that copy there; the
// live tab's delivery must move it to the key the live tab shows (the group's),
// or the live tab, sponsoring a joiner from its store, hands on another order
// than it shows (PROTOCOL.md §3.10; simulator seed 2302620).
import { afterEach, describe, expect, it } from 'vitest';
import type { ChatMessage } from '../src/index.ts';
import type { StoredMessage } from '../src/storage.ts';
import { waitFor } from './scenarios/network.ts';
import { memoryWorld, type MemoryWorld } from './scenarios/memory-network.ts';

let world: MemoryWorld | null = null;
afterEach(async () => {
  await world?.network.close();
  world = null;
});

/** A key below every key the group gives out: where a crashed tab placed the message alone. */
const CRASHED_TAB_KEY = '0000000000000001:0000000000000000:crashed-tab';

describe('a total-order delivery over a copy another tab stored', () => {
  it('moves the stored copy to the key the live session delivered it at', async () => {
    const w = memoryWorld(7);
    world = w;
    const ana = await w.network.addPeer('ana');
    const ben = await w.network.addPeer('ben');
    const g = await ana.peer.createGroup('tabs', 'total');
    await ana.peer.join(g.groupId);
    await ben.peer.join(g.groupId);
    await waitFor('ben a member', () => ben.peer.groups()[0]?.status === 'member');

    // Just before ana's session writes "raced", the other tab's copy lands in the shared store.
    const store = w.stores.get(ana.peerId)!;
    const crashedTab = store.putMessages.bind(store);
    let raced = false;
    const race = async (items: readonly StoredMessage[]): Promise<void> => {
      const item = items.find((m) => m.frame.body === 'raced');
      if (item !== undefined && !raced) {
        raced = true;
        await crashedTab(g.groupId, [{ ...item, order: CRASHED_TAB_KEY }]);
      }
    };
    const putMessages = store.putMessages.bind(store);
    const putHistory = store.putHistory.bind(store);
    store.putMessages = async (groupId, items) => {
      await race(items);
      return putMessages(groupId, items);
    };
    store.putHistory = async (groupId, items) => {
      await race(items);
      return putHistory(groupId, items);
    };
    const shown: ChatMessage[] = [];
    ana.peer.on('message', (m) => {
      if (m.body === 'raced' && m.state === 'delivered') shown.push(m);
    });

    await ben.peer.send(g.groupId, 'raced');
    await waitFor('ana delivers it', () => shown.length > 0);
    const delivered = shown[0]!.order;
    expect(delivered).not.toBe(CRASHED_TAB_KEY);
    await waitFor('ana stores it', () => raced);
    await waitFor(
      'the store holds it at the key ana delivered it at',
      async () => (await ana.peer.history(g.groupId)).find((m) => m.body === 'raced')?.order === delivered,
    );
    expect((await ana.peer.history(g.groupId)).filter((m) => m.body === 'raced')).toHaveLength(1);
  });
});
