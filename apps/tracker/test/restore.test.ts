// A tracker that restarted with the in-memory store forgot every group; its
// members re-register them with group:restore, proving it with the group's
// charter (its hash is the group id) and, for a locked group, the password.

import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_VIEW_ID, charterGroupId } from '@chorus/protocol';
import type { DirectoryPage, GroupCharter, GroupSummary, JoinReply, View } from '@chorus/protocol';
import type { RunningTracker } from '../src/index.ts';
import { call, connectClient, startTestTracker, unwrap } from './helpers.ts';
import type { TestClient } from './helpers.ts';

let trackers: RunningTracker[] = [];
afterEach(async () => {
  await Promise.all(trackers.map((t) => t.close()));
  trackers = [];
});
const start = async (): Promise<RunningTracker> => {
  const t = await startTestTracker();
  trackers.push(t);
  return t;
};

/** A group created and joined on one tracker: what its creator keeps (the join reply, with the charter). */
async function lockedGroupOnAFormerTracker(
  name: string,
  password: string,
): Promise<JoinReply & { charter: GroupCharter }> {
  const before = await start();
  const a = await connectClient(before.url, 'Alice');
  const g = unwrap(await call<GroupSummary>(a.socket, 'group:create', { name, ordering: 'total', password }));
  const joined = unwrap(await call<JoinReply>(a.socket, 'group:join', { groupId: g.groupId, password }));
  a.close();
  if (joined.charter === undefined) throw new Error('the join reply carries no charter');
  return { ...joined, charter: joined.charter };
}

const directoryIds = async (c: TestClient): Promise<string[]> =>
  unwrap(await call<DirectoryPage>(c.socket, 'directory:list')).groups.map((x) => x.groupId);

