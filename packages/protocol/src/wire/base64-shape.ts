// Whether a text has the exact shape of a fixed-size base64 field (a
// signature, a chain link, a public key) without a regular expression: a
// joiner checks three of them per history item, 30 000 in a join of 10 000
// messages, and a table lookup per character costs a fraction of a regex
// test here. The same verdicts as the patterns beside each (test:
// wire-base64-shape.test.ts).

/** 1 for the 64 characters of the standard base64 alphabet (A–Z a–z 0–9 + /), 0 for every other code below 128. */
const ALPHABET = new Uint8Array(128);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/') ALPHABET[c.charCodeAt(0)] = 1;
/** The last character before a single `=` of canonical 32-byte base64: its two unused bits are zero. */
const CANONICAL_32_LAST = new Uint8Array(128);
for (const c of 'AEIMQUYcgkosw048') CANONICAL_32_LAST[c.charCodeAt(0)] = 1;
const EQUALS = 0x3d;

/** Whether text[0..end) are all base64 alphabet characters. */
function alphabetUpTo(text: string, end: number): boolean {
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c >= 128 || ALPHABET[c] === 0) return false;
  }
  return true;
}

/** `^[A-Za-z0-9+/]{chars − 2}==$`: standard base64 of a length whose encoding ends in two pads (64 bytes: 88). */
export const isDoublePadded = (text: string, chars: number): boolean =>
  text.length === chars &&
  text.charCodeAt(chars - 1) === EQUALS &&
  text.charCodeAt(chars - 2) === EQUALS &&
  alphabetUpTo(text, chars - 2);

/** `^[A-Za-z0-9+/]{chars − 1}=$`: standard base64 ending in one pad (32 bytes: 44). */
export const isSinglePadded = (text: string, chars: number): boolean =>
  text.length === chars && text.charCodeAt(chars - 1) === EQUALS && alphabetUpTo(text, chars - 1);

/** `^[A-Za-z0-9+/]{chars − 2}[AEIMQUYcgkosw048]=$`: canonical base64 of 32 bytes (the unused bits zero). */
export const isCanonicalSinglePadded = (text: string, chars: number): boolean => {
  if (!isSinglePadded(text, chars)) return false;
  const last = text.charCodeAt(chars - 2);
  return last < 128 && CANONICAL_32_LAST[last] === 1;
};
