// Base64 for file chunks (PROTOCOL.md §10): strict (only the canonical
// spelling of some bytes decodes, as crypto/base64.ts) but table-driven.
// Node's atob/btoa are slow enough (~2 ms for a 10 KiB chunk) to be the
// bottleneck of a transfer; this decodes one in tens of microseconds.

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const CODES = new Uint8Array(64).map((_, i) => ALPHABET.charCodeAt(i));
const VALUES = new Int8Array(128).fill(-1);
for (let i = 0; i < 64; i++) VALUES[ALPHABET.charCodeAt(i)] = i;
const EQ = 61;

export function encodeChunkBase64(bytes: Uint8Array): string {
  const out = new Uint8Array(4 * Math.ceil(bytes.length / 3));
  let o = 0;
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out[o++] = CODES[n >> 18]!;
    out[o++] = CODES[(n >> 12) & 63]!;
    out[o++] = CODES[(n >> 6) & 63]!;
    out[o++] = CODES[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest > 0) {
    const n = (bytes[i]! << 16) | (rest === 2 ? bytes[i + 1]! << 8 : 0);
    out[o++] = CODES[n >> 18]!;
    out[o++] = CODES[(n >> 12) & 63]!;
    out[o++] = rest === 2 ? CODES[(n >> 6) & 63]! : EQ;
    out[o++] = EQ;
  }
  // Every code is ASCII, so any ASCII-compatible decoder reads them; TextDecoder is native.
  return ascii.decode(out);
}

const ascii = new TextDecoder();

/** The bytes of a canonical base64 text, or null for anything else (bad length, character, padding or unused bits). */
export function decodeChunkBase64(text: string): Uint8Array | null {
  const len = text.length;
  if (len % 4 !== 0) return null;
  const pad = len === 0 ? 0 : text.charCodeAt(len - 1) === EQ ? (text.charCodeAt(len - 2) === EQ ? 2 : 1) : 0;
  const out = new Uint8Array((len / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < len; i += 4) {
    const last = i + 4 === len;
    const a = value(text, i);
    const b = value(text, i + 1);
    const c = last && pad === 2 ? 0 : value(text, i + 2);
    const d = last && pad >= 1 ? 0 : value(text, i + 3);
    if ((a | b | c | d) < 0) return null;
    const n = (a << 18) | (b << 12) | (c << 6) | d;
    if (last && pad === 2) {
      if ((n & 0xffff) !== 0) return null;
      out[o++] = n >> 16;
    } else if (last && pad === 1) {
      if ((n & 0xff) !== 0) return null;
      out[o++] = n >> 16;
      out[o++] = (n >> 8) & 255;
    } else {
      out[o++] = n >> 16;
      out[o++] = (n >> 8) & 255;
      out[o++] = n & 255;
    }
  }
  return out;
}

function value(text: string, i: number): number {
  const c = text.charCodeAt(i);
  return c < 128 ? VALUES[c]! : -1;
}
