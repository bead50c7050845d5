// Frames bigger than one data-channel message: split so every piece fits,
// reassembled per peer whatever the interleaving, and refused (dropping only
// the partial frame) when a peer lies about indices, counts or sizes.

import { GENESIS_PREV } from '../src/wire/chain.ts';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { asGroupId, asPeerId, asViewId, type PeerId } from '../src/ids.ts';
import { ok, type Result } from '../src/result.ts';
import {
  CHUNK_ASSEMBLY_TIMEOUT_MS,
  CHUNK_THRESHOLD_BYTES,
  MAX_CHUNKS,
  MAX_FRAME_BYTES,
  MAX_OUTSTANDING_CHUNKED_FRAMES,
} from '../src/wire/caps.ts';
import { encodeFrame } from '../src/wire/canonical.ts';
import { ChunkAssembler } from '../src/wire/chunk-assembler.ts';
import { cutsByCharacter, cutsInAscii, encodeForWire, splitIntoChunks } from '../src/wire/chunking.ts';
import { FrameReader } from '../src/wire/frame-reader.ts';
import type { ChunkFrame, DataFrame, GroupFrame, HistoryResponseFrame } from '../src/wire/frames.ts';
import { utf8ByteLength } from '../src/wire/utf8.ts';

const G = asGroupId('g-1');
const ALICE = asPeerId('alice');
const BOB = asPeerId('bob');
const SIG = `${'A'.repeat(85)}Q==`;

const data = (seq: number, body: string, sender = ALICE): DataFrame => ({
  t: 'data',
  groupId: G,
  viewId: asViewId(1),
  sender,
  seq,
  lamport: seq,
  sentAt: 1_700_000_000_000 + seq,
  body,
  prev: GENESIS_PREV,
  sig: SIG,
});

/** A history page of `n` messages with quotes, newlines, emoji and 3-byte characters: escaping makes it grow. */
const page = (n: number): HistoryResponseFrame => ({
  t: 'history-res',
  groupId: G,
  req: 7,
  items: Array.from({ length: n }, (_, i) => ({
    frame: data(i + 1, `#${i} "quoted" \\ line\nnext 😀 €€€ ${'lorem ipsum '.repeat(80)}`, BOB),
    order: `${String(i).padStart(8, '0')}:bob`,
  })),
  done: true,
});

function value<T>(r: Result<T>): T {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value;
}

const chunk = (id: string, index: number, count: number, part: string): ChunkFrame => ({
  t: 'chunk',
  id,
  index,
  count,
  part,
});

/** The one frame a message carries, null while a chunked frame is still arriving. */
const readOne = (reader: FrameReader, from: PeerId, text: string): Result<GroupFrame | null> =>
  reader.readMessage(from, text, 0)[0] ?? ok(null);

describe('encodeForWire and FrameReader', () => {
  it('sends a small frame as one message', () => {
    const frame = data(1, 'hi');
    expect(value(encodeForWire(frame, 'c1'))).toEqual([encodeFrame(frame)]);
  });

  it('splits a 180 KB history page into messages of at most 16 KiB and reassembles it exactly', () => {
    const frame = page(150);
    const messages = value(encodeForWire(frame, 'c1'));
    expect(utf8ByteLength(encodeFrame(frame))).toBeGreaterThan(150_000);
    expect(messages.length).toBeGreaterThan(9);
    for (const m of messages) expect(utf8ByteLength(m)).toBeLessThanOrEqual(CHUNK_THRESHOLD_BYTES);
    const reader = new FrameReader(G);
    const results = messages.map((m) => value(readOne(reader, ALICE, m)));
    expect(results.slice(0, -1).every((r) => r === null)).toBe(true);
    expect(results.at(-1)).toEqual(frame);
    expect(reader.pending).toBe(0);
  });

  it('refuses to encode a frame over MAX_FRAME_BYTES', () => {
    const r = encodeForWire(page(1100), 'c1');
    expect(r.ok || r.error.code).toBe('too-large');
  });

  it('a raw message over one chunk is refused before parsing', () => {
    const reader = new FrameReader(G);
    const r = readOne(reader, ALICE, encodeFrame(page(30)));
    expect(r.ok || r.error.code).toBe('too-large');
  });

  it('a chunk that reassembles into another chunk is refused', () => {
    const inner = encodeFrame(chunk('x', 0, 1, 'y'.repeat(CHUNK_THRESHOLD_BYTES - 100)));
    const reader = new FrameReader(G);
    const outer = splitIntoChunks(inner, 'c1').map(encodeFrame);
    const results = outer.map((m) => readOne(reader, ALICE, m));
    const last = results.at(-1);
    expect(last?.ok || last?.error.code).toBe('bad-type');
  });

  it('the reassembled frame still goes through every parser rule (here: a forged sender)', () => {
    // 4000 chars fit in one message; wrap it as chunks by hand to take the reassembly path.
    const pieces = splitIntoChunks(encodeFrame(data(1, 'x'.repeat(4000))), 'c3').map(encodeFrame);
    expect(pieces.length).toBe(1);
    const reader = new FrameReader(G);
    const r = readOne(reader, BOB, pieces[0] as string);
    expect(r.ok || r.error.code).toBe('forged-sender');
    expect(readOne(reader, ALICE, pieces[0] as string)).toEqual({ ok: true, value: data(1, 'x'.repeat(4000)) });
  });
});

