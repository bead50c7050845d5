import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GroupSummary, JoinReply, JoiningNotice, MemberInfo, RemovedNotice, View } from '@chorus/protocol';
import type { RunningTracker } from '../src/index.ts';
import { admit, call, connectClient, groupOfClients, startTestTracker, stats, unwrap } from './helpers.ts';
import type { TestClient } from './helpers.ts';

let tracker: RunningTracker;
beforeAll(async () => {
  tracker = await startTestTracker();
});
afterAll(() => tracker.close());

let groupCounter = 0;
const groupWith = (...clients: TestClient[]): Promise<GroupSummary> =>
  groupOfClients(`m-${++groupCounter}-${Date.now()}`, 'total', ...clients);

const ids = (v: { members: readonly MemberInfo[] }): string[] => v.members.map((m) => m.peerId).sort();

describe('two-phase join', () => {
  it('installs the first joiner of an empty group at once', async () => {
    const a = await connectClient(tracker.url, 'Alice');
    const g = unwrap(await call<GroupSummary>(a.socket, 'group:create', { name: 'solo', ordering: 'fifo' }));
    const r = unwrap(await call<JoinReply>(a.socket, 'group:join', { groupId: g.groupId }));
    expect(ids(r.view)).toEqual([a.peerId]);
    expect(r.view.changes).toEqual([{ peerId: a.peerId, change: 'joined' }]);
    const pushed = await a.events.next<View>('group:view', (v) => v.groupId === g.groupId);
    expect(pushed.viewId).toBe(r.view.viewId);
    // links-ready afterwards is harmless: the current view comes back unchanged.
    const again = unwrap(await call<View>(a.socket, 'group:links-ready', { groupId: g.groupId }));
    expect(again.viewId).toBe(r.view.viewId);
    a.close();
  });

  it('keeps a joiner out of every view until it reports its links up and the members confirm them, then installs it for all', async () => {
    const a = await connectClient(tracker.url, 'Alice');
    const b = await connectClient(tracker.url, 'Bob');
    const g = await groupWith(a);
    const v1 = unwrap(await call<View>(a.socket, 'group:view', { groupId: g.groupId }));

    const joined = unwrap(await call<JoinReply>(b.socket, 'group:join', { groupId: g.groupId }));
    expect(ids(joined.view)).toEqual([a.peerId]); // the view to link to, without the joiner
    const notice = await a.events.next<JoiningNotice>('group:joining', (n) => n.groupId === g.groupId);
    expect(notice.peer).toEqual(b.info);
    // Still phase one: the members list and view do not have Bob, signaling does work.
    expect(
      ids({ members: unwrap(await call<MemberInfo[]>(a.socket, 'group:members', { groupId: g.groupId })) }),
    ).toEqual([a.peerId]);
    expect(unwrap(await call<View>(a.socket, 'group:view', { groupId: g.groupId })).viewId).toBe(v1.viewId);
    unwrap(await call(b.socket, 'signal', { groupId: g.groupId, to: a.peerId, data: { type: 'offer', sdp: 'x' } }));
    expect(
      a.events.all('group:view').filter((v) => (v as View).groupId === g.groupId && (v as View).viewId > v1.viewId),
    ).toEqual([]);

    // Bob's word alone: answered with the view without him.
    expect(unwrap(await call<View>(b.socket, 'group:links-ready', { groupId: g.groupId })).viewId).toBe(v1.viewId);
    // Alice's channel to him is up too: that installs him, and the view is pushed to both.
    unwrap(await call(a.socket, 'link:report', { groupId: g.groupId, peer: b.peerId, state: 'up' }));
    const installed = await b.events.next<View>('group:view', (x) => x.groupId === g.groupId && x.viewId > v1.viewId);
    expect(installed.viewId).toBe(v1.viewId + 1);
    expect(ids(installed)).toEqual([a.peerId, b.peerId].sort());
    expect(installed.changes).toEqual([{ peerId: b.peerId, change: 'joined' }]);
    for (const c of [a, b]) {
      const v = await c.events.next<View>(
        'group:view',
        (x) => x.groupId === g.groupId && x.viewId === installed.viewId,
      );
      expect(ids(v)).toEqual(ids(installed));
    }
    // One view per viewId: asked later (group:view after a reconnect, links-ready again from a
    // re-joining founder), it carries the same changes. A copy saying "nobody joined" made Alice's
    // engine wait for Bob's FLUSH while Bob installed as a joiner (issue 16, tracker restart).
    expect(unwrap(await call<View>(a.socket, 'group:view', { groupId: g.groupId }))).toEqual(installed);
    expect(unwrap(await call<View>(a.socket, 'group:links-ready', { groupId: g.groupId }))).toEqual(installed);
    a.close();
    b.close();
  });

  it('installs a joiner whose view grew meanwhile; the member installed in between was told about it', async () => {
    const a = await connectClient(tracker.url, 'Alice');
    const b = await connectClient(tracker.url, 'Bob');
    const c = await connectClient(tracker.url, 'Carol');
    const g = await groupWith(a);
    unwrap(await call(b.socket, 'group:join', { groupId: g.groupId }));
    const cJoin = unwrap(await call<JoinReply>(c.socket, 'group:join', { groupId: g.groupId }));
    expect(ids(cJoin.view)).toEqual([a.peerId]);
    await admit(b, [a], g.groupId);
    // Bob is a member now and must accept Carol's signaling and link to her.
    const n = await b.events.next<JoiningNotice>('group:joining', (x) => x.peer.peerId === c.peerId);
    expect(n.groupId).toBe(g.groupId);
    unwrap(await call(c.socket, 'signal', { groupId: g.groupId, to: b.peerId, data: { type: 'offer' } }));
    // Only Alice was in Carol's view: her confirmation is the one needed.
    const installed = await admit(c, [a], g.groupId);
    expect(ids(installed)).toEqual([a.peerId, b.peerId, c.peerId].sort());
    expect(installed.changes).toEqual([{ peerId: c.peerId, change: 'joined' }]);
    for (const x of [a, b, c]) x.close();
  });

  it('drops a joiner that never reports its links ready', async () => {
    const t = await startTestTracker({ joinTimeoutMs: 300 });
    const a = await connectClient(t.url, 'Alice');
    const b = await connectClient(t.url, 'Bob');
    const g = await groupWith(a);
    unwrap(await call(b.socket, 'group:join', { groupId: g.groupId }));
    const removed = await b.events.next<RemovedNotice>('group:removed', (r) => r.groupId === g.groupId);
    expect(removed.reason).toBe('failed');
    expect(await call(b.socket, 'group:links-ready', { groupId: g.groupId })).toMatchObject({
      ok: false,
      error: { code: 'not-member' },
    });
    const r = await call(b.socket, 'signal', { groupId: g.groupId, to: a.peerId, data: { x: 1 } });
    expect(r).toMatchObject({ ok: false, error: { code: 'not-member' } });
    a.close();
    b.close();
    await t.close();
  });

  it('never installs a joiner that says links-ready but whose channels no member sees open, and drops it at the join timeout', async () => {
    const t = await startTestTracker({ joinTimeoutMs: 400 });
    const a = await connectClient(t.url, 'Alice');
    const b = await connectClient(t.url, 'Bob');
    const fake = await connectClient(t.url, 'Fake');
    const g = await groupWith(a, b);
    const before = unwrap(await call<View>(a.socket, 'group:view', { groupId: g.groupId }));
    unwrap(await call(fake.socket, 'group:join', { groupId: g.groupId }));
    expect(ids(unwrap(await call<View>(fake.socket, 'group:links-ready', { groupId: g.groupId })))).toEqual(
      ids(before),
    );
    // One member's word is not all of them.
    unwrap(await call(a.socket, 'link:report', { groupId: g.groupId, peer: fake.peerId, state: 'up' }));
    expect(unwrap(await call<View>(fake.socket, 'group:links-ready', { groupId: g.groupId })).viewId).toBe(
      before.viewId,
    );
    expect((await fake.events.next<RemovedNotice>('group:removed', (r) => r.groupId === g.groupId)).reason).toBe(
      'failed',
    );
    expect(unwrap(await call<View>(a.socket, 'group:view', { groupId: g.groupId })).viewId).toBe(before.viewId);
    expect(a.events.all<View>('group:view').some((v) => v.members.some((m) => m.peerId === fake.peerId))).toBe(false);
    for (const x of [a, b, fake]) x.close();
    await t.close();
  });

  it('installs a joiner that one member reaches only through another ("relayed via"), and refuses a relay outside the group', async () => {
    const t = await startTestTracker({ joinTimeoutMs: 5_000 });
    const a = await connectClient(t.url, 'Alice');
    const b = await connectClient(t.url, 'Bob');
    const c = await connectClient(t.url, 'Carol');
    const g = await groupWith(a, b);
    unwrap(await call(c.socket, 'group:join', { groupId: g.groupId }));
    unwrap(await call(b.socket, 'link:report', { groupId: g.groupId, peer: c.peerId, state: 'up' }));
    expect(
      await call(a.socket, 'link:report', { groupId: g.groupId, peer: c.peerId, state: 'relayed', via: 'nobody' }),
    ).toMatchObject({ ok: false, error: { code: 'not-member' } });
    expect(await call(a.socket, 'link:report', { groupId: g.groupId, peer: c.peerId, state: 'relayed' })).toMatchObject(
      { ok: false, error: { code: 'missing-field' } },
    );
    unwrap(
      await call(a.socket, 'link:report', { groupId: g.groupId, peer: c.peerId, state: 'relayed', via: b.peerId }),
    );
    const view = unwrap(await call<View>(c.socket, 'group:links-ready', { groupId: g.groupId }));
    expect(ids(view).sort()).toEqual([a.peerId, b.peerId, c.peerId].sort());
    for (const x of [a, b, c]) x.close();
    await t.close();
  });

  it('refuses join twice and links-ready without join', async () => {
    const a = await connectClient(tracker.url, 'Alice');
    const b = await connectClient(tracker.url, 'Bob');
    const g = await groupWith(a);
    expect(await call(a.socket, 'group:join', { groupId: g.groupId })).toMatchObject({
      ok: false,
      error: { code: 'bad-state' },
    });
    expect(await call(b.socket, 'group:links-ready', { groupId: g.groupId })).toMatchObject({
      ok: false,
      error: { code: 'not-member' },
    });
    expect(await call(b.socket, 'group:leave', { groupId: g.groupId })).toMatchObject({
      ok: false,
      error: { code: 'not-member' },
    });
    expect(await call(b.socket, 'group:view', { groupId: g.groupId })).toMatchObject({
      ok: false,
      error: { code: 'not-member' },
    });
    a.close();
    b.close();
  });
});

