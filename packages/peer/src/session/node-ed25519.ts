// Ed25519 without the thread-pool round trip, where the runtime is Node.
// WebCrypto's sign and verify in Node run on libuv's thread pool: each call
// costs a hop to a worker thread and back to the event loop, which is most
// of what one live message spends in signing and checking. node:crypto's
// one-shot sign/verify do the same Ed25519 in place (tens of µs). In a
// browser (no `process.getBuiltinModule`) every function here returns null
// and callers keep to WebCrypto. Same keys, same bytes, same verdicts: only
// where the work runs differs.

import {
  base64ToBytes,
  bytesToBase64,
  canonicalFinalBytes,
  canonicalFlushBytes,
  canonicalFlushOkBytes,
  canonicalSignedBytes,
  signFields,
  signFinal,
  signFlush,
  signFlushOk,
  type FinalFields,
  type FlushOkStatementFields,
  type FlushStatementFields,
  type SignedFields,
} from '@chorus/protocol';

/** The slice of node:crypto used here (typed locally: this file must also bundle for the browser). */
interface NodeCrypto {
  createPublicKey(input: { key: { kty: 'OKP'; crv: 'Ed25519'; x: string }; format: 'jwk' }): unknown;
  verify(algorithm: null, data: Uint8Array, key: unknown, signature: Uint8Array): boolean;
  sign(algorithm: null, data: Uint8Array, key: unknown): Uint8Array;
  KeyObject: { from(key: CryptoKey): unknown };
}

const SIGNATURE_BYTES = 64;
const PUBLIC_KEY_BYTES = 32;

const nodeCrypto: NodeCrypto | null = (() => {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const c = proc?.getBuiltinModule?.('node:crypto') as Partial<NodeCrypto> | undefined;
  return typeof c?.verify === 'function' && typeof c.sign === 'function' && typeof c.createPublicKey === 'function'
    ? (c as NodeCrypto)
    : null;
})();

/** Checks `sig` (base64) over signed bytes (a DATA's or a FINAL's); false for anything malformed, never throws. */
export type SyncVerify = (bytes: Uint8Array, sig: string) => boolean;
/** The base64 signature of signed bytes. */
export type SyncSign = (bytes: Uint8Array) => string;

/** A synchronous verifier for one base64 public key; null outside Node or for a key Node will not read. */
export function syncVerifier(publicKey: string): SyncVerify | null {
  if (nodeCrypto === null) return null;
  const c = nodeCrypto;
  const raw = base64ToBytes(publicKey);
  if (raw === null || raw.length !== PUBLIC_KEY_BYTES) return null;
  let key: unknown;
  try {
    key = c.createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: base64Url(raw) }, format: 'jwk' });
  } catch {
    return null;
  }
  return (bytes, sig) => {
    const s = base64ToBytes(sig);
    if (s === null || s.length !== SIGNATURE_BYTES) return false;
    try {
      return c.verify(null, bytes, key, s);
    } catch {
      return false;
    }
  };
}

/** A synchronous signer for one private CryptoKey; null outside Node or when Node cannot use the key. */
export function syncSigner(privateKey: CryptoKey): SyncSign | null {
  if (nodeCrypto === null || privateKey.algorithm.name !== 'Ed25519') return null;
  const c = nodeCrypto;
  let key: unknown;
  try {
    key = c.KeyObject.from(privateKey);
  } catch {
    return null;
  }
  return (bytes) => bytesToBase64(new Uint8Array(c.sign(null, bytes, key)));
}

const base64Url = (bytes: Uint8Array): string =>
  bytesToBase64(bytes).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

const signers = new WeakMap<CryptoKey, SyncSign | null>();

const signerOf = (privateKey: CryptoKey): SyncSign | null => {
  let signer = signers.get(privateKey);
  if (signer === undefined) {
    signer = syncSigner(privateKey);
    signers.set(privateKey, signer);
  }
  return signer;
};

/** A DATA's signature: at once in Node, else WebCrypto's promise of it. */
export function signDraft(privateKey: CryptoKey, fields: SignedFields): string | Promise<string> {
  const signer = signerOf(privateKey);
  return signer === null ? signFields(privateKey, fields) : signer(canonicalSignedBytes(fields));
}

/** A FINAL's signature (PROTOCOL.md §3.3 "Signed FINALs"): at once in Node, else WebCrypto's promise of it. */
export function signOwnFinal(privateKey: CryptoKey, fields: FinalFields): string | Promise<string> {
  const signer = signerOf(privateKey);
  return signer === null ? signFinal(privateKey, fields) : signer(canonicalFinalBytes(fields));
}

/** Our FLUSH report's signature (PROTOCOL.md §3.4 "Signed reports"): at once in Node, else WebCrypto's promise. */
export function signOwnReport(privateKey: CryptoKey, statement: FlushStatementFields): string | Promise<string> {
  const signer = signerOf(privateKey);
  return signer === null ? signFlush(privateKey, statement) : signer(canonicalFlushBytes(statement));
}

/** Our FLUSH-OK's signature (PROTOCOL.md §3.4 "Relay"): at once in Node, else WebCrypto's promise. */
export function signOwnFlushOk(privateKey: CryptoKey, statement: FlushOkStatementFields): string | Promise<string> {
  const signer = signerOf(privateKey);
  return signer === null ? signFlushOk(privateKey, statement) : signer(canonicalFlushOkBytes(statement));
}
