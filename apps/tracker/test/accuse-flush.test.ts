// group:accuse with a FLUSH proof (PROTOCOL.md §2 Proofs, §3.4 "Signed reports", issue 12): a member
// hands the tracker two statements another member signed for one view naming two different FLUSH
// reports; the tracker checks both with the key the accused proved at hello and evicts it at once.
// A pair the accused did not both sign, or that names one report, evicts nobody: the accuser's word
// counts for nothing.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asViewId, canonicalFlushText } from '@chorus/protocol';
import type { FlushStatementFields, RemovedNotice, View } from '@chorus/protocol';
import type { RunningTracker } from '../src/index.ts';
import { aliceBobMallory, call, startTestTracker, unwrap } from './helpers.ts';
import type { Key, TestClient } from './helpers.ts';

let tracker: RunningTracker;
beforeAll(async () => {
  tracker = await startTestTracker();
});
afterAll(() => tracker.close());

const HASH_ONE = `${'A'.repeat(43)}=`;
const HASH_TWO = `${'B'.repeat(42)}A=`;

/** The statement as it travels in a proof: view, report and signature (group and reporter are the accusation's). */
async function statement(key: Key, s: FlushStatementFields): Promise<{ viewId: number; report: string; sig: string }> {
  return { viewId: s.viewId, report: s.report, sig: await key.sign(canonicalFlushText(s)) };
}

describe('group:accuse with two signed FLUSH reports', () => {
  it('evicts a member on two reports it signed for one view, and nobody on a pair that proves nothing', async () => {
    const { a, b, m, groupId, view } = await aliceBobMallory(tracker.url, 'accuse-flush');
    const at = { groupId, viewId: view.viewId, reporter: m.peerId };
    const one = await statement(m.key, { ...at, report: HASH_ONE });
    const two = await statement(m.key, { ...at, report: HASH_TWO });
    const accuse = (by: TestClient, flush: unknown, other: unknown) =>
      call(by.socket, 'group:accuse', { groupId, accused: m.peerId, proof: { flush, other } });

    // One report twice proves nothing.
    expect(await accuse(a, one, one)).toMatchObject({ ok: false, error: { code: 'bad-state' } });
    // Two reports of two views are not an equivocation either.
    const later = await statement(m.key, { ...at, viewId: asViewId(view.viewId + 1), report: HASH_TWO });
    expect(await accuse(a, one, later)).toMatchObject({ ok: false, error: { code: 'bad-state' } });
    // A pair Bob forged (his key, Mallory's name), or one whose second signature is not Mallory's over it.
    const forged = await statement(b.key, { ...at, report: HASH_TWO });
    expect(await accuse(a, one, forged)).toMatchObject({ ok: false, error: { code: 'bad-signature' } });
    const bothForged = await statement(b.key, { ...at, report: HASH_ONE });
    expect(await accuse(b, bothForged, forged)).toMatchObject({ ok: false, error: { code: 'bad-signature' } });
    expect(await accuse(a, one, { ...two, sig: one.sig })).toMatchObject({
      ok: false,
      error: { code: 'bad-signature' },
    });
    // A malformed statement is refused by the parser with a reason.
    const bad = await accuse(a, one, { ...two, report: 'not a hash' });
    expect(bad).toMatchObject({ ok: false, error: { code: 'bad-type' } });
    // Nobody was evicted on any of those: not Mallory, not the accusers.
    const still = unwrap(await call<View>(a.socket, 'group:view', { groupId }));
    expect(still.viewId).toBe(view.viewId);
    expect(still.members.map((x) => x.peerId).sort()).toEqual([a.peerId, b.peerId, m.peerId].sort());

    unwrap(await accuse(a, one, two));
    const removed = await m.events.next<RemovedNotice>('group:removed', (r) => r.groupId === groupId);
    expect(removed.reason).toBe('evicted');
    const after = await b.events.next<View>('group:view', (v) => v.groupId === groupId && v.viewId > view.viewId);
    expect(after.members.map((x) => x.peerId).sort()).toEqual([a.peerId, b.peerId].sort());
    // The view names the flush the proof is about: nobody installed it, nobody delivers its resolution.
    expect(after.changes).toEqual([{ peerId: m.peerId, change: 'evicted', flush: view.viewId }]);
    // A second accuser of the same pair finds Mallory gone already.
    expect(await accuse(b, one, two)).toMatchObject({ ok: false, error: { code: 'not-member' } });
    for (const c of [a, b, m]) c.close();
  });

  // PROTOCOL.md §3.4 "Decided: no bad report proof": a reporter signs its report's hash, never its
  // content, and every participant holds every reporter's signed statement, so a statement paired with
  // content that does not hash to it proves nothing about the reporter: anyone could make one up.
  it('evicts nobody on a signed statement paired with report content that does not hash to it', async () => {
    const { a, b, m, groupId, view } = await aliceBobMallory(tracker.url, 'accuse-flush');
    const signed = await statement(m.key, { groupId, viewId: view.viewId, reporter: m.peerId, report: HASH_ONE });
    const madeUp = { t: 'flush', groupId, viewId: view.viewId, unstable: [], pending: [], agreed: 7, delivered: {} };
    for (const proof of [
      { flush: signed, report: madeUp },
      { flush: signed, other: { ...madeUp, report: HASH_ONE, sig: signed.sig } },
    ]) {
      const answer = await call(a.socket, 'group:accuse', { groupId, accused: m.peerId, proof });
      expect(answer).toMatchObject({ ok: false });
    }
    const still = unwrap(await call<View>(b.socket, 'group:view', { groupId }));
    expect(still.viewId).toBe(view.viewId);
    expect(still.members.map((x) => x.peerId).sort()).toEqual([a.peerId, b.peerId, m.peerId].sort());
    for (const c of [a, b, m]) c.close();
  });
});
