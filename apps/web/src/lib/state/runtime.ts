// The seam between the app and the peer runtime. The runtime (simple-peer,
// socket.io-client, Buffer polyfills) is the heavy part of the bundle, so it
// is loaded with a dynamic import after the first paint: the name picker and
// the UI shell cost nothing of it. The store and the identity are a small
// chunk of their own (@chorus/peer/store), loaded beside it, so a reload
// shows the cached history without waiting for the runtime.

import type { ChorusPeer, IdbStore, PeerIdentity, StoreProblem } from '@chorus/peer';
import type { IdbKeyStore } from '@chorus/peer/store';

export interface StoreHooks {
  readonly onProblem: (problem: StoreProblem) => void;
  readonly onRecovered: () => void;
}

/** What the page needs before the runtime: the IndexedDB store and this browser's key for a name. */
export interface StoreKit {
  openStore(hooks: StoreHooks): IdbStore;
  /** The key pair of `name` in this browser (made the first time), with its public half as base64. */
  loadIdentity(keyStore: IdbKeyStore, name: string): Promise<Required<PeerIdentity>>;
}

export interface Runtime {
  createPeer(opts: { trackerUrl: string; name: string; store: IdbStore; identity: PeerIdentity }): ChorusPeer;
  /** The runtime's group lookup for commands: id, exact name, then unambiguous case-insensitive name. */
  resolveGroup: typeof import('@chorus/peer').resolveGroup;
}

export async function loadStoreKit(): Promise<StoreKit> {
  const kit = await import('@chorus/peer/store');
  return {
    openStore: (hooks) => new kit.IdbStore(hooks),
    loadIdentity: (keyStore, name) => kit.loadIdentity(keyStore, name),
  };
}

export async function loadRuntime(): Promise<Runtime> {
  const peer = await import('@chorus/peer');
  return { createPeer: (opts) => peer.createPeer(opts), resolveGroup: peer.resolveGroup };
}

/**
 * What the parts of the page's state read of the running session (AppState
 * owns it and hands this view to them): null until the runtime, the store and
 * the peer are up, null again after quitting.
 */
export interface Live {
  readonly runtime: Runtime | null;
  readonly store: IdbStore | null;
  readonly peer: ChorusPeer | null;
  /** This tab's public key (base64), null before the identity is loaded. */
  readonly selfKey: string | null;
  readonly selfName: string;
  /** The peer exists and the tracker connection is up. */
  readonly online: boolean;
}
