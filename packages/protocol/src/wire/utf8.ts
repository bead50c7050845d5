// UTF-8 sizes and bytes without Buffer, so the same code runs in Chromium and
// Node. Caps are stated in UTF-8 bytes because that is what a data channel
// carries; String.length would undercount non-ASCII text up to 3x.

const encoder = new TextEncoder();

export const utf8Bytes = (text: string): Uint8Array<ArrayBuffer> => encoder.encode(text);

/** Any character past ASCII (its absence means one byte per UTF-16 unit). */
const NON_ASCII = /[\u0080-\uffff]/;

/** UTF-8 byte length of `text` as TextEncoder would encode it (lone surrogates become U+FFFD, 3 bytes). */
export function utf8ByteLength(text: string): number {
  // Most frames are ASCII throughout (keys, base64, ids): one native scan says so, and then the length is the size.
  if (!NON_ASCII.test(text)) return text.length;
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

/** True when `text` is certainly over `maxBytes` in UTF-8, computed without a full scan when the length decides it. */
export function exceedsUtf8Bytes(text: string, maxBytes: number): boolean {
  // Every UTF-16 code unit is 1..3 UTF-8 bytes, so the length bounds the size both ways.
  if (text.length > maxBytes) return true;
  if (text.length * 3 <= maxBytes) return false;
  return utf8ByteLength(text) > maxBytes;
}
