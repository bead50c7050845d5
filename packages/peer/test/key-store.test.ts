import { describe, expect, it } from 'vitest';
import { MemoryKeyStore, loadOrCreateKeyPair, randomPeerId } from '../src/key-store.ts';

const generate = () =>
  crypto.subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify']) as Promise<CryptoKeyPair>;

describe('key store', () => {
  it('makes one key pair per display name and returns it again', async () => {
    const store = new MemoryKeyStore();
    const alice = await loadOrCreateKeyPair(store, 'alice', generate);
    const again = await loadOrCreateKeyPair(store, 'alice', generate);
    const bob = await loadOrCreateKeyPair(store, 'bob', generate);
    expect(again).toBe(alice);
    expect(bob).not.toBe(alice);
    // The private half never leaves as bytes.
    expect(alice.privateKey.extractable).toBe(false);
  });

  it('two sessions racing on one name end with the same pair', async () => {
    const store = new MemoryKeyStore();
    const [a, b] = await Promise.all([
      loadOrCreateKeyPair(store, 'carol', generate),
      loadOrCreateKeyPair(store, 'carol', generate),
    ]);
    expect(a).toBe(b);
  });

  it('peer ids are fresh 32-hex-digit strings per session', () => {
    const ids = new Set(Array.from({ length: 100 }, () => randomPeerId()));
    expect(ids.size).toBe(100);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{32}$/);
  });
});