describe('leaving and failing', () => {
  it('reports a clean leave as left, with a viewId that only grows', async () => {
    const a = await connectClient(tracker.url, 'Alice');
    const b = await connectClient(tracker.url, 'Bob');
    const g = await groupWith(a, b);
    const before = unwrap(await call<View>(a.socket, 'group:view', { groupId: g.groupId }));
    unwrap(await call(b.socket, 'group:leave', { groupId: g.groupId }));
    const v = await a.events.next<View>('group:view', (x) => x.groupId === g.groupId && x.viewId > before.viewId);
    expect(v.changes).toEqual([{ peerId: b.peerId, change: 'left' }]);
    expect(ids(v)).toEqual([a.peerId]);
    expect(b.events.all<RemovedNotice>('group:removed').filter((r) => r.groupId === g.groupId)).toEqual([]);
    a.close();
    b.close();
  });

  it('reports a disconnect without leave as failed', async () => {
    const a = await connectClient(tracker.url, 'Alice');
    const b = await connectClient(tracker.url, 'Bob');
    const g = await groupWith(a, b);
    b.close();
    const v = await a.events.next<View>(
      'group:view',
      (x) => x.groupId === g.groupId && x.changes.some((c) => c.peerId === b.peerId && c.change === 'failed'),
    );
    expect(ids(v)).toEqual([a.peerId]);
    a.close();
  });

  it('reports a session that stops heartbeating as failed to the others within the timeout', async () => {
    const t = await startTestTracker({ heartbeatIntervalMs: 200, heartbeatTimeoutMs: 800 });
    const a = await connectClient(t.url, 'Alice');
    const b = await connectClient(t.url, 'Bob');
    const g1 = await groupWith(a, b);
    const g2 = await groupWith(b, a);
    b.stopHeartbeats(); // socket stays open: a hung tab, not a closed one
    for (const g of [g1, g2]) {
      const v = await a.events.next<View>(
        'group:view',
        (x) => x.groupId === g.groupId && x.changes.some((c) => c.peerId === b.peerId && c.change === 'failed'),
        5_000,
      );
      expect(ids(v)).toEqual([a.peerId]);
      // The hung session, if it ever wakes up, learns it was removed.
      const removed = await b.events.next<RemovedNotice>('group:removed', (r) => r.groupId === g.groupId);
      expect(removed.reason).toBe('failed');
    }
    expect((await stats(t.url))['heartbeatFailures']).toBeGreaterThanOrEqual(1);
    a.close();
    b.close();
    await t.close();
  });
});

