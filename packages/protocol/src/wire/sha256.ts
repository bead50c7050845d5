// SHA-256 (FIPS 180-4), synchronous and without Buffer or WebCrypto, so the
// per-sender hash chains (chain.ts) are computed by the same code in Node,
// Chromium and the simulator, inside the pure session core (WebCrypto's
// digest is asynchronous). Checked against node:crypto in test/chain.test.ts.
// A joiner hashes every history item (one per message): whole blocks are read
// straight from the input, only the last one or two are copied for padding,
// and nothing is allocated per block. Where this runs in Node, link hashes
// and the files' Merkle nodes use node:crypto's synchronous hash instead
// (`nativeSha256`): the same digest in native code, a few times faster.

import { bytesToBase64 } from '../crypto/base64.ts';

/** A synchronous native hash (node:crypto's `Hash`, as much of it as is used). */
export interface NativeHash {
  update(data: Uint8Array): NativeHash;
  digest(): Uint8Array;
  digest(encoding: 'base64'): string;
}

/** As much of node:crypto as is used here: `hash` is the one-shot digest (Node 20.12 and later). */
interface NativeCrypto {
  createHash(algorithm: string): NativeHash;
  hash?(algorithm: string, data: string, encoding: 'base64'): string;
}

const nativeCrypto = ((): NativeCrypto | undefined => {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  return proc?.getBuiltinModule?.('node:crypto') as NativeCrypto | undefined;
})();

/** Node's `crypto.createHash('sha256')` when this runs in Node (20.16 or later), else null. */
export const nativeSha256: (() => NativeHash) | null =
  nativeCrypto === undefined ? null : () => nativeCrypto.createHash('sha256');

/**
 * The SHA-256 of `text`'s UTF-8 (lone surrogates as U+FFFD, as TextEncoder writes them) as padded
 * base64: node:crypto's one-shot `hash` over the string where there is one (no encoding in JS, no
 * Hash object: a joiner hashes every history item, PROTOCOL.md §1.5), else the UTF-8 into a buffer
 * kept between calls and `sha256Base64`.
 */
export function sha256TextBase64(text: string): string {
  if (nativeCrypto?.hash !== undefined) return nativeCrypto.hash('sha256', text, 'base64');
  // Room for the UTF-8 (at most 3 bytes per UTF-16 unit); grows for a longer text.
  if (scratch.length < 3 * text.length) scratch = new Uint8Array(3 * text.length);
  const { written } = encoder.encodeInto(text, scratch);
  return sha256Base64(scratch.subarray(0, written));
}

const encoder = new TextEncoder();
let scratch = new Uint8Array(4096);

const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
  0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
  0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
  0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
  0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
  0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
  0xc67178f2,
]);

const W = new Int32Array(64);
/** The running state between blocks. */
const H = new Int32Array(8);
/** The padded last block or two. */
const TAIL = new Uint8Array(128);
const INITIAL = new Int32Array([
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
]);

/** Runs the compression function over the 64-byte blocks of `d` below `end`. */
function compress(d: Uint8Array, end: number): void {
  let h0 = H[0]!,
    h1 = H[1]!,
    h2 = H[2]!,
    h3 = H[3]!,
    h4 = H[4]!,
    h5 = H[5]!,
    h6 = H[6]!,
    h7 = H[7]!;
  for (let off = 0; off < end; off += 64) {
    for (let i = 0, j = off; i < 16; i++, j += 4)
      W[i] = (d[j]! << 24) | (d[j + 1]! << 16) | (d[j + 2]! << 8) | d[j + 3]!;
    for (let i = 16; i < 64; i++) {
      const a = W[i - 15]!,
        b = W[i - 2]!;
      const s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3);
      const s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10);
      W[i] = (W[i - 16]! + s0 + W[i - 7]! + s1) | 0;
    }
    let a = h0,
      b = h1,
      c = h2,
      d3 = h3,
      e = h4,
      f = h5,
      g = h6,
      h = h7;
    for (let i = 0; i < 64; i++) {
      const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      const t1 = (h + S1 + ((e & f) ^ (~e & g)) + K[i]! + W[i]!) | 0;
      const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
      h = g;
      g = f;
      f = e;
      e = (d3 + t1) | 0;
      d3 = c;
      c = b;
      b = a;
      a = (t1 + t2) | 0;
    }
    h0 = (h0 + a) | 0;
    h1 = (h1 + b) | 0;
    h2 = (h2 + c) | 0;
    h3 = (h3 + d3) | 0;
    h4 = (h4 + e) | 0;
    h5 = (h5 + f) | 0;
    h6 = (h6 + g) | 0;
    h7 = (h7 + h) | 0;
  }
  H[0] = h0;
  H[1] = h1;
  H[2] = h2;
  H[3] = h3;
  H[4] = h4;
  H[5] = h5;
  H[6] = h6;
  H[7] = h7;
}

/** The 32-byte SHA-256 digest of `data`. */
export function sha256(data: Uint8Array): Uint8Array {
  H.set(INITIAL);
  const whole = data.length - (data.length % 64);
  compress(data, whole);
  const rest = data.length - whole;
  // The last bytes, 0x80, zeros, and the length in bits (big-endian, 64 bits): one block, or two when it does not fit.
  const tail = rest + 9 > 64 ? 128 : 64;
  TAIL.fill(0);
  TAIL.set(data.subarray(whole));
  TAIL[rest] = 0x80;
  // Messages here are far below 2^32 bits; the high word is still written for correctness.
  const high = Math.floor((data.length * 8) / 0x1_0000_0000);
  const low = (data.length * 8) >>> 0;
  for (let i = 0; i < 4; i++) {
    TAIL[tail - 8 + i] = high >>> (24 - 8 * i);
    TAIL[tail - 4 + i] = low >>> (24 - 8 * i);
  }
  compress(TAIL, tail);
  const out = new Uint8Array(32);
  for (let i = 0; i < 8; i++) {
    const v = H[i]!;
    out[4 * i] = v >>> 24;
    out[4 * i + 1] = v >>> 16;
    out[4 * i + 2] = v >>> 8;
    out[4 * i + 3] = v;
  }
  return out;
}

/** The SHA-256 of `data` as padded base64 (a link hash's spelling): node:crypto's where there is one, else `sha256`. */
export function sha256Base64(data: Uint8Array): string {
  return nativeSha256 === null ? bytesToBase64(sha256(data)) : nativeSha256().update(data).digest('base64');
}
