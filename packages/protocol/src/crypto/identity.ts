// The only place this package makes a key: WebCrypto's generateKey draws from
// the platform CSPRNG. Everything else in crypto/ is a pure function of its
// inputs (sign/verify are deterministic for Ed25519). Nothing here imports the
// wire or the engine, so a page can load its identity before the runtime
// (@chorus/protocol/identity).

import { bytesToBase64 } from './base64.ts';

export const ED25519 = { name: 'Ed25519' } as const;

/**
 * A new Ed25519 identity. The private key is non-extractable by default (kept
 * as a CryptoKey in IndexedDB, never as bytes); the public key is always
 * exportable, as WebCrypto makes it.
 */
export async function generateIdentity(extractable = false): Promise<CryptoKeyPair> {
  return (await globalThis.crypto.subtle.generateKey(ED25519, extractable, ['sign', 'verify'])) as CryptoKeyPair;
}

/** Raw 32-byte public key as base64 (what MemberInfo.publicKey carries). */
export async function exportPublicKey(key: CryptoKey): Promise<string> {
  return bytesToBase64(new Uint8Array(await globalThis.crypto.subtle.exportKey('raw', key)));
}
