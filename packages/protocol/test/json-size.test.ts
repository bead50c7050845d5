// jsonUtf8Bytes sizes a sponsor's history items without writing their JSON: it must be what the JSON is.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonUtf8Bytes } from '../src/wire/json-size.ts';
import { utf8ByteLength } from '../src/wire/utf8.ts';

const jsonBytes = (v: unknown): number => utf8ByteLength(JSON.stringify(v));

describe('jsonUtf8Bytes', () => {
  it("is the UTF-8 size of JSON.stringify's text for any JSON value, objects with undefined fields and odd strings", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        expect(jsonUtf8Bytes(v)).toBe(jsonBytes(v));
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.string({ unit: 'binary', maxLength: 8 }),
          fc.oneof(
            fc.string({ unit: 'binary', maxLength: 40 }),
            fc.integer(),
            fc.double(),
            fc.boolean(),
            fc.constant(undefined),
            fc.constant(null),
            fc.dictionary(fc.string({ maxLength: 4 }), fc.oneof(fc.string(), fc.integer())),
          ),
        ),
        (v) => {
          expect(jsonUtf8Bytes(v)).toBe(jsonBytes(v));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('sizes a history item as its JSON, with and without the optional fields', () => {
    const frame = {
      t: 'data',
      groupId: 'g-1',
      viewId: 3,
      sender: 'alice',
      seq: 12,
      lamport: 40,
      sentAt: 1_700_000_000_000,
      body: 'hello "world" \\ é \u0001 😀',
      prev: `${'A'.repeat(43)}=`,
      sig: `${'B'.repeat(86)}==`,
    };
    for (const item of [
      { frame, order: '0001' },
      { frame: { ...frame, body: 'plain' }, order: '0001', senderName: 'Alice', senderKey: `${'C'.repeat(43)}=` },
      { frame: { ...frame, body: 'plain', proposal: { p: 5, by: 'bob' } }, order: '0002', senderName: undefined },
    ])
      expect(jsonUtf8Bytes(item)).toBe(jsonBytes(item));
  });
});
