// @chorus/peer/store: what a page needs to show its cached history before the
// peer runtime is loaded — the IndexedDB store and this browser's key for a
// display name. Nothing here imports the runtime (sockets, WebRTC, the
// engine), so the page loads this small chunk and reads the store while the
// runtime's chunks are still on their way.

import { exportPublicKey, generateIdentity } from '@chorus/protocol/identity';
import type { IdbKeyStore } from './idb-key-store.ts';
import { loadOrCreateKeyPair } from './key-pair.ts';

export { IdbStore, IdbKeyStore, type IdbStoreOptions, type StoreProblem } from './idb-store.ts';

/** The key pair of `name` in this browser (made the first time), with its public half as base64. */
export async function loadIdentity(
  keys: IdbKeyStore,
  name: string,
): Promise<{ keyPair: CryptoKeyPair; publicKey: string }> {
  const keyPair = await loadOrCreateKeyPair(keys, name, () => generateIdentity());
  return { keyPair, publicKey: await exportPublicKey(keyPair.publicKey) };
}
