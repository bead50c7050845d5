// The only place this package makes a key: WebCrypto's generateKey draws from
// the platform CSPRNG. Everything else in crypto/ is a pure function of its
// inputs (sign/verify are deterministic for Ed25519).

import { ED25519 } from './signing.ts';

/**
 * A new Ed25519 identity. The private key is non-extractable by default (kept
 * as a CryptoKey in IndexedDB, never as bytes); the public key is always
 * exportable, as WebCrypto makes it.
 */
export async function generateIdentity(extractable = false): Promise<CryptoKeyPair> {
  return (await globalThis.crypto.subtle.generateKey(ED25519, extractable, ['sign', 'verify'])) as CryptoKeyPair;
}
