// The UTF-8 size of a value's JSON text without writing the text: a sponsor
// sizes every history item it puts on a page (HISTORY_PAGE_BYTES), and
// JSON.stringify of each one was the largest cost of serving a page. Exact
// for what JSON.stringify would write; where this file cannot be sure (a
// string that needs escapes or is not ASCII, an array, a non-finite number),
// it asks JSON.stringify.

import { utf8ByteLength } from './utf8.ts';

/** A string that JSON writes as itself between quotes, one byte per character: printable ASCII without `"` or `\`. */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** UTF-8 bytes of `JSON.stringify(value)` (a value JSON.stringify writes: not undefined at the top). */
export function jsonUtf8Bytes(value: unknown): number {
  const fast = plainSize(value);
  return fast >= 0 ? fast : utf8ByteLength(JSON.stringify(value));
}

/** The size for strings, finite numbers, booleans, null and plain objects of them; -1 for anything else. */
function plainSize(v: unknown): number {
  switch (typeof v) {
    case 'string':
      return PLAIN.test(v) ? v.length + 2 : -1;
    case 'number':
      return Number.isFinite(v) ? String(v).length : -1;
    case 'boolean':
      return v ? 4 : 5;
    case 'object': {
      if (v === null) return 4;
      if (Array.isArray(v) || Object.getPrototypeOf(v) !== Object.prototype) return -1;
      let size = 2; // {}
      let fields = 0;
      for (const key of Object.keys(v)) {
        const item = (v as Record<string, unknown>)[key];
        // JSON.stringify leaves out what it cannot write in an object: undefined, functions, symbols.
        if (item === undefined) continue;
        const k = PLAIN.test(key) ? key.length + 3 : -1; // "key":
        const s = plainSize(item);
        if (k < 0 || s < 0) return -1;
        size += k + s + (fields > 0 ? 1 : 0);
        fields += 1;
      }
      return size;
    }
    default:
      return -1;
  }
}
