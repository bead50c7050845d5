// A tracker that restarted with the in-memory store forgot every group; its
// members re-register them with group:restore and views continue above theirs.

import { afterEach, describe, expect, it } from 'vitest';
import { MAX_VIEW_ID } from '@chorus/protocol';
import type { GroupSummary, JoinReply, View } from '@chorus/protocol';
import type { RunningTracker } from '../src/index.ts';
import { call, connectClient, startTestTracker, unwrap } from './helpers.ts';

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

describe('group:restore', () => {
  it('brings back a forgotten group under its id, name, ordering and password, with views above the last one', async () => {
    const before = await start();
    const a = await connectClient(before.url, 'Alice');
    const g = unwrap(await call<GroupSummary>(a.socket, 'group:create', { name: 'Kept', ordering: 'total', password: 'pw' }));
    const joined = unwrap(await call<JoinReply>(a.socket, 'group:join', { groupId: g.groupId, password: 'pw' }));
    a.close();

    // A second, fresh tracker stands in for the restarted one: it knows nothing.
    const after = await start();
    const b = await connectClient(after.url, 'Alice');
    expect(await call(b.socket, 'group:join', { groupId: g.groupId, password: 'pw' })).toMatchObject({ ok: false, error: { code: 'not-found' } });
    const lastViewId = joined.view.viewId + 6;
    const restored = unwrap(await call<GroupSummary>(b.socket, 'group:restore', {
      groupId: g.groupId, name: 'Kept', ordering: 'total', viewId: lastViewId, password: 'pw',
    }));
    expect(restored).toMatchObject({ groupId: g.groupId, name: 'Kept', ordering: 'total', locked: true });
    const list = unwrap(await call<GroupSummary[]>(b.socket, 'directory:list'));
    expect(list.map((x) => x.groupId)).toContain(g.groupId);

    // Still locked with the same password; the next view continues above the member's last one.
    expect(await call(b.socket, 'group:join', { groupId: g.groupId, password: 'nope' })).toMatchObject({ ok: false, error: { code: 'wrong-password' } });
    const back = unwrap(await call<JoinReply>(b.socket, 'group:join', { groupId: g.groupId, password: 'pw' }));
    const view: View = back.view.members.length > 0 ? back.view : unwrap(await call<View>(b.socket, 'group:links-ready', { groupId: g.groupId }));
    expect(view.viewId).toBe(lastViewId + 1);
    b.close();
  });

  it('leaves a group the tracker still knows as it is (members race to restore)', async () => {
    const t = await start();
    const a = await connectClient(t.url, 'Alice');
    const g = unwrap(await call<GroupSummary>(a.socket, 'group:create', { name: 'Known', ordering: 'fifo' }));
    const again = unwrap(await call<GroupSummary>(a.socket, 'group:restore', {
      groupId: g.groupId, name: 'Renamed', ordering: 'total', viewId: 99, password: 'sneaky',
    }));
    expect(again).toMatchObject({ groupId: g.groupId, name: 'Known', ordering: 'fifo', locked: false });
    const joined = unwrap(await call<JoinReply>(a.socket, 'group:join', { groupId: g.groupId }));
    expect(joined.view.viewId).toBe(1);
    a.close();
  });

  it('refuses a restore whose name another group now has, and malformed payloads, with codes', async () => {
    const t = await start();
    const a = await connectClient(t.url, 'Alice');
    unwrap(await call<GroupSummary>(a.socket, 'group:create', { name: 'Taken', ordering: 'fifo' }));
    expect(await call(a.socket, 'group:restore', { groupId: 'gOld', name: 'taken', ordering: 'fifo', viewId: 3 }))
      .toMatchObject({ ok: false, error: { code: 'name-taken' } });
    for (const [payload, code] of [
      [{ name: 'X', ordering: 'fifo', viewId: 1 }, 'missing-field'],
      [{ groupId: 'gX', name: 'X', ordering: 'fifo' }, 'missing-field'],
      [{ groupId: 'gX', name: 'X', ordering: 'fifo', viewId: -1 }, 'bad-type'],
      [{ groupId: 'gX', name: 'X', ordering: 'fifo', viewId: 1.5 }, 'bad-type'],
      [{ groupId: 'gX', name: 'X', ordering: 'chaos', viewId: 1 }, 'bad-type'],
      // The next view would not be a safe integer: every honest engine would refuse it.
      [{ groupId: 'gX', name: 'X', ordering: 'fifo', viewId: Number.MAX_SAFE_INTEGER }, 'too-large'],
      [{ groupId: 'gX', name: 'X', ordering: 'fifo', viewId: MAX_VIEW_ID + 1 }, 'too-large'],
    ] as const) {
      expect(await call(a.socket, 'group:restore', payload), JSON.stringify(payload)).toMatchObject({ ok: false, error: { code } });
    }
    a.close();
  });
});
