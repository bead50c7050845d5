// A tracker on the in-memory store restarts and forgets every group: the
// members restore the group (group:restore) and re-join it, continuing their
// own seqs and the group's priorities from their stores (EngineResume).
import { afterEach, describe, expect, it } from 'vitest';
import { membership } from '@chorus/protocol';
import { logOf, waitFor } from './scenarios/network.ts';
import { memoryWorld, type MemoryWorld } from './scenarios/memory-network.ts';

let world: MemoryWorld | null = null;
afterEach(async () => {
  await world?.network.close();
  world = null;
});

describe('after a restart of an in-memory tracker', () => {
  it('a tracker that restarted and forgot the group: members restore it, keep their seqs and priorities, and go on in one order', async () => {
    const w = memoryWorld(12);
    world = w;
    const ana = await w.network.addPeer('ana');
    const ben = await w.network.addPeer('ben');
    const g = await ana.peer.createGroup('survives', 'total', 'pw');
    await ana.peer.join(g.groupId, 'pw');
    await ben.peer.join(g.groupId, 'pw');
    await ana.peer.send(g.groupId, 'a1');
    await ben.peer.send(g.groupId, 'b1');
    await waitFor(
      'both have two',
      async () => (await logOf(ana, g.groupId)).length === 2 && (await logOf(ben, g.groupId)).length === 2,
    );
    const viewBefore = ana.peer.groups()[0]!.view!.viewId;

    await w.tracker.restart();
    await waitFor('the group is back in the directory, locked', () =>
      w.tracker.directory().some((d) => d.groupId === g.groupId && d.locked),
    );
    await waitFor(
      'both members again',
      () => ana.peer.groups()[0]?.view?.members.length === 2 && ben.peer.groups()[0]?.view?.members.length === 2,
    );
    // Views go on well above the last one anyone saw (a view the dead process issued and nobody
    // here received must never be issued again with other members).
    expect(ana.peer.groups()[0]!.view!.viewId).toBeGreaterThan(viewBefore + membership.RESTORE_VIEW_MARGIN);

    const a2 = await ana.peer.send(g.groupId, 'a2');
    const b2 = await ben.peer.send(g.groupId, 'b2');
    expect([a2.id, b2.id]).toEqual([`${g.groupId}/${ana.peerId}:2`, `${g.groupId}/${ben.peerId}:2`]);
    await waitFor(
      'four everywhere',
      async () => (await logOf(ana, g.groupId)).length === 4 && (await logOf(ben, g.groupId)).length === 4,
    );
    const la = (await logOf(ana, g.groupId)).map((m) => `${m.order} ${m.body}`);
    const lb = (await logOf(ben, g.groupId)).map((m) => `${m.order} ${m.body}`);
    expect(la).toEqual(lb);
    expect(
      la
        .slice(0, 2)
        .map((l) => l.split(' ')[1])
        .sort(),
    ).toEqual(['a1', 'b1']);
    expect(ana.peer.metrics(g.groupId)?.rejectedFrames ?? 0).toBe(0);
    expect(ben.peer.metrics(g.groupId)?.rejectedFrames ?? 0).toBe(0);
  });
});
