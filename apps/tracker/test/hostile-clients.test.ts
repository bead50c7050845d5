// Issue 12's medium and low tracker findings, each through a real socket:
// what one unprivileged client could learn or leave behind.

import { randomBytes, scryptSync } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { charterGroupId } from '@chorus/protocol';
import type { GroupCharter, GroupSummary, JoinReply, JoinerGoneNotice, JoiningNotice } from '@chorus/protocol';
import type { RunningTracker, TrackerConfig } from '../src/index.ts';
import { admit, call, callWithin, connected, connectClient, rawSocket, startTestTracker, unwrap } from './helpers.ts';
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
    await admit(m, [alice], g.groupId);
    await new Promise((r) => setTimeout(r, 300));
    expect(alice.events.all<JoinerGoneNotice>('group:joiner-gone').some((n) => n.peerId === m.peerId)).toBe(false);
  });
});

describe('password checks', () => {
  it('are rationed per address across sessions', async () => {
    const t = await start({
      passwordRateLimit: { burst: 5, perSecond: 0.01 },
      passwordRateLimitPerAddress: { burst: 6, perSecond: 0.01 },
    });
    const owner = await client(t, 'Owner');
    const g = unwrap(
      await call<GroupSummary>(owner.socket, 'group:create', { name: 'vault', ordering: 'fifo', password: 'right' }),
    );
    // Three sessions from one address, four guesses each, all at once: the address has 6 - 1 (the create) left.
    const guessers = await Promise.all([0, 1, 2].map((i) => client(t, `Guesser ${i}`)));
    const results = await Promise.all(
      guessers.flatMap((c, i) =>
        [0, 1, 2, 3].map((k) =>
          callWithin(60_000, c.socket, 'group:join', { groupId: g.groupId, password: `guess-${i}-${k}` }),
        ),
      ),
    );
    const codes = results.map((r) => (r.ok ? 'ok' : r.error.code));
    expect(codes.filter((c) => c === 'wrong-password').length).toBe(5);
    expect(codes.filter((c) => c === 'rate-limited').length).toBe(7);
  }, 90_000);

  it('the node-wide budget holds against many addresses', async () => {
    const t = await start({
      passwordRateLimit: { burst: 5, perSecond: 0.01 },
      passwordRateLimitPerAddress: { burst: 1_000, perSecond: 1_000 },
      passwordRateLimitGlobal: { burst: 4, perSecond: 0.01 },
    });
    const owner = await client(t, 'Owner');
    const g = unwrap(
      await call<GroupSummary>(owner.socket, 'group:create', { name: 'vault', ordering: 'fifo', password: 'right' }),
    );
    const guessers = await Promise.all([0, 1].map((i) => client(t, `Guesser ${i}`)));
    const results = await Promise.all(
      guessers.flatMap((c) =>
        [0, 1, 2].map((k) =>
          callWithin(60_000, c.socket, 'group:join', { groupId: g.groupId, password: `guess-${k}` }),
        ),
      ),
    );
    const codes = results.map((r) => (r.ok ? 'ok' : r.error.code));
    expect(codes.filter((c) => c === 'wrong-password').length).toBe(3);
    expect(codes.filter((c) => c === 'rate-limited').length).toBe(3);
  }, 90_000);

  it('new locks use current scrypt parameters, and a lock written with the old ones still opens', async () => {
    const t = await start();
    const a = await client(t, 'Alice');
    const g = unwrap(
      await call<GroupSummary>(a.socket, 'group:create', { name: 'modern', ordering: 'fifo', password: 'pw' }),
    );
    const joined = unwrap(await call<JoinReply>(a.socket, 'group:join', { groupId: g.groupId, password: 'pw' }));
    expect(joined.charter?.lock).toMatch(/^scrypt\$32768\$8\$3\$/);

    // A group locked before the change (N=2^14, p=1) comes back by restore and opens with its password.
    const salt = randomBytes(16);
    const key = scryptSync('old-pw', salt, 32, { N: 16_384, r: 8, p: 1 });
    const charter: GroupCharter = {
      v: 1,
      name: 'vintage',
      ordering: 'fifo',
      createdBy: 'Alice',
      creatorKey: a.key.publicKey,
      createdAt: 1,
      nonce: randomBytes(16).toString('base64url'),
      lock: `scrypt$16384$8$1$${salt.toString('base64')}$${key.toString('base64')}`,
    };
    const groupId = await charterGroupId(charter);
    unwrap(await call(a.socket, 'group:restore', { groupId, charter, viewId: 0, password: 'old-pw' }));
    const b = await client(t, 'Bob');
    expect(await call(b.socket, 'group:join', { groupId, password: 'nope' })).toMatchObject({
      ok: false,
      error: { code: 'wrong-password' },
    });
    unwrap(await call(b.socket, 'group:join', { groupId, password: 'old-pw' }));
  });
});

