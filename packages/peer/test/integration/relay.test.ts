// Relayed links (PROTOCOL.md §1.6) over real processes, real data channels
// (@roamhq/wrtc) and the real tracker: a pair whose direct link is blocked at
// the transport seam (blocked-transport.ts) still forms a group through a
// third member and chats; when that member dies the pair moves to another, and
// with none left the younger of the pair is evicted; a relay that alters what
// it forwards is caught by the origin's signature and routed around.

import { describe, expect, it } from 'vitest';
import type { GroupId, PeerId } from '@chorus/protocol';
import type { SystemLine } from '../../src/api.ts';
import type { ChildPeer } from './child-peer.ts';
import { bodiesOf, duplicates, fifoViolation, idsOf, logOf, clusterPerTest, startPeers, waitFor } from './cluster.ts';

/** Routes form after RELAY_AFTER_MS of probing and move after ROUTE_TTL_MS; a loaded box needs slack. */
const ROUTE_WAIT_MS = 30_000;

const cluster = clusterPerTest();

/** What `p`'s members list says `other` is reached through (the members panel's "via Ben"). */
const viaOf = (p: ChildPeer, g: GroupId, other: ChildPeer): PeerId | undefined =>
  p
    .groups()
    .find((x) => x.groupId === g)
    ?.members.find((m) => m.peerId === other.peerId)?.via;

const viewOf = (p: ChildPeer, g: GroupId): readonly PeerId[] =>
  (p.groups().find((x) => x.groupId === g)?.view?.members ?? []).map((m) => m.peerId);

/**
 * `names` in a total-order group; the first two cannot open a direct link to
 * each other, and the second joins last, once the others are members.
 */
async function blockedPair(names: readonly string[]): Promise<{ g: GroupId; ana: ChildPeer; ben: ChildPeer }> {
  cluster.peers = await startPeers(cluster.tracker.url, names, { relay: true });
  const [ana, ben, ...rest] = cluster.peers as [ChildPeer, ChildPeer, ...ChildPeer[]];
  await ana.block([ben.peerId]);
  await ben.block([ana.peerId]);
  const { groupId: g } = await ana.createGroup('relayed', 'total');
  await ana.join(g);
  for (const p of rest) await p.join(g);
  // Ben's join waits for a link to every member; the one to Ana can only be relayed.
  await ben.join(g);
  await waitFor('every member installs the view with all of them', () =>
    cluster.peers.every((p) => viewOf(p, g).length === names.length),
  );
  return { g, ana, ben };
}

/** Every live peer's log is `n` long, the same ids in the same order, nothing twice, each sender in order. */
async function sameLogs(live: readonly ChildPeer[], g: GroupId, n: number, what: string): Promise<void> {
  let logs: Awaited<ReturnType<typeof logOf>>[] = [];
  await waitFor(
    `${what}: ${n} messages at every live peer`,
    async () => {
      logs = await Promise.all(live.map((p) => logOf(p, g)));
      return logs.every((l) => l.length >= n);
    },
    ROUTE_WAIT_MS,
  );
  for (const log of logs) {
    expect(log).toHaveLength(n);
    expect(duplicates(log)).toEqual([]);
    expect(fifoViolation(log)).toBeNull();
    expect(idsOf(log)).toEqual(idsOf(logs[0] ?? []));
  }
}

