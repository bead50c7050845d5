// Ed25519 signatures over WebCrypto (globalThis.crypto.subtle: Node 20 and
// Chromium). DATA frames are signed over canonicalSignedBytes; the tracker
// challenge over a fixed text. Verification never throws: a malformed key,
// signature or frame simply does not verify.

import { err, ok, type Result } from '../result.ts';
import { ED25519_PUBLIC_KEY_B64_CHARS } from '../wire/caps.ts';
import { listHolds } from '../wire/cumulative.ts';
import {
  canonicalFinalBytes,
  canonicalFlushBytes,
  canonicalFlushOkBytes,
  canonicalSignedBytes,
} from '../wire/canonical.ts';
import { isFlushProof, type AccusationProof } from '../ordering/flush-proof.ts';
import type {
  DataFrame,
  FinalFields,
  FlushOkStatementFields,
  FlushStatementFields,
  SignedFields,
} from '../wire/frames.ts';
import { utf8Bytes } from '../wire/utf8.ts';
import { base64ToBytes, bytesToBase64 } from './base64.ts';
import { ED25519 } from './identity.ts';

export { ED25519, exportPublicKey } from './identity.ts';

const PUBLIC_KEY_BYTES = 32;
const SIGNATURE_BYTES = 64;

const subtle = (): SubtleCrypto => globalThis.crypto.subtle;

/** A verify-only key from its base64 raw form, or a coded error saying what is wrong with it. */
export async function readPublicKey(b64: string): Promise<Result<CryptoKey>> {
  if (typeof b64 !== 'string' || b64.length !== ED25519_PUBLIC_KEY_B64_CHARS)
    return err(
      'bad-type',
      `A public key must be ${ED25519_PUBLIC_KEY_B64_CHARS} base64 characters (32 raw Ed25519 bytes).`,
    );
  const raw = base64ToBytes(b64);
  if (raw === null || raw.length !== PUBLIC_KEY_BYTES)
    return err('bad-type', 'The public key is not valid base64 of 32 bytes.');
  try {
    return ok(await subtle().importKey('raw', raw, ED25519, true, ['verify']));
  } catch (e) {
    return err(
      'bad-type',
      `The public key is not a usable Ed25519 key: ${e instanceof Error ? e.message : 'import failed'}.`,
    );
  }
}

/** As readPublicKey, for callers that prefer a rejected promise; the Error's message says what is wrong. */
export async function importPublicKey(b64: string): Promise<CryptoKey> {
  const r = await readPublicKey(b64);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

export async function signBytes(privateKey: CryptoKey, bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  return bytesToBase64(new Uint8Array(await subtle().sign(ED25519, privateKey, bytes)));
}

/** False for a bad signature, a malformed one, or a key that cannot verify; never throws. */
export async function verifyBytes(publicKey: CryptoKey, bytes: Uint8Array<ArrayBuffer>, sig: string): Promise<boolean> {
  const raw = base64ToBytes(sig);
  if (raw === null || raw.length !== SIGNATURE_BYTES) return false;
  try {
    return await subtle().verify(ED25519, publicKey, raw, bytes);
  } catch {
    return false;
  }
}

/** The `sig` of a DATA frame with these fields. */
export const signFields = (privateKey: CryptoKey, fields: SignedFields): Promise<string> =>
  signBytes(privateKey, canonicalSignedBytes(fields));

/** Whether `frame.sig` is `publicKey`'s signature over the frame's signed fields; never throws. */
export async function verifyFrame(publicKey: CryptoKey, frame: DataFrame): Promise<boolean> {
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = canonicalSignedBytes(frame);
  } catch {
    return false;
  }
  return verifyBytes(publicKey, bytes, frame.sig);
}

/** The `sig` of a FINAL with these fields (PROTOCOL.md §3.3 "Signed FINALs"), or of its `list` when it has one. */
export const signFinal = (privateKey: CryptoKey, fields: FinalFields): Promise<string> =>
  signBytes(privateKey, canonicalFinalBytes(fields));

/**
 * Whether `sig` is `publicKey`'s signature over the FINAL's signed fields, or over its signed list when that
 * list holds the FINAL's entry (PROTOCOL.md §1.2c); never throws.
 */
export async function verifyFinal(publicKey: CryptoKey, fields: FinalFields, sig: string): Promise<boolean> {
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    if (!listHolds(fields)) return false;
    bytes = canonicalFinalBytes(fields);
  } catch {
    return false;
  }
  return verifyBytes(publicKey, bytes, sig);
}

/** The `sig` of our FLUSH report's statement (PROTOCOL.md §3.4 "Signed reports"). */
export const signFlush = (privateKey: CryptoKey, statement: FlushStatementFields): Promise<string> =>
  signBytes(privateKey, canonicalFlushBytes(statement));

/** Whether `sig` is `publicKey`'s signature over the bytes `made()` makes (false if it cannot); never throws. */
async function verifyMade(publicKey: CryptoKey, made: () => Uint8Array<ArrayBuffer>, sig: string): Promise<boolean> {
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = made();
  } catch {
    return false;
  }
  return verifyBytes(publicKey, bytes, sig);
}

/** Whether `sig` is `publicKey`'s signature over a FLUSH report's statement; never throws. */
export const verifyFlush = (publicKey: CryptoKey, statement: FlushStatementFields, sig: string): Promise<boolean> =>
  verifyMade(publicKey, () => canonicalFlushBytes(statement), sig);

/** The `sig` of our FLUSH-OK's statement (PROTOCOL.md §3.4 "Relay"). */
export const signFlushOk = (privateKey: CryptoKey, statement: FlushOkStatementFields): Promise<string> =>
  signBytes(privateKey, canonicalFlushOkBytes(statement));

/** Whether `sig` is `publicKey`'s signature over a FLUSH-OK's statement; never throws. */
export const verifyFlushOk = (publicKey: CryptoKey, statement: FlushOkStatementFields, sig: string): Promise<boolean> =>
  verifyMade(publicKey, () => canonicalFlushOkBytes(statement), sig);

/** Whether both halves of a proof (final-proof.ts, flush-proof.ts) carry `publicKey`'s signatures; never throws. */
export async function verifyProof(publicKey: CryptoKey, proof: AccusationProof): Promise<boolean> {
  if (isFlushProof(proof))
    return (
      (await verifyFlush(publicKey, proof.flush, proof.flush.sig)) &&
      verifyFlush(publicKey, proof.other, proof.other.sig)
    );
  const { final, other } = proof;
  if (final.sig === undefined || !(await verifyFinal(publicKey, final, final.sig))) return false;
  if (other.t === 'data') return verifyFrame(publicKey, other);
  return other.sig !== undefined && verifyFinal(publicKey, other, other.sig);
}

/** For the tracker challenge: sign helloSigningText(nonce, peerId, name) from tracker/parse.ts. */
export const signText = (privateKey: CryptoKey, text: string): Promise<string> =>
  signBytes(privateKey, utf8Bytes(text));

/** Never throws: a text that is not a string simply does not verify. */
export async function verifyText(publicKey: CryptoKey, text: string, sig: string): Promise<boolean> {
  if (typeof text !== 'string') return false;
  return verifyBytes(publicKey, utf8Bytes(text), sig);
}
