// A hostile sponsor on real WebRTC (issue 12): the old member a joiner asks
// first (the lowest peer id) answers every history request with a page that
// is not the last and carries nothing (`done: false` forever). Without the
// joiner's page checks (PROTOCOL.md §7.3) it was asked again and again and
// the joiner never joined; now it is dropped after one such page, the other
// old member hands the history over from the start, and the joiner holds
// every message once. Three child processes on a real tracker; the liar runs
// the shipped runtime and rewrites only its history pages on the way out.

import { describe, expect, it } from 'vitest';
import { comparePeerIds } from '@chorus/protocol';
import type { ChildPeer } from './child-peer.ts';
import {
  bodiesOf,
  duplicates,
  groupOf,
  logOf,
  logsWithAtLeast,
  clusterPerTest,
  startPeers,
  waitFor,
} from './cluster.ts';

const cluster = clusterPerTest();

describe('a sponsor whose history pages never end', () => {
  it('is dropped by the joiner, who gets the whole history from the other old member, each message once', async () => {
    cluster.peers = await startPeers(cluster.tracker.url, ['ana', 'ben']);
    const [ana, ben] = cluster.peers as [ChildPeer, ChildPeer];
    const g = await groupOf([ana, ben], 'endless-pages', 'total');
    await ana.burst(g, 3, 'ana:');
    await ben.burst(g, 2, 'ben:');
    await logsWithAtLeast([ana, ben], g, 5, 'before cy joins');
    const [liar, honest] = comparePeerIds(ana.peerId, ben.peerId) < 0 ? [ana, ben] : [ben, ana];
    await liar.endlessHistoryPages();

    const [cy] = (await startPeers(cluster.tracker.url, ['cy'])) as [ChildPeer];
    cluster.peers.push(cy);
    const problems: string[] = [];
    cy.on('error', (e) => problems.push(`${e.code}: ${e.message}`));
    await cy.join(g);
    const expected = ['ana:1', 'ana:2', 'ana:3', 'ben:1', 'ben:2'];
    await waitFor(
      'cy is a member with the whole history',
      async () => {
        const bodies = bodiesOf(await logOf(cy, g));
        return (
          cy.groups().find((x) => x.groupId === g)?.status === 'member' && expected.every((b) => bodies.includes(b))
        );
      },
      30_000,
    ).catch(() => {}); // the expectations below say what is missing
    const log = await logOf(cy, g);
    expect(bodiesOf(log).sort()).toEqual(expected);
    expect(duplicates(log)).toEqual([]);
    expect(cy.groups().find((x) => x.groupId === g)?.status).toBe('member');
    // The liar was named and dropped; the honest one was not.
    expect(problems.some((p) => p.includes(`Sponsor ${liar.peerId} dropped`))).toBe(true);
    expect(problems.some((p) => p.includes(`Sponsor ${honest.peerId} dropped`))).toBe(false);
  }, 120_000);
});
