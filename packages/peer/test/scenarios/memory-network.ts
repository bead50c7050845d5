// The scenario network over MemoryNetwork + MemoryTracker: everything in one
// process, seeded delays, faults on demand. Fast enough for many seeds.

import { exportPublicKey, generateIdentity } from '@chorus/protocol';
import type { GroupId, PeerId } from '@chorus/protocol';
import { createPeer } from '../../src/index.ts';
import {
  MemoryNetwork,
  MemoryStore,
  MemoryTracker,
  type MemoryNetworkOptions,
  type MemoryTrackerLink,
} from '../../src/testing.ts';
import { randomPeerId } from '../../src/key-store.ts';
import type { FileOptions } from '../../src/files/file-hub.ts';
import type { NetworkFactory, ScenarioNetwork, ScenarioPeer } from './network.ts';

/** How long the memory tracker takes to notice a crash (the real one: a heartbeat timeout). */
export const MEMORY_FAILURE_DETECTION_MS = 30;

/** The scenario network plus its insides, for tests that poke the tracker or the wires directly. */
export interface MemoryWorld {
  readonly network: ScenarioNetwork;
  readonly net: MemoryNetwork;
  readonly tracker: MemoryTracker;
  readonly links: Map<PeerId, MemoryTrackerLink>;
  readonly stores: Map<PeerId, MemoryStore>;
  /**
   * A page reload: the peer's session ends and a new one (new peerId, same
   * name, key pair and store) connects, as a browser tab would.
   */
  reload(old: ScenarioPeer): Promise<ScenarioPeer>;
  /** A peer with the peer id it chose (peer ids are the client's, PROTOCOL.md §2: `-` is one). */
  addPeerAs(name: string, peerId: PeerId): Promise<ScenarioPeer>;
}

export const memoryNetwork: NetworkFactory = async (seed) => memoryWorld(seed).network;

export function memoryWorld(
  seed: number,
  peerOptions: {
    readonly metricsReportMs?: number;
    readonly linksReadyTimeoutMs?: number;
    readonly now?: () => number;
    /** Files options per display name (a receiver with a short chunk timeout, a lower cap). */
    readonly filesOf?: (name: string) => FileOptions | undefined;
  } = {},
  netOptions: Omit<MemoryNetworkOptions, 'seed'> = {},
): MemoryWorld {
  const net = new MemoryNetwork({ seed, ...netOptions });
  const tracker = new MemoryTracker();
  const links = new Map<PeerId, MemoryTrackerLink>();
  const stores = new Map<PeerId, MemoryStore>();
  const peers: ScenarioPeer[] = [];
  const identities = new Map<string, { keyPair: CryptoKeyPair; publicKey: string }>();
  const { filesOf, ...options } = peerOptions;
  const addPeer = async (
    name: string,
    reuse: MemoryStore | null,
    peerId: PeerId = randomPeerId(),
  ): Promise<ScenarioPeer> => {
    // One key pair per display name, as a browser profile keeps it: a reload is the same user.
    let id = identities.get(name);
    if (!id) {
      const keyPair = await generateIdentity();
      id = { keyPair, publicKey: await exportPublicKey(keyPair.publicKey) };
      identities.set(name, id);
    }
    const { keyPair, publicKey } = id;
    const link = tracker.link({ peerId, name, publicKey });
    const store = reuse ?? new MemoryStore();
    links.set(peerId, link);
    stores.set(peerId, store);
    const peer = createPeer({
      name,
      tracker: link,
      transport: net.transport(peerId, link),
      identity: { keyPair, publicKey },
      store,
      files: filesOf?.(name) ?? {},
      ...options,
    });
    await peer.connect();
    const p: ScenarioPeer = { name, peerId, peer };
    peers.push(p);
    return p;
  };
  const network: ScenarioNetwork = {
    label: `memory seed=${seed}`,
    async addPeer(name) {
      return addPeer(name, null);
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
  const reload = async (old: ScenarioPeer): Promise<ScenarioPeer> => {
    const store = stores.get(old.peerId) ?? null;
    await old.peer.close();
    return addPeer(old.name, store);
  };
  const addPeerAs = async (name: string, peerId: PeerId): Promise<ScenarioPeer> => addPeer(name, null, peerId);
  return { network, net, tracker, links, stores, reload, addPeerAs };
}
