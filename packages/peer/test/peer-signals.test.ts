// Typing and read markers (PROTOCOL.md §9) over the in-memory network: they
// reach the other members, never enter the log or the store, and a member
// flooding them gets two per second through, the rest dropped and counted.
// A malformed marker is refused and counted; nothing else is lost.
import { afterEach, describe, expect, it } from 'vitest';
import { type GroupId } from '@chorus/protocol';
import type { SignalEvent } from '../src/api.ts';
import { logOf, waitFor, type ScenarioPeer } from './scenarios/network.ts';
import { memoryWorld, type MemoryWorld } from './scenarios/memory-network.ts';

let world: MemoryWorld | null = null;
afterEach(async () => {
  await world?.network.close();
  world = null;
});

async function room(
  names: string[],
  now?: () => number,
): Promise<{ w: MemoryWorld; groupId: GroupId; peers: ScenarioPeer[] }> {
  const w = memoryWorld(11, now === undefined ? {} : { now });
  world = w;
  const peers: ScenarioPeer[] = [];
  for (const n of names) peers.push(await w.network.addPeer(n));
  const g = await peers[0]!.peer.createGroup('signals', 'fifo');
  for (const p of peers) await p.peer.join(g.groupId);
  await waitFor('everyone is a member of a three-member view', () =>
    peers.every((p) => p.peer.groups().find((j) => j.groupId === g.groupId)?.view?.members.length === names.length),
  );
  return { w, groupId: g.groupId, peers };
}

const heard = (p: ScenarioPeer): SignalEvent[] => {
  const got: SignalEvent[] = [];
  p.peer.on('signal', (s) => got.push(s));
  return got;
};

describe('typing and read markers', () => {
  it('reach the other members with the sender named, and are never stored', async () => {
    const { w, groupId, peers } = await room(['ann', 'ben', 'cat']);
    const [ann, ben, cat] = peers as [ScenarioPeer, ScenarioPeer, ScenarioPeer];
    const atBen = heard(ben);
    const atCat = heard(cat);
    const hello = await ann.peer.send(groupId, 'hello');
    for (const p of peers) await waitFor(`${p.name} has hello`, async () => (await logOf(p, groupId)).length === 1);

    expect(ann.peer.signal(groupId, { kind: 'typing' })).toBe(true);
    // A second typing marker within the second is not sent at all.
    expect(ann.peer.signal(groupId, { kind: 'typing' })).toBe(false);
    expect(ben.peer.signal(groupId, { kind: 'read', seen: hello.id })).toBe(true);
    await waitFor('ben hears ann typing', () => atBen.some((s) => s.kind === 'typing'));
    await waitFor('cat hears ann typing and ben reading', () => atCat.length === 2);
    expect(atCat).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ groupId, from: ann.peerId, name: 'ann', kind: 'typing' }),
        expect.objectContaining({ groupId, from: ben.peerId, name: 'ben', kind: 'read', seen: hello.id }),
      ]),
    );
    expect(atBen.filter((s) => s.kind === 'typing')).toHaveLength(1);

    for (const p of peers) {
      await p.peer.history(groupId); // flushes the store
      expect((await logOf(p, groupId)).map((m) => m.body)).toEqual(['hello']);
      expect(await w.stores.get(p.peerId)!.count(groupId)).toBe(1);
    }
  });

  it('drops and counts a flood beyond the receive limit, and refuses a malformed marker without losing a message', async () => {
    // The gate counts a second on the session's clock. Frozen while the flood
    // is delivered, all 40 markers arrive within one second however long a
    // loaded machine takes to deliver them, so exactly one gets through.
    let frozen: number | null = null;
    const { w, groupId, peers } = await room(['ann', 'ben', 'cat'], () => frozen ?? Date.now());
    const [ann, ben] = peers as [ScenarioPeer, ScenarioPeer, ScenarioPeer];
    const atAnn = heard(ann);
    frozen = Date.now();
    for (let i = 0; i < 40; i++)
      w.net.inject(groupId, ben.peerId, ann.peerId, JSON.stringify({ t: 'signal', groupId, kind: 'typing' }));
    w.net.inject(
      groupId,
      ben.peerId,
      ann.peerId,
      JSON.stringify({ t: 'signal', groupId, kind: 'typing', name: 'Admin' }),
    );
    await waitFor(
      'ann dropped the flood',
      () => (ann.peer.metrics(groupId)?.droppedSignals ?? 0) + atAnn.length === 40,
    );
    expect(atAnn).toHaveLength(1);
    expect(ann.peer.metrics(groupId)?.droppedSignals).toBe(39);
    frozen = null;
    await waitFor('ann refused the malformed one', () => ann.peer.metrics(groupId)?.rejectedFrames === 1);
    const after = await ben.peer.send(groupId, 'still here');
    await waitFor("ann still gets ben's messages", async () =>
      (await logOf(ann, groupId)).some((m) => m.id === after.id),
    );
  });
});