describe('group:restore', () => {
  it('gives every joiner the charter whose hash is the group id', async () => {
    const joined = await lockedGroupOnAFormerTracker('Hashed', 'pw');
    expect(await charterGroupId(joined.charter)).toBe(joined.group.groupId);
    expect(joined.charter).toMatchObject({ v: 1, name: 'Hashed', ordering: 'total', createdBy: 'Alice' });
    expect(joined.charter.lock).toMatch(/^scrypt\$/);
  });

  it('brings back a forgotten group under its id, name, ordering and lock, with views above the last one', async () => {
    const joined = await lockedGroupOnAFormerTracker('Kept', 'pw');
    const g = joined.group;
    // A second, fresh tracker stands in for the restarted one: it knows nothing.
    const after = await start();
    const b = await connectClient(after.url, 'Alice');
    expect(await call(b.socket, 'group:join', { groupId: g.groupId, password: 'pw' })).toMatchObject({
      ok: false,
      error: { code: 'not-found' },
    });
    const lastViewId = joined.view.viewId + 6;
    const restored = unwrap(
      await call<GroupSummary>(b.socket, 'group:restore', {
        groupId: g.groupId,
        charter: joined.charter,
        viewId: lastViewId,
        password: 'pw',
      }),
    );
    expect(restored).toMatchObject({
      groupId: g.groupId,
      name: 'Kept',
      ordering: 'total',
      locked: true,
      createdBy: 'Alice',
    });
    expect(await directoryIds(b)).toContain(g.groupId);

    // Still locked with the same password; the next view continues above the member's last one.
    expect(await call(b.socket, 'group:join', { groupId: g.groupId, password: 'nope' })).toMatchObject({
      ok: false,
      error: { code: 'wrong-password' },
    });
    const back = unwrap(await call<JoinReply>(b.socket, 'group:join', { groupId: g.groupId, password: 'pw' }));
    const view: View =
      back.view.members.length > 0
        ? back.view
        : unwrap(await call<View>(b.socket, 'group:links-ready', { groupId: g.groupId }));
    expect(view.viewId).toBe(lastViewId + 1);
    expect(back.charter).toEqual(joined.charter);
    b.close();
  });

  it('an outsider cannot re-register a forgotten locked group: no charter, a forged one, or the wrong password', async () => {
    const joined = await lockedGroupOnAFormerTracker('Private', 'secret');
    const g = joined.group;
    const after = await start();
    // Mallory saw the id and name in the old directory, but never was a member.
    const mallory = await connectClient(after.url, 'Mallory');
    expect(
      await call(mallory.socket, 'group:restore', {
        groupId: g.groupId,
        name: 'Private',
        ordering: 'total',
        viewId: 5,
      }),
    ).toMatchObject({ ok: false, error: { code: 'missing-field' } });
    const forged: GroupCharter = { ...joined.charter, createdBy: 'Mallory', creatorKey: mallory.key.publicKey };
    const { lock: _dropped, ...unlocked } = joined.charter;
    for (const charter of [forged, unlocked]) {
      expect(await call(mallory.socket, 'group:restore', { groupId: g.groupId, charter, viewId: 5 })).toMatchObject({
        ok: false,
        error: { code: 'bad-proof' },
      });
    }
    // Even the real charter (leaked by a member) does not open the lock without the password.
    expect(
      await call(mallory.socket, 'group:restore', { groupId: g.groupId, charter: joined.charter, viewId: 5 }),
    ).toMatchObject({ ok: false, error: { code: 'wrong-password' } });
    expect(
      await call(mallory.socket, 'group:restore', {
        groupId: g.groupId,
        charter: joined.charter,
        viewId: 5,
        password: 'guess',
      }),
    ).toMatchObject({ ok: false, error: { code: 'wrong-password' } });
    expect(await directoryIds(mallory)).not.toContain(g.groupId);

    // The owner comes back: the group is hers, locked as before; Mallory still cannot get in.
    const alice = await connectClient(after.url, 'Alice');
    unwrap(
      await call(alice.socket, 'group:restore', {
        groupId: g.groupId,
        charter: joined.charter,
        viewId: 3,
        password: 'secret',
      }),
    );
    expect(await call(mallory.socket, 'group:join', { groupId: g.groupId })).toMatchObject({
      ok: false,
      error: { code: 'wrong-password' },
    });
    const summary = unwrap(await call<DirectoryPage>(mallory.socket, 'directory:list')).groups.find(
      (x) => x.groupId === g.groupId,
    );
    expect(summary).toMatchObject({ locked: true, createdBy: 'Alice' });
    mallory.close();
    alice.close();
  });

  it('leaves a group the tracker still knows as it is (members race to restore)', async () => {
    const t = await start();
    const a = await connectClient(t.url, 'Alice');
    const g = unwrap(await call<GroupSummary>(a.socket, 'group:create', { name: 'Known', ordering: 'fifo' }));
    const joined = unwrap(await call<JoinReply>(a.socket, 'group:join', { groupId: g.groupId }));
    const again = unwrap(
      await call<GroupSummary>(a.socket, 'group:restore', {
        groupId: g.groupId,
        charter: joined.charter,
        viewId: 99,
        password: 'sneaky',
      }),
    );
    expect(again).toMatchObject({ groupId: g.groupId, name: 'Known', ordering: 'fifo', locked: false });
    expect(unwrap(await call<View>(a.socket, 'group:view', { groupId: g.groupId })).viewId).toBe(1);
    a.close();
  });

  it('a name squatted after the restart does not keep the proven group out; the two are told apart by id', async () => {
    const joined = await lockedGroupOnAFormerTracker('Private', 'secret');
    const after = await start();
    const mallory = await connectClient(after.url, 'Mallory');
    // Mallory is quicker than the members: she creates an open group under the same name.
    const squat = unwrap(
      await call<GroupSummary>(mallory.socket, 'group:create', { name: 'private', ordering: 'fifo' }),
    );
    const alice = await connectClient(after.url, 'Alice');
    const back = unwrap(
      await call<GroupSummary>(alice.socket, 'group:restore', {
        groupId: joined.group.groupId,
        charter: joined.charter,
        viewId: 2,
        password: 'secret',
      }),
    );
    expect(back).toMatchObject({ groupId: joined.group.groupId, name: 'Private', locked: true });
    const ids = await directoryIds(alice);
    expect(ids).toEqual(expect.arrayContaining([joined.group.groupId, squat.groupId]));
    unwrap(await call(alice.socket, 'group:join', { groupId: joined.group.groupId, password: 'secret' }));
    // New creates still may not take a name that is in use.
    expect(await call(alice.socket, 'group:create', { name: 'PRIVATE', ordering: 'fifo' })).toMatchObject({
      ok: false,
      error: { code: 'name-taken' },
    });
    mallory.close();
    alice.close();
  });

  it('refuses malformed restore payloads with codes', async () => {
    const t = await start();
    const a = await connectClient(t.url, 'Alice');
    const charter: GroupCharter = {
      v: 1,
      name: 'taken',
      ordering: 'fifo',
      createdBy: 'Alice',
      creatorKey: a.key.publicKey,
      createdAt: 1,
      nonce: randomBytes(16).toString('base64url'),
    };
    const groupId = await charterGroupId(charter);
    const expensive = { ...charter, lock: `scrypt$${2 ** 20}$8$1$${'A'.repeat(22)}==$${'A'.repeat(43)}=` };
    for (const [payload, code] of [
      [{ charter, viewId: 1 }, 'missing-field'],
      [{ groupId, charter }, 'missing-field'],
      [{ groupId, viewId: 1 }, 'missing-field'],
      [{ groupId, charter, viewId: -1 }, 'bad-type'],
      [{ groupId, charter, viewId: 1.5 }, 'bad-type'],
      [{ groupId, charter: { ...charter, ordering: 'chaos' }, viewId: 1 }, 'bad-type'],
      // A lock that would cost the tracker a GiB of memory per check is refused before any hashing.
      [{ groupId, charter: expensive, viewId: 1, password: 'x' }, 'bad-type'],
      // The next view would not be a safe integer: every honest engine would refuse it.
      [{ groupId, charter, viewId: Number.MAX_SAFE_INTEGER }, 'too-large'],
      [{ groupId, charter, viewId: MAX_VIEW_ID + 1 }, 'too-large'],
    ] as const) {
      expect(await call(a.socket, 'group:restore', payload), JSON.stringify(payload)).toMatchObject({
        ok: false,
        error: { code },
      });
    }
    a.close();
  });

  it('rate-limits password checks on restore like joins', async () => {
    const joined = await lockedGroupOnAFormerTracker('Guarded', 'right');
    const after = await start();
    const guesser = await connectClient(after.url, 'Guesser');
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        call(guesser.socket, 'group:restore', {
          groupId: joined.group.groupId,
          charter: joined.charter,
          viewId: 1,
          password: `guess${i}`,
        }),
      ),
    );
    const codes = results.map((r) => (r.ok ? 'ok' : r.error.code));
    expect(codes.filter((c) => c === 'rate-limited').length).toBeGreaterThanOrEqual(4);
    expect(codes).not.toContain('ok');
    guesser.close();
  });
});
