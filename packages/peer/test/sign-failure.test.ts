// A member whose key stops signing does not hold its group up. In a total-order group every other
// member waits for the sender's signed FINAL of its message; if signing it fails for good, the
// member says so, leaves, and the others' view change settles its message without it. A signature
// that fails once is tried again and nothing is lost.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { PeerId } from '@chorus/protocol';
import { bodies, logOf, waitFor } from './scenarios/network.ts';
import { memoryWorld, type MemoryWorld } from './scenarios/memory-network.ts';

/** FINALs of these senders fail to sign this many more times (Infinity: always). */
const failing = new Map<PeerId, number>();

vi.mock('../src/session/node-ed25519.ts', async (importOriginal) => {
  const real = await importOriginal<typeof import('../src/session/node-ed25519.ts')>();
  return {
    ...real,
    signOwnFinal: (...args: Parameters<typeof real.signOwnFinal>) => {
      const left = failing.get(args[1].sender) ?? 0;
      if (left > 0) {
        failing.set(args[1].sender, left - 1);
        throw new Error('the key store is gone');
      }
      return real.signOwnFinal(...args);
    },
  };
});

let world: MemoryWorld | null = null;
afterEach(async () => {
  failing.clear();
  await world?.network.close();
  world = null;
});

async function totalGroup(names: string[]) {
  world = memoryWorld(7);
  const peers = [];
  for (const n of names) peers.push(await world.network.addPeer(n));
  const g = await peers[0]!.peer.createGroup('signing', 'total');
  for (const p of peers) await p.peer.join(g.groupId);
  return { groupId: g.groupId, peers };
}

describe('a member that cannot sign its FINAL', () => {
  it('leaves with a clear error, and the others go on delivering', async () => {
    const { groupId, peers } = await totalGroup(['ana', 'ben', 'cy']);
    const [ana, ben, cy] = peers as [(typeof peers)[0], (typeof peers)[0], (typeof peers)[0]];
    const errors: { code: string; message: string }[] = [];
    ana.peer.on('error', (e) => errors.push(e));
    failing.set(ana.peerId, Infinity);

    await ana.peer.send(groupId, 'from ana');
    await waitFor('ana gives the group up', () => ana.peer.groups().every((g) => g.groupId !== groupId));
    expect(errors.find((e) => e.code === 'sign-failed')?.message).toMatch(/failed 4 times.*leaving the group/);

    await ben.peer.send(groupId, 'from ben');
    for (const p of [ben, cy])
      await waitFor(`${p.name} delivers ben's message`, async () =>
        bodies(await logOf(p, groupId)).includes('from ben'),
      );
    // ana's message was settled by the view change the same way at both (here: delivered, DATA reached both).
    expect(bodies(await logOf(ben, groupId))).toEqual(bodies(await logOf(cy, groupId)));
  });

  it('tries a failed signature again and delivers the message', async () => {
    const { groupId, peers } = await totalGroup(['ana', 'ben']);
    const [ana, ben] = peers as [(typeof peers)[0], (typeof peers)[0]];
    failing.set(ana.peerId, 2);

    await ana.peer.send(groupId, 'second try');
    for (const p of [ana, ben])
      await waitFor(`${p.name} delivers it`, async () => bodies(await logOf(p, groupId)).includes('second try'));
    expect(failing.get(ana.peerId)).toBe(0);
    expect(ana.peer.groups().map((g) => g.groupId)).toContain(groupId);
  });
});
