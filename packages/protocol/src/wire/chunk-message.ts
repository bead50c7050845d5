// A file chunk as a binary data-channel message (PROTOCOL.md §10.3): the
// bytes travel as they are, with no JSON, base64 or UTF-8 pass at either end.
// Every text message on a channel is a JSON frame (§1); every binary message
// is one `file-chunk` and nothing else. The group is the channel's (a link
// belongs to one group), so the message does not repeat it.
//
//   offset  size    field
//   0       1       kind: CHUNK_MESSAGE_KIND (0x01)
//   1       32      hash: SHA-256 of the whole file
//   33      4       index: the chunk's index, unsigned big-endian
//   37      1       p: the number of hashes in the audit path
//   38      32 × p  proof: the audit path, bottom up
//   38+32p  rest    data: the chunk (at most the largest chunk size)
//
// Parsed strictly: a wrong kind, a short message, an index or a path longer
// than any file allows, or data longer than a chunk is refused with a reason.

import type { GroupId } from '../ids.ts';
import { err, ok, type Result } from '../result.ts';
import { chunkCount, FILE_CHUNK_SIZES, MAX_FILE_BYTES } from '../files/file-meta.ts';
import type { FileChunkFrame } from './frames.ts';

export const CHUNK_MESSAGE_KIND = 0x01;
const HASH_BYTES = 32;
/** kind + hash + index + proof count. */
export const CHUNK_HEADER_BYTES = 1 + HASH_BYTES + 4 + 1;
/** The most chunks a file may have: MAX_FILE_BYTES cut in the smallest chunk size. */
const MAX_CHUNKS = chunkCount(MAX_FILE_BYTES, Math.min(...FILE_CHUNK_SIZES));
/** The highest chunk index any file may have. */
export const MAX_CHUNK_INDEX = MAX_CHUNKS - 1;
/** The longest audit path: a tree over MAX_CHUNKS leaves. */
export const MAX_PROOF_HASHES = Math.ceil(Math.log2(MAX_CHUNKS));
/** The most bytes one chunk carries. */
export const MAX_CHUNK_DATA_BYTES = Math.max(...FILE_CHUNK_SIZES);

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** The last hash read and its text: the chunks of one transfer all name the same file. */
const lastHash = new Uint8Array(HASH_BYTES);
let lastHex = '';

const hexOf = (bytes: Uint8Array, from: number): string => {
  let same = lastHex !== '';
  for (let i = 0; same && i < HASH_BYTES; i++) same = bytes[from + i] === lastHash[i];
  if (same) return lastHex;
  let s = '';
  for (let i = from; i < from + HASH_BYTES; i++) s += HEX[bytes[i]!]!;
  lastHash.set(bytes.subarray(from, from + HASH_BYTES));
  lastHex = s;
  return s;
};

const hexValue = (c: number): number => (c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : -1);

/** The binary message of a chunk frame (one exactly sized buffer: data channels send it whole). */
export function encodeChunkMessage(frame: FileChunkFrame): Uint8Array<ArrayBuffer> {
  const p = frame.proof.length;
  const out = new Uint8Array(CHUNK_HEADER_BYTES + HASH_BYTES * p + frame.data.length);
  out[0] = CHUNK_MESSAGE_KIND;
  for (let i = 0; i < HASH_BYTES; i++)
    out[1 + i] = (hexValue(frame.hash.charCodeAt(2 * i)) << 4) | hexValue(frame.hash.charCodeAt(2 * i + 1));
  new DataView(out.buffer).setUint32(33, frame.index);
  out[37] = p;
  for (const [k, h] of frame.proof.entries()) out.set(h, CHUNK_HEADER_BYTES + HASH_BYTES * k);
  out.set(frame.data, CHUNK_HEADER_BYTES + HASH_BYTES * p);
  return out;
}

/**
 * The chunk frame a binary message carries, or why it is refused (`bad-type`,
 * `too-large`). Its data and proof are views of `bytes`, which the caller
 * must not change afterwards.
 */
export function parseChunkMessage(bytes: Uint8Array, groupId: GroupId): Result<FileChunkFrame> {
  if (bytes.length < CHUNK_HEADER_BYTES)
    return err('bad-type', `A binary message of ${bytes.length} bytes is shorter than a chunk header.`);
  if (bytes[0] !== CHUNK_MESSAGE_KIND)
    return err('bad-type', `A binary message of kind ${bytes[0]}: only file chunks (kind 1) travel as binary.`);
  const index = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(33);
  if (index > MAX_CHUNK_INDEX) return err('bad-type', `file-chunk.index ${index} is past any file's last chunk.`);
  const p = bytes[37]!;
  if (p > MAX_PROOF_HASHES)
    return err('bad-type', `file-chunk carries ${p} proof hashes; no file's path is longer than ${MAX_PROOF_HASHES}.`);
  const dataAt = CHUNK_HEADER_BYTES + HASH_BYTES * p;
  if (bytes.length < dataAt)
    return err('bad-type', `file-chunk announces ${p} proof hashes but ends inside them (${bytes.length} bytes).`);
  if (bytes.length - dataAt > MAX_CHUNK_DATA_BYTES)
    return err(
      'too-large',
      `file-chunk data is ${bytes.length - dataAt} bytes; a chunk is at most ${MAX_CHUNK_DATA_BYTES}.`,
    );
  const proof: Uint8Array[] = [];
  // Views of the message, not copies: a received message is read once and handed over whole.
  for (let k = 0; k < p; k++)
    proof.push(bytes.subarray(CHUNK_HEADER_BYTES + HASH_BYTES * k, CHUNK_HEADER_BYTES + HASH_BYTES * (k + 1)));
  return ok({ t: 'file-chunk', groupId, hash: hexOf(bytes, 1), index, data: bytes.subarray(dataAt), proof });
}
