// Every member of a group wrongly declared failed at about the same time
// (what a Redis tracker's takeover after a node restart does): all of them
// re-join as joiners at once, each naming another re-joiner as its sponsor.
// The group must come back with one log and keep delivering.
import { afterEach, describe, expect, it } from 'vitest';
import { logOf, waitFor } from './scenarios/network.ts';
import { memoryWorld, type MemoryWorld } from './scenarios/memory-network.ts';

let world: MemoryWorld | null = null;
afterEach(async () => {
  await world?.network.close();
  world = null;
});

describe('every member falsely failed at once', () => {
  it.each([21, 22, 23])(
    'all re-join, nobody waits on a sponsor without state, and messages flow again (seed %i)',
    async (seed) => {
      const w = memoryWorld(seed);
      world = w;
      const ps = [await w.network.addPeer('ana'), await w.network.addPeer('ben'), await w.network.addPeer('cy')];
      const g = await ps[0]!.peer.createGroup('storm', 'total');
      for (const p of ps) await p.peer.join(g.groupId);
      for (const p of ps) await p.peer.send(g.groupId, `${p.name}-before`);
      await waitFor('three before', async () =>
        (await Promise.all(ps.map((p) => logOf(p, g.groupId)))).every((l) => l.length === 3),
      );
      const viewBefore = ps[0]!.peer.groups()[0]!.view!.viewId;

      for (const p of ps) w.tracker.suspect(p.peerId);
      await waitFor('all three members of one newer view', () =>
        ps.every((p) => {
          const j = p.peer.groups()[0];
          return j?.status === 'member' && j.view !== null && j.view.viewId > viewBefore && j.view.members.length === 3;
        }),
      );
      const sent = await Promise.all(ps.map((p) => p.peer.send(g.groupId, `${p.name}-after`)));
      expect(sent.every((m) => m.id.endsWith(':2'))).toBe(true);
      await waitFor('six everywhere', async () =>
        (await Promise.all(ps.map((p) => logOf(p, g.groupId)))).every((l) => l.length === 6),
      );
      const logs = await Promise.all(ps.map((p) => logOf(p, g.groupId)));
      for (const l of logs) expect(l.map((m) => m.id)).toEqual(logs[0]!.map((m) => m.id));
    },
  );
});
