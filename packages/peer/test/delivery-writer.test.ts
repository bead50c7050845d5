// The writer serves one group: a delivery of another group is reported and
// never queued, so it cannot wedge the retry queue of the group's own messages.
import { describe, expect, it, vi } from 'vitest';
import { asGroupId, asPeerId, asViewId, messageId, type GroupId } from '@chorus/protocol';
import { MemoryStore } from '../src/memory-store.ts';
import { DeliveryWriter } from '../src/session/delivery-writer.ts';
import type { StoredMessage } from '../src/storage.ts';

const cats = asGroupId('cats');
const dogs = asGroupId('dogs');

function msg(groupId: GroupId, seq: number): StoredMessage {
  const s = asPeerId('alice');
  return {
    id: messageId(groupId, s, seq),
    groupId,
    senderName: 'Alice',
    deliveredAt: seq,
    order: String(seq).padStart(4, '0'),
    frame: {
      t: 'data',
      groupId,
      viewId: asViewId(1),
      sender: s,
      seq,
      lamport: seq,
      sentAt: seq,
      body: `${groupId} ${seq}`,
      sig: 'x',
    },
  };
}

describe('DeliveryWriter', () => {
  it('saves its own group and reports, without queuing, a message of another group', async () => {
    const store = new MemoryStore();
    const errors: string[] = [];
    const writer = new DeliveryWriter(cats, store, (e) => errors.push((e as { code: string }).code));
    writer.add([msg(cats, 1), msg(dogs, 1), msg(cats, 2)]);
    await writer.flush();
    expect((await store.page(cats, { limit: 10 })).items.map((m) => m.frame.body)).toEqual(['cats 1', 'cats 2']);
    expect(await store.count(dogs)).toBe(0);
    expect(errors).toEqual(['wrong-group']);
    writer.add([msg(cats, 3)]);
    await writer.close();
    expect(await store.count(cats)).toBe(3);
  });

  it('writes a history page at once, and live deliveries after the batching delay', async () => {
    vi.useFakeTimers();
    try {
      const store = new MemoryStore();
      const writer = new DeliveryWriter(cats, store, () => {});
      writer.add([msg(cats, 1)]);
      await vi.advanceTimersByTimeAsync(0);
      expect(await store.count(cats)).toBe(0);
      writer.add([msg(cats, 2), msg(cats, 3)], false, true);
      await vi.advanceTimersByTimeAsync(0);
      // The page went out at once, with what was queued before it.
      expect(await store.count(cats)).toBe(3);
      await writer.close();
    } finally {
      vi.useRealTimers();
    }
  });
});
