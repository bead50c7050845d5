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

/**
 * Cuts `text` into chunk frames whose encoded JSON is at most
 * CHUNK_THRESHOLD_BYTES each; joining the parts in index order gives `text`
 * back. Never splits a surrogate pair. Callers check the frame cap first
 * (encodeForWire does both).
 */
export function splitIntoChunks(text: string, id: string): ChunkFrame[] {
  const envelope = utf8ByteLength(
    encodeFrame({ t: 'chunk', id, index: WIDEST_CHUNK_NUMBER, count: WIDEST_CHUNK_NUMBER, part: '' }),
  );
  const budget = CHUNK_THRESHOLD_BYTES - envelope;
  const parts: string[] = [];
  let start = 0;
  let used = 0;
  for (let i = 0; i < text.length; i++) {
    const bytes = escapedBytes(text, i);
    // Never between the halves of a pair (a low half costs 0: its pair was counted at the high one).
    if (bytes > 0 && used + bytes > budget && i > start) {
      parts.push(text.slice(start, i));
      start = i;
      used = 0;
    }
    used += bytes;
  }
  parts.push(text.slice(start));
  return parts.map((part, index) => ({ t: 'chunk', id, index, count: parts.length, part }));
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
