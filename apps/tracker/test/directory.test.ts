import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DirectoryDelta, DirectoryPage, GroupSummary, JoinReply } from '@chorus/protocol';
import type { RunningTracker } from '../src/index.ts';
import { admit, call, connectClient, startTestTracker, unwrap } from './helpers.ts';

let tracker: RunningTracker;
beforeAll(async () => {
  tracker = await startTestTracker();
});
afterAll(() => tracker.close());

describe('directory', () => {
  it('creates a group, lists it with ordering, lock flag and online count, and pushes the change to everyone', async () => {
    const a = await connectClient(tracker.url, 'Alice');
    const b = await connectClient(tracker.url, 'Bob');
    const g = unwrap(await call<GroupSummary>(a.socket, 'group:create', { name: 'Lobby', ordering: 'total' }));
    expect(g).toMatchObject({ name: 'Lobby', ordering: 'total', locked: false, online: 0, createdBy: 'Alice' });
    const pushed = await b.events.next<DirectoryDelta>('directory:delta', (d) =>
      d.upserted.some((x) => x.groupId === g.groupId),
    );
    expect(pushed.upserted.find((x) => x.groupId === g.groupId)).toMatchObject({ name: 'Lobby', online: 0 });

    unwrap(await call(a.socket, 'group:join', { groupId: g.groupId }));
    const after = await b.events.next<DirectoryDelta>('directory:delta', (d) =>
      d.upserted.some((x) => x.groupId === g.groupId && x.online === 1),
    );
    expect(after.upserted.find((x) => x.groupId === g.groupId)?.online).toBe(1);
    const list = unwrap(await call<DirectoryPage>(b.socket, 'directory:list'));
    expect(list.groups.find((x) => x.groupId === g.groupId)?.online).toBe(1);
    a.close();
    b.close();
  });

  it('counts people online, not sessions: two tabs of one key are one, another key is two', async () => {
    const a = await connectClient(tracker.url, 'Alice');
    const a2 = await connectClient(tracker.url, 'Alice', undefined, a.key);
    const b = await connectClient(tracker.url, 'Bob');
    const g = unwrap(await call<GroupSummary>(a.socket, 'group:create', { name: 'Headcount', ordering: 'fifo' }));
    const online = async (): Promise<number | undefined> =>
      unwrap(await call<DirectoryPage>(b.socket, 'directory:list')).groups.find((x) => x.groupId === g.groupId)?.online;
    unwrap(await call(a.socket, 'group:join', { groupId: g.groupId }));
    unwrap(await call(a2.socket, 'group:join', { groupId: g.groupId }));
    await admit(a2, [a], g.groupId);
    expect(await online()).toBe(1);
    unwrap(await call(b.socket, 'group:join', { groupId: g.groupId }));
    await admit(b, [a, a2], g.groupId);
    expect(await online()).toBe(2);
    for (const c of [a, a2, b]) c.close();
  });

  it('refuses a second group with the same name (case-insensitive)', async () => {
    const a = await connectClient(tracker.url);
    unwrap(await call(a.socket, 'group:create', { name: 'Unique', ordering: 'fifo' }));
    const r = await call(a.socket, 'group:create', { name: 'unique', ordering: 'total' });
    expect(r).toMatchObject({ ok: false, error: { code: 'name-taken' } });
    a.close();
  });

  it('rejects bad create payloads with a code and a sentence', async () => {
    const a = await connectClient(tracker.url);
    for (const [payload, code] of [
      [{ name: '', ordering: 'fifo' }, 'missing-field'],
      [{ name: 'x'.repeat(65), ordering: 'fifo' }, 'too-long'],
      [{ name: 'ok', ordering: 'random' }, 'bad-type'],
      [{ ordering: 'fifo' }, 'missing-field'],
      ['Lobby', 'bad-type'],
      [{ name: 'ok2', ordering: 'fifo', password: 42 }, 'bad-type'],
    ] as const) {
      const r = await call(a.socket, 'group:create', payload);
      expect(r, JSON.stringify(payload)).toMatchObject({ ok: false, error: { code } });
      if (!r.ok) expect(r.error.message).toMatch(/\w+ \w+/);
    }
    a.close();
  });

  it('locks a group with a password: no password or a wrong one is wrong-password, the right one joins', async () => {
    const a = await connectClient(tracker.url, 'Alice');
    const g = unwrap(
      await call<GroupSummary>(a.socket, 'group:create', { name: 'Secret', ordering: 'fifo', password: 'hunter2' }),
    );
    expect(g.locked).toBe(true);
    const none = await call(a.socket, 'group:join', { groupId: g.groupId });
    expect(none).toMatchObject({ ok: false, error: { code: 'wrong-password' } });
    const wrong = await call(a.socket, 'group:join', { groupId: g.groupId, password: 'hunter3' });
    expect(wrong).toMatchObject({ ok: false, error: { code: 'wrong-password' } });
    if (!wrong.ok) expect(wrong.error.message).toContain('Secret');
    const right = unwrap(await call<JoinReply>(a.socket, 'group:join', { groupId: g.groupId, password: 'hunter2' }));
    expect(right.view.members.map((m) => m.peerId)).toEqual([a.peerId]);
    a.close();
  });

  it('rate-limits password guessing per session', async () => {
    const owner = await connectClient(tracker.url, 'Owner');
    const g = unwrap(
      await call<GroupSummary>(owner.socket, 'group:create', { name: 'Vault', ordering: 'fifo', password: 'right' }),
    );
    const guesser = await connectClient(tracker.url, 'Guesser');
    // Sent at once: the bucket is checked on arrival, so slow hashing on a busy machine cannot refill it meanwhile.
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        call(guesser.socket, 'group:join', { groupId: g.groupId, password: `guess${i}` }),
      ),
    );
    const codes = results.map((r) => (r.ok ? 'ok' : r.error.code));
    expect(codes.filter((c) => c === 'wrong-password').length).toBeGreaterThanOrEqual(5);
    expect(codes.filter((c) => c === 'rate-limited').length).toBeGreaterThanOrEqual(4);
    expect(codes).not.toContain('ok');
    // Joining without a password costs no hash and is not limited by it.
    expect(await call(guesser.socket, 'group:join', { groupId: g.groupId })).toMatchObject({
      ok: false,
      error: { code: 'wrong-password' },
    });
    owner.close();
    guesser.close();
  });

  it('keeps a group listed with 0 online after its last member leaves', async () => {
    const a = await connectClient(tracker.url);
    const g = unwrap(await call<GroupSummary>(a.socket, 'group:create', { name: 'Outlives', ordering: 'fifo' }));
    unwrap(await call(a.socket, 'group:join', { groupId: g.groupId }));
    unwrap(await call(a.socket, 'group:leave', { groupId: g.groupId }));
    a.close();
    const b = await connectClient(tracker.url);
    const entry = b.hello.directory.find((x) => x.groupId === g.groupId);
    expect(entry).toMatchObject({ name: 'Outlives', online: 0 });
    b.close();
  });

  it('answers not-found for a group that does not exist', async () => {
    const a = await connectClient(tracker.url);
    for (const event of ['group:join', 'group:links-ready', 'group:leave', 'group:members', 'group:view']) {
      const r = await call(a.socket, event, { groupId: 'gnothere' });
      expect(r, event).toMatchObject({ ok: false, error: { code: 'not-found' } });
    }
    a.close();
  });
});
