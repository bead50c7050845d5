// Issue 12's medium and low tracker findings, each through a real socket:
// what one unprivileged client could learn or leave behind.

import { afterEach, describe, expect, it } from 'vitest';
import type { GroupSummary, JoinerGoneNotice, JoiningNotice } from '@chorus/protocol';
import type { RunningTracker, TrackerConfig } from '../src/index.ts';
import { call, connectClient, startTestTracker, unwrap } from './helpers.ts';
import type { TestClient } from './helpers.ts';

let trackers: RunningTracker[] = [];
let clients: TestClient[] = [];
afterEach(async () => {
  for (const c of clients) c.close();
  clients = [];
  await Promise.all(trackers.map((t) => t.close()));
  trackers = [];
});
const start = async (over: Partial<TrackerConfig> = {}): Promise<RunningTracker> => {
  const t = await startTestTracker(over);
  trackers.push(t);
  return t;
};
const client = async (t: RunningTracker, name: string, ...rest: Parameters<typeof connectClient> extends [string, string?, ...infer R] ? R : never): Promise<TestClient> => {
  const c = await connectClient(t.url, name, ...rest);
  clients.push(c);
  return c;
};

describe('joiners that vanish', () => {
  it('are announced to the members that were told of them, whether they leave, drop or time out', async () => {
    const t = await start({ joinTimeoutMs: 600 });
    const alice = await client(t, 'Alice');
    const g = unwrap(await call<GroupSummary>(alice.socket, 'group:create', { name: 'door', ordering: 'fifo' }));
    unwrap(await call(alice.socket, 'group:join', { groupId: g.groupId }));
    const cases: [string, (j: TestClient) => Promise<void>][] = [
      ['leaves', async (j) => void unwrap(await call(j.socket, 'group:leave', { groupId: g.groupId }))],
      ['drops', async (j) => j.close()],
      ['times out', async () => {}],
    ];
    for (const [how, vanish] of cases) {
      const j = await client(t, `Joiner who ${how}`);
      unwrap(await call(j.socket, 'group:join', { groupId: g.groupId }));
      await alice.events.next<JoiningNotice>('group:joining', (n) => n.peer.peerId === j.peerId);
      await vanish(j);
      const gone = await alice.events.next<JoinerGoneNotice>('group:joiner-gone', (n) => n.peerId === j.peerId, 5_000);
      expect(gone, how).toEqual({ groupId: g.groupId, peerId: j.peerId });
    }
    // An installed joiner is not "gone".
    const m = await client(t, 'Member');
    unwrap(await call(m.socket, 'group:join', { groupId: g.groupId }));
    unwrap(await call(m.socket, 'group:links-ready', { groupId: g.groupId }));
    await new Promise((r) => setTimeout(r, 300));
    expect(alice.events.all<JoinerGoneNotice>('group:joiner-gone').some((n) => n.peerId === m.peerId)).toBe(false);
  });
});
