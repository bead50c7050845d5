// File messages (PROTOCOL.md §10): a file travels as a DATA like any text —
// signed by its sender, ordered, stored, handed to joiners as history — whose
// body describes the bytes instead of carrying them: name, type, size, the
// SHA-256 of the whole file and the Merkle root over its chunks
// (files/merkle.ts). The body is an operation body (U+0000 + JSON, ops/
// message-op.ts) of kind `file`, so a peer that predates files refuses it as
// an unknown operation instead of showing JSON as text.
//
// This file reads and writes those bodies; the bytes travel in file-want /
// file-chunk / file-none frames (wire/parse-file-frames.ts).

import { MAX_BODY_CHARS } from '../wire/caps.ts';

/**
 * Bytes per chunk of a new file: a binary chunk message (wire/chunk-message.ts)
 * carries the chunk, its Merkle path (up to 17 hashes) and a 38-byte header, and
 * stays under the 16 KiB data-channel message (CHUNK_THRESHOLD_BYTES).
 */
export const FILE_CHUNK_BYTES = 15 * 1024;
/** The chunk size of file messages sent before FILE_CHUNK_BYTES; they are still read and served. */
export const LEGACY_FILE_CHUNK_BYTES = 10 * 1024;
/** Every chunk size a file message may declare. */
export const FILE_CHUNK_SIZES: readonly number[] = [LEGACY_FILE_CHUNK_BYTES, FILE_CHUNK_BYTES];
/** The largest size a file message may declare (a runtime cap, 100 MiB by default, is usually lower). */
export const MAX_FILE_BYTES = 1024 * 1024 * 1024;
/** File names are cut to this many UTF-16 units (common file systems allow 255 bytes). */
export const MAX_FILE_NAME_CHARS = 255;
/** MIME types: RFC 6838 allows 127 characters per part. */
export const MAX_FILE_TYPE_CHARS = 255;

export interface FileMeta {
  readonly name: string;
  readonly type: string;
  readonly size: number;
  /** SHA-256 of the whole file, 64 lowercase hex digits. */
  readonly sha256: string;
  /** Merkle root over the chunks (merkle.ts), 64 lowercase hex digits. */
  readonly root: string;
  /** One of FILE_CHUNK_SIZES: every chunk but the last has this many bytes. */
  readonly chunkSize: number;
  readonly caption: string;
}

const HEX64 = /^[0-9a-f]{64}$/;
/** type/subtype with RFC 6838 token characters, optional parameters are dropped by the sender. */
const MIME = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*$/;

/**
 * A name safe to show and to save: the last path segment only (no `/` or `\`),
 * no control or bidirectional-override characters, no leading dots or spaces,
 * at most MAX_FILE_NAME_CHARS; 'file' when nothing is left.
 */
export function sanitizeFileName(raw: string): string {
  const last = raw.split(/[/\\]/).pop() ?? '';
  const clean = last
    .replace(/[\p{Cc}\p{Cf}\u2028\u2029]/gu, '')
    .replace(/^[.\s]+/, '')
    .trim();
  const cut = [...clean].reduce((acc, ch) => (acc.length + ch.length <= MAX_FILE_NAME_CHARS ? acc + ch : acc), '');
  return cut.length === 0 ? 'file' : cut;
}

/** The number of chunks of a file of `size` bytes (an empty file has one empty chunk). */
export const chunkCount = (size: number, chunkSize: number): number => Math.max(1, Math.ceil(size / chunkSize));

/** The bytes of chunk `index` of a file of `size` bytes. */
export const chunkLength = (size: number, index: number, chunkSize: number): number =>
  Math.max(0, Math.min(chunkSize, size - index * chunkSize));

/** The fields of a file body (before the marker), checked. Null when one is out of shape; the reason in `why`. */
export function readFileFields(o: Readonly<Record<string, unknown>>): FileMeta | string {
  const own = (k: string): unknown => (Object.hasOwn(o, k) ? o[k] : undefined);
  const name = own('name');
  const type = own('type');
  const size = own('size');
  const sha256 = own('sha256');
  const root = own('root');
  const chunkSize = own('chunkSize');
  const caption = own('caption') ?? '';
  if (typeof name !== 'string' || name.length > 4 * MAX_FILE_NAME_CHARS) return 'file: name must be a string';
  if (typeof type !== 'string' || type.length > MAX_FILE_TYPE_CHARS || (type !== '' && !MIME.test(type)))
    return 'file: type must be a MIME type or empty';
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0 || size > MAX_FILE_BYTES)
    return `file: size must be an integer from 0 to ${MAX_FILE_BYTES}`;
  if (typeof sha256 !== 'string' || !HEX64.test(sha256)) return 'file: sha256 must be 64 lowercase hex digits';
  if (typeof root !== 'string' || !HEX64.test(root)) return 'file: root must be 64 lowercase hex digits';
  if (typeof chunkSize !== 'number' || !FILE_CHUNK_SIZES.includes(chunkSize))
    return `file: chunkSize must be one of ${FILE_CHUNK_SIZES.join(', ')}`;
  if (typeof caption !== 'string') return 'file: caption must be a string';
  return { name: sanitizeFileName(name), type: type.toLowerCase(), size, sha256, root, chunkSize, caption };
}

/** The JSON fields of a file body, in a fixed order (the marker and `op` are added by encodeOp's sibling). */
export function fileFields(meta: FileMeta): Record<string, unknown> {
  return {
    op: 'file',
    name: meta.name,
    type: meta.type,
    size: meta.size,
    sha256: meta.sha256,
    root: meta.root,
    chunkSize: meta.chunkSize,
    ...(meta.caption === '' ? {} : { caption: meta.caption }),
  };
}

/** Whether a body of this length fits a message. */
export const fileBodyFits = (body: string): boolean => body.length <= MAX_BODY_CHARS;
