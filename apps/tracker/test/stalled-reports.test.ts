// `stalled` link reports through the real tracker (Socket.IO): a member's agreement input is overdue on an open
// channel (PROTOCOL.md §2 Links "Stalled"). More than half of the view's other members (at least two) evict the
// member so reported; one member's report never does.

import { describe, expect, it } from 'vitest';
import type { RemovedNotice, View } from '@chorus/protocol';
import { aliceBobMallory, call, startTestTracker, unwrap } from './helpers.ts';
import type { TestClient } from './helpers.ts';

const stalled = (c: TestClient, groupId: string, peer: TestClient) =>
  call(c.socket, 'link:report', { groupId, peer: peer.peerId, state: 'stalled' });
const members = async (c: TestClient, groupId: string): Promise<string[]> =>
  unwrap(await call<View>(c.socket, 'group:view', { groupId })).members.map((m) => m.peerId);

describe('stalled link reports', () => {
  it('evict the member the rest of the view reports stalled', async () => {
    const t = await startTestTracker({ linkGraceMs: 300 });
    const { a, b, m, groupId } = await aliceBobMallory(t.url, 'stalled');
    unwrap(await stalled(a, groupId, m));
    unwrap(await stalled(b, groupId, m));
    const removed = await m.events.next<RemovedNotice>('group:removed', (r) => r.groupId === groupId, 5_000);
    expect(removed.reason).toBe('evicted');
    expect((await members(a, groupId)).sort()).toEqual([a.peerId, b.peerId].sort());
    for (const x of [a, b, m]) x.close();
    await t.close();
  });

  it("never evict on one member's word: a lone claim stands, rate-limits its reporter and evicts nobody", async () => {
    const t = await startTestTracker({ linkGraceMs: 100 });
    const { a, b, m, groupId } = await aliceBobMallory(t.url, 'stalled-liar');
    // Mallory calls Alice stalled; Bob, who hears Alice, says nothing. A second claim is refused meanwhile.
    unwrap(await stalled(m, groupId, a));
    expect(await stalled(m, groupId, b)).toMatchObject({ ok: false, error: { code: 'rate-limited' } });
    // Eight grace times later the claim still stands (it is judged every grace time) and nobody went.
    await new Promise((r) => setTimeout(r, 800));
    unwrap(await stalled(m, groupId, a));
    expect((await members(a, groupId)).sort()).toEqual([a.peerId, b.peerId, m.peerId].sort());
    for (const x of [a, b, m]) expect(x.events.all('group:removed')).toEqual([]);
    // Bob agrees (Alice now owes him too): two of the two others evict her.
    unwrap(await stalled(b, groupId, a));
    const removed = await a.events.next<RemovedNotice>('group:removed', (r) => r.groupId === groupId, 5_000);
    expect(removed.reason).toBe('evicted');
    for (const x of [a, b, m]) x.close();
    await t.close();
  });

  it('are refused with a clear code when the state is not one of the four', async () => {
    const t = await startTestTracker();
    const { a, b, m, groupId } = await aliceBobMallory(t.url, 'stalled-parse');
    const r = await call(a.socket, 'link:report', { groupId, peer: m.peerId, state: 'mute' });
    expect(r).toMatchObject({ ok: false, error: { code: 'bad-type' } });
    for (const x of [a, b, m]) x.close();
    await t.close();
  });
});
