// group:accuse (PROTOCOL.md §3.3 "Signed FINALs", issue 12): a member hands
// the tracker two FINALs another member signed for one message with different
// priorities; the tracker checks both with the key the accused proved at hello
// and evicts it at once. A pair that does not contradict itself, or that the
// accused did not sign, evicts nobody.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalFinalText } from '@chorus/protocol';
import type { FinalFields, FinalItem, RemovedNotice, View } from '@chorus/protocol';
import type { RunningTracker } from '../src/index.ts';
import { aliceBobMallory, call, startTestTracker, unwrap } from './helpers.ts';
import type { Key } from './helpers.ts';

let tracker: RunningTracker;
beforeAll(async () => {
  tracker = await startTestTracker();
});
afterAll(() => tracker.close());

const SIG = `${'A'.repeat(85)}Q==`;

async function signedFinal(key: Key, fields: FinalFields): Promise<FinalFields & { t: 'final'; sig: string }> {
  return { t: 'final', ...fields, sig: await key.sign(canonicalFinalText(fields)) };
}

describe('group:accuse', () => {
  it('evicts a member on two FINALs it signed for one message, and nobody on a pair that proves nothing', async () => {
    const { a, b, m, groupId, view } = await aliceBobMallory(tracker.url, 'accuse');
    const fields: FinalFields = {
      groupId,
      viewId: view.viewId,
      sender: m.peerId,
      seq: 1,
      priority: { p: 4, by: a.peerId },
      version: SIG,
    };
    const one = await signedFinal(m.key, fields);
    const two = await signedFinal(m.key, { ...fields, priority: { p: 5, by: a.peerId } });

    // The same FINAL twice proves nothing; a pair Bob signed is not Mallory's.
    const same = await call(a.socket, 'group:accuse', {
      groupId,
      accused: m.peerId,
      proof: { final: one, other: one },
    });
    expect(same).toMatchObject({ ok: false, error: { code: 'bad-state' } });
    const forged = await signedFinal(b.key, { ...fields, priority: { p: 5, by: a.peerId } });
    const wrongKey = await call(a.socket, 'group:accuse', {
      groupId,
      accused: m.peerId,
      proof: { final: one, other: forged },
    });
    expect(wrongKey).toMatchObject({ ok: false, error: { code: 'bad-signature' } });
    expect(unwrap(await call<View>(a.socket, 'group:view', { groupId })).viewId).toBe(view.viewId);

    unwrap(await call(a.socket, 'group:accuse', { groupId, accused: m.peerId, proof: { final: one, other: two } }));
    const removed = await m.events.next<RemovedNotice>('group:removed', (r) => r.groupId === groupId);
    expect(removed.reason).toBe('evicted');
    const after = await b.events.next<View>('group:view', (v) => v.groupId === groupId && v.viewId > view.viewId);
    expect(after.members.map((x) => x.peerId).sort()).toEqual([a.peerId, b.peerId].sort());
    expect(after.changes).toEqual([{ peerId: m.peerId, change: 'evicted' }]);
    // A second accuser of the same pair finds Mallory gone already.
    const late = await call(b.socket, 'group:accuse', {
      groupId,
      accused: m.peerId,
      proof: { final: one, other: two },
    });
    expect(late).toMatchObject({ ok: false, error: { code: 'not-member' } });
    for (const c of [a, b, m]) c.close();
  });

  it('evicts on two cumulative FINALs (PROTOCOL.md §1.2c): each signed once over its list, the proof names the entry', async () => {
    const { a, b, m, groupId, view } = await aliceBobMallory(tracker.url, 'accuse');
    const base = { groupId, viewId: view.viewId, sender: m.peerId };
    const listA: FinalItem[] = [
      [1, 4, a.peerId, SIG],
      [2, 6, b.peerId, SIG],
    ];
    const listB: FinalItem[] = [
      [2, 9, b.peerId, SIG],
      [3, 10, a.peerId, SIG],
    ];
    const entry = (list: FinalItem[], i: number): FinalFields => {
      const [seq, p, by, version] = list[i] as FinalItem;
      return { ...base, seq, priority: { p, by }, version, list };
    };
    const one = await signedFinal(m.key, entry(listA, 1));
    const two = await signedFinal(m.key, entry(listB, 0));
    // An entry its list does not hold proves nothing, whatever the signature covers.
    const unheld = { ...two, seq: 1 };
    const refused = await call(a.socket, 'group:accuse', {
      groupId,
      accused: m.peerId,
      proof: { final: one, other: unheld },
    });
    expect(refused).toMatchObject({ ok: false });
    expect(unwrap(await call<View>(a.socket, 'group:view', { groupId })).viewId).toBe(view.viewId);

    unwrap(await call(a.socket, 'group:accuse', { groupId, accused: m.peerId, proof: { final: one, other: two } }));
    const removed = await m.events.next<RemovedNotice>('group:removed', (r) => r.groupId === groupId);
    expect(removed.reason).toBe('evicted');
    for (const c of [a, b, m]) c.close();
  });
});
