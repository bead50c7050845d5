// Ed25519 over WebCrypto as a peer uses it: sign a DATA frame, send it as
// JSON, parse it on the far side and verify it; any change to what was signed,
// or a signature of another key, fails verification without a throw.

import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { base64ToBytes, bytesToBase64 } from '../src/crypto/base64.ts';
import { generateIdentity } from '../src/crypto/identity.ts';
import {
  exportPublicKey,
  importPublicKey,
  readPublicKey,
  signFields,
  signText,
  verifyFrame,
  verifyText,
} from '../src/crypto/signing.ts';
import { asGroupId, asPeerId, asViewId } from '../src/ids.ts';
import type { DataFrame, SignedFields } from '../src/wire/frames.ts';
import { parseFrame } from '../src/wire/parse-frame.ts';
import { GENESIS_PREV } from '../src/wire/chain.ts';

const ALICE = asPeerId('alice');
const G = asGroupId('g-1');
const fields: SignedFields = {
  groupId: G,
  viewId: asViewId(3),
  sender: ALICE,
  seq: 5,
  lamport: 11,
  sentAt: 1_700_000_000_123,
  body: 'Lunch at 12? 🍜 "quoted" \\ back\nslash',
  prev: GENESIS_PREV,
};

let alice: CryptoKeyPair;
let mallory: CryptoKeyPair;
let signed: DataFrame;

beforeAll(async () => {
  alice = await generateIdentity();
  mallory = await generateIdentity();
  signed = { t: 'data', ...fields, sig: await signFields(alice.privateKey, fields) };
});

describe('identity keys', () => {
  it('keeps the private key non-extractable by default and exports a 32-byte public key', async () => {
    expect(alice.privateKey.extractable).toBe(false);
    await expect(crypto.subtle.exportKey('pkcs8', alice.privateKey)).rejects.toThrow();
    const b64 = await exportPublicKey(alice.publicKey);
    expect(b64).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(base64ToBytes(b64)?.length).toBe(32);
  });

  it('an extractable identity can be exported when asked for', async () => {
    const pair = await generateIdentity(true);
    expect((await crypto.subtle.exportKey('pkcs8', pair.privateKey)).byteLength).toBeGreaterThan(32);
  });

  it('a public key survives export and import, and verifies what the private key signed', async () => {
    const imported = await importPublicKey(await exportPublicKey(alice.publicKey));
    expect(await verifyFrame(imported, signed)).toBe(true);
  });

  it('a malformed public key is refused with a code and a sentence', async () => {
    for (const bad of [
      '',
      'abc',
      'A'.repeat(44),
      `${'A'.repeat(42)}==`,
      `${'*'.repeat(43)}=`,
      42 as unknown as string,
    ]) {
      const r = await readPublicKey(bad);
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.error.code).toBe('bad-type');
        expect(r.error.message).toMatch(/public key/);
      }
    }
    await expect(importPublicKey('abc')).rejects.toThrow(/public key/);
  });
});

