// Properties of the parser over inputs nobody wrote by hand: it never throws,
// always answers with a frame or a known code, and what it accepts is stable
// (parse ∘ encode ∘ parse = parse); a BATCH reads back as what was packed and
// reads each member as if it came alone.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { asGroupId, asPeerId } from '../src/ids.ts';
import type { ErrorCode, Result } from '../src/result.ts';
import { BatchWriter, parseChannelMessage } from '../src/wire/batch.ts';
import { CHUNK_THRESHOLD_BYTES, MAX_SENT_AT_MS } from '../src/wire/caps.ts';
import { encodeFrame } from '../src/wire/canonical.ts';
import type { WireFrame } from '../src/wire/frames.ts';
import { FrameReader } from '../src/wire/frame-reader.ts';
import { FRAME_KINDS, parseFrame } from '../src/wire/parse-frame.ts';
import { utf8ByteLength } from '../src/wire/utf8.ts';

const G = asGroupId('g-1');
const ALICE = asPeerId('alice');
const ctx = { groupId: G, from: ALICE };

const PARSER_CODES: readonly ErrorCode[] = [
  'bad-json',
  'bad-type',
  'missing-field',
  'too-large',
  'too-long',
  'too-many',
  'unknown-kind',
  'bad-signature',
  'forged-sender',
  'not-member',
  // A relayed FLUSH or FLUSH-OK that names the link's peer as its author, an ask for the asker's own (§3.8).
  'bad-state',
];

/**
 * Parses, and checks what any answer must look like: a known code with a sentence, or a frame that survives a round
 * trip.
 */
function checkedParse(text: string): Result<WireFrame> {
  const r = parseFrame(text, ctx);
  if (!r.ok) {
    expect(PARSER_CODES).toContain(r.error.code);
    expect(r.error.message.length).toBeGreaterThan(10);
  } else {
    expect(parseFrame(encodeFrame(r.value), ctx)).toEqual(r);
  }
  return r;
}

const peer = fc.constantFrom('alice', 'bob', 'carol', '__proto__', 'a:b', '', 'x'.repeat(65));
const int = fc.oneof(
  fc.nat(20),
  fc.integer(),
  fc.constantFrom(-1, 0, 1.5, 2 ** 53, Number.MAX_SAFE_INTEGER, 1e308),
  fc.constantFrom('1', 'NaN', null, true),
);
const sig = fc.constantFrom(`${'A'.repeat(85)}Q==`, '', 'abc', null);
const anything = fc.jsonValue({ maxDepth: 3 });

/** Frame-shaped objects: the right keys with values that are right most of the time. */
const frameShaped = fc.record(
  {
    t: fc.constantFrom(...FRAME_KINDS, 'nope'),
    groupId: fc.oneof(fc.constant('g-1'), fc.constant('g-2'), anything),
    viewId: int,
    sender: fc.oneof(peer, anything),
    seq: int,
    lamport: int,
    sentAt: int,
    body: fc.oneof(fc.string({ maxLength: 30 }), anything),
    sig,
    priority: fc.oneof(fc.record({ p: int, by: peer }), anything),
    unstable: fc.array(
      fc.oneof(anything, fc.record({ t: fc.constant('data'), groupId: fc.constant('g-1'), sender: peer })),
      { maxLength: 3 },
    ),
    pending: fc.array(
      fc.record(
        { sender: peer, seq: int, proposed: fc.record({ p: int, by: peer }) },
        { requiredKeys: ['sender', 'seq'] },
      ),
      { maxLength: 3 },
    ),
    agreed: int,
    delivered: fc.oneof(fc.dictionary(peer, int, { maxKeys: 3 }), anything),
    after: fc.oneof(fc.constant(null), fc.string({ maxLength: 10 }), anything),
    req: fc.oneof(int, anything),
    have: fc.oneof(fc.dictionary(peer, int, { maxKeys: 3 }), anything),
    limit: int,
    items: fc.array(anything, { maxLength: 3 }),
    done: fc.oneof(fc.boolean(), anything),
    id: fc.oneof(fc.string({ maxLength: 8 }), anything),
    index: int,
    count: int,
    part: fc.oneof(fc.string({ maxLength: 20 }), anything),
  },
  { requiredKeys: [] },
);

const okPeer = fc
  .stringMatching(/^[A-Za-z0-9_-]{1,64}$/)
  .filter((s) => !['__proto__', 'constructor', 'prototype'].includes(s));
const nat = fc.nat({ max: Number.MAX_SAFE_INTEGER });
const pos = fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER });
const prio = fc.record({ p: nat, by: okPeer });
const counts = (min: number) =>
  fc.dictionary(okPeer, fc.integer({ min, max: Number.MAX_SAFE_INTEGER }), { maxKeys: 4 });
