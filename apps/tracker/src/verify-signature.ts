// Hello and accusation verification. The hello's signature is checked with
// node:crypto's one-shot Ed25519 verify (in place, ~0.1 ms) rather than
// WebCrypto (a hop through libuv's thread pool, ~0.5 ms): the tracker checks
// one per connection, and a reconnect storm brings thousands at once. Same
// key bytes, same signed text (UTF-8), same verdict as the shared helpers in
// packages/protocol crypto/signing.ts, which accusations still use.

import { createPublicKey, verify } from 'node:crypto';
import { base64ToBytes, verifyProof, readPublicKey, type AccusationProof } from '@chorus/protocol';

const PUBLIC_KEY_BYTES = 32;
const SIGNATURE_BYTES = 64;

/** Never throws: a malformed key or signature is simply not valid. */
export async function verifyEd25519(publicKeyB64: string, text: string, signatureB64: string): Promise<boolean> {
  if (typeof publicKeyB64 !== 'string' || typeof text !== 'string' || typeof signatureB64 !== 'string') return false;
  const raw = base64ToBytes(publicKeyB64);
  const sig = base64ToBytes(signatureB64);
  if (raw === null || raw.length !== PUBLIC_KEY_BYTES || sig === null || sig.length !== SIGNATURE_BYTES) return false;
  try {
    const key = createPublicKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(raw).toString('base64url') },
      format: 'jwk',
    });
    return verify(null, Buffer.from(text, 'utf8'), key, sig);
  } catch {
    return false;
  }
}

/** Whether both halves of a proof (two FINALs or FLUSH statements) carry `publicKeyB64`'s signatures; never throws. */
export async function verifyAccusation(publicKeyB64: string, proof: AccusationProof): Promise<boolean> {
  const key = await readPublicKey(publicKeyB64);
  return key.ok && (await verifyProof(key.value, proof));
}
