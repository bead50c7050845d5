// A hostile sponsor on real WebRTC (issue 12): the old member a joiner asks
// first (the lowest peer id) hands a state that counts the other member's
// messages five past the truth. Adopted, it made the joiner take that member's
// next five live messages as delivered and never show them. The state's count
// needs that member's signed message at `nextSeq − 1` (PROTOCOL.md §4 "Heads"):
// the liar has none to hand, is dropped, the other old member's state is
// adopted, and the member's next live message reaches the joiner. Three child
// processes on a real tracker; the liar runs the shipped runtime and rewrites
// only the state on its pages on the way out.

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

describe('a sponsor whose state counts more of a member’s messages than it can show', () => {
  it('is dropped; the joiner adopts the other old member’s state and shows that member’s next message', async () => {
    cluster.peers = await startPeers(cluster.tracker.url, ['ana', 'ben']);
    const [ana, ben] = cluster.peers as [ChildPeer, ChildPeer];
    const g = await groupOf([ana, ben], 'inflated-counts', 'fifo');
    await ana.burst(g, 2, 'ana:');
    await ben.burst(g, 2, 'ben:');
    await logsWithAtLeast([ana, ben], g, 4, 'before cy joins');
    const [liar, honest] = comparePeerIds(ana.peerId, ben.peerId) < 0 ? [ana, ben] : [ben, ana];
    await liar.inflateCounts(5);

    const [cy] = (await startPeers(cluster.tracker.url, ['cy'])) as [ChildPeer];
    cluster.peers.push(cy);
    const problems: string[] = [];
    cy.on('error', (e) => problems.push(`${e.code}: ${e.message}`));
    await cy.join(g);
    await waitFor(
      'cy is a member with the history',
      async () => cy.groups().find((x) => x.groupId === g)?.status === 'member' && (await logOf(cy, g)).length >= 4,
      30_000,
    ).catch(() => {}); // the expectations below say what is missing
    expect(cy.groups().find((x) => x.groupId === g)?.status).toBe('member');
    expect(problems.some((p) => p.includes(`Sponsor ${liar.peerId} dropped`) && p.includes('without handing'))).toBe(
      true,
    );
    expect(problems.some((p) => p.includes(`Sponsor ${honest.peerId} dropped`))).toBe(false);

    // The member whose count the liar inflated goes on: its next message is its third, shown to cy.
    const prefix = honest === ana ? 'ana:' : 'ben:';
    await honest.send(g, `${prefix}after`);
    await waitFor(
      'cy shows the next message',
      async () => bodiesOf(await logOf(cy, g)).includes(`${prefix}after`),
      30_000,
    ).catch(() => {});
    const log = await logOf(cy, g);
    expect(bodiesOf(log).sort()).toEqual(['ana:1', 'ana:2', 'ben:1', 'ben:2', `${prefix}after`].sort());
    expect(duplicates(log)).toEqual([]);
  }, 120_000);
});
