// A group whose members have not yet told each other what they delivered (a
// member lagging behind a fast sender, a burst just before someone joins)
// holds thousands of unstable messages. The FLUSH of the view change that
// adds a joiner, and the state its sponsor hands over, carry them all; in one
// frame they went over the wire caps (MAX_FLUSH_ITEMS, MAX_FRAME_BYTES), the
// receiver refused the frame, and the view change never ended: the joiner
// never became a member (bench history-sync, issue 16). Here the members'
// high-water marks are held back so the backlog stays unstable, deterministically.
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_FLUSH_ITEMS, MAX_FRAME_BYTES } from '@chorus/protocol';
import { waitFor } from './scenarios/network.ts';
import { memoryWorld, type MemoryWorld } from './scenarios/memory-network.ts';

let world: MemoryWorld | null = null;
afterEach(async () => {
  await world?.network.close();
  world = null;
});

/** Sends in batches like a fast composer (the session signs one at a time anyway). */
const sendMany = async (send: (body: string) => Promise<unknown>, bodies: readonly string[]): Promise<void> => {
  for (let i = 0; i < bodies.length; i += 200) await Promise.all(bodies.slice(i, i + 200).map(send));
};

describe('a joiner of a group holding a large unstable backlog', () => {
  for (const mode of ['fifo', 'total'] as const) {
    it(`${mode}: more unstable messages than one FLUSH may list: the joiner becomes a member with all of them`, async () => {
      const w = memoryWorld(61);
      world = w;
      const ana = await w.network.addPeer('ana');
      const ben = await w.network.addPeer('ben');
      const g = await ana.peer.createGroup('backlog', mode);
      await ana.peer.join(g.groupId);
      await ben.peer.join(g.groupId);
      // No hwm between the members: nothing they deliver becomes stable.
      w.net.dropFrames((_g, _from, _to, frame) => frame.t === 'hwm');
      const count = MAX_FLUSH_ITEMS + 300;
      await sendMany(
        (b) => ana.peer.send(g.groupId, b),
        Array.from({ length: count }, (_, i) => `backlog ${i}`),
      );
      await waitFor(
        'ben holds the backlog',
        async () => (await ben.peer.history(g.groupId, { limit: 100_000 })).length === count,
        60_000,
      );

      const cal = await w.network.addPeer('cal');
      const problems: string[] = [];
      for (const p of [ana, ben, cal])
        p.peer.on('error', (e) => problems.push(`${p.name}: ${e.code} ${e.message.slice(0, 120)}`));
      await cal.peer.join(g.groupId);
      await cal.peer.send(g.groupId, 'hello from cal');
      await waitFor(
        "everyone has cal's message",
        async () =>
          (
            await Promise.all(
              [ana, ben, cal].map(async (p) => (await p.peer.history(g.groupId, { limit: 100_000 })).length),
            )
          ).every((n) => n === count + 1),
        30_000,
      );
      const calLog = await cal.peer.history(g.groupId, { limit: 100_000 });
      expect(new Set(calLog.map((m) => m.body)).size).toBe(count + 1);
      expect(problems.filter((p) => /too-many|too-large|cut/.test(p))).toEqual([]);
    }, 120_000);
  }

  it('fifo: unstable long messages worth several MiB: the joiner becomes a member with all of them', async () => {
    const w = memoryWorld(62);
    world = w;
    const ana = await w.network.addPeer('ana');
    const ben = await w.network.addPeer('ben');
    const g = await ana.peer.createGroup('long', 'fifo');
    await ana.peer.join(g.groupId);
    await ben.peer.join(g.groupId);
    w.net.dropFrames((_g, _from, _to, frame) => frame.t === 'hwm');
    // 4000 three-byte characters: ~12 KiB per message, so 3 MiB of backlog is ~260 messages.
    const long = (i: number): string => `${i} ${'✓'.repeat(3990)}`;
    const count = Math.ceil((3 * MAX_FRAME_BYTES) / (4000 * 3));
    await sendMany(
      (b) => ana.peer.send(g.groupId, b),
      Array.from({ length: count }, (_, i) => long(i)),
    );
    await waitFor(
      'ben holds the backlog',
      async () => (await ben.peer.history(g.groupId, { limit: 100_000 })).length === count,
      60_000,
    );

    const cal = await w.network.addPeer('cal');
    const problems: string[] = [];
    for (const p of [ana, ben, cal])
      p.peer.on('error', (e) => problems.push(`${p.name}: ${e.code} ${e.message.slice(0, 120)}`));
    await cal.peer.join(g.groupId);
    await cal.peer.send(g.groupId, 'hello from cal');
    await waitFor(
      "everyone has cal's message",
      async () =>
        (
          await Promise.all(
            [ana, ben, cal].map(async (p) => (await p.peer.history(g.groupId, { limit: 100_000 })).length),
          )
        ).every((n) => n === count + 1),
      30_000,
    );
    expect(problems.filter((p) => /too-many|too-large|cut/.test(p))).toEqual([]);
  }, 120_000);
});
