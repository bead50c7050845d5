// Cutting a file into chunks and proving them (PROTOCOL.md §10), shared by
// the sender (files.send) and tests: the file's SHA-256, the Merkle tree over
// FILE_CHUNK_BYTES chunks, and each chunk with its audit path as it is stored
// and served.

import {
  bytesToBase64,
  chunkCount,
  FILE_CHUNK_BYTES,
  leafHash,
  merkleLevels,
  merkleProof,
  sha256Bytes,
  toHex,
} from '@chorus/protocol';
import type { StoredChunk } from './blob-store.ts';

export interface ChunkedFile {
  readonly sha256: string;
  readonly root: string;
  readonly chunks: readonly StoredChunk[];
}

/** The bytes of chunk `index` of a file of `size` bytes. */
export const chunkLength = (size: number, index: number): number =>
  Math.max(0, Math.min(FILE_CHUNK_BYTES, size - index * FILE_CHUNK_BYTES));

/** Hashes `bytes` and cuts it into proven chunks; `progress` hears the bytes hashed so far. */
export async function chunkFile(bytes: Uint8Array, progress?: (hashed: number) => void): Promise<ChunkedFile> {
  const n = chunkCount(bytes.length);
  const parts: Uint8Array[] = [];
  const leaves: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const part = bytes.subarray(i * FILE_CHUNK_BYTES, i * FILE_CHUNK_BYTES + chunkLength(bytes.length, i));
    parts.push(part);
    leaves.push(await leafHash(part));
    if (i % 256 === 255) progress?.(Math.min(bytes.length, (i + 1) * FILE_CHUNK_BYTES));
  }
  const levels = await merkleLevels(leaves);
  const root = levels[levels.length - 1]![0]!;
  const chunks = parts.map((part, i) => ({ bytes: part, proof: merkleProof(levels, i).map((h) => bytesToBase64(h)) }));
  return { sha256: toHex(await sha256Bytes(bytes)), root: toHex(root), chunks };
}