describe('signed DATA frames', () => {
  it('verify with the sender key, also after a trip through JSON with keys in another order', async () => {
    expect(await verifyFrame(alice.publicKey, signed)).toBe(true);
    const shuffled = JSON.stringify(Object.fromEntries(Object.entries(signed).reverse()));
    const parsed = parseFrame(shuffled, { groupId: G, from: ALICE });
    if (!parsed.ok || parsed.value.t !== 'data') throw new Error('expected a data frame');
    expect(await verifyFrame(alice.publicKey, parsed.value)).toBe(true);
  });

  const tampers: readonly (readonly [string, Partial<DataFrame>])[] = [
    ['body', { body: 'Lunch at 1? 🍜 "quoted" \\ back\nslash' }],
    ['seq', { seq: 6 }],
    ['viewId', { viewId: asViewId(4) }],
    ['groupId', { groupId: asGroupId('g-2') }],
    ['sender', { sender: asPeerId('mallory') }],
    ['lamport', { lamport: 12 }],
    ['sentAt', { sentAt: 1_700_000_000_124 }],
    ['prev', { prev: `${'B'.repeat(43)}=` }],
  ];
  it.each(tampers)('a changed %s no longer verifies', async (_name, change) => {
    expect(await verifyFrame(alice.publicKey, { ...signed, ...change })).toBe(false);
  });

  it('a signature made by another key does not verify', async () => {
    const forged = { ...signed, sig: await signFields(mallory.privateKey, fields) };
    expect(await verifyFrame(alice.publicKey, forged)).toBe(false);
    expect(await verifyFrame(mallory.publicKey, forged)).toBe(true);
  });

  it('a malformed signature is false, never a throw', async () => {
    const flipped = `${signed.sig[0] === 'A' ? 'B' : 'A'}${signed.sig.slice(1)}`;
    for (const sig of [
      '',
      'not base64!',
      'AAAA',
      signed.sig.slice(0, 86),
      `${signed.sig.slice(0, 86)}=`,
      flipped,
      7 as unknown as string,
    ])
      expect(await verifyFrame(alice.publicKey, { ...signed, sig })).toBe(false);
  });

  it('a signature over random fields verifies only for exactly those fields', async () => {
    const arb = fc.record({
      viewId: fc.nat(),
      seq: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
      lamport: fc.nat(),
      sentAt: fc.nat(),
      body: fc.string({ unit: 'grapheme', maxLength: 200 }),
    });
    await fc.assert(
      fc.asyncProperty(arb, fc.string({ maxLength: 5 }), async (r, extra) => {
        const f: SignedFields = { ...r, groupId: G, sender: ALICE, viewId: asViewId(r.viewId) };
        const sig = await signFields(alice.privateKey, f);
        expect(await verifyFrame(alice.publicKey, { t: 'data', ...f, sig })).toBe(true);
        expect(await verifyFrame(alice.publicKey, { t: 'data', ...f, body: `${f.body}${extra}x`, sig })).toBe(false);
      }),
      { numRuns: 60 },
    );
  });
});

describe('tracker challenge', () => {
  const challenge = (nonce: string): string => `chorus-hello:${nonce}:alice-tab-1:Alice`;

  it('signs and verifies the hello text, and nothing else', async () => {
    const sig = await signText(alice.privateKey, challenge('n-123'));
    expect(await verifyText(alice.publicKey, challenge('n-123'), sig)).toBe(true);
    expect(await verifyText(alice.publicKey, challenge('n-124'), sig)).toBe(false);
    expect(await verifyText(mallory.publicKey, challenge('n-123'), sig)).toBe(false);
    expect(await verifyText(alice.publicKey, challenge('n-123'), 'garbage')).toBe(false);
    expect(await verifyText(alice.publicKey, undefined as unknown as string, sig)).toBe(false);
  });

  it('a DATA signature is never a valid challenge answer (the signed texts start differently)', async () => {
    const sig = await signFields(alice.privateKey, { ...fields, body: challenge('n-1') });
    expect(await verifyText(alice.publicKey, challenge('n-1'), sig)).toBe(false);
  });
});

describe('base64 without Buffer', () => {
  it('round-trips any bytes and agrees with Node', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const b64 = bytesToBase64(bytes);
        expect(b64).toBe(Buffer.from(bytes).toString('base64'));
        expect(base64ToBytes(b64)).toEqual(new Uint8Array(bytes));
      }),
      { numRuns: 300 },
    );
  });

  it('encodes more bytes than one String.fromCharCode call takes', () => {
    const big = new Uint8Array(200_000).map((_, i) => i % 251);
    expect(base64ToBytes(bytesToBase64(big))).toEqual(big);
  });

  it('refuses anything but the one canonical spelling', () => {
    for (const bad of ['A', 'AB=', 'AB==\n', ' AA==', 'AB==', 'AA', 'A===', 'AA-_', '****'])
      expect(base64ToBytes(bad), bad).toBeNull();
    expect(base64ToBytes('AA==')).toEqual(new Uint8Array([0]));
    expect(base64ToBytes('')).toEqual(new Uint8Array([]));
  });
});