const sig64 = fc.uint8Array({ minLength: 64, maxLength: 64 }).map((b) => Buffer.from(b).toString('base64'));
const hash32 = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString('base64'));
const validData = (sender: fc.Arbitrary<string>) =>
  fc.record({
    t: fc.constant('data' as const),
    groupId: fc.constant('g-1'),
    viewId: nat,
    sender,
    seq: pos,
    lamport: nat,
    sentAt: fc.nat({ max: MAX_SENT_AT_MS }),
    body: fc.string({ unit: 'binary', maxLength: 1000 }),
    prev: fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString('base64')),
    sig: fc.uint8Array({ minLength: 64, maxLength: 64 }).map((b) => Buffer.from(b).toString('base64')),
  });

/** Any valid frame ALICE may send on this link. */
const validFrame = fc.oneof(
  validData(fc.constant('alice')),
  fc.record({
    t: fc.constant('propose' as const),
    groupId: fc.constant('g-1'),
    viewId: nat,
    sender: okPeer,
    seq: pos,
    priority: fc.record({ p: nat, by: fc.constant('alice') }),
  }),
  fc.record({
    t: fc.constant('final' as const),
    groupId: fc.constant('g-1'),
    viewId: nat,
    sender: fc.constant('alice'),
    seq: pos,
    priority: prio,
    version: sig64,
    sig: sig64,
  }),
  fc.record({
    t: fc.constant('echo' as const),
    groupId: fc.constant('g-1'),
    viewId: nat,
    finals: fc.array(
      fc.record(
        { sender: okPeer, seq: pos, priority: prio, sig: sig64, final: sig64, objected: fc.constant(true as const) },
        { requiredKeys: ['sender', 'seq', 'priority', 'sig', 'final'] },
      ),
      { minLength: 1, maxLength: 3 },
    ),
  }),
  fc.record({
    t: fc.constant('flush' as const),
    groupId: fc.constant('g-1'),
    viewId: nat,
    unstable: fc.array(validData(okPeer), { maxLength: 3 }),
    pending: fc.array(
      fc.record({ sender: okPeer, seq: pos, proposed: prio, final: prio }, { requiredKeys: ['sender', 'seq'] }),
      { maxLength: 3 },
    ),
    agreed: nat,
    delivered: counts(0),
    report: hash32,
    sig: sig64,
  }),
  fc.record({ t: fc.constant('hwm' as const), groupId: fc.constant('g-1'), viewId: nat, delivered: counts(0) }),
  fc.record({
    t: fc.constant('flush-ok' as const),
    groupId: fc.constant('g-1'),
    viewId: nat,
    reports: hash32,
    // A FLUSH-OK restates the others' reports, never its sender's own.
    held: fc.uniqueArray(fc.record({ reporter: okPeer.filter((p) => p !== ctx.from), report: hash32, sig: sig64 }), {
      maxLength: 3,
      selector: (h) => h.reporter,
    }),
    sig: sig64,
  }),
  fc.record({
    t: fc.constant('history-req' as const),
    groupId: fc.constant('g-1'),
    req: nat,
    have: counts(1),
    after: fc.option(fc.string({ minLength: 1, maxLength: 128 })),
    limit: fc.integer({ min: 1, max: 200 }),
  }),
  fc.record(
    {
      t: fc.constant('history-res' as const),
      groupId: fc.constant('g-1'),
      req: nat,
      items: fc.array(fc.record({ frame: validData(okPeer), order: fc.string({ minLength: 1, maxLength: 128 }) }), {
        maxLength: 3,
      }),
      done: fc.boolean(),
      state: fc.record({ viewId: nat, incarnation: nat, agreed: nat, nextSeq: counts(1) }),
    },
    { requiredKeys: ['t', 'groupId', 'req', 'items', 'done'] },
  ),
  fc
    .record({
      t: fc.constant('chunk' as const),
      id: fc.string({ minLength: 1, maxLength: 64 }),
      count: fc.integer({ min: 1, max: 256 }),
      part: fc.string({ maxLength: 100 }),
    })
    .chain((c) => fc.nat(c.count - 1).map((index) => ({ ...c, index }))),
);

describe('parseFrame accepts every valid frame', () => {
  it('and gives it back unchanged', () => {
    fc.assert(
      fc.property(validFrame, (f) => {
        expect(parseFrame(JSON.stringify(f), ctx)).toEqual({ ok: true, value: f });
      }),
      { numRuns: 1000 },
    );
  });
});

