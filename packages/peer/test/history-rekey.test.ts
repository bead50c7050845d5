// Issue 16 (simulator seeds 1130448, 1180150): a total-order message a
// member delivered at a key only it computed (non-uniform, PROTOCOL.md §3.10)
// and then crashed with lives on in its store. The next session over that
// store must not count it as held, and the group's key from its sponsor's
// history must replace the stored one (PROTOCOL.md §4), through the real
// writer and store; a write without the group's keys (FIFO) never moves a stored key.
import { describe, expect, it } from 'vitest';
import { asGroupId, asPeerId, asViewId, messageId, type GroupId } from '@chorus/protocol';
import { MemoryStore } from '../src/memory-store.ts';
import { DeliveryWriter } from '../src/session/delivery-writer.ts';
import { readHeldVector } from '../src/session/history-pages.ts';
import type { GroupRecord, StoredMessage } from '../src/storage.ts';

const g = asGroupId('g');
const alice = asPeerId('alice');

function msg(groupId: GroupId, seq: number, order: string): StoredMessage {
  return {
    id: messageId(groupId, alice, seq),
    groupId,
    senderName: 'Alice',
    deliveredAt: seq,
    order,
    frame: {
      t: 'data',
      groupId,
      viewId: asViewId(3),
      sender: alice,
      seq,
      lamport: seq,
      sentAt: seq,
      body: `m${seq}`,
      sig: 'x',
    },
  };
}

const key = (n: number, by: string): string => `0000000000000001:${String(n).padStart(16, '0')}:${by}`;
const record = (ordering: 'fifo' | 'total', tentative?: Record<string, number>): GroupRecord => ({
  groupId: g,
  name: 'g',
  ordering,
  state: { viewId: asViewId(3), incarnation: asViewId(1), agreed: 3, nextSeq: { alice: 4 } },
  ...(tentative === undefined ? {} : { tentative }),
});

describe('a non-uniform delivery in the store', () => {
  it("is not counted as held in a total-order group, and the sponsor's key replaces it", async () => {
    const store = new MemoryStore();
    // The crashed session delivered alice:1..3, the third at the FINAL only it computed.
    await store.putMessages(g, [msg(g, 1, key(1, 'bob')), msg(g, 2, key(2, 'bob')), msg(g, 3, key(3, 'bob'))]);
    await store.putGroup(record('total', { alice: 3 }));
    // The next session asks from seq 3 of alice: the sponsor hands it again.
    expect(await readHeldVector(store, g)).toEqual({ alice: 3 });
    // A FIFO group's keys are a display order: held as stored.
    await store.putGroup(record('fifo', { alice: 3 }));
    expect(await readHeldVector(store, g)).toEqual({ alice: 4 });
    // Everything stable (no tentative seqs): held up to the saved state's next seq.
    await store.putGroup(record('total'));
    expect(await readHeldVector(store, g)).toEqual({ alice: 4 });

    const writer = new DeliveryWriter(g, store, (e) => {
      throw e;
    });
    // A write without the group's keys (a FIFO group's) of the same id at another key does not move it ...
    writer.add([msg(g, 3, key(5, 'carol'))]);
    await writer.flush();
    expect((await store.page(g, { limit: 10 })).items.map((m) => m.order)).toEqual([
      key(1, 'bob'),
      key(2, 'bob'),
      key(3, 'bob'),
    ]);
    // ... a total-order group's (history or a live delivery) does, and the message is stored once.
    writer.add([msg(g, 3, key(4103, 'carol')), msg(g, 4, key(4104, 'carol'))], true);
    await writer.close();
    const items = (await store.page(g, { limit: 10 })).items;
    expect(items.map((m) => `${m.frame.seq}@${m.order}`)).toEqual([
      `1@${key(1, 'bob')}`,
      `2@${key(2, 'bob')}`,
      `3@${key(4103, 'carol')}`,
      `4@${key(4104, 'carol')}`,
    ]);
    expect(await store.count(g)).toBe(4);
    expect((await store.page(g, { after: key(3, 'bob'), limit: 10 })).items.map((m) => m.frame.seq)).toEqual([3, 4]);
  });
});

describe('a floor in the group record (PROTOCOL.md §4)', () => {
  it('counts the seqs at or below it the store lacks as held: no sponsor hands them, and the run goes on above', async () => {
    const store = new MemoryStore();
    // alice's seq 1 was passed over by her resume floor: the store holds 2 and 3 only.
    await store.putMessages(g, [msg(g, 2, '02'), msg(g, 3, '03')]);
    await store.putGroup(record('fifo'));
    expect(await readHeldVector(store, g)).toEqual({});
    await store.putGroup({ ...record('fifo'), floors: { alice: 1 } });
    expect(await readHeldVector(store, g)).toEqual({ alice: 4 });
    // In a total-order group the saved state's next seq and the tentative seqs still bound it.
    await store.putGroup({ ...record('total', { alice: 3 }), floors: { alice: 1 } });
    expect(await readHeldVector(store, g)).toEqual({ alice: 3 });
  });
});