describe('who is online', () => {
  it('a member cannot tell by signaling whether someone outside the group is connected', async () => {
    const t = await start();
    const a = await client(t, 'Alice');
    const elsewhere = await client(t, 'Carol'); // online, in no group of Alice's
    const g = unwrap(await call<GroupSummary>(a.socket, 'group:create', { name: 'probe', ordering: 'fifo' }));
    unwrap(await call(a.socket, 'group:join', { groupId: g.groupId }));
    const online = await call(a.socket, 'signal', { groupId: g.groupId, to: elsewhere.peerId, data: { x: 1 } });
    const nobody = await call(a.socket, 'signal', { groupId: g.groupId, to: 'pnobodyatall', data: { x: 1 } });
    const shape = (r: typeof online, id: string): unknown =>
      r.ok ? r : { code: r.error.code, message: r.error.message.replace(id, '<peer>') };
    expect(shape(online, elsewhere.peerId)).toEqual(shape(nobody, 'pnobodyatall'));
    expect(online).toMatchObject({ ok: false, error: { code: 'not-member' } });
  });
});

describe('sessions', () => {
  it('a peer id whose session ended cannot be taken by another key; its own key may come back', async () => {
    const t = await start();
    const alice = await client(t, 'Alice');
    const { peerId, key } = alice;
    alice.close();
    await new Promise((r) => setTimeout(r, 200)); // the tracker has cleaned the session up
    await expect(connectClient(t.url, 'Eve', peerId)).rejects.toThrow(/bad-state: .*another key/);
    const back = await connectClient(t.url, 'Alice', peerId, key);
    clients.push(back);
    expect(back.hello.peerId).toBe(peerId);
  });

  it('a socket that never says hello is disconnected after the auth timeout; one that did stays', async () => {
    // Long enough for an honest hello on a loaded machine (it makes a key and signs a nonce first).
    const t = await start({ authTimeoutMs: 2_000 });
    const silent = rawSocket(t.url);
    await connected(silent);
    const dropped = new Promise<string>((resolve) => silent.on('disconnect', (reason) => resolve(reason)));
    const a = await client(t, 'Speaks');
    expect(await dropped).toBe('io server disconnect');
    // Past the same timeout for the one that said hello: still served.
    await new Promise((r) => setTimeout(r, 2_200));
    expect(a.socket.connected).toBe(true);
    unwrap(await call(a.socket, 'directory:list'));
  });

  it('a socket that stops heartbeating is failed out of its groups, then disconnected', async () => {
    const t = await start({ heartbeatIntervalMs: 50, heartbeatTimeoutMs: 300 });
    const a = await client(t, 'Hung');
    const g = unwrap(await call<GroupSummary>(a.socket, 'group:create', { name: 'hb', ordering: 'fifo' }));
    unwrap(await call(a.socket, 'group:join', { groupId: g.groupId }));
    const disconnected = new Promise<number>((resolve) => a.socket.on('disconnect', () => resolve(Date.now())));
    const stoppedAt = Date.now();
    a.stopHeartbeats();
    await a.events.next('group:removed', () => true, 5_000);
    const at = await disconnected;
    // The last heartbeat the tracker counted may have left up to one interval before stoppedAt.
    expect(at - stoppedAt).toBeGreaterThanOrEqual(2 * 300 - 50);
    expect(at - stoppedAt).toBeLessThan(5_000);
  });
});

describe('public HTTP', () => {
  it("/api/stats and /metrics do not show a locked group's name or creator", async () => {
    const t = await start();
    const a = await client(t, 'Secretive Sam');
    const b = await client(t, 'Open Olga');
    unwrap(await call(a.socket, 'group:create', { name: 'hidden agenda', ordering: 'fifo', password: 'pw' }));
    unwrap(await call(b.socket, 'group:create', { name: 'open house', ordering: 'fifo' }));
    const stats = await (await fetch(`${t.url}/api/stats`)).text();
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    for (const body of [stats, metrics]) {
      expect(body).not.toContain('hidden agenda');
      expect(body).not.toContain('Secretive Sam');
    }
    expect(stats).toContain('open house');
    const dir = (JSON.parse(stats) as { directory: Record<string, unknown>[] }).directory;
    expect(dir.find((g) => g['locked'] === true)).toEqual(expect.not.objectContaining({ name: expect.anything() }));
  });

  it('every response carries a CSP and the usual security headers', async () => {
    const t = await start();
    for (const path of ['/healthz', '/metrics', '/nothing-here']) {
      const res = await fetch(`${t.url}${path}`);
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp, path).toContain("script-src 'self'");
      expect(csp, path).toContain("frame-ancestors 'none'");
      expect(csp, path).toContain("object-src 'none'");
      expect(res.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(res.headers.get('x-frame-options'), path).toBe('DENY');
      expect(res.headers.get('referrer-policy'), path).toBe('no-referrer');
    }
  });
});
