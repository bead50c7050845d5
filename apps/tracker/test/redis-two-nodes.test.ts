// Two tracker processes on one real redis-server (started here on a free
// port): shared directory and views, cross-node signaling, and a SIGKILLed
// node's sessions evicted by the survivor with reason `failed`.

import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  DirectoryDelta,
  GroupSummary,
  JoinReply,
  JoiningNotice,
  MemberInfo,
  SignalDelivery,
  View,
} from '@chorus/protocol';
import { admit, call, connectClient, unwrap } from './helpers.ts';
import type { TestClient } from './helpers.ts';
import { redisMissing, startRedis } from './redis-server.ts';
import type { RedisServer } from './redis-server.ts';

const TRACKER_DIR = resolve(import.meta.dirname, '..');

interface Proc {
  readonly child: ChildProcess;
  output: string;
  readonly exited: Promise<void>;
}

function run(cmd: string, args: string[], env: Record<string, string>, cwd = TRACKER_DIR): Proc {
  const child = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const p: Proc = { child, output: '', exited: new Promise((r) => child.once('exit', () => r())) };
  child.stdout?.on('data', (d: Buffer) => (p.output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (p.output += d.toString()));
  return p;
}

async function until<T>(what: string, p: Proc, f: () => T | undefined, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = f();
    if (v !== undefined) return v;
    if (p.child.exitCode !== null || Date.now() > deadline) throw new Error(`${what} did not happen:\n${p.output}`);
    await new Promise((r) => setTimeout(r, 30));
  }
}

let redis: RedisServer | undefined;
const procs: Proc[] = [];

async function startNode(env: Record<string, string> = {}): Promise<{ url: string; proc: Proc }> {
  const proc = run(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    PORT: '0',
    HOST: '127.0.0.1',
    REDIS_URL: redis!.url,
    HEARTBEAT_INTERVAL_MS: '200',
    HEARTBEAT_TIMEOUT_MS: '3000',
    NODE_TTL_MS: '1000',
    LOG_LEVEL: 'info',
    ...env,
  });
  procs.push(proc);
  const port = await until(
    'tracker listening',
    proc,
    () => /"port":(\d+).*"msg":"tracker listening"/.exec(proc.output)?.[1],
  );
  return { url: `http://127.0.0.1:${port}`, proc };
}

beforeAll(async () => {
  if (!redisMissing) redis = await startRedis();
});

afterAll(async () => {
  for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  await Promise.all(procs.map((p) => p.exited));
  await redis?.stop();
});

