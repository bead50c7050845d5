// The scenario network over MemoryNetwork + MemoryTracker: everything in one
// process, seeded delays, faults on demand. Fast enough for many seeds.

import { exportPublicKey, generateIdentity } from '@chorus/protocol';
import { createPeer, MemoryNetwork, MemoryStore, MemoryTracker, type GroupId, type PeerId } from '../../src/index.ts';
import { randomPeerId } from '../../src/key-store.ts';
import type { NetworkFactory, ScenarioNetwork, ScenarioPeer } from './network.ts';

/** How long the memory tracker takes to notice a crash (the real one: a heartbeat timeout). */
export const MEMORY_FAILURE_DETECTION_MS = 30;

export const memoryNetwork: NetworkFactory = async (seed) => {
  const net = new MemoryNetwork({ seed });
  const tracker = new MemoryTracker();
  const peers: ScenarioPeer[] = [];
  const network: ScenarioNetwork = {
    label: `memory seed=${seed}`,
    async addPeer(name) {
      const keyPair = await generateIdentity();
      const publicKey = await exportPublicKey(keyPair.publicKey);
      const peerId: PeerId = randomPeerId();
      const peer = createPeer({
        name,
        tracker: tracker.link({ peerId, name, publicKey }),
        transport: net.transport(peerId),
        identity: { keyPair, publicKey },
        store: new MemoryStore(),
      });
      await peer.connect();
      const p: ScenarioPeer = { name, peerId, peer };
      peers.push(p);
      return p;
    },
    async crash(p) {
      net.crash(p.peerId);
      await new Promise((r) => setTimeout(r, MEMORY_FAILURE_DETECTION_MS));
      tracker.fail(p.peerId);
      // Stop the dead peer's timers; it can no longer reach anyone, so nothing it says escapes.
      await p.peer.close();
    },
    async cutLink(a, b) {
      net.cut(a.peerId, b.peerId);
    },
    async healLink(a, b) {
      net.heal(a.peerId, b.peerId);
    },
    async inject(groupId: GroupId, from, to, text) {
      net.inject(groupId, from.peerId, to.peerId, text);
    },
    async close() {
      await Promise.all(peers.map((p) => p.peer.close().catch(() => {})));
      net.close();
    },
  };
  return network;
};
