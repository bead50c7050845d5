// The IndexedDB KeyStore: identities in the `identities` object store of the
// database IdbStore opens (idb-schema.ts). Owns nothing but that store.

import type { KeyStore } from './key-store.ts';
import type { IdbStore } from './idb-store.ts';

/**
 * One Ed25519 key pair per display name in this browser profile. CryptoKeys
 * are structured-cloneable, so non-extractable keys are stored as they are
 * and never leave the browser's key storage as bytes.
 */
export class IdbKeyStore implements KeyStore {
  readonly #store: IdbStore;
  constructor(store: IdbStore) {
    this.#store = store;
  }

  async get(name: string): Promise<CryptoKeyPair | null> {
    const db = await this.#store.open();
    return (await db.get('identities', name))?.keyPair ?? null;
  }

  /**
   * Stores the pair unless the name already has one (two tabs choosing the
   * same name at once must end up as one user): the first writer wins and
   * `get` afterwards returns the winner.
   */
  async put(name: string, keyPair: CryptoKeyPair): Promise<void> {
    const db = await this.#store.open();
    const tx = db.transaction('identities', 'readwrite');
    if ((await tx.store.getKey(name)) === undefined) await tx.store.put({ name, keyPair, createdAt: Date.now() });
    await tx.done;
  }
}
