// One client must not be able to fill the tracker or flood everyone else
// (issue 12, finding 5): caps on groups per key, per address and in total, on
// members per group and connections per address; empty groups expire; the
// directory goes out as a small first page and deltas, never whole. The soak
// of all of these under one flood is soak.test.ts.

import { afterEach, describe, expect, it } from 'vitest';
import { DIRECTORY_PAGE_GROUPS } from '@chorus/protocol';
import type { DirectoryDelta, DirectoryPage, GroupSummary, HelloReply } from '@chorus/protocol';
import type { RunningTracker, TrackerConfig } from '../src/index.ts';
import { DIRECTORY_PUSH_COALESCE_MS } from '../src/tracker-service.ts';
import { call, connectClient, connected, rawSocket, startTestTracker, unwrap } from './helpers.ts';
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
const client = async (t: RunningTracker, name: string): Promise<TestClient> => {
  const c = await connectClient(t.url, name);
  clients.push(c);
  return c;
};
const bytes = (x: unknown): number => Buffer.byteLength(JSON.stringify(x));
const code = (r: { ok: boolean; error?: { code: string } }): string => (r.ok ? 'ok' : (r.error?.code ?? '?'));

describe('directory at scale', () => {
  it('an honest hello stays under 20 kB with 5 000 groups; pages and search reach the rest; an idle client gets deltas only', async () => {
    const GROUPS = 5_000;
    const WRITERS = 10;
    const t = await start({
      maxGroupsPerKey: GROUPS,
      maxGroupsPerAddress: 2 * GROUPS,
      eventRateLimit: { burst: 1e6, perSecond: 1e6 },
    });
    const idle = await client(t, 'Idle');
    const writers = await Promise.all(Array.from({ length: WRITERS }, (_, w) => client(t, `Writer ${w}`)));
    await Promise.all(
      writers.map(async (c, w) => {
        for (let i = w; i < GROUPS; i += WRITERS)
          unwrap(
            await call(c.socket, 'group:create', {
              name: `study group ${i}`,
              ordering: i % 2 === 0 ? 'fifo' : 'total',
            }),
          );
      }),
    );

    const fresh = await client(t, 'Fresh');
    const helloBytes = bytes(fresh.hello);
    console.log(
      `hello with ${GROUPS} groups in the directory: ${helloBytes} bytes, ${fresh.hello.directory.length} groups in its first page`,
    );
    expect(helloBytes).toBeLessThanOrEqual(20_000);
    expect(fresh.hello.directoryTotal).toBe(GROUPS);
    expect(fresh.hello.directory.length).toBe(DIRECTORY_PAGE_GROUPS);

    // Everything else is one search or a few pages away.
    const found = unwrap(await call<DirectoryPage>(fresh.socket, 'directory:list', { query: 'Study Group 4321' }));
    expect(found.groups.map((g) => g.name)).toEqual(['study group 4321']);
    const page2 = unwrap(await call<DirectoryPage>(fresh.socket, 'directory:list', { offset: DIRECTORY_PAGE_GROUPS }));
    expect(page2).toMatchObject({ total: GROUPS, offset: DIRECTORY_PAGE_GROUPS });
    expect(page2.groups.some((g) => fresh.hello.directory.some((h) => h.groupId === g.groupId))).toBe(false);
    expect(bytes(page2)).toBeLessThanOrEqual(20_000);

    // One more group: every connected client is told about that one, not sent 5 001.
    // (First let the pushes of the 5 000 creations drain.)
    for (let n = -1; n !== idle.events.log.length;) {
      n = idle.events.log.length;
      await new Promise((r) => setTimeout(r, 3 * DIRECTORY_PUSH_COALESCE_MS));
    }
    const before = idle.events.log.length;
    const floodBytes = idle.events.log
      .filter((e) => e.event === 'directory:delta')
      .reduce((a, e) => a + bytes(e.payload), 0);
    console.log(`an idle client received ${floodBytes} bytes of directory deltas while ${GROUPS} groups were created`);
    const g = unwrap(await call<GroupSummary>(fresh.socket, 'group:create', { name: 'the new one', ordering: 'fifo' }));
    const delta = await idle.events.next<DirectoryDelta>('directory:delta', (d) =>
      d.upserted.some((x) => x.groupId === g.groupId),
    );
    expect(delta.upserted.length).toBe(1);
    expect(bytes(delta)).toBeLessThan(1_000);
    const pushed = idle.events.log.slice(before).filter((e) => e.event === 'directory:delta');
    expect(pushed.reduce((a, e) => a + bytes(e.payload), 0)).toBeLessThan(2_000);
    expect(idle.events.log.some((e) => e.event === 'directory:changed')).toBe(false);
  }, 120_000);

  it('pages are capped in bytes too: a directory of 64-character emoji names still fits', async () => {
    const t = await start({ maxGroupsPerKey: 100, eventRateLimit: { burst: 1e6, perSecond: 1e6 } });
    const a = await client(t, '🦄'.repeat(64));
    for (let i = 0; i < 60; i++)
      unwrap(
        await call(a.socket, 'group:create', {
          name: `${'🐙'.repeat(60)}${String(i).padStart(4, '0')}`,
          ordering: 'fifo',
        }),
      );
    const b = await client(t, 'Bob');
    expect(bytes(b.hello)).toBeLessThanOrEqual(20_000);
    expect(b.hello.directoryTotal).toBe(60);
  });
});

