// What a DATA signature covers: one fixed byte string per set of fields,
// whatever the JSON on the wire looked like, and never the same bytes for
// two different sets of fields.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { asGroupId, asPeerId, asViewId } from '../src/ids.ts';
import { canonicalSignedBytes, encodeFrame, signedFieldsOf } from '../src/wire/canonical.ts';
import type { DataFrame, SignedFields } from '../src/wire/frames.ts';
import { parseFrame } from '../src/wire/parse-frame.ts';
import { GENESIS_PREV } from '../src/wire/chain.ts';

const decode = (b: Uint8Array): string => new TextDecoder().decode(b);

const fields: SignedFields = {
  groupId: asGroupId('g-1'),
  viewId: asViewId(3),
  sender: asPeerId('alice'),
  seq: 1,
  lamport: 5,
  sentAt: 1_700_000_000_000,
  body: 'hi ✓',
  prev: GENESIS_PREV,
};

const arbFields = fc.record({
  groupId: fc.stringMatching(/^[A-Za-z0-9_-]{1,12}$/).map(asGroupId),
  viewId: fc.nat().map(asViewId),
  sender: fc.stringMatching(/^[A-Za-z0-9_-]{1,12}$/).map(asPeerId),
  seq: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
  lamport: fc.nat(),
  sentAt: fc.nat(),
  body: fc.string({ unit: 'binary', maxLength: 60 }),
});

describe('canonicalSignedBytes', () => {
  it('is the documented tagged JSON array in UTF-8 (PROTOCOL.md §1)', () => {
    const { prev: _prev, ...v1 } = fields;
    const bytes = canonicalSignedBytes(v1);
    expect(decode(bytes)).toBe('["chorus-data-v1","g-1",3,"alice",1,5,1700000000000,"hi ✓"]');
    expect(bytes.length).toBe(decode(bytes).length + 2); // ✓ is three bytes in UTF-8
  });

  it('a chained DATA (with prev) is the v2 array, prev last (PROTOCOL.md §1.5)', () => {
    expect(decode(canonicalSignedBytes(fields))).toBe(
      `["chorus-data-v2","g-1",3,"alice",1,5,1700000000000,"hi ✓","${GENESIS_PREV}"]`,
    );
  });

  it('ignores key order, the frame kind, the signature and extra fields', () => {
    fc.assert(
      fc.property(arbFields, fc.integer(), (f, seed) => {
        const entries = Object.entries({ t: 'data', ...f, sig: 'x', extra: seed });
        const shuffled = Object.fromEntries(entries.sort(() => (seed % 3) - 1)) as unknown as DataFrame;
        expect(canonicalSignedBytes(shuffled)).toEqual(canonicalSignedBytes(f));
        expect(signedFieldsOf(shuffled)).toEqual(f);
      }),
      { numRuns: 300 },
    );
  });

  it('is the same after the frame went over the wire with its keys reversed', () => {
    const frame: DataFrame = { t: 'data', ...fields, sig: `${'A'.repeat(85)}Q==` };
    const reversed = JSON.stringify(Object.fromEntries(Object.entries(frame).reverse()));
    expect(reversed).not.toBe(encodeFrame(frame));
    const r = parseFrame(reversed, { groupId: fields.groupId, from: fields.sender });
    if (!r.ok || r.value.t !== 'data') throw new Error('expected data');
    expect(canonicalSignedBytes(r.value)).toEqual(canonicalSignedBytes(frame));
  });

  it('never gives two different field sets the same bytes (it decodes back to the fields)', () => {
    fc.assert(
      fc.property(arbFields, (f) => {
        const [tag, groupId, viewId, sender, seq, lamport, sentAt, body] = JSON.parse(
          decode(canonicalSignedBytes(f)),
        ) as unknown[];
        expect({ tag, groupId, viewId, sender, seq, lamport, sentAt, body }).toEqual({ tag: 'chorus-data-v1', ...f });
      }),
      { numRuns: 300 },
    );
    // A body that looks like the next field cannot shift the boundaries.
    const a = canonicalSignedBytes({ ...fields, sender: asPeerId('a'), body: '","b' });
    const b = canonicalSignedBytes({ ...fields, sender: asPeerId('a","b'), body: '' });
    expect(a).not.toEqual(b);
  });
});
