// The readers of parse-frame.ts for the frames that move a file's bytes
// (PROTOCOL.md §10): `file-want` (which chunks of a file the sender asks
// for), `file-chunk` (one chunk with its Merkle audit path) and `file-none`
// (chunks the sender does not hold, or will not serve now). None is signed
// or stored: a chunk proves itself against the root of the signed file
// message, and the rest is attributed to the link it arrived on. Same rules
// as parse-frame.ts: never trust, throw FieldRejection.

import type { GroupId } from '../ids.ts';
import { decodeChunkBase64 } from '../files/chunk-base64.ts';
import { MAX_CHUNK_DATA_BYTES, MAX_CHUNK_INDEX, MAX_PROOF_HASHES } from './chunk-message.ts';
import { field, FieldRejection, readArray, readInteger, readString, type JsonObject } from './field-reader.ts';
import type { FileChunkFrame, FileNoneFrame, FileWantFrame } from './frames.ts';

/** Chunk indexes in one want or none: a receiver keeps a small window per holder, so 64 is ample. */
export const MAX_WANT_CHUNKS = 64;
/** Base64 characters of the largest chunk. */
const MAX_DATA_CHARS = 4 * Math.ceil(MAX_CHUNK_DATA_BYTES / 3);
const HEX64 = /^[0-9a-f]{64}$/;
/** Canonical base64 of exactly 32 bytes. */
const HASH_B64 = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/;

function only(o: JsonObject, kind: string, keys: readonly string[]): void {
  const extra = Object.keys(o).find((k) => !keys.includes(k));
  if (extra !== undefined) throw new FieldRejection('bad-type', `${kind} has a field it may not carry: "${extra}".`);
}

function readHex(o: JsonObject, key: string, kind: string): string {
  const v = readString(field(o, key, kind), `${kind}.${key}`, 64, 64);
  if (!HEX64.test(v)) throw new FieldRejection('bad-type', `${kind}.${key} must be 64 lowercase hex digits.`);
  return v;
}

function readIndexes(o: JsonObject, kind: string): readonly number[] {
  const list = readArray(field(o, 'chunks', kind), `${kind}.chunks`, MAX_WANT_CHUNKS);
  if (list.length === 0) throw new FieldRejection('bad-type', `${kind}.chunks is empty.`);
  const out = list.map((v, i) => readInteger(v, `${kind}.chunks[${i}]`, 0, MAX_CHUNK_INDEX));
  if (new Set(out).size !== out.length) throw new FieldRejection('bad-type', `${kind}.chunks repeats an index.`);
  return out;
}

export function readFileWant(o: JsonObject, groupId: GroupId): FileWantFrame {
  only(o, 'file-want', ['t', 'groupId', 'hash', 'root', 'chunks']);
  const hash = readHex(o, 'hash', 'file-want');
  const root = readHex(o, 'root', 'file-want');
  return { t: 'file-want', groupId, hash, root, chunks: readIndexes(o, 'file-want') };
}

export function readFileNone(o: JsonObject, groupId: GroupId): FileNoneFrame {
  only(o, 'file-none', ['t', 'groupId', 'hash', 'chunks']);
  return { t: 'file-none', groupId, hash: readHex(o, 'hash', 'file-none'), chunks: readIndexes(o, 'file-none') };
}

export function readFileChunk(o: JsonObject, groupId: GroupId): FileChunkFrame {
  only(o, 'file-chunk', ['t', 'groupId', 'hash', 'index', 'data', 'proof']);
  const hash = readHex(o, 'hash', 'file-chunk');
  const index = readInteger(field(o, 'index', 'file-chunk'), 'file-chunk.index', 0, MAX_CHUNK_INDEX);
  const data = decodeChunkBase64(readString(field(o, 'data', 'file-chunk'), 'file-chunk.data', MAX_DATA_CHARS));
  if (data === null) throw new FieldRejection('bad-type', 'file-chunk.data is not canonical base64.');
  const proof = readArray(field(o, 'proof', 'file-chunk'), 'file-chunk.proof', MAX_PROOF_HASHES).map((v, i) => {
    const h = readString(v, `file-chunk.proof[${i}]`, 44, 44);
    if (!HASH_B64.test(h)) throw new FieldRejection('bad-type', `file-chunk.proof[${i}] is not a base64 hash.`);
    return decodeChunkBase64(h)!;
  });
  return { t: 'file-chunk', groupId, hash, index, data, proof };
}