describe('splitIntoChunks', () => {
  it('keeps every chunk under the threshold and joins back to the text, for any text', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary', minLength: 0, maxLength: 40_000 }),
          fc.string({ unit: fc.constantFrom('"', '\\', '\n', '\u0001', 'a', '€', '😀'), maxLength: 40_000 }),
        ),
        (text) => {
          const chunks = splitIntoChunks(text, 'id-1');
          expect(chunks.map((c) => c.part).join('')).toBe(text);
          chunks.forEach((c, i) => {
            expect(c).toMatchObject({ t: 'chunk', id: 'id-1', index: i, count: chunks.length });
            expect(utf8ByteLength(encodeFrame(c))).toBeLessThanOrEqual(CHUNK_THRESHOLD_BYTES);
          });
        },
      ),
      { numRuns: 60 },
    );
  });

  it('cuts printable ASCII where pricing every character would, for any budget', () => {
    // Quotes and backslashes (two bytes escaped) in runs, alone and at the edges of parts.
    const unit = fc.constantFrom('a', 'b', ' ', '~', '\x7f', '"', '\\', '{', '"', '\\');
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 400 }), fc.integer({ min: 2, max: 40 }), (text, budget) => {
        expect(cutsInAscii(text, budget)).toEqual(cutsByCharacter(text, budget));
      }),
      { numRuns: 3000 },
    );
    // An ASCII history page, as a sponsor sends most: the same cuts, and splitIntoChunks takes this path.
    const ascii = encodeFrame({
      ...page(200),
      items: page(200).items.map((it, i) => ({ ...it, frame: data(i + 1, `#${i} "q" \\ ${'lorem '.repeat(12)}`) })),
    });
    expect(cutsInAscii(ascii, 16_000)).toEqual(cutsByCharacter(ascii, 16_000));
    expect(cutsInAscii(ascii, 16_000).length).toBeGreaterThan(3);
  });

  it('never cuts a surrogate pair in two', () => {
    const text = '😀'.repeat(20_000);
    for (const c of splitIntoChunks(text, 'e')) expect(c.part).toMatch(/^(?:\ud83d\ude00)*$/);
  });
});

