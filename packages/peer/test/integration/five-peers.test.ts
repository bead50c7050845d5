// Five real peers (one process each, WebRTC data channels, a real tracker)
// under the loads and faults the product promises to survive: concurrent
// bursts, a SIGKILL mid-burst, a late joiner, a data channel destroyed under
// load. Each test asserts what users would see in their logs.

import { describe, expect, it } from 'vitest';
import type { ChildPeer } from './child-peer.ts';
import {
  bodiesOf,
  duplicates,
  fifoViolation,
  groupOf,
  idsOf,
  logOf,
  logsWithAtLeast,
  clusterPerTest,
  startPeers,
  waitFor,
} from './cluster.ts';

const NAMES = ['ana', 'ben', 'cy', 'dee', 'eve'];
/** Per peer per burst: 5 x 40 = 200 messages in flight at once, several per data channel per millisecond. */
const BURST = 40;

const cluster = clusterPerTest();

/** Every peer bursts at once; bodies are `${name}:${k}`. */
const burstAll = (
  ps: readonly ChildPeer[],
  groupId: Parameters<ChildPeer['burst']>[0],
  count: number,
  round = '',
): Promise<unknown> => Promise.all(ps.map((p) => p.burst(groupId, count, `${p.name}${round}:`)));

describe('five peers over WebRTC', () => {
  it('total order: concurrent bursts end in one identical log, each sender in its order', async () => {
    cluster.peers = await startPeers(cluster.tracker.url, NAMES);
    const g = await groupOf(cluster.peers, 'five-total', 'total');
    await burstAll(cluster.peers, g, BURST);
    const logs = await logsWithAtLeast(cluster.peers, g, NAMES.length * BURST, 'total burst');

    const reference = idsOf(logs[0] ?? []);
    expect(reference).toHaveLength(NAMES.length * BURST);
    logs.forEach((log, i) => {
      expect(duplicates(log), `${NAMES[i]} delivered twice`).toEqual([]);
      expect(fifoViolation(log), `${NAMES[i]} broke a sender's order`).toBeNull();
      expect(idsOf(log), `${NAMES[i]}'s log differs from ana's`).toEqual(reference);
    });
    // Every body sent is there exactly once.
    const expected = NAMES.flatMap((n) => Array.from({ length: BURST }, (_, k) => `${n}:${k + 1}`)).sort();
    expect([...bodiesOf(logs[0] ?? [])].sort()).toEqual(expected);
  });

  it('fifo: every peer gets every message once, each sender in its order', async () => {
    cluster.peers = await startPeers(cluster.tracker.url, NAMES);
    const g = await groupOf(cluster.peers, 'five-fifo', 'fifo');
    await burstAll(cluster.peers, g, BURST);
    const logs = await logsWithAtLeast(cluster.peers, g, NAMES.length * BURST, 'fifo burst');

    const expected = NAMES.flatMap((n) => Array.from({ length: BURST }, (_, k) => `${n}:${k + 1}`)).sort();
    logs.forEach((log, i) => {
      expect(duplicates(log), `${NAMES[i]} delivered twice`).toEqual([]);
      expect(fifoViolation(log), `${NAMES[i]} broke a sender's order`).toBeNull();
      expect([...bodiesOf(log)].sort(), `${NAMES[i]}'s set of messages`).toEqual(expected);
    });
  });

  it('a peer SIGKILLed mid-burst: the others unblock after the failure notice and agree, and keep chatting', async () => {
    cluster.peers = await startPeers(cluster.tracker.url, NAMES);
    const g = await groupOf(cluster.peers, 'five-crash', 'total');
    const victim = cluster.peers[2] as ChildPeer;
    const survivors = cluster.peers.filter((p) => p !== victim);

    const bursts = burstAll(cluster.peers, g, BURST).catch(() => 'the victim died with sends in flight');
    // Mid-burst: some of it is delivered somewhere, not all of it anywhere.
    await waitFor('burst under way', async () => (await logOf(survivors[0] as ChildPeer, g)).length > 0);
    await victim.kill();
    await bursts;

    await waitFor(
      'survivors install a view without the victim',
      () =>
        survivors.every((p) => {
          const view = p.groups().find((x) => x.groupId === g)?.view;
          return (
            view !== null &&
            view !== undefined &&
            view.members.length === survivors.length &&
            !view.members.some((m) => m.peerId === victim.peerId)
          );
        }),
      30_000,
    );

    // Still chatting afterwards.
    await burstAll(survivors, g, 5, '-after');
    const mustHave = survivors.flatMap((p) => [
      ...Array.from({ length: BURST }, (_, k) => `${p.name}:${k + 1}`),
      ...Array.from({ length: 5 }, (_, k) => `${p.name}-after:${k + 1}`),
    ]);
    await waitFor(
      'every survivor has every survivor message',
      async () => {
        const logs = await Promise.all(survivors.map((p) => logOf(p, g)));
        return logs.every((l) => {
          const have = new Set(bodiesOf(l));
          return mustHave.every((b) => have.has(b));
        });
      },
      40_000,
    );
    // Let stragglers land, then compare everything each survivor has.
    const logs = await Promise.all(survivors.map((p) => logOf(p, g)));
    const reference = idsOf(logs[0] ?? []);
    logs.forEach((log, i) => {
      expect(duplicates(log)).toEqual([]);
      expect(fifoViolation(log)).toBeNull();
      expect(idsOf(log), `${survivors[i]?.name}'s log differs`).toEqual(reference);
    });
  });

  it('a late joiner gets the whole history with valid signatures, then takes part in the order', async () => {
    const early = await startPeers(cluster.tracker.url, NAMES.slice(0, 4));
    cluster.peers = early;
    const g = await groupOf(early, 'five-late', 'total');
    await burstAll(early, g, 15);
    const before = await logsWithAtLeast(early, g, 4 * 15, 'history before the join');

    const [late] = await startPeers(cluster.tracker.url, ['ivy']);
    cluster.peers = [...early, late as ChildPeer];
    const joined = await (late as ChildPeer).join(g);
    expect(joined.status).toBe('member');
    const history = await logOf(late as ChildPeer, g);
    expect(idsOf(history)).toEqual(idsOf(before[0] ?? []));
    // Every item was checked against its sender's key: none refused.
    expect((await (late as ChildPeer).fetchMetrics(g))?.rejectedFrames).toBe(0);
    expect(history.every((m) => m.state === 'delivered')).toBe(true);

    await burstAll(cluster.peers, g, 6, '-after');
    const logs = await logsWithAtLeast(cluster.peers, g, 4 * 15 + 5 * 6, 'after the join');
    const reference = idsOf(logs[0] ?? []);
    logs.forEach((log, i) => {
      expect(duplicates(log)).toEqual([]);
      expect(idsOf(log), `${cluster.peers[i]?.name}'s log differs`).toEqual(reference);
    });
    expect(bodiesOf(logs[4] ?? [])).toContain('ivy-after:6');
  });

  it('a data channel destroyed under load comes back; the gap is resent, nothing lost or doubled', async () => {
    cluster.peers = await startPeers(cluster.tracker.url, NAMES.slice(0, 3));
    const [a, b] = cluster.peers as [ChildPeer, ChildPeer, ChildPeer];
    const g = await groupOf(cluster.peers, 'link-drop', 'total');

    const load = burstAll(cluster.peers, g, 100);
    await waitFor('burst under way', async () => (await logOf(b, g)).length > 0);
    expect(await a.dropLink(g, b.peerId)).toBe(true);
    await load;
    await waitFor(
      'link back up',
      async () => (await a.linkState(g, b.peerId)) === 'up' && (await b.linkState(g, a.peerId)) === 'up',
    );

    const logs = await logsWithAtLeast(cluster.peers, g, 300, 'after the drop');
    const reference = idsOf(logs[0] ?? []);
    expect(reference).toHaveLength(300);
    logs.forEach((log, i) => {
      expect(duplicates(log)).toEqual([]);
      expect(fifoViolation(log)).toBeNull();
      expect(idsOf(log), `${cluster.peers[i]?.name}'s log differs`).toEqual(reference);
    });
    // Nobody was evicted over the short outage.
    expect(a.groups().find((x) => x.groupId === g)?.view?.members).toHaveLength(3);
  });
});
