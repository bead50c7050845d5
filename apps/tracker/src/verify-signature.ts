// Ed25519 verification over WebCrypto for the hello challenge. Kept local so
// the tracker does not wait on the shared signing helpers; same algorithm.

const ED25519 = { name: 'Ed25519' } as const;

/** Never throws: a malformed key or signature is simply not valid. */
export async function verifyEd25519(publicKeyB64: string, text: string, signatureB64: string): Promise<boolean> {
  try {
    const key = await crypto.subtle.importKey('raw', Buffer.from(publicKeyB64, 'base64'), ED25519, false, ['verify']);
    return await crypto.subtle.verify(ED25519, key, Buffer.from(signatureB64, 'base64'), new TextEncoder().encode(text));
  } catch {
    return false;
  }
}
