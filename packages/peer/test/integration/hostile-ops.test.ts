// A hostile member (joined through the real tracker, real data channels)
// signs, with its own key, an edit and a delete of a message another member
// wrote (PROTOCOL.md §8). The frames are valid DATA, so the honest peers
// deliver them like any message; what they must not do is apply them: each
// honest peer refuses both and counts them (metrics.refusedOps), and the
// message shows everywhere as its author left it — with the author's own
// edit, and with the hostile member's reaction, which anyone may add.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunningTracker } from '@chorus/tracker';
import { encodeOp, foldLog, type GroupId, type MessageView } from '@chorus/protocol';
import type { ChildPeer } from './child-peer.ts';
import { groupOf, logOf, logsWithAtLeast, startIntegrationTracker, startPeers, stopAll, waitFor } from './cluster.ts';
import { HostilePeer } from './hostile-peer.ts';

let tracker: RunningTracker;
let honest: ChildPeer[] = [];
let hostile: HostilePeer | null = null;
beforeEach(async () => {
  tracker = await startIntegrationTracker();
});
afterEach(async () => {
  await hostile?.close();
  hostile = null;
  await stopAll(honest);
  honest = [];
  await tracker.close();
});

const refusedAt = async (p: ChildPeer, g: GroupId): Promise<number> => (await p.fetchMetrics(g))?.refusedOps ?? 0;

describe('a hostile member editing what others wrote', () => {
  it("has its edit and delete of another member's message refused and counted by every honest peer", async () => {
    honest = await startPeers(tracker.url, ['ana', 'ben', 'cy']);
    const [ana] = honest as [ChildPeer, ChildPeer, ChildPeer];
    const g = await groupOf(honest, 'ops-fifo', 'fifo');
    const original = await ana.send(g, 'ana: meet at noon');
    await logsWithAtLeast(honest, g, 1, "ana's message everywhere");

    const mallory = await HostilePeer.connect(tracker.url, 'mallory');
    hostile = mallory;
    await mallory.join(g);
    await waitFor('honest peers see mallory in their view', () =>
      honest.every((p) => p.groups().find((x) => x.groupId === g)?.view?.members.length === 4),
    );
    const before = await Promise.all(honest.map((p) => refusedAt(p, g)));
    const refusals: string[][] = honest.map(() => []);
    honest.forEach((p, i) =>
      p.on('error', (e) => {
        if (e.code.startsWith('op-')) refusals[i]?.push(e.code);
      }),
    );

    // Valid frames, signed by mallory's own key: only the rule "the author's key alone edits or deletes" stops them.
    const ops = [
      encodeOp({ op: 'edit', target: original.id, text: 'ana: meeting cancelled' }),
      encodeOp({ op: 'delete', target: original.id }),
      encodeOp({ op: 'react', target: original.id, emoji: '👀', on: true }),
    ];
    for (const [i, body] of ops.entries())
      expect(mallory.sendRaw(g, JSON.stringify(await mallory.signedData(g, i + 1, body)))).toBe(3);
    await ana.sendOp(g, { op: 'edit', target: original.id, text: 'ana: meet at one' });
    await logsWithAtLeast(honest, g, 5, "the three operations and ana's edit everywhere");

    let counted: number[] = [];
    await waitFor(
      'every honest peer refused two operations',
      async () => {
        counted = (await Promise.all(honest.map((p) => refusedAt(p, g)))).map((n, i) => n - (before[i] ?? 0));
        return counted.every((n) => n >= 2);
      },
      10_000,
    ).catch(() => {});
    expect(counted).toEqual([2, 2, 2]);
    expect(refusals).toEqual(honest.map(() => ['op-not-author', 'op-not-author']));

    const logs = await Promise.all(honest.map((p) => logOf(p, g)));
    const malloryKey = logs[0]?.find((m) => m.sender === mallory.peerId)?.senderKey;
    expect(malloryKey).toBeDefined();
    for (const [i, log] of logs.entries()) {
      const shown = foldLog(g, log);
      const view = shown.views.find((v) => v.id === original.id);
      expect(view, honest[i]?.name).toMatchObject<Partial<MessageView>>({
        text: 'ana: meet at one',
        edited: true,
        deleted: false,
        reactions: [{ emoji: '👀', keys: [malloryKey!] }],
      });
      expect(shown.refused).toBe(2);
      // The operations are not messages: nothing of mallory's shows as a line of its own.
      expect(shown.views.map((v) => v.id)).toEqual([original.id]);
    }
  }, 90_000);
});