describe('ChunkAssembler', () => {
  const split = (text: string, id: string): ChunkFrame[] => splitIntoChunks(text, id);

  it('reassembles interleaved frames from one peer and same-id frames from two peers', () => {
    const a = new ChunkAssembler();
    const x = split('x'.repeat(40_000), 'one');
    const y = split('y'.repeat(40_000), 'two');
    const z = split('z'.repeat(40_000), 'one'); // bob reuses alice's id: separate frames
    const done: string[] = [];
    for (let i = 0; i < x.length; i++) {
      for (const [from, c] of [
        [ALICE, y[y.length - 1 - i]],
        [BOB, z[i]],
        [ALICE, x[i]],
      ] as const) {
        const r = value(a.push(from, c as ChunkFrame, i));
        if (r !== null) done.push(`${from}:${r[0]}:${r.length}`);
      }
    }
    expect(done.sort()).toEqual(['alice:x:40000', 'alice:y:40000', 'bob:z:40000']);
    expect(a.pending).toBe(0);
  });

  it('refuses an index outside the count and forgets that partial frame', () => {
    const a = new ChunkAssembler();
    expect(value(a.push(ALICE, chunk('f', 0, 3, 'a'), 0))).toBeNull();
    const r = a.push(ALICE, chunk('f', 3, 3, 'd'), 0);
    expect(r.ok || r.error.code).toBe('bad-type');
    expect(a.pending).toBe(0);
    // The rest of that frame can no longer complete it.
    expect(value(a.push(ALICE, chunk('f', 1, 3, 'b'), 0))).toBeNull();
    expect(value(a.push(ALICE, chunk('f', 2, 3, 'c'), 0))).toBeNull();
  });

  it('refuses more than MAX_CHUNKS chunks', () => {
    const r = new ChunkAssembler().push(ALICE, chunk('f', 0, MAX_CHUNKS + 1, 'a'), 0);
    expect(r.ok || r.error.code).toBe('too-many');
  });

  it('refuses a frame that grows over MAX_FRAME_BYTES, counting bytes', () => {
    const a = new ChunkAssembler();
    const part = '€'.repeat(5000); // 15 000 bytes in 5000 characters
    const fit = Math.floor(MAX_FRAME_BYTES / 15_000);
    const count = fit + 2;
    for (let i = 0; i < fit; i++) expect(value(a.push(ALICE, chunk('big', i, count, part), 0))).toBeNull();
    const r = a.push(ALICE, chunk('big', fit, count, part), 0);
    expect(r.ok || r.error.code).toBe('too-large');
    expect(a.pending).toBe(0);
  });

  it('caps how many chunked frames one peer has in flight, without hurting the others', () => {
    const a = new ChunkAssembler();
    for (let i = 0; i < MAX_OUTSTANDING_CHUNKED_FRAMES; i++)
      expect(value(a.push(ALICE, chunk(`f${i}`, 0, 2, 'a'), 0))).toBeNull();
    const r = a.push(ALICE, chunk('extra', 0, 2, 'a'), 0);
    expect(r.ok || r.error.code).toBe('too-many');
    expect(value(a.push(BOB, chunk('f0', 0, 2, 'b'), 0))).toBeNull();
    expect(value(a.push(ALICE, chunk('single', 0, 1, 'whole'), 0))).toBe('whole');
    expect(value(a.push(ALICE, chunk('f0', 1, 2, 'z'), 0))).toBe('az');
  });

  it('refuses a count that changes mid-frame and a chunk sent twice', () => {
    const a = new ChunkAssembler();
    a.push(ALICE, chunk('f', 0, 3, 'a'), 0);
    const changed = a.push(ALICE, chunk('f', 1, 4, 'b'), 0);
    expect(changed.ok || changed.error.code).toBe('bad-state');
    a.push(ALICE, chunk('g', 0, 3, 'a'), 0);
    const twice = a.push(ALICE, chunk('g', 0, 3, 'a'), 0);
    expect(twice.ok || twice.error.code).toBe('bad-state');
    expect(a.pending).toBe(0);
  });

  it('drops a partial frame that went quiet for longer than the timeout', () => {
    const a = new ChunkAssembler();
    a.push(ALICE, chunk('slow', 0, 2, 'a'), 1000);
    expect(a.prune(1000 + CHUNK_ASSEMBLY_TIMEOUT_MS)).toBe(0);
    expect(a.pending).toBe(1);
    // The late half arrives after the timeout: the frame starts over and does not complete.
    expect(value(a.push(ALICE, chunk('slow', 1, 2, 'b'), 1001 + CHUNK_ASSEMBLY_TIMEOUT_MS))).toBeNull();
    expect(a.pending).toBe(1);
    expect(a.prune(1002 + 2 * CHUNK_ASSEMBLY_TIMEOUT_MS)).toBe(1);
    expect(a.pending).toBe(0);
  });

  it('forgets a peer whose link closed', () => {
    const a = new ChunkAssembler();
    a.push(ALICE, chunk('f', 0, 2, 'a'), 0);
    a.push(BOB, chunk('f', 0, 2, 'a'), 0);
    a.dropPeer(ALICE);
    expect(a.pending).toBe(1);
    expect(value(a.push(ALICE, chunk('f', 1, 2, 'b'), 0))).toBeNull();
  });
});