describe('relay through a member (real WebRTC, real tracker)', () => {
  it('a blocked pair joins a group of four through a relay and chats; the relay dies, the pair moves to the other; with none left the younger is evicted', async () => {
    const { g, ana, ben } = await blockedPair(['ana', 'ben', 'cy', 'dee']);
    const [cy, dee] = cluster.peers.slice(2) as [ChildPeer, ChildPeer];
    // Both ends use the lowest-id member that reaches both.
    const first = [cy, dee].sort((x, y) => (x.peerId < y.peerId ? -1 : 1));
    const [relay, spare] = first as [ChildPeer, ChildPeer];
    await waitFor('both ends relay through the lowest-id member', async () => {
      return (await ana.relayOf(g, ben.peerId)) === relay.peerId && (await ben.relayOf(g, ana.peerId)) === relay.peerId;
    });
    await waitFor("each one's members list says the other is reached via the relay", () => {
      return viaOf(ana, g, ben) === relay.peerId && viaOf(ben, g, ana) === relay.peerId && !viaOf(ana, g, relay);
    });
    for (const p of cluster.peers) await p.send(g, `${p.name}:1`);
    await sameLogs(cluster.peers, g, 4, 'through the first relay');
    expect((await relay.relayCounts()).forwarded).toBeGreaterThan(0);

    await relay.kill();
    await waitFor(
      'the pair moves to the other relay',
      async () =>
        (await ana.relayOf(g, ben.peerId)) === spare.peerId && (await ben.relayOf(g, ana.peerId)) === spare.peerId,
      ROUTE_WAIT_MS,
    );
    await waitFor('the members list follows', () => viaOf(ana, g, ben) === spare.peerId);
    const live = [ana, ben, spare];
    await waitFor('the survivors install a view of three', () => live.every((p) => viewOf(p, g).length === 3));
    for (const p of live) await p.send(g, `${p.name}:2`);
    await sameLogs(live, g, 4 + 3, 'through the second relay');
    expect(bodiesOf(await logOf(ben, g))).toEqual(expect.arrayContaining(['ana:1', 'ana:2']));
    expect(bodiesOf(await logOf(ana, g))).toEqual(expect.arrayContaining(['ben:1', 'ben:2']));

    // No relay left: both ends report the link down and the tracker evicts the younger (Ben joined last).
    const evicted: SystemLine[] = [];
    ben.on('system', (l) => {
      if (l.groupId === g && l.peerId === ben.peerId) evicted.push(l);
    });
    await spare.kill();
    await waitFor('Ben is told he was evicted', () => evicted.some((l) => l.change === 'evicted'), ROUTE_WAIT_MS);
    await waitFor('Ana is alone in the group', () => viewOf(ana, g).join() === ana.peerId, ROUTE_WAIT_MS);
  });

  it('a relay that alters what it forwards is caught by the signature check, and the pair routes around it', async () => {
    const { g, ana, ben } = await blockedPair(['ana', 'ben', 'cy', 'dee']);
    const relays = (cluster.peers.slice(2) as ChildPeer[]).sort((x, y) => (x.peerId < y.peerId ? -1 : 1));
    const [liar, honest] = relays as [ChildPeer, ChildPeer];
    await waitFor(
      'the pair relays through the lowest-id member',
      async () => (await ana.relayOf(g, ben.peerId)) === liar.peerId,
    );
    const rejectedBefore = (await ben.fetchMetrics(g))?.rejectedFrames ?? 0;
    await liar.tamperRelay(true);
    await ana.send(g, 'ana:1');
    await waitFor(
      "Ben refuses the altered envelopes (they do not carry Ana's signature)",
      async () => ((await ben.fetchMetrics(g))?.rejectedFrames ?? 0) > rejectedBefore,
      ROUTE_WAIT_MS,
    );
    await waitFor(
      'both ends move to the honest relay',
      async () =>
        (await ana.relayOf(g, ben.peerId)) === honest.peerId && (await ben.relayOf(g, ana.peerId)) === honest.peerId,
      ROUTE_WAIT_MS,
    );
    await ben.send(g, 'ben:1');
    await sameLogs(cluster.peers, g, 2, 'around the lying relay');
    for (const p of cluster.peers)
      expect(bodiesOf(await logOf(p, g))).toEqual(expect.arrayContaining(['ana:1', 'ben:1']));
    expect((await logOf(ben, g)).some((m) => m.body.includes('altered'))).toBe(false);
  });
});
