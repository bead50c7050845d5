// Standard base64 (RFC 4648 §4, with padding) without Buffer, for Chromium and
// Node alike. Decoding is strict: only the canonical encoding of some bytes is
// accepted, so one key or signature has exactly one spelling on the wire.

const CANONICAL_SHAPE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** btoa/String.fromCharCode take argument lists; slices keep the call stack small for big inputs. */
const ENCODE_SLICE = 0x8000;

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
/** Up to this many bytes (hashes, keys, signatures) are spelled by table: cheaper than btoa's binary string. */
const TABLE_MAX_BYTES = 128;

export function bytesToBase64(bytes: Uint8Array): string {
  if (bytes.length <= TABLE_MAX_BYTES) return tableBase64(bytes);
  let binary = '';
  for (let i = 0; i < bytes.length; i += ENCODE_SLICE) {
    binary += String.fromCharCode(...bytes.subarray(i, i + ENCODE_SLICE));
  }
  return btoa(binary);
}

function tableBase64(bytes: Uint8Array): string {
  let out = '';
  const whole = bytes.length - (bytes.length % 3);
  for (let i = 0; i < whole; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += ALPHABET[n >>> 18]! + ALPHABET[(n >>> 12) & 63]! + ALPHABET[(n >>> 6) & 63]! + ALPHABET[n & 63]!;
  }
  if (bytes.length - whole === 1) {
    const n = bytes[whole]! << 16;
    out += `${ALPHABET[n >>> 18]!}${ALPHABET[(n >>> 12) & 63]!}==`;
  } else if (bytes.length - whole === 2) {
    const n = (bytes[whole]! << 16) | (bytes[whole + 1]! << 8);
    out += `${ALPHABET[n >>> 18]!}${ALPHABET[(n >>> 12) & 63]!}${ALPHABET[(n >>> 6) & 63]!}=`;
  }
  return out;
}

/** The bytes of a canonical base64 string, or null for anything else (never throws). */
export function base64ToBytes(text: string): Uint8Array<ArrayBuffer> | null {
  if (typeof text !== 'string' || !CANONICAL_SHAPE.test(text)) return null;
  let binary: string;
  try {
    binary = atob(text);
  } catch {
    return null;
  }
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  // Unused low bits of the last character must be zero, or two spellings would decode alike.
  return bytesToBase64(bytes) === text ? bytes : null;
}
