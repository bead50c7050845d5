// Hostile sponsors on real WebRTC (issue 12): the old member a joiner asks
// first (the first in its order of sponsors, PROTOCOL.md §7.2) lies, and the joiner drops it and takes the
// group from the other old member. Three child processes on a real tracker;
// the liar runs the shipped runtime and rewrites only what it hands the
// joiner on the way out.
// - Pages that never end: it answers every history request with a page that
//   is not the last and carries nothing (`done: false` forever). Without the
//   joiner's page checks (PROTOCOL.md §7.3) it was asked again and again and
//   the joiner never joined; now it is dropped after one such page, the other
//   old member hands the history over from the start, and the joiner holds
//   every message once.
// - Counts past the truth: its state counts the other member's messages five
//   past the truth. Adopted, it made the joiner take that member's next five
//   live messages as delivered and never show them. The state's count needs
//   that member's signed message at `nextSeq − 1` (PROTOCOL.md §4 "Heads"):
//   the liar has none to hand, is dropped, the other old member's state is
//   adopted, and the member's next live message reaches the joiner.
// - An `agreed` priority far past the group's: adopted, the joiner proposed past every member's
//   ceiling, its proposals were refused and its own message was never ordered. The next old member
//   in the joiner's order, its witness, contradicts it (PROTOCOL.md §7.3 "Corroborated"): the liar is
//   dropped before anything of its page is taken, and the joiner's message reaches everyone.

import { describe, expect, it } from 'vitest';
import { sponsorOrder, type Ordering } from '@chorus/protocol';
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

/**
 * Ana and Ben in a group, `burst` messages each; Cy starts (not yet joined),
 * her problems recorded; the one of the two Cy's order of sponsors puts first
 * (`sponsorOrder`, the shipped ranking) is told to `lie`.
 */
async function liarBeforeJoiner(
  name: string,
  ordering: Ordering,
  burst: readonly [number, number],
  lie: (liar: ChildPeer) => Promise<unknown>,
) {
  cluster.peers = await startPeers(cluster.tracker.url, ['ana', 'ben']);
  const [ana, ben] = cluster.peers as [ChildPeer, ChildPeer];
  const g = await groupOf([ana, ben], name, ordering);
  await ana.burst(g, burst[0], 'ana:');
  await ben.burst(g, burst[1], 'ben:');
  await logsWithAtLeast([ana, ben], g, burst[0] + burst[1], 'before cy joins');
  const [cy] = (await startPeers(cluster.tracker.url, ['cy'])) as [ChildPeer];
  cluster.peers.push(cy);
  const problems: string[] = [];
  cy.on('error', (e) => problems.push(`${e.code}: ${e.message}`));
  const first = sponsorOrder(cy.peerId, [ana.peerId, ben.peerId])[0];
  const [liar, honest] = first === ana.peerId ? [ana, ben] : [ben, ana];
  await lie(liar);
  return { ana, g, liar, honest, cy, problems };
}

describe('a sponsor whose history pages never end', () => {
  it('is dropped by the joiner, who gets the whole history from the other old member, each message once', async () => {
    const { g, liar, honest, cy, problems } = await liarBeforeJoiner('endless-pages', 'total', [3, 2], (l) =>
      l.endlessHistoryPages(),
    );
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

describe('a sponsor whose state counts more of a member’s messages than it can show', () => {
  it('is dropped; the joiner adopts the other old member’s state and shows that member’s next message', async () => {
    const { ana, g, liar, honest, cy, problems } = await liarBeforeJoiner('inflated-counts', 'fifo', [2, 2], (l) =>
      l.inflateCounts(5),
    );
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

describe('a sponsor whose state names an agreed priority far past the group’s', () => {
  it('is dropped on its witness’s word; the joiner’s own message is ordered at every member', async () => {
    // Four times MAX_PRIORITY_STEP (2^20): adopted, every honest member refused the joiner's proposals.
    const { g, liar, honest, cy, problems } = await liarBeforeJoiner('raised-agreed', 'total', [2, 1], (l) =>
      l.raiseAgreed(2 ** 22),
    );
    await cy.join(g);
    await waitFor(
      'cy is a member with the history',
      async () => cy.groups().find((x) => x.groupId === g)?.status === 'member' && (await logOf(cy, g)).length >= 3,
      30_000,
    ).catch(() => {}); // the expectations below say what is missing
    expect(cy.groups().find((x) => x.groupId === g)?.status).toBe('member');
    expect(
      problems.some((p) => p.includes(`Sponsor ${liar.peerId} dropped`) && p.includes(`above ${honest.peerId}'s`)),
    ).toBe(true);
    expect(problems.some((p) => p.includes(`Sponsor ${honest.peerId} dropped`))).toBe(false);

    await cy.send(g, 'cy:after');
    await waitFor(
      'every member shows cy’s message',
      async () =>
        (await Promise.all([liar, honest, cy].map(async (p) => bodiesOf(await logOf(p, g))))).every((b) =>
          b.includes('cy:after'),
        ),
      30_000,
    ).catch(() => {});
    const logs = await Promise.all(
      [liar, honest, cy].map(async (p) => (await logOf(p, g)).map((m) => `${m.body}@${m.order}`)),
    );
    expect(logs[2]).toEqual(logs[1]);
    expect(logs[0]).toEqual(logs[1]);
    expect(bodiesOf(await logOf(cy, g))).toContain('cy:after');
    expect(duplicates(await logOf(cy, g))).toEqual([]);
  }, 120_000);
});
