// The mesh signaled through a real tracker (in process) and real WebRTC: the
// two-phase join a session performs — join, open links to the view, report
// links-ready — ends with a view that has both, and frames cross the channel.

import wrtc from '@roamhq/wrtc';
import { afterEach, describe, expect, it } from 'vitest';
import { startTracker } from '@chorus/tracker';
import type { GroupFrame, PeerId, View } from '@chorus/protocol';
import { exportPublicKey, generateIdentity } from '@chorus/protocol';
import { TrackerClient } from '../src/tracker-client.ts';
import { WebRtcMesh } from '../src/mesh/webrtc-mesh.ts';
import { dataFrame } from './integration/test-frames.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

let n = 0;
async function node(
  url: string,
  name: string,
): Promise<{ tracker: TrackerClient; mesh: WebRtcMesh; frames: { from: PeerId; frame: GroupFrame }[] }> {
  const keyPair = await generateIdentity();
  const tracker = new TrackerClient({
    url,
    name,
    peerId: `m${++n}x${Date.now().toString(36)}`,
    keyPair,
    publicKey: await exportPublicKey(keyPair.publicKey),
    socketOptions: { transports: ['websocket'] },
  });
  await tracker.connect();
  const mesh = new WebRtcMesh({ tracker, wrtc });
  const frames: { from: PeerId; frame: GroupFrame }[] = [];
  mesh.on('frame', (_g, from, frame) => frames.push({ from, frame }));
  cleanups.push(
    () => tracker.close(),
    () => mesh.destroy(),
  );
  return { tracker, mesh, frames };
}

const waitFor = async (what: string, cond: () => boolean, timeoutMs = 20_000): Promise<void> => {
  const started = Date.now();
  while (!cond()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('WebRtcMesh through a real tracker', () => {
  it('links a joiner to the members, gets it installed, and carries frames', async () => {
    const t = await startTracker({
      port: 0,
      host: '127.0.0.1',
      logLevel: 'silent',
      webDist: '/nonexistent',
      heartbeatIntervalMs: 200,
      heartbeatTimeoutMs: 1_500,
    });
    cleanups.unshift(() => t.close());
    const a = await node(t.url, 'Alice');
    const b = await node(t.url, 'Bob');
    const c = await node(t.url, 'Carol');

    const g = await a.tracker.createGroup('mesh', 'total');
    const first = await a.tracker.join(g.groupId);
    const viewOf = new Map<unknown, View>([[a, first.view]]);
    // Members link to joiners as soon as the tracker announces them (the session's job).
    for (const m of [a, b, c]) {
      m.tracker.on('joining', (notice) => {
        const view = viewOf.get(m) ?? first.view;
        m.mesh.setPeers(notice.groupId, [...view.members, notice.peer]);
      });
      m.tracker.on('view', (v) => {
        viewOf.set(m, v);
        m.mesh.setPeers(v.groupId, v.members);
      });
    }

    for (const joiner of [b, c]) {
      const reply = await joiner.tracker.join(g.groupId);
      joiner.mesh.setPeers(g.groupId, reply.view.members);
      const others = reply.view.members.length;
      await waitFor('joiner links up', () => joiner.mesh.openPeers(g.groupId).length === others);
      const installed = await joiner.tracker.linksReady(g.groupId);
      expect(installed.members.map((m) => m.peerId)).toContain(joiner.tracker.peerId);
    }
    const final = await a.tracker.view(g.groupId);
    expect(final.members).toHaveLength(3);
    await waitFor('full mesh', () => [a, b, c].every((m) => m.mesh.openPeers(g.groupId).length === 2));

    for (const from of [a, b, c]) {
      for (const to of [a, b, c]) {
        if (from !== to)
          from.mesh.send(
            g.groupId,
            to.tracker.peerId,
            dataFrame(g.groupId, from.tracker.peerId, 1, `from ${from.tracker.peerId}`),
          );
      }
    }
    await waitFor('frames everywhere', () => [a, b, c].every((m) => m.frames.length === 2));
    for (const m of [a, b, c]) {
      expect(m.frames.map((f) => f.from).sort()).toEqual(
        [a, b, c]
          .filter((x) => x !== m)
          .map((x) => x.tracker.peerId)
          .sort(),
      );
    }

    // A channel destroyed under a live view reconnects through the tracker's relay; nobody is evicted.
    expect(b.mesh.dropLink(g.groupId, a.tracker.peerId)).toBe(true);
    await waitFor(
      'link back',
      () => b.mesh.linkState(g.groupId, a.tracker.peerId) === 'up' && a.mesh.openPeers(g.groupId).length === 2,
    );
    expect((await a.tracker.view(g.groupId)).members).toHaveLength(3);
  });
});
