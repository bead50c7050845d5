// Cutting a file into chunks and proving them (PROTOCOL.md §10), shared by
// the sender (files.send) and tests: the file's SHA-256, the Merkle tree over
// its chunks, and each chunk with its audit path as it is stored and served.
// Stored paths are base64 texts (the stores' format); frames carry bytes.

import {
  chunkCount,
  chunkLength,
  decodeChunkBase64,
  encodeChunkBase64,
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
  readonly chunkSize: number;
  readonly chunks: readonly StoredChunk[];
}

/** A stored audit path as the bytes a chunk frame carries. */
export const proofBytes = (proof: readonly string[]): Uint8Array[] =>
  proof.map((p) => {
    const bytes = decodeChunkBase64(p);
    if (bytes === null || bytes.length !== 32) throw new Error('A stored proof hash is not base64 of 32 bytes.');
    return bytes;
  });

/**
 * A chunk frame's audit path as it is stored: every 32-byte hash in base64
 * (44 characters), encoded as one text and cut, since a text decoder's fixed
 * cost per call (a dozen hashes a chunk) outweighed the encoding in a page.
 */
export const proofTexts = (proof: readonly Uint8Array[]): string[] => {
  if (proof.some((p) => p.length !== 32)) return proof.map((p) => encodeChunkBase64(p));
  // 32 bytes encode to 43 characters and one `=`: each hash takes 33 bytes here, its 32 and a 0 that pads it,
  // so every hash starts a fresh group of three and its last character (the pad's) is replaced by `=`.
  const joined = new Uint8Array(33 * proof.length);
  for (const [k, p] of proof.entries()) joined.set(p, 33 * k);
  const text = encodeChunkBase64(joined);
  return proof.map((_, k) => `${text.slice(44 * k, 44 * k + 43)}=`);
};

/** Hashes `bytes` and cuts it into proven chunks; `progress` hears the bytes hashed so far. */
export async function chunkFile(
  bytes: Uint8Array,
  progress?: (hashed: number) => void,
  chunkSize = FILE_CHUNK_BYTES,
  sha256?: string,
): Promise<ChunkedFile> {
  const n = chunkCount(bytes.length, chunkSize);
  const parts: Uint8Array[] = [];
  const leaves: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const part = bytes.subarray(i * chunkSize, i * chunkSize + chunkLength(bytes.length, i, chunkSize));
    parts.push(part);
    leaves.push(await leafHash(part));
    if (i % 256 === 255) progress?.(Math.min(bytes.length, (i + 1) * chunkSize));
  }
  const levels = await merkleLevels(leaves);
  const root = levels[levels.length - 1]![0]!;
  const chunks = parts.map((part, i) => ({ bytes: part, proof: proofTexts(merkleProof(levels, i)) }));
  return { sha256: sha256 ?? (await fileSha256(bytes)), root: toHex(root), chunkSize, chunks };
}

/** The SHA-256 of a whole file, as the hex its message carries (FileInfo.sha256). */
export async function fileSha256(bytes: Uint8Array): Promise<string> {
  return toHex(await sha256Bytes(bytes));
}