describe('parseFrame never throws', () => {
  it('on arbitrary JSON values', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        checkedParse(JSON.stringify(v) ?? 'null');
      }),
      { numRuns: 3000 },
    );
  });

  it('on arbitrary strings, including lone surrogates', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (s) => {
        checkedParse(s);
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(
        fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 200 }),
        (s) => {
          checkedParse(s);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('on frame-shaped objects with wrong values in random places', () => {
    let accepted = 0;
    fc.assert(
      fc.property(frameShaped, (o) => {
        if (checkedParse(JSON.stringify(o)).ok) accepted++;
      }),
      { numRuns: 5000 },
    );
    // The generator is meant to reach the accepting paths too, not only the first check.
    expect(accepted).toBeGreaterThan(0);
  });

  it('on valid frame text cut short or with one character replaced', () => {
    const text = encodeFrame({
      t: 'flush',
      groupId: G,
      viewId: 2 as never,
      unstable: [],
      pending: [{ sender: ALICE, seq: 1, proposed: { p: 3, by: ALICE } }],
      agreed: 3,
      delivered: { alice: 1 },
    });
    fc.assert(
      fc.property(
        fc.nat(text.length),
        fc.nat(text.length - 1),
        fc.string({ minLength: 1, maxLength: 1, unit: 'binary-ascii' }),
        (cut, at, ch) => {
          checkedParse(text.slice(0, cut));
          checkedParse(`${text.slice(0, at)}${ch}${text.slice(at + 1)}`);
        },
      ),
      { numRuns: 1000 },
    );
  });
});

// ---- BATCH (wire/batch.ts): the writer's messages read back as the frames, in order; members read as if alone.

const notChunk = validFrame.filter((f) => f.t !== 'chunk');
/** Bigger DATA too (multi-byte bodies up to the cap), so batches fill up and split. */
const anyBodyData = validData(fc.constant('alice')).chain((d) =>
  fc.string({ unit: fc.constantFrom('a', 'é', '€', '😀', '"', '\n'), maxLength: 4000 }).map((body) => ({ ...d, body })),
);

describe('BATCH', () => {
  it('what BatchWriter packs, FrameReader reads back as the same frames in order, every message within one chunk', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(notChunk, anyBodyData), { minLength: 1, maxLength: 60 }), (frames) => {
        const writer = new BatchWriter();
        const messages: string[] = [];
        for (const f of frames) {
          const closed = writer.add(encodeFrame(f as WireFrame));
          if (closed !== null) messages.push(closed);
          expect(writer.pendingBytes).toBeLessThanOrEqual(CHUNK_THRESHOLD_BYTES);
        }
        const last = writer.take();
        if (last !== null) messages.push(last);
        for (const m of messages) expect(utf8ByteLength(m)).toBeLessThanOrEqual(CHUNK_THRESHOLD_BYTES);
        const reader = new FrameReader(G);
        const read = messages.flatMap((m) => reader.readMessage(ALICE, m, 0));
        expect(read).toEqual(frames.map((f) => ({ ok: true, value: f })));
        // Packing is worth it: never more messages than frames, and one when everything fits.
        expect(messages.length).toBeLessThanOrEqual(frames.length);
      }),
      { numRuns: 300 },
    );
  });

  it('reads each member exactly as the parser reads it alone, and never throws', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(notChunk, frameShaped, anything), { minLength: 1, maxLength: 8 }), (members) => {
        const r = parseChannelMessage(JSON.stringify({ t: 'batch', frames: members }), ctx);
        expect(r.ok).toBe(true);
        if (!r.ok || r.value.kind !== 'batch') return;
        expect(r.value.members).toHaveLength(members.length);
        r.value.members.forEach((got, i) => {
          const m = members[i];
          const t = typeof m === 'object' && m !== null ? (m as { t?: unknown }).t : undefined;
          const alone = parseFrame(JSON.stringify(m) ?? 'null', ctx);
          if (t === 'chunk' || t === 'batch') {
            expect(got.ok || got.error.code).toBe('bad-type');
            return;
          }
          if (alone.ok) expect(got).toEqual(alone);
          else {
            expect(got.ok || got.error.code).toBe(alone.error.code);
            expect(got.ok || got.error.message).toBe(`batch.frames[${i}]: ${alone.error.message}`);
          }
        });
      }),
      { numRuns: 800 },
    );
  });

  it('refuses a malformed batch whole with a known code, never throwing', () => {
    fc.assert(
      fc.property(
        fc.oneof(anything, fc.array(anything, { minLength: 0, maxLength: 2 })),
        fc.boolean(),
        (frames, drop) => {
          const o: Record<string, unknown> = { t: 'batch' };
          if (!drop) o['frames'] = frames;
          const r = parseChannelMessage(JSON.stringify(o), ctx);
          if (!Array.isArray(frames) || frames.length === 0 || drop) {
            expect(r.ok).toBe(false);
            if (!r.ok) expect(PARSER_CODES).toContain(r.error.code);
          } else expect(r.ok).toBe(true);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
