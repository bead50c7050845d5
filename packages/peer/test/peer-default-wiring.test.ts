// createPeer with nothing injected but a tracker URL and wrtc: the real
// tracker client and WebRTC mesh are built inside, identities come from the
// key store. Two peers in one process against a real tracker.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import wrtc from '@roamhq/wrtc';
import { startTracker, type RunningTracker } from '@chorus/tracker';
import { createPeer, type ChorusPeer } from '../src/index.ts';
import { MemoryKeyStore } from '../src/testing.ts';
import { waitFor } from './scenarios/network.ts';

let tracker: RunningTracker;
const peers: ChorusPeer[] = [];
beforeAll(async () => {
  tracker = await startTracker({ port: 0, host: '127.0.0.1', logLevel: 'silent', webDist: '/nonexistent' });
});
afterAll(async () => {
  await Promise.all(peers.map((p) => p.close().catch(() => {})));
  await tracker?.close();
});

describe('createPeer default wiring (TrackerClient + WebRtcMesh)', () => {
  it('two peers chat through a real tracker and WebRTC, and the tracker gets their numbers', async () => {
    const keyStore = new MemoryKeyStore();
    const make = (name: string): ChorusPeer => {
      const p = createPeer({
        name,
        trackerUrl: tracker.url,
        wrtc,
        keyStore,
        socketOptions: { transports: ['websocket'] },
      });
      peers.push(p);
      return p;
    };
    const ana = make('ana');
    const ben = make('ben');
    await Promise.all([ana.connect(), ben.connect()]);
    expect(await keyStore.get('ana')).not.toBeNull();
    const g = await ana.createGroup('wired', 'total');
    await ana.join(g.groupId);
    await ben.join(g.groupId);
    await ana.send(g.groupId, 'over webrtc');
    await waitFor('ben gets it', async () => (await ben.history(g.groupId)).some((m) => m.body === 'over webrtc'));
    expect((await ben.history(g.groupId))[0]).toMatchObject({ senderName: 'ana', state: 'delivered' });
    await ana.leave(g.groupId);
    await waitFor('ben sees ana leave', () => ben.groups()[0]?.view?.members.length === 1);
    // Ana's final numbers reached the tracker on leave.
    const stats = async (): Promise<{ peerMetrics: Record<string, { sent: number }> }> =>
      (await fetch(`${tracker.url}/api/stats`)).json() as never;
    await waitFor("tracker has ana's report", async () => (await stats()).peerMetrics[g.groupId]?.sent === 1);
  });
});
