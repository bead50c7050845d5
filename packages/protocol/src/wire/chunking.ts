// Splitting one frame's JSON text into CHUNK frames that each fit in a single
// data-channel message. Chunk ids come from the caller (the mesh's counter):
// this package has no randomness of its own.

import { err, ok, type Result } from '../result.ts';
import { CHUNK_THRESHOLD_BYTES, MAX_CHUNKS, MAX_FRAME_BYTES } from './caps.ts';
import { encodeFrame } from './canonical.ts';
import type { ChunkFrame, GroupFrame } from './frames.ts';
import { utf8ByteLength } from './utf8.ts';

/** Index/count placeholder with more digits than any real chunk count, so the envelope estimate is an upper bound. */
const WIDEST_CHUNK_NUMBER = 999_999;

/**
 * UTF-8 bytes that the code unit at `i` takes once JSON.stringify has escaped it inside a string;
 * a surrogate pair's high half counts the pair's 4 bytes and its low half (`pairLow`) none.
 * A number, not an object: the sponsor cuts every history page (~80 KB) this way, char by char.
 */
function escapedBytes(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c >= 0x20 && c < 0x80) return c === 0x22 || c === 0x5c ? 2 : 1; // \" and \\
  if (c === 0x08 || c === 0x09 || c === 0x0a || c === 0x0c || c === 0x0d) return 2;
  if (c < 0x20) return 6; // \u00XX
  if (c < 0x800) return 2;
  // A pair stays together (4 bytes); a lone surrogate is escaped as \uXXXX by well-formed stringify.
  if (c >= 0xd800 && c <= 0xdbff) return pairLow(text, i + 1) ? 4 : 6;
  if (c >= 0xdc00 && c <= 0xdfff) return i > 0 && isHigh(text.charCodeAt(i - 1)) ? 0 : 6;
  return 3;
}

const isHigh = (c: number): boolean => c >= 0xd800 && c <= 0xdbff;
/** Whether the unit at `i` is the low half of a pair (a high surrogate before it). */
const pairLow = (text: string, i: number): boolean => {
  const c = i < text.length ? text.charCodeAt(i) : 0;
  return c >= 0xdc00 && c <= 0xdfff;
};

/** A code unit that is not one byte in JSON as is: a control, a quote, a backslash or anything past ASCII. */
const NOT_PLAIN_ASCII = /[^\x20-\x7f]/;

/**
 * Cuts `text` into chunk frames whose encoded JSON is at most
 * CHUNK_THRESHOLD_BYTES each; joining the parts in index order gives `text`
 * back. Never splits a surrogate pair. Callers check the frame cap first
 * (encodeForWire does both).
 */
export function splitIntoChunks(text: string, id: string): ChunkFrame[] {
  const budget = CHUNK_THRESHOLD_BYTES - chunkEnvelopeBytes(id);
  const ends = NOT_PLAIN_ASCII.test(text) ? cutsByCharacter(text, budget) : cutsInAscii(text, budget);
  const parts: string[] = [];
  let start = 0;
  for (const end of ends) {
    parts.push(text.slice(start, end));
    start = end;
  }
  parts.push(text.slice(start));
  return parts.map((part, index) => ({ t: 'chunk', id, index, count: parts.length, part }));
}

/** Bytes of a chunk frame's JSON around its part, an upper bound (the widest index and count). */
const chunkEnvelopeBytes = (id: string): number =>
  utf8ByteLength(encodeFrame({ t: 'chunk', id, index: WIDEST_CHUNK_NUMBER, count: WIDEST_CHUNK_NUMBER, part: '' }));

/**
 * Where each part but the last ends: at the first code unit whose escaped bytes would take its part
 * over `budget` (never at a part's first unit, never inside a surrogate pair). Any text.
 */
export function cutsByCharacter(text: string, budget: number): number[] {
  const ends: number[] = [];
  let start = 0;
  let used = 0;
  for (let i = 0; i < text.length; i++) {
    const bytes = escapedBytes(text, i);
    // Never between the halves of a pair (a low half costs 0: its pair was counted at the high one).
    if (bytes > 0 && used + bytes > budget && i > start) {
      ends.push(i);
      start = i;
      used = 0;
    }
    used += bytes;
  }
  return ends;
}

/**
 * The same cuts for text of printable ASCII only (a history page's JSON, most often), where a unit
 * costs one byte and a quote or backslash two: found by jumping from one of those to the next
 * (indexOf) instead of pricing every unit, ~5× faster on a sponsor's 80 KB pages.
 */
export function cutsInAscii(text: string, budget: number): number[] {
  const ends: number[] = [];
  let quote = text.indexOf('"');
  let slash = text.indexOf('\\');
  let start = 0;
  /** Escaped units (2 bytes) in the current part so far. */
  let doubled = 0;
  let pos = 0;
  for (;;) {
    if (quote !== -1 && quote < pos) quote = text.indexOf('"', pos);
    if (slash !== -1 && slash < pos) slash = text.indexOf('\\', pos);
    const special = quote === -1 ? slash : slash === -1 ? quote : Math.min(quote, slash);
    const next = special === -1 ? text.length : special;
    // The first plain unit that no longer fits: the part ends there when it comes before `next`.
    const full = Math.max(pos, start + budget - doubled);
    if (full < next) {
      ends.push(full);
      start = pos = full;
      doubled = 0;
      continue;
    }
    if (special === -1) return ends;
    if (special - start + doubled + 2 > budget && special > start) {
      ends.push(special);
      start = special;
      doubled = 0;
    }
    doubled += 1;
    pos = special + 1;
  }
}

/**
 * A frame as the data-channel messages to send: one text when it fits,
 * otherwise its chunks. Refuses frames over MAX_FRAME_BYTES (a local error:
 * the caller built something no peer would accept).
 */
export function encodeForWire(frame: GroupFrame, chunkId: string): Result<readonly string[]> {
  const text = encodeFrame(frame);
  const bytes = utf8ByteLength(text);
  if (bytes > MAX_FRAME_BYTES)
    return err('too-large', `The ${frame.t} frame is ${bytes} bytes; the limit is ${MAX_FRAME_BYTES}.`);
  if (bytes <= CHUNK_THRESHOLD_BYTES) return ok([text]);
  const chunks = splitIntoChunks(text, chunkId);
  if (chunks.length > MAX_CHUNKS)
    return err('too-many', `The ${frame.t} frame needs ${chunks.length} chunks; the limit is ${MAX_CHUNKS}.`);
  return ok(chunks.map(encodeFrame));
}
