// What one Ed25519 signature and one check cost through WebCrypto on this
// machine, right now: every Chorus DATA frame is signed once and checked by
// every receiver, so these bound the per-message processing a peer adds.
const SAMPLES = 500;

export const ed25519CostMs = async (): Promise<{ sign: number; verify: number }> => {
  const { subtle } = globalThis.crypto;
  const kp = (await subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify'])) as CryptoKeyPair;
  const data = new TextEncoder().encode('x'.repeat(200));
  let sig = await subtle.sign('Ed25519', kp.privateKey, data);
  let t = performance.now();
  for (let i = 0; i < SAMPLES; i++) sig = await subtle.sign('Ed25519', kp.privateKey, data);
  const sign = (performance.now() - t) / SAMPLES;
  t = performance.now();
  for (let i = 0; i < SAMPLES; i++) await subtle.verify('Ed25519', kp.publicKey, sig, data);
  return { sign, verify: (performance.now() - t) / SAMPLES };
};
