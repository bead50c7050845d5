// Direct messages (issue 14): a group of two keys, id from the keys, never
// listed anywhere, refused to any third key (PROTOCOL.md §2 Direct messages).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dmGroupId } from '@chorus/protocol';
import type { DirectoryDelta, DirectoryPage, GroupCharter, GroupSummary, JoinReply } from '@chorus/protocol';
import type { RunningTracker } from '../src/index.ts';
import { admit, call, connectClient, startTestTracker, unwrap } from './helpers.ts';

let tracker: RunningTracker;
beforeAll(async () => {
  tracker = await startTestTracker();
});
afterAll(() => tracker.close());

const mentions = (x: unknown, id: string): boolean => JSON.stringify(x).includes(id);

describe('direct messages', () => {
  it('opens one group for two keys, tells the other key, lets only those two in and lists it nowhere', async () => {
    const carol = await connectClient(tracker.url, 'Carol');
    const alice = await connectClient(tracker.url, 'Alice');
    const bob = await connectClient(tracker.url, 'Bob');
    const bob2 = await connectClient(tracker.url, 'Bob', undefined, bob.key);

    const dm = unwrap(await call<GroupSummary>(alice.socket, 'dm:open', { publicKey: bob.key.publicKey, name: 'Bob' }));
    expect(dm.groupId).toBe(await dmGroupId(bob.key.publicKey, alice.key.publicKey));
    expect(dm).toMatchObject({ ordering: 'fifo', locked: false });
    expect(dm.dm?.map((p) => p.name).sort()).toEqual(['Alice', 'Bob']);
    // Named after the other person, as each of the two sees it.
    expect(dm.name).toBe('Bob');
    // Every session of Bob's key hears of it; Carol does not.
    for (const b of [bob, bob2]) {
      expect(await b.events.next<GroupSummary>('dm:opened', (g) => g.groupId === dm.groupId)).toMatchObject({
        name: 'Alice',
        dm: dm.dm,
      });
    }
    // Bob opening it from his side finds the same group.
    expect(
      unwrap(await call<GroupSummary>(bob.socket, 'dm:open', { publicKey: alice.key.publicKey, name: 'Alice' }))
        .groupId,
    ).toBe(dm.groupId);

    const joined = unwrap(await call<JoinReply>(alice.socket, 'group:join', { groupId: dm.groupId }));
    expect(joined.charter?.dm).toEqual(dm.dm);
    expect(joined.group.name).toBe('Bob');
    unwrap(await call(bob.socket, 'group:join', { groupId: dm.groupId }));
    expect((await admit(bob, [alice], dm.groupId)).members.map((m) => m.name).sort()).toEqual(['Alice', 'Bob']);

    // A third key: refused with a sentence, told nothing about who is inside.
    const refused = await call(carol.socket, 'group:join', { groupId: dm.groupId });
    expect(refused).toMatchObject({ ok: false, error: { code: 'not-allowed' } });
    if (!refused.ok) expect(refused.error.message).toMatch(/direct message between two other people/);
    expect(await call(carol.socket, 'group:members', { groupId: dm.groupId })).toMatchObject({
      ok: false,
      error: { code: 'not-member' },
    });
    const restore = await call(carol.socket, 'group:restore', {
      groupId: dm.groupId,
      charter: joined.charter,
      viewId: 5,
    });
    expect(restore).toMatchObject({ ok: false, error: { code: 'not-allowed' } });

    // Not in the directory: pages, search, a fresh hello, deltas, /api/stats, /metrics.
    const page = unwrap(await call<DirectoryPage>(carol.socket, 'directory:list', {}));
    expect(mentions(page, dm.groupId)).toBe(false);
    for (const query of [dm.groupId.toLowerCase(), 'direct', 'alice']) {
      expect(unwrap(await call<DirectoryPage>(carol.socket, 'directory:list', { query })).total).toBe(0);
    }
    const dave = await connectClient(tracker.url, 'Dave');
    expect(mentions(dave.hello, dm.groupId)).toBe(false);
    // A listed group created after the DM's view changes: once its delta arrives, the DM's pushes would have too.
    const later = unwrap(
      await call<GroupSummary>(alice.socket, 'group:create', { name: 'After the DM', ordering: 'fifo' }),
    );
    await carol.events.next<DirectoryDelta>('directory:delta', (d) =>
      d.upserted.some((g) => g.groupId === later.groupId),
    );
    expect(mentions(carol.events.all('directory:delta'), dm.groupId)).toBe(false);
    expect(mentions(carol.events.all('dm:opened'), dm.groupId)).toBe(false);
    unwrap(
      await call(alice.socket, 'metrics:report', {
        groupId: dm.groupId,
        sent: 3,
        received: 2,
        total: 5,
        throughputPerSec: 1,
        latencyP50Ms: 4,
        latencyP99Ms: 9,
        rejectedFrames: 0,
      }),
    );
    for (const path of ['/api/stats', '/metrics']) {
      const text = await (await fetch(`${tracker.url}${path}`)).text();
      expect(text).not.toContain(dm.groupId);
    }

    // Bob's next tab finds it in its hello; Carol's does not.
    const bob3 = await connectClient(tracker.url, 'Bob', undefined, bob.key);
    expect(bob3.hello.dms?.map((g) => g.groupId)).toContain(dm.groupId);
    const carol2 = await connectClient(tracker.url, 'Carol', undefined, carol.key);
    expect(carol2.hello.dms).toEqual([]);
    for (const c of [carol, carol2, alice, bob, bob2, bob3, dave]) c.close();
  });

  it('refuses a DM with yourself and bad payloads, with a code and a sentence', async () => {
    const a = await connectClient(tracker.url, 'Solo');
    expect(await call(a.socket, 'dm:open', { publicKey: a.key.publicKey, name: 'Solo' })).toMatchObject({
      ok: false,
      error: { code: 'bad-state' },
    });
    expect(await call(a.socket, 'dm:open', { publicKey: 'short', name: 'X' })).toMatchObject({
      ok: false,
      error: { code: 'bad-type' },
    });
    expect(await call(a.socket, 'dm:open', { name: 'X' })).toMatchObject({
      ok: false,
      error: { code: 'missing-field' },
    });
    a.close();
  });

  it('is restored by one of its two keys after the tracker forgot it, never with other parties', async () => {
    const alice = await connectClient(tracker.url, 'Alice');
    const bob = await connectClient(tracker.url, 'Bob');
    const dm = unwrap(await call<GroupSummary>(alice.socket, 'dm:open', { publicKey: bob.key.publicKey, name: 'Bob' }));
    const charter = unwrap(await call<JoinReply>(alice.socket, 'group:join', { groupId: dm.groupId }))
      .charter as GroupCharter;
    alice.close();
    bob.close();

    const fresh = await startTestTracker();
    try {
      const a = await connectClient(fresh.url, 'Alice', undefined, alice.key);
      const c = await connectClient(fresh.url, 'Carol');
      // Carol swaps Bob's key for hers: the id no longer matches.
      const swapped = {
        ...charter,
        dm: charter.dm
          ?.map((p) => (p.publicKey === bob.key.publicKey ? { publicKey: c.key.publicKey, name: 'Carol' } : p))
          .sort((x, y) => (x.publicKey < y.publicKey ? -1 : 1)),
      };
      expect(await call(c.socket, 'group:restore', { groupId: dm.groupId, charter: swapped, viewId: 3 })).toMatchObject(
        { ok: false, error: { code: 'bad-proof' } },
      );
      const restored = unwrap(
        await call<GroupSummary>(a.socket, 'group:restore', { groupId: dm.groupId, charter, viewId: 3 }),
      );
      expect(restored.dm).toEqual(dm.dm);
      expect(unwrap(await call<DirectoryPage>(c.socket, 'directory:list', {})).groups).toEqual([]);
      a.close();
      c.close();
    } finally {
      await fresh.close();
    }
  });
});