describe('caps', () => {
  it('a script cannot fill the directory: groups per key, per address and in total are capped with too-many', async () => {
    const t = await start({ maxGroupsPerKey: 3, maxGroupsPerAddress: 5, maxGroups: 100 });
    // Five sockets of one process (one address), each its own key, as in the probe.
    const bots = await Promise.all(Array.from({ length: 5 }, (_, i) => client(t, `Bot ${i}`)));
    const outcomes = await Promise.all(
      bots.map(async (b, i) => {
        const codes: string[] = [];
        for (let k = 0; k < 10; k++)
          codes.push(code(await call(b.socket, 'group:create', { name: `spam ${i}-${k}`, ordering: 'fifo' })));
        return codes;
      }),
    );
    const all = outcomes.flat();
    expect(all.filter((c) => c === 'ok').length).toBeLessThanOrEqual(5 + bots.length); // racing sockets overshoot by at most their number
    expect(all.filter((c) => c === 'too-many').length).toBeGreaterThanOrEqual(40);
    for (const codes of outcomes) expect(codes.filter((c) => c === 'ok').length).toBeLessThanOrEqual(3);
    const page = unwrap(await call<DirectoryPage>(bots[0]!.socket, 'directory:list'));
    expect(page.total).toBeLessThanOrEqual(10);
  });

  it('caps the total number of groups', async () => {
    const t = await start({ maxGroups: 2 });
    const a = await client(t, 'A');
    const b = await client(t, 'B');
    unwrap(await call(a.socket, 'group:create', { name: 'one', ordering: 'fifo' }));
    unwrap(await call(b.socket, 'group:create', { name: 'two', ordering: 'fifo' }));
    const r = await call(b.socket, 'group:create', { name: 'three', ordering: 'fifo' });
    expect(r).toMatchObject({ ok: false, error: { code: 'too-many' } });
  });

  it('caps members and joiners per group; a member re-joining is not refused', async () => {
    const t = await start({ maxMembersPerGroup: 2 });
    const [a, b, c] = await Promise.all([client(t, 'A'), client(t, 'B'), client(t, 'C')]);
    const g = unwrap(await call<GroupSummary>(a.socket, 'group:create', { name: 'small', ordering: 'fifo' }));
    unwrap(await call(a.socket, 'group:join', { groupId: g.groupId }));
    unwrap(await call(b.socket, 'group:join', { groupId: g.groupId })); // joining: counts
    expect(await call(c.socket, 'group:join', { groupId: g.groupId })).toMatchObject({
      ok: false,
      error: { code: 'too-many' },
    });
    unwrap(await call(b.socket, 'group:join', { groupId: g.groupId })); // the joiner asking again is fine
    unwrap(await call(b.socket, 'group:leave', { groupId: g.groupId }));
    unwrap(await call(c.socket, 'group:join', { groupId: g.groupId }));
  });

  it('caps open connections per address; closing one makes room', async () => {
    const t = await start({ maxConnectionsPerAddress: 3 });
    const held = await Promise.all(
      [0, 1, 2].map(async () => {
        const s = rawSocket(t.url);
        await connected(s);
        return s;
      }),
    );
    const extra = rawSocket(t.url);
    const refused = new Promise<{ code: string }>((resolve) => extra.on('tracker:error', resolve));
    const gone = new Promise<void>((resolve) => extra.on('disconnect', () => resolve()));
    await connected(extra);
    expect(await refused).toMatchObject({ code: 'too-many' });
    await gone;
    held[0]!.disconnect();
    await new Promise((r) => setTimeout(r, 100));
    const again = await client(t, 'Again');
    expect(again.socket.connected).toBe(true);
    for (const s of held) s.disconnect();
  });
});

describe('empty groups expire', () => {
  it('a group nobody is in is removed after the TTL (and its removal pushed); an occupied one stays', async () => {
    const t = await start({ emptyGroupTtlMs: 400 });
    const a = await client(t, 'A');
    const watcher = await client(t, 'Watcher');
    const empty = unwrap(await call<GroupSummary>(a.socket, 'group:create', { name: 'ghost town', ordering: 'fifo' }));
    const lively = unwrap(await call<GroupSummary>(a.socket, 'group:create', { name: 'lively', ordering: 'fifo' }));
    unwrap(await call(a.socket, 'group:join', { groupId: lively.groupId }));
    await watcher.events.next<DirectoryDelta>('directory:delta', (d) => d.removed.includes(empty.groupId), 5_000);
    const page = unwrap(await call<DirectoryPage>(watcher.socket, 'directory:list'));
    expect(page.groups.map((g) => g.groupId)).toEqual([lively.groupId]);
    expect(await call(watcher.socket, 'group:join', { groupId: empty.groupId })).toMatchObject({
      ok: false,
      error: { code: 'not-found' },
    });
    // Its name is free again.
    unwrap(await call(watcher.socket, 'group:create', { name: 'Ghost Town', ordering: 'total' }));
  });
});

// Unused-type guard: the hello reply shape this file relies on.
export type _Hello = HelloReply;
