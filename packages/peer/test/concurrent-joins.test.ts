// Several peers call join() on the same group at the same moment (a class
// opening a link together, a benchmark's mesh formation). The tracker
// installs the joiners one at a time as each reports its links ready, so
// views grow while earlier joiners still sync their history. Every join()
// must resolve, every peer must end as a member of one view holding all of
// them, and the group must carry messages afterwards with one log.
import { afterEach, describe, expect, it } from 'vitest';
import type { GroupId } from '@chorus/protocol';
import { logOf, waitFor, type ScenarioPeer } from './scenarios/network.ts';
import { memoryWorld, type MemoryWorld } from './scenarios/memory-network.ts';

let world: MemoryWorld | null = null;
afterEach(async () => {
  await world?.network.close();
  world = null;
});

const NAMES = ['ana', 'ben', 'cy', 'dee', 'eli', 'fay', 'gus'];

async function formAllAtOnce(
  seed: number,
  joiners: number,
  ordering: 'fifo' | 'total',
): Promise<{ ps: ScenarioPeer[]; groupId: GroupId }> {
  const w = memoryWorld(seed, {}, { maxDelayMs: 5, linkSetupMs: 20, linkOpenSkewMs: 30 });
  world = w;
  const ps: ScenarioPeer[] = [];
  for (const name of NAMES.slice(0, joiners + 1)) ps.push(await w.network.addPeer(name));
  const founder = ps[0]!;
  const g = await founder.peer.createGroup(`race-${seed}`, ordering);
  await founder.peer.join(g.groupId);
  await founder.peer.send(g.groupId, 'before the crowd');
  // Everyone else at the same moment; join() resolving means "a member, with the history".
  let resolved = 0;
  const joins = ps.slice(1).map((p) =>
    p.peer.join(g.groupId).then(() => {
      resolved += 1;
    }),
  );
  await waitFor(`all ${joiners} join() calls resolved`, () => resolved === joiners);
  await Promise.all(joins);
  return { ps, groupId: g.groupId };
}

describe('simultaneous joiners', () => {
  const cases: [number, number, 'fifo' | 'total'][] = [];
  for (const seed of [1, 2, 3, 4, 5, 6])
    cases.push([3, seed, seed % 2 === 0 ? 'total' : 'fifo'], [6, seed, seed % 2 === 0 ? 'fifo' : 'total']);
  it.each(cases)(
    '%i joiners at once all become members of one view and share one log (seed %i, %s)',
    async (joiners, seed, ordering) => {
      const { ps, groupId } = await formAllAtOnce(seed, joiners, ordering);
      await waitFor('every peer a member of the view with all of them', () =>
        ps.every((p) => {
          const j = p.peer.groups()[0];
          return j?.status === 'member' && j.view?.members.length === ps.length;
        }),
      );
      const views = new Set(ps.map((p) => p.peer.groups()[0]!.view!.viewId));
      expect(views.size).toBe(1);
      await Promise.all(ps.map((p) => p.peer.send(groupId, `hello from ${p.name}`)));
      const total = ps.length + 1;
      await waitFor('every message everywhere', async () =>
        (await Promise.all(ps.map((p) => logOf(p, groupId)))).every((l) => l.length === total),
      );
      const logs = await Promise.all(ps.map((p) => logOf(p, groupId)));
      for (const l of logs)
        expect(new Set(l.map((m) => m.body))).toEqual(
          new Set(['before the crowd', ...ps.map((p) => `hello from ${p.name}`)]),
        );
      // Total order: one log, and the history a joiner got comes before anything said after the joins.
      if (ordering === 'total') {
        for (const l of logs) expect(l.map((m) => m.id)).toEqual(logs[0]!.map((m) => m.id));
        expect(logs[0]![0]?.body).toBe('before the crowd');
      }
    },
  );
});
