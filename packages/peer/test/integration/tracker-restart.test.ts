// The tracker process is SIGKILLed mid-chat and started again on the same
// port. Messages never pass through the tracker, so the mesh keeps
// delivering while it is down; afterwards every peer re-authenticates and
// the tracker's membership of the group is rebuilt. Run against both stores:
// in memory (the restarted tracker forgot the group; members restore it) and
// Redis (the directory and views survive; the dead node's sessions are reaped).

import { afterEach, describe, expect, it } from 'vitest';
import type { GroupId, MemberInfo } from '@chorus/protocol';
import type { ChildPeer } from './child-peer.ts';
import { bodiesOf, duplicates, fifoViolation, groupOf, idsOf, logOf, startPeers, stopAll, waitFor } from './cluster.ts';
import { RedisProcess, TrackerProcess, freePort } from './service-processes.ts';
import { INTEGRATION_TRACKER_TIMERS } from './tracker-timers.ts';

let redis: RedisProcess | null = null;
let tracker: TrackerProcess | null = null;
let peers: ChildPeer[] = [];

async function startServices(store: 'memory' | 'redis'): Promise<TrackerProcess> {
  if (store === 'redis') redis = await RedisProcess.start();
  tracker = new TrackerProcess(await freePort(), {
    ...(redis ? { REDIS_URL: redis.url } : {}),
    HEARTBEAT_INTERVAL_MS: String(INTEGRATION_TRACKER_TIMERS.heartbeatIntervalMs),
    HEARTBEAT_TIMEOUT_MS: String(INTEGRATION_TRACKER_TIMERS.heartbeatTimeoutMs),
    LINK_GRACE_MS: String(INTEGRATION_TRACKER_TIMERS.linkGraceMs),
    JOIN_TIMEOUT_MS: String(INTEGRATION_TRACKER_TIMERS.joinTimeoutMs),
    // The dead node's sessions are reaped after this; short so the test does not wait long.
    NODE_TTL_MS: '1000',
  });
  await tracker.start();
  return tracker;
}

afterEach(async () => {
  await stopAll(peers);
  peers = [];
  await tracker?.kill();
  tracker = null;
  await redis?.stop();
  redis = null;
});

const hasAll = (log: readonly { body: string }[], bodies: readonly string[]): boolean => {
  const have = new Set(log.map((m) => m.body));
  return bodies.every((b) => have.has(b));
};
const sent = (ps: readonly ChildPeer[], round: string, n: number): string[] =>
  ps.flatMap((p) => Array.from({ length: n }, (_, k) => `${p.name}-${round}:${k + 1}`));

describe.each(['memory', 'redis'] as const)('tracker restart mid-chat (%s store)', (store) => {
  it('keeps delivering over the mesh while the tracker is down, and rebuilds membership after', async () => {
    const t = await startServices(store);
    peers = await startPeers(t.url, ['ana', 'ben', 'cy']);
    const g: GroupId = await groupOf(peers, 'survives-restart', 'total');
    const burst = (round: string, n: number): Promise<unknown> =>
      Promise.all(peers.map((p) => p.burst(g, n, `${p.name}-${round}:`)));
    const everyoneHas = async (bodies: readonly string[], what: string): Promise<void> => {
      let logs: (readonly { body: string }[])[] = [];
      try {
        await waitFor(
          what,
          async () => {
            logs = await Promise.all(peers.map((p) => logOf(p, g)));
            return logs.every((l) => hasAll(l, bodies));
          },
          30_000,
        );
      } catch (e) {
        // Name what is missing where: a bare timeout says nothing about the cause.
        const missing = logs.map(
          (l, i) =>
            `${peers[i]?.name} (${l.length} stored) lacks ${bodies
              .filter((b) => !l.some((m) => m.body === b))
              .slice(0, 8)
              .join(' ')}`,
        );
        throw new Error(`${(e as Error).message}\n  ${missing.join('\n  ')}`);
      }
    };

    await burst('before', 10);
    await everyoneHas(sent(peers, 'before', 10), 'messages before the restart');

    const viewBefore = (peers[0] as ChildPeer).groups().find((x) => x.groupId === g)?.view?.viewId ?? 0;
    await t.kill();
    await burst('down', 10);
    await everyoneHas(sent(peers, 'down', 10), 'messages while the tracker is down');

    await t.start();
    // Wait on the pushed state (no tracker traffic: polling the tracker would trip its rate limit).
    await waitFor(
      'every peer installs a newer view of all three',
      () =>
        peers.every((p) => {
          const view = p.groups().find((x) => x.groupId === g)?.view;
          return (
            view !== null && view !== undefined && view.viewId > viewBefore && view.members.length === peers.length
          );
        }),
      45_000,
    );
    // The tracker's own membership of the group has all three again.
    const res = await (peers[0] as ChildPeer).command('/members survives-restart', g);
    expect(res.kind).toBe('members');
    if (res.kind === 'members')
      expect(res.members.map((m: MemberInfo) => m.peerId).sort()).toEqual(peers.map((p) => p.peerId).sort());

    await burst('after', 10);
    const all = [...sent(peers, 'before', 10), ...sent(peers, 'down', 10), ...sent(peers, 'after', 10)];
    await everyoneHas(all, 'messages after the restart');

    const logs = await Promise.all(peers.map((p) => logOf(p, g)));
    const reference = idsOf(logs[0] ?? []);
    logs.forEach((log, i) => {
      expect(duplicates(log)).toEqual([]);
      expect(fifoViolation(log)).toBeNull();
      expect(idsOf(log), `${peers[i]?.name}'s log differs from ana's`).toEqual(reference);
      expect([...bodiesOf(log)].sort()).toEqual([...all].sort());
    });
  }, 150_000);
});
