// A joiner's history request says what its store holds per sender (`have`),
// and the sponsor hands what it delivered beyond that (PROTOCOL.md §4). Before,
// a joiner asked for what sorts after its store's last order key: in a FIFO
// group order keys are Lamport times, so a message delivered after that key's
// message can sort below it, and it was never handed over. And the sponsor's
// reader counted every sender its hand-over state does not name as delivered:
// a sender that joined after the hand-over was taken had its message handed
// over and delivered again by the joiner's engine. Both fail on the old code;
// through the real GroupSession, MemoryTracker and MemoryTransport.
import { afterEach, describe, expect, it } from 'vitest';
import { logOf, waitFor, type ScenarioPeer } from './scenarios/network.ts';
import { memoryWorld, type MemoryWorld } from './scenarios/memory-network.ts';

let world: MemoryWorld | null = null;
afterEach(async () => {
  await world?.network.close();
  world = null;
});

describe('history after a reload (fifo)', () => {
  it("a message that sorts below the reloaded store's last key, still on its way when the tab reloaded, reaches it", async () => {
    const w = memoryWorld(41);
    world = w;
    const ana = await w.network.addPeer('ana');
    const ben = await w.network.addPeer('ben');
    const cat = await w.network.addPeer('cat');
    const g = await ana.peer.createGroup('fifo-room', 'fifo');
    for (const p of [ana, ben, cat]) await p.peer.join(g.groupId);
    await waitFor('three members', () => [ana, ben, cat].every((p) => p.peer.groups()[0]?.view?.members.length === 3));

    // cat's message is still on its way to ana when ana reloads (lost with her tab): it sorts first,
    // at Lamport 1, while ana stores ben's later messages at Lamport 2..5.
    w.net.dropFrames((_g, from, to, frame) => from === cat.peerId && to === ana.peerId && frame.t === 'data');
    await cat.peer.send(g.groupId, 'from cat, early');
    await waitFor('ben has it', async () => (await logOf(ben, g.groupId)).length === 1);
    for (const text of ['b1', 'b2', 'b3', 'b4']) await ben.peer.send(g.groupId, text);
    await waitFor("ana has ben's four", async () => (await logOf(ana, g.groupId)).length === 4);
    const store = w.stores.get(ana.peerId)!;
    const cursor = await store.cursor(g.groupId);
    const early = (await logOf(ben, g.groupId)).find((m) => m.body === 'from cat, early')!;
    expect(cursor !== null && early.order < cursor).toBe(true); // the old rule's cursor is past it

    const ana2: ScenarioPeer = await w.reload(ana);
    w.net.dropFrames(null);
    const asked: unknown[] = [];
    w.net.dropFrames((_g, from, _to, frame) => {
      if (from === ana2.peerId && frame.t === 'history-req') asked.push(frame.have);
      return false;
    });
    await ana2.peer.join(g.groupId);
    await waitFor('ana has all five', async () => (await logOf(ana2, g.groupId)).length === 5);
    expect(asked[0]).toEqual({ [ben.peerId]: 5 });
    const ids = (await logOf(ana2, g.groupId)).map((m) => m.id);
    expect(ids.sort()).toEqual((await logOf(ben, g.groupId)).map((m) => m.id).sort());
    expect(await store.count(g.groupId)).toBe(5);
    // And it goes on: everyone gets what is said next, once.
    await ana2.peer.send(g.groupId, 'back');
    await waitFor('six everywhere', async () =>
      (await Promise.all([ana2, ben, cat].map((p) => logOf(p, g.groupId)))).every((l) => l.length === 6),
    );
  });
});

describe('a sender that joined after the hand-over was taken', () => {
  it("its message is the joiner engine's to deliver, not also the history's: shown once", async () => {
    const w = memoryWorld(42);
    world = w;
    const ana = await w.network.addPeer('ana');
    const g = await ana.peer.createGroup('late-sender', 'fifo');
    await ana.peer.join(g.groupId);
    await ana.peer.send(g.groupId, 'a1');
    const ben = await w.network.addPeer('ben');
    const cat = await w.network.addPeer('cat');
    const shown = new Map<string, number>();
    ben.peer.on('message', (m) => {
      if (m.state === 'delivered') shown.set(m.id, (shown.get(m.id) ?? 0) + 1);
    });
    // Ben's history requests wait until cat (who joins after ben) has said something and ana stored it:
    // ana's hand-over was taken when she installed the view with cat, before cat's message.
    let hold = true;
    w.net.dropFrames((_g, from, _to, frame) => hold && from === ben.peerId && frame.t === 'history-req');
    const benJoined = ben.peer.join(g.groupId);
    await waitFor(
      'ben is in a view',
      () => ben.peer.groups()[0]?.view !== null && ben.peer.groups()[0]?.view !== undefined,
    );
    await cat.peer.join(g.groupId);
    await cat.peer.send(g.groupId, 'c1');
    const store = w.stores.get(ana.peerId)!;
    await waitFor('ana stored c1', async () => (await store.count(g.groupId)) === 2);
    hold = false; // ben asks again after HISTORY_RETRY_MS
    await benJoined;
    await waitFor('ben shows a1 and c1', () => shown.size === 2, 20_000);
    await ana.peer.send(g.groupId, 'a2');
    await waitFor('ben shows a2', () => shown.size === 3);
    expect([...shown.values()]).toEqual([1, 1, 1]);
  });
});
