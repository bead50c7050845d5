// Coming back to a group in the same peer session (same peerId): after a
// leave, or after the tracker declared us failed while we were alive. The
// session returns as a joiner (fresh engine, history and state from a
// sponsor) and must continue its own sequence numbers, or every member
// refuses its next messages as replays.
import { afterEach, describe, expect, it } from 'vitest';
import { logOf, waitFor } from './scenarios/network.ts';
import { memoryWorld, type MemoryWorld } from './scenarios/memory-network.ts';

let world: MemoryWorld | null = null;
afterEach(async () => {
  await world?.network.close();
  world = null;
});

describe('re-joining in the same session', () => {
  it('leave, then join again: history of the gap arrives and own messages go through', async () => {
    const w = memoryWorld(11);
    world = w;
    const ana = await w.network.addPeer('ana');
    const ben = await w.network.addPeer('ben');
    const g = await ana.peer.createGroup('again', 'total');
    await ana.peer.join(g.groupId);
    await ben.peer.join(g.groupId);
    await ana.peer.send(g.groupId, 'first');
    await waitFor('ben has first', async () => (await logOf(ben, g.groupId)).length === 1);
    await ana.peer.leave(g.groupId);
    await ben.peer.send(g.groupId, 'while away');
    await ana.peer.join(g.groupId);
    await ana.peer.send(g.groupId, 'second');
    await ben.peer.send(g.groupId, 'third');
    await waitFor('both have 4', async () => (await logOf(ben, g.groupId)).length === 4 && (await logOf(ana, g.groupId)).length === 4);
    expect((await logOf(ana, g.groupId)).map((m) => m.id)).toEqual((await logOf(ben, g.groupId)).map((m) => m.id));
  });

  it('declared failed while alive, others talk meanwhile, back after reconnecting', async () => {
    const w = memoryWorld(12);
    world = w;
    const ana = await w.network.addPeer('ana');
    const ben = await w.network.addPeer('ben');
    const g = await ana.peer.createGroup('flaky', 'total');
    await ana.peer.join(g.groupId);
    await ben.peer.join(g.groupId);
    await ana.peer.send(g.groupId, 'a1');
    await waitFor('ben has a1', async () => (await logOf(ben, g.groupId)).length === 1);
    w.tracker.fail(ana.peerId);
    await waitFor('ben alone', () => ben.peer.groups()[0]?.view?.members.length === 1);
    await ben.peer.send(g.groupId, 'b-while-away');
    await w.links.get(ana.peerId)!.connect();
    await waitFor('ana is a member again', () => ana.peer.groups()[0]?.status === 'member' && ben.peer.groups()[0]?.view?.members.length === 2);
    await ana.peer.send(g.groupId, 'a2');
    await ben.peer.send(g.groupId, 'b2');
    await waitFor('both have 4', async () => (await logOf(ben, g.groupId)).length === 4 && (await logOf(ana, g.groupId)).length === 4);
    expect((await logOf(ana, g.groupId)).map((m) => m.id)).toEqual((await logOf(ben, g.groupId)).map((m) => m.id));
  });
});
