// Per-sender hash chains through real peers (in-memory network, real Ed25519
// signatures, memory stores; PROTOCOL.md §1.5): a sponsor that leaves a
// message out of the history it hands over is noticed — the next message of
// that sender names it — reported as a `gap`, dropped, and the joiner gets the
// whole history from the other old member.
import { afterEach, describe, expect, it } from 'vitest';
import { sponsorOrder, type HistoryResponseFrame } from '@chorus/protocol';
import { waitFor } from './scenarios/network.ts';
import { memoryWorld, type MemoryWorld } from './scenarios/memory-network.ts';

let world: MemoryWorld | null = null;
afterEach(async () => {
  await world?.network.close();
  world = null;
});

describe("a sponsor that leaves a message out of a sender's chain", () => {
  it('is noticed (gap), dropped, and the joiner gets every message from the other old member', async () => {
    const w = memoryWorld(61);
    world = w;
    const ana = await w.network.addPeer('ana');
    const ben = await w.network.addPeer('ben');
    const g = await ana.peer.createGroup('chained', 'fifo');
    await ana.peer.join(g.groupId);
    await ben.peer.join(g.groupId);
    await waitFor('two members', () => ana.peer.groups()[0]?.view?.members.length === 2);
    for (let i = 1; i <= 5; i += 1) await ana.peer.send(g.groupId, `a${i}`);
    await waitFor('ben has the five', async () => (await ben.peer.history(g.groupId)).length === 5);

    const cy = await w.network.addPeer('cy');
    // The liar is cy's first sponsor, the first in cy's order of sponsors (PROTOCOL.md §7.2).
    const [liar, honest] =
      sponsorOrder(cy.peerId, [ana.peerId, ben.peerId])[0] === ana.peerId ? [ana, ben] : [ben, ana];
    let tampered = 0;
    w.net.dropFrames((groupId, from, to, frame) => {
      if (frame.t !== 'history-res' || from !== liar.peerId || to !== cy.peerId || tampered > 0) return false;
      // The liar's page without a3: every other item keeps its sender's signature.
      tampered += 1;
      const page: HistoryResponseFrame = { ...frame, items: frame.items.filter((i) => i.frame.body !== 'a3') };
      w.net.inject(groupId, liar.peerId, cy.peerId, JSON.stringify(page));
      return true;
    });
    const problems: { code: string; message: string }[] = [];
    cy.peer.on('error', (e) => problems.push({ code: e.code, message: e.message }));

    await cy.peer.join(g.groupId);
    await waitFor(
      'cy a member with all five',
      async () => cy.peer.groups()[0]?.status === 'member' && (await cy.peer.history(g.groupId)).length === 5,
    );
    expect(tampered).toBe(1);
    const gaps = problems.filter((p) => p.code === 'gap');
    expect(gaps).toHaveLength(1);
    expect(gaps[0]?.message).toMatch(new RegExp(`Sponsor ${liar.peerId} left out ${ana.peerId}'s message 3`));
    expect(problems.some((p) => p.message.includes(`Sponsor ${liar.peerId} dropped`))).toBe(true);
    expect((await cy.peer.history(g.groupId)).map((m) => m.body)).toEqual(
      (await honest.peer.history(g.groupId)).map((m) => m.body),
    );

    // The chain goes on: cy's and ana's next messages reach everyone.
    await cy.peer.send(g.groupId, 'c1');
    await ana.peer.send(g.groupId, 'a6');
    await waitFor('seven everywhere', async () =>
      (await Promise.all([ana, ben, cy].map((p) => p.peer.history(g.groupId)))).every((h) => h.length === 7),
    );
  });
});
