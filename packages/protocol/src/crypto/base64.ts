// Standard base64 (RFC 4648 §4, with padding) without Buffer, for Chromium and
// Node alike. Decoding is strict: only the canonical encoding of some bytes is
// accepted, so one key or signature has exactly one spelling on the wire.

const CANONICAL_SHAPE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** btoa/String.fromCharCode take argument lists; slices keep the call stack small for big inputs. */
const ENCODE_SLICE = 0x8000;

export function bytesToBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += ENCODE_SLICE) {
    binary += String.fromCharCode(...bytes.subarray(i, i + ENCODE_SLICE));
  }
  return btoa(binary);
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
