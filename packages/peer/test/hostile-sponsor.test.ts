// A hostile sponsor through real peers (in-memory network, real signatures
// and stores): the old member a joiner asks first answers every request with
// a page that is not the last and carries nothing (`done: false` forever, the
// issue 12 finding). Before PROTOCOL.md §7.3's checks the joiner asked it
// again and again and never joined; now it drops that sponsor after one such
// page, asks the other old member from the start and joins with the whole
// history, once.
import { afterEach, describe, expect, it } from 'vitest';
import { comparePeerIds } from '@chorus/protocol';
import { waitFor } from './scenarios/network.ts';
import { memoryWorld, type MemoryWorld } from './scenarios/memory-network.ts';

let world: MemoryWorld | null = null;
afterEach(async () => {
  await world?.network.close();
  world = null;
});

describe('a joiner whose first sponsor answers done:false forever', () => {
  it('drops it, gets the history from the next old member, and stores each message once', async () => {
    const w = memoryWorld(47);
    world = w;
    const ana = await w.network.addPeer('ana');
    const ben = await w.network.addPeer('ben');
    const g = await ana.peer.createGroup('stalled', 'total');
    await ana.peer.join(g.groupId);
    for (let i = 1; i <= 3; i += 1) await ana.peer.send(g.groupId, `before ${i}`);
    await ben.peer.join(g.groupId);
    await ben.peer.send(g.groupId, 'ben before');
    await waitFor('ben has the history', async () => (await ben.peer.history(g.groupId)).length === 4);

    const cy = await w.network.addPeer('cy');
    // The sponsor is the lowest old peer id; whoever it is, its pages to cy never end and carry nothing.
    const [liar, honest] = comparePeerIds(ana.peerId, ben.peerId) < 0 ? [ana, ben] : [ben, ana];
    let lies = 0;
    w.net.dropFrames((groupId, from, to, frame) => {
      if (frame.t === 'history-req' && from === cy.peerId && to === liar.peerId) {
        lies += 1;
        w.net.inject(
          groupId,
          liar.peerId,
          cy.peerId,
          JSON.stringify({ t: 'history-res', groupId, req: frame.req, items: [], done: false }),
        );
        return true;
      }
      return frame.t === 'history-res' && from === liar.peerId && to === cy.peerId;
    });
    const problems: string[] = [];
    cy.peer.on('error', (e) => problems.push(`${e.code}: ${e.message}`));

    await cy.peer.join(g.groupId);
    await waitFor(
      'cy a member with the whole history',
      async () => cy.peer.groups()[0]?.status === 'member' && (await cy.peer.history(g.groupId)).length === 4,
    );
    expect(lies).toBe(1);
    expect(problems.filter((p) => p.includes(`Sponsor ${liar.peerId} dropped`) && /no progress/.test(p))).toHaveLength(
      1,
    );
    const bodies = (await cy.peer.history(g.groupId)).map((m) => m.body);
    expect(bodies).toEqual((await honest.peer.history(g.groupId)).map((m) => m.body));
    expect(new Set(bodies).size).toBe(4);

    // The group goes on with cy in it: its message reaches both old members.
    await cy.peer.send(g.groupId, 'cy after');
    await waitFor('cy heard by both', async () =>
      (
        await Promise.all(
          [ana, ben].map(async (p) => (await p.peer.history(g.groupId)).some((m) => m.body === 'cy after')),
        )
      ).every(Boolean),
    );
  });
});
