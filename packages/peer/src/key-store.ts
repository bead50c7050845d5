// Where a user's identity lives: one Ed25519 key pair per display name (the
// same name in two tabs is the same user on two sessions, docs/design.md §3). The
// IndexedDB implementation is IdbKeyStore in idb-key-store.ts; this file holds
// the seam, the in-memory implementation and the per-session peer id. It
// never signs anything (that is @chorus/protocol's crypto).

import { asPeerId, membership, type PeerId } from '@chorus/protocol';

export { loadOrCreateKeyPair } from './key-pair.ts';

export interface KeyStore {
  get(name: string): Promise<CryptoKeyPair | null>;
  /** First writer wins: if the name already has a pair, it is kept and `get` returns that one. */
  put(name: string, keyPair: CryptoKeyPair): Promise<void>;
}

export class MemoryKeyStore implements KeyStore {
  readonly #pairs = new Map<string, CryptoKeyPair>();

  async get(name: string): Promise<CryptoKeyPair | null> {
    return this.#pairs.get(name) ?? null;
  }

  async put(name: string, keyPair: CryptoKeyPair): Promise<void> {
    if (!this.#pairs.has(name)) this.#pairs.set(name, keyPair);
  }
}

/** 16 random bytes: collisions between sessions are not a practical concern. */
export const PEER_ID_BYTES = 16;

/** A fresh random id for one peer session (one tab, one process). */
/** A random offset for a restored group's first view id (membership.restoreViewFloor). */
export function randomRestoreOffset(): number {
  const word = new Uint32Array(1);
  globalThis.crypto.getRandomValues(word);
  return (word[0] as number) % membership.RESTORE_VIEW_SPREAD;
}

export function randomPeerId(): PeerId {
  const bytes = new Uint8Array(PEER_ID_BYTES);
  globalThis.crypto.getRandomValues(bytes);
  return asPeerId(Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(''));
}
