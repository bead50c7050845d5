// The tracker checks a hello's Ed25519 signature with node:crypto; peers sign
// and check with WebCrypto (packages/protocol). Both must give one verdict for
// every key, text and signature, well-formed or not.

import { describe, expect, it } from 'vitest';
import { exportPublicKey, generateIdentity, readPublicKey, signText, verifyText } from '@chorus/protocol';
import { verifyEd25519 } from '../src/verify-signature.ts';

async function webCryptoVerdict(publicKey: string, text: string, sig: string): Promise<boolean> {
  const key = await readPublicKey(publicKey);
  return key.ok && (await verifyText(key.value, text, sig));
}

describe('hello signature check (node:crypto) against the shared WebCrypto check', () => {
  it('agrees on valid, tampered and malformed inputs', async () => {
    const a = await generateIdentity();
    const b = await generateIdentity();
    const keyA = await exportPublicKey(a.publicKey);
    const keyB = await exportPublicKey(b.publicKey);
    const texts = ['hello nonce-1 peer Ana', 'chorus-hello\nnonce\npeer\nZoë 🎵', ''];
    const cases: [string, string, string][] = [];
    for (const text of texts) {
      const sig = await signText(a.privateKey, text);
      const flipped = `${sig[0] === 'A' ? 'B' : 'A'}${sig.slice(1)}`;
      cases.push(
        [keyA, text, sig], // valid
        [keyA, `${text}x`, sig], // other text
        [keyB, text, sig], // other key
        [keyA, text, flipped], // other signature
        [keyA, text, sig.slice(0, -4)], // short signature
        [keyA, text, `${sig.slice(0, -2)}=`], // not canonical base64
        [keyA.slice(0, -4), text, sig], // short key
        ['not base64 at all, 44 characters long......', text, sig],
        [keyA, text, ''],
      );
    }
    const verdicts = await Promise.all(cases.map(([k, t, s]) => verifyEd25519(k, t, s)));
    const expected = await Promise.all(cases.map(([k, t, s]) => webCryptoVerdict(k, t, s)));
    expect(verdicts).toEqual(expected);
    expect(verdicts.filter(Boolean)).toHaveLength(texts.length); // exactly the valid ones
  });

  it('says false, never throws, for values of the wrong type', async () => {
    const bad = [null, undefined, 42, {}, []] as unknown as string[];
    for (const v of bad) {
      await expect(verifyEd25519(v, 'text', 'sig')).resolves.toBe(false);
      await expect(verifyEd25519('key', v, 'sig')).resolves.toBe(false);
      await expect(verifyEd25519('key', 'text', v)).resolves.toBe(false);
    }
  });
});