describe('link reports', () => {
  const report = (c: TestClient, groupId: string, peer: TestClient, state: 'up' | 'down') =>
    call(c.socket, 'link:report', { groupId, peer: peer.peerId, state });

  it('evicts the younger member when both ends report their link down past the grace time', async () => {
    const a = await connectClient(tracker.url, 'Alice');
    const b = await connectClient(tracker.url, 'Bob');
    const c = await connectClient(tracker.url, 'Carol');
    const g = await groupWith(a, b, c); // c joined last: the youngest
    unwrap(await report(a, g.groupId, c, 'down'));
    unwrap(await report(c, g.groupId, a, 'down'));
    const removed = await c.events.next<RemovedNotice>('group:removed', (r) => r.groupId === g.groupId);
    expect(removed.reason).toBe('evicted');
    const v = await b.events.next<View>(
      'group:view',
      (x) => x.groupId === g.groupId && x.changes.some((ch) => ch.change === 'evicted'),
    );
    expect(v.changes).toEqual([{ peerId: c.peerId, change: 'evicted' }]);
    expect(ids(v)).toEqual([a.peerId, b.peerId].sort());
    for (const x of [a, b, c]) x.close();
  });

  it("evicts nobody on one member's word: its false reports are refused past the first, and the third grace time it is evicted", async () => {
    const t = await startTestTracker({ linkGraceMs: 300 });
    const [a, b, c] = [
      await connectClient(t.url, 'Alice'),
      await connectClient(t.url, 'Bob'),
      await connectClient(t.url, 'Carol'),
    ];
    const g = await groupWith(a, b, c);
    // Alice, the oldest, says her link to Carol is down; Carol and Bob say nothing (their links are fine).
    unwrap(await report(a, g.groupId, c, 'down'));
    expect(await report(a, g.groupId, b, 'down')).toMatchObject({ ok: false, error: { code: 'rate-limited' } });
    // Sent as a mesh sends it (no ack), that refusal is counted but not pushed back; a report about
    // oneself is, and arrives after it (one socket, in order).
    a.socket.emit('link:report', { groupId: g.groupId, peer: b.peerId, state: 'down' });
    a.socket.emit('link:report', { groupId: g.groupId, peer: a.peerId, state: 'down' });
    await a.events.next<{ code: string }>('tracker:error', (e) => e.code === 'bad-state');
    expect(a.events.all<{ code: string }>('tracker:error').map((e) => e.code)).toEqual(['bad-state']);
    const removed = await a.events.next<RemovedNotice>('group:removed', (r) => r.groupId === g.groupId, 5_000);
    expect(removed.reason).toBe('evicted');
    const v = unwrap(await call<View>(b.socket, 'group:view', { groupId: g.groupId }));
    expect(ids(v)).toEqual([b.peerId, c.peerId].sort());
    expect(c.events.all('group:removed')).toEqual([]);
    for (const x of [a, b, c]) x.close();
    await t.close();
  });

  it('evicts a member that most of the view reports down, though it says nothing', async () => {
    const t = await startTestTracker({ linkGraceMs: 300 });
    const [a, b, c] = [
      await connectClient(t.url, 'Alice'),
      await connectClient(t.url, 'Bob'),
      await connectClient(t.url, 'Carol'),
    ];
    const g = await groupWith(a, b, c);
    // Bob (not the youngest) is silent on his links; Alice and Carol both report him.
    unwrap(await report(a, g.groupId, b, 'down'));
    unwrap(await report(c, g.groupId, b, 'down'));
    expect((await b.events.next<RemovedNotice>('group:removed', (r) => r.groupId === g.groupId, 5_000)).reason).toBe(
      'evicted',
    );
    expect(ids(unwrap(await call<View>(a.socket, 'group:view', { groupId: g.groupId })))).toEqual(
      [a.peerId, c.peerId].sort(),
    );
    for (const x of [a, b, c]) x.close();
    await t.close();
  });

  it('does not evict when the link comes back up within the grace time', async () => {
    const a = await connectClient(tracker.url, 'Alice');
    const b = await connectClient(tracker.url, 'Bob');
    const g = await groupWith(a, b);
    unwrap(await report(b, g.groupId, a, 'down'));
    unwrap(await report(a, g.groupId, b, 'down'));
    unwrap(await report(a, g.groupId, b, 'up'));
    unwrap(await report(b, g.groupId, a, 'up'));
    // A later, unrelated eviction in a control group proves the grace timer has fired meanwhile.
    const c = await connectClient(tracker.url, 'Carol');
    const d = await connectClient(tracker.url, 'Dave');
    const control = await groupWith(c, d);
    unwrap(await report(c, control.groupId, d, 'down'));
    unwrap(await report(d, control.groupId, c, 'down'));
    await d.events.next<RemovedNotice>('group:removed', (r) => r.groupId === control.groupId);
    const v = unwrap(await call<View>(a.socket, 'group:view', { groupId: g.groupId }));
    expect(ids(v)).toEqual([a.peerId, b.peerId].sort());
    expect(b.events.all('group:removed')).toEqual([]);
    for (const x of [a, b, c, d]) x.close();
  });

  it('rejects link reports from non-members and about oneself', async () => {
    const a = await connectClient(tracker.url, 'Alice');
    const b = await connectClient(tracker.url, 'Bob');
    const g = await groupWith(a);
    expect(await call(b.socket, 'link:report', { groupId: g.groupId, peer: a.peerId, state: 'down' })).toMatchObject({
      ok: false,
      error: { code: 'not-member' },
    });
    expect(await call(a.socket, 'link:report', { groupId: g.groupId, peer: a.peerId, state: 'down' })).toMatchObject({
      ok: false,
      error: { code: 'bad-state' },
    });
    expect(
      await call(a.socket, 'link:report', { groupId: g.groupId, peer: b.peerId, state: 'sideways' }),
    ).toMatchObject({ ok: false, error: { code: 'bad-type' } });
    a.close();
    b.close();
  });
});

describe('members', () => {
  it('lists members with name and key; a locked group only to those inside', async () => {
    const a = await connectClient(tracker.url, 'Alice');
    const b = await connectClient(tracker.url, 'Bob');
    const g = await groupWith(a);
    const list = unwrap(await call<MemberInfo[]>(b.socket, 'group:members', { groupId: g.groupId }));
    expect(list).toEqual([a.info]);
    const locked = unwrap(
      await call<GroupSummary>(a.socket, 'group:create', {
        name: `locked-${Date.now()}`,
        ordering: 'fifo',
        password: 'pw',
      }),
    );
    unwrap(await call(a.socket, 'group:join', { groupId: locked.groupId, password: 'pw' }));
    expect(await call(b.socket, 'group:members', { groupId: locked.groupId })).toMatchObject({
      ok: false,
      error: { code: 'not-member' },
    });
    expect(unwrap(await call<MemberInfo[]>(a.socket, 'group:members', { groupId: locked.groupId }))).toEqual([a.info]);
    a.close();
    b.close();
  });
});
