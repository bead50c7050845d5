// A hostile sponsor through real peers (in-memory network, real signatures
// and stores): the old member a joiner asks first answers every request with
// a page that is not the last and carries nothing (`done: false` forever, the
// issue 12 finding). Before PROTOCOL.md §7.3's checks the joiner asked it
// again and again and never joined; now it drops that sponsor after one such
// page, asks the other old member from the start and joins with the whole
// history, once. And one whose state names an `agreed` priority far past the group's: its witness,
// the next old member in the joiner's order, contradicts it (PROTOCOL.md §7.3 "Corroborated").
import { afterEach, describe, expect, it } from 'vitest';
import { asPeerId, sponsorOrder, type HistoryResponseFrame } from '@chorus/protocol';
import { waitFor, type ScenarioPeer } from './scenarios/network.ts';
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
    // cy's first sponsor is the first in its order of sponsors (PROTOCOL.md §7.2); whoever it is, its
    // pages to cy never end and carry nothing.
    const [liar, honest] =
      sponsorOrder(cy.peerId, [ana.peerId, ben.peerId])[0] === ana.peerId ? [ana, ben] : [ben, ana];
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

/** Four times MAX_PRIORITY_STEP (2^20): a joiner that adopted it proposed past every member's ceiling. */
const FAR_ABOVE = 2 ** 22;

describe('a joiner whose first sponsor hands an agreed priority far past the group’s', () => {
  it('drops it on its witness’s word, adopts the other’s state, and its own message reaches everyone', async () => {
    const w = memoryWorld(59);
    world = w;
    const ana = await w.network.addPeer('ana');
    const ben = await w.network.addPeer('ben');
    const g = await ana.peer.createGroup('counters', 'total');
    await ana.peer.join(g.groupId);
    await ben.peer.join(g.groupId);
    await waitFor('two members', () => ana.peer.groups()[0]?.view?.members.length === 2);
    for (let i = 1; i <= 3; i += 1) await ana.peer.send(g.groupId, `a${i}`);
    await waitFor('ben has the three', async () => (await ben.peer.history(g.groupId)).length === 3);

    const cy = await w.network.addPeer('cy');
    // cy's first sponsor by its order of sponsors (PROTOCOL.md §7.2) lies; the other is its witness.
    const [liar, honest] =
      sponsorOrder(cy.peerId, [ana.peerId, ben.peerId])[0] === ana.peerId ? [ana, ben] : [ben, ana];
    let lies = 0;
    w.net.dropFrames((groupId, from, to, frame) => {
      if (frame.t !== 'history-res' || from !== liar.peerId || to !== cy.peerId || frame.state === undefined)
        return false;
      lies += 1;
      const page: HistoryResponseFrame = {
        ...frame,
        state: { ...frame.state, agreed: frame.state.agreed + FAR_ABOVE },
      };
      w.net.inject(groupId, liar.peerId, cy.peerId, JSON.stringify(page));
      return true;
    });
    const problems: string[] = [];
    cy.peer.on('error', (e) => problems.push(`${e.code}: ${e.message}`));

    await cy.peer.join(g.groupId);
    await waitFor(
      'cy a member with the history',
      async () => cy.peer.groups()[0]?.status === 'member' && (await cy.peer.history(g.groupId)).length === 3,
    );
    expect(lies).toBeGreaterThan(0);
    expect(
      problems.filter((p) => p.includes(`Sponsor ${liar.peerId} dropped`) && p.includes(`above ${honest.peerId}'s`)),
    ).toHaveLength(1);
    expect(problems.some((p) => p.includes(`Sponsor ${honest.peerId} dropped`))).toBe(false);

    // cy proposes within every member's ceiling: its message is ordered and reaches both old members.
    await cy.peer.send(g.groupId, 'cy after');
    await waitFor('cy heard by both', async () =>
      (
        await Promise.all(
          [ana, ben].map(async (p) => (await p.peer.history(g.groupId)).some((m) => m.body === 'cy after')),
        )
      ).every(Boolean),
    );
    const orders = await Promise.all(
      [ana, ben, cy].map(async (p) => (await p.peer.history(g.groupId)).map((m) => `${m.body}@${m.order}`)),
    );
    expect(orders[1]).toEqual(orders[0]);
    expect(orders[2]).toEqual(orders[0]);
  });
});

// PROTOCOL.md §7.2 "make itself sponsor": peer ids are the client's, so a member can take `-`, which
// sorts below every other id. While the lowest old member sponsored, every joiner asked it first; now
// each joiner asks the first of its own order of sponsors, SHA-256(joiner ‖ member).
describe('a member with peer id "-"', () => {
  it("is not every joiner's first sponsor: each joiner's first history request goes to the member its order names", async () => {
    const w = memoryWorld(53);
    world = w;
    const mal = await w.addPeerAs('mal', asPeerId('-'));
    const ben = await w.network.addPeer('ben');
    const g = await mal.peer.createGroup('low-id', 'fifo');
    await mal.peer.join(g.groupId);
    await ben.peer.join(g.groupId);
    await mal.peer.send(g.groupId, 'before');
    await waitFor('ben has it', async () => (await ben.peer.history(g.groupId)).length === 1);
    const firstAsked = new Map<string, string>();
    w.net.dropFrames((_groupId, from, to, frame) => {
      if (frame.t === 'history-req' && !firstAsked.has(from)) firstAsked.set(from, to);
      return false;
    });
    const old: ScenarioPeer[] = [mal, ben];
    const expected = new Map<string, string | undefined>();
    // Four joiners with fixed ids, one after another: each is an old member for the next.
    for (const digit of ['1', '2', '3', '4']) {
      const joiner = await w.addPeerAs(`j${digit}`, asPeerId(digit.repeat(32)));
      expected.set(
        joiner.peerId,
        sponsorOrder(
          joiner.peerId,
          old.map((p) => p.peerId),
        )[0],
      );
      await joiner.peer.join(g.groupId);
      await waitFor(
        `${joiner.name} a member with the history`,
        async () => joiner.peer.groups()[0]?.status === 'member' && (await joiner.peer.history(g.groupId)).length === 1,
      );
      old.push(joiner);
    }
    expect(Object.fromEntries(firstAsked)).toEqual(Object.fromEntries(expected));
    // With the lowest id sponsoring, all four asked "-" first.
    expect([...firstAsked.values()].filter((p) => p !== '-').length).toBeGreaterThan(0);
  });
});
