// Hello verification with the shared Ed25519 helpers (packages/protocol
// crypto/signing.ts), so the tracker and peers agree on keys and encodings.

import { readPublicKey, verifyProof, verifyText, type AccusationProof } from '@chorus/protocol';

/** Never throws: a malformed key or signature is simply not valid. */
export async function verifyEd25519(publicKeyB64: string, text: string, signatureB64: string): Promise<boolean> {
  const key = await readPublicKey(publicKeyB64);
  return key.ok && (await verifyText(key.value, text, signatureB64));
}

/** Whether both halves of a proof (two FINALs or FLUSH statements) carry `publicKeyB64`'s signatures; never throws. */
export async function verifyAccusation(publicKeyB64: string, proof: AccusationProof): Promise<boolean> {
  const key = await readPublicKey(publicKeyB64);
  return key.ok && (await verifyProof(key.value, proof));
}