describe.skipIf(redisMissing)('two tracker nodes on Redis', () => {
  it("share groups, views and signaling; a SIGKILLed node's sessions fail on the survivor; viewIds keep growing", async () => {
    const [nodeA, nodeB] = await Promise.all([startNode(), startNode()]);
    const alice = await connectClient(nodeA.url, 'Alice');
    const bob = await connectClient(nodeB.url, 'Bob');
    const carol = await connectClient(nodeB.url, 'Carol');

    const g = unwrap(await call<GroupSummary>(alice.socket, 'group:create', { name: 'cluster', ordering: 'total' }));
    // The directory change made on A is pushed to a client on B.
    await bob.events.next<DirectoryDelta>('directory:delta', (d) => d.upserted.some((x) => x.groupId === g.groupId));
    expect(await call(bob.socket, 'group:create', { name: 'Cluster', ordering: 'fifo' })).toMatchObject({
      ok: false,
      error: { code: 'name-taken' },
    });

    unwrap(await call(alice.socket, 'group:join', { groupId: g.groupId }));
    const joined = unwrap(await call<JoinReply>(bob.socket, 'group:join', { groupId: g.groupId }));
    expect(joined.view.members.map((m) => m.peerId)).toEqual([alice.peerId]);
    await alice.events.next<JoiningNotice>('group:joining', (n) => n.peer.peerId === bob.peerId);

    // Signaling crosses nodes both ways, with `from` set by the tracker.
    unwrap(await call(bob.socket, 'signal', { groupId: g.groupId, to: alice.peerId, data: { type: 'offer' } }));
    expect(await alice.events.next<SignalDelivery>('signal')).toEqual({
      groupId: g.groupId,
      from: bob.peerId,
      data: { type: 'offer' },
    });
    unwrap(await call(alice.socket, 'signal', { groupId: g.groupId, to: bob.peerId, data: { type: 'answer' } }));
    expect((await bob.events.next<SignalDelivery>('signal')).from).toBe(alice.peerId);

    const v2 = await admit(bob, [alice], g.groupId);
    unwrap(await call(carol.socket, 'group:join', { groupId: g.groupId }));
    const v3 = await admit(carol, [alice, bob], g.groupId);
    expect(v3.viewId).toBe(v2.viewId + 1);
    for (const c of [alice, bob, carol]) {
      const seen = await c.events.next<View>('group:view', (v) => v.groupId === g.groupId && v.viewId === v3.viewId);
      expect(seen.members.map((m) => m.peerId).sort()).toEqual([alice.peerId, bob.peerId, carol.peerId].sort());
    }

    nodeA.proc.child.kill('SIGKILL');
    await nodeA.proc.exited;
    const failedView = await bob.events.next<View>(
      'group:view',
      (v) => v.groupId === g.groupId && v.changes.some((c) => c.peerId === alice.peerId),
      15_000,
    );
    expect(failedView.changes).toEqual([{ peerId: alice.peerId, change: 'failed' }]);
    expect(failedView.viewId).toBe(v3.viewId + 1);
    expect(failedView.members.map((m) => m.peerId).sort()).toEqual([bob.peerId, carol.peerId].sort());
    await carol.events.next<View>('group:view', (v) => v.viewId === failedView.viewId);

    // A restarted node continues the same viewIds from Redis, and Alice's peer id is free again.
    const nodeA2 = await startNode();
    const alice2 = await connectClient(nodeA2.url, 'Alice', alice.peerId);
    const back = unwrap(await call<JoinReply>(alice2.socket, 'group:join', { groupId: g.groupId }));
    expect(back.view.viewId).toBe(failedView.viewId);
    const v5 = await admit(alice2, [bob, carol], g.groupId);
    expect(v5.viewId).toBe(failedView.viewId + 1);
    expect(back.group.online).toBe(2);

    for (const c of [alice, alice2, bob, carol]) c.close();
  });

  it('lets a session whose node died reconnect to another node at once; its old self fails out of its groups', async () => {
    // A long node TTL: the reaper stays out of it, so this is the takeover path alone.
    const slow = { NODE_TTL_MS: '60000' };
    const [nodeA, nodeB] = await Promise.all([startNode(slow), startNode(slow)]);
    const alice = await connectClient(nodeA.url, 'Alice');
    const bob = await connectClient(nodeB.url, 'Bob');
    const g = unwrap(await call<GroupSummary>(bob.socket, 'group:create', { name: 'restart', ordering: 'fifo' }));
    unwrap(await call(bob.socket, 'group:join', { groupId: g.groupId }));
    unwrap(await call(alice.socket, 'group:join', { groupId: g.groupId }));
    const v = await admit(alice, [bob], g.groupId);

    nodeA.proc.child.kill('SIGKILL');
    await nodeA.proc.exited;
    const again = await connectClient(nodeB.url, 'Alice', alice.peerId, alice.key);
    expect(again.hello.peerId).toBe(alice.peerId);
    const failed = await bob.events.next<View>(
      'group:view',
      (x) => x.groupId === g.groupId && x.viewId === v.viewId + 1,
    );
    expect(failed.changes).toEqual([{ peerId: alice.peerId, change: 'failed' }]);
    // A different key still cannot take the peer id.
    await expect(connectClient(nodeB.url, 'Mallory', alice.peerId)).rejects.toThrow(/different key/);
    unwrap(await call(again.socket, 'group:join', { groupId: g.groupId }));
    const back = await admit(again, [bob], g.groupId);
    expect(back.members.map((m) => m.peerId).sort()).toEqual([alice.peerId, bob.peerId].sort());
    for (const c of [alice, again, bob]) c.close();
  });

  it('the first session back from a dead node fails its other stale sessions at once, so a re-joiner finds no stale members', async () => {
    // A long node TTL: the reaper stays out of it; only the takeover's sweep can fail Carol.
    const slow = { NODE_TTL_MS: '60000' };
    const [nodeA, nodeB] = await Promise.all([startNode(slow), startNode(slow)]);
    const alice = await connectClient(nodeA.url, 'Alice');
    const carol = await connectClient(nodeA.url, 'Carol');
    const bob = await connectClient(nodeB.url, 'Bob');
    const g = unwrap(await call<GroupSummary>(bob.socket, 'group:create', { name: 'sweep', ordering: 'total' }));
    const installed: TestClient[] = [];
    for (const c of [bob, alice, carol]) {
      unwrap(await call(c.socket, 'group:join', { groupId: g.groupId }));
      if (installed.length > 0) await admit(c, installed, g.groupId);
      installed.push(c);
    }

    nodeA.proc.child.kill('SIGKILL');
    await nodeA.proc.exited;
    const again = await connectClient(nodeB.url, 'Alice', alice.peerId, alice.key);
    // Answered only after the sweep: Carol, still away, is out of the group too.
    const members = unwrap(await call<MemberInfo[]>(bob.socket, 'group:members', { groupId: g.groupId }));
    expect(members.map((m) => m.peerId)).toEqual([bob.peerId]);
    // Carol, back later, binds her peer id again at once and can re-join.
    const carol2 = await connectClient(nodeB.url, 'Carol', carol.peerId, carol.key);
    unwrap(await call(carol2.socket, 'group:join', { groupId: g.groupId }));
    for (const c of [alice, again, bob, carol, carol2]) c.close();
  });
});
