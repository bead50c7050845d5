// The table checks of a signature's, a chain link's and a public key's base64
// shape give the verdicts of the regular expressions they replaced, on real
// values, on every one-character change of them and on random text.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isCanonicalSinglePadded, isDoublePadded, isSinglePadded } from '../src/wire/base64-shape.ts';

const SIGNATURE = /^[A-Za-z0-9+/]{86}==$/;
const LINK = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/;
const PUBLIC_KEY = /^[A-Za-z0-9+/]{43}=$/;

const checks = [
  { name: 'signature', re: SIGNATURE, table: (t: string) => isDoublePadded(t, 88), bytes: 64 },
  { name: 'link', re: LINK, table: (t: string) => isCanonicalSinglePadded(t, 44), bytes: 32 },
  { name: 'public key', re: PUBLIC_KEY, table: (t: string) => isSinglePadded(t, 44), bytes: 32 },
];

/** Characters near the alphabet's edges and beyond ASCII: each is tried in every position of a real value. */
const EDGES = [
  'A',
  'Z',
  'a',
  'z',
  '0',
  '9',
  '+',
  '/',
  '=',
  '-',
  '_',
  '@',
  '[',
  '`',
  '{',
  ' ',
  '\n',
  '\u0000',
  '\u00c1',
  '\u0141',
  '\ud83d',
  'Ａ',
];

describe('base64 shapes by table', () => {
  for (const { name, re, table, bytes } of checks) {
    it(`gives the regex's verdict for a ${name}: real values, each character replaced, cut and lengthened`, () => {
      for (let n = 0; n < 8; n++) {
        const real = Buffer.from(Array.from({ length: bytes }, () => Math.floor(Math.random() * 256))).toString(
          'base64',
        );
        const variants = [real, real.slice(1), `${real}=`, `${real}\n`, `\n${real}`, real.slice(0, -1)];
        for (let i = 0; i < real.length; i++)
          for (const c of EDGES) variants.push(real.slice(0, i) + c + real.slice(i + 1));
        for (const v of variants) expect(table(v), JSON.stringify(v)).toBe(re.test(v));
      }
    });

    it(`gives the regex's verdict for a ${name} on random text`, () => {
      const alphabet = fc.constantFrom(
        ...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=',
        ...EDGES,
      );
      fc.assert(
        fc.property(fc.oneof(fc.string(), fc.string({ unit: alphabet, minLength: 40, maxLength: 92 })), (v) => {
          expect(table(v)).toBe(re.test(v));
        }),
        { numRuns: 2000 },
      );
    });
  }
});
