// Loading or making the key pair of a display name in a KeyStore. Apart from
// key-store.ts (which imports the protocol's membership rules) so the page can
// load its identity before the runtime (store.ts).

import type { KeyStore } from './key-store.ts';

/**
 * The key pair for `name`, made with `generate` the first time. Reads back
 * after writing so two sessions racing on one name end up with the same pair.
 */
export async function loadOrCreateKeyPair(
  store: KeyStore,
  name: string,
  generate: () => Promise<CryptoKeyPair>,
): Promise<CryptoKeyPair> {
  const existing = await store.get(name);
  if (existing) return existing;
  await store.put(name, await generate());
  const winner = await store.get(name);
  if (!winner) throw new Error(`The key store lost the identity of ${JSON.stringify(name)} right after saving it.`);
  return winner;
}
