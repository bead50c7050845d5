// The chunk commitment of a file message (PROTOCOL.md §10): a Merkle tree in
// the shape of RFC 6962 (Certificate Transparency) — leaf = SHA-256(0x00 ‖
// chunk), node = SHA-256(0x01 ‖ left ‖ right), and a level with an odd
// number of nodes promotes its last one unchanged. The signed message carries
// the root; every chunk travels with its audit path, so a receiver checks each
// chunk on arrival, from any holder, before storing it. Leaves and the whole
// file are hashed by WebCrypto (native), inner nodes by wire/sha256.ts.

import { sha256 } from '../wire/sha256.ts';

const enc = (bytes: Uint8Array): Uint8Array<ArrayBuffer> => bytes as Uint8Array<ArrayBuffer>;

export async function sha256Bytes(data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', enc(data)));
}

export const toHex = (bytes: Uint8Array): string => {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
};

export const fromHex = (hex: string): Uint8Array => {
  const out = new Uint8Array(hex.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
};

function tagged(tag: number, ...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(1 + parts.reduce((n, p) => n + p.length, 0));
  out[0] = tag;
  let at = 1;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export const leafHash = (chunk: Uint8Array): Promise<Uint8Array> => sha256Bytes(tagged(0, chunk));
/**
 * An inner node: 65 bytes hashed by the synchronous SHA-256 (wire/sha256.ts),
 * far cheaper for so little input than a WebCrypto call (its fixed cost
 * dominated verifying a chunk's path).
 */
const nodeHash = (left: Uint8Array, right: Uint8Array): Uint8Array => sha256(tagged(1, left, right));

/** Every level of the tree, leaves first, root last (one node). */
export async function merkleLevels(leaves: readonly Uint8Array[]): Promise<Uint8Array[][]> {
  if (leaves.length === 0) throw new RangeError('A Merkle tree needs at least one leaf.');
  const levels: Uint8Array[][] = [[...leaves]];
  for (let level = levels[0]!; level.length > 1;) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2)
      next.push(i + 1 < level.length ? nodeHash(level[i]!, level[i + 1]!) : level[i]!);
    levels.push(next);
    level = next;
  }
  return levels;
}

/** The audit path of leaf `index`: the sibling at each level that has one, bottom up. */
export function merkleProof(levels: readonly (readonly Uint8Array[])[], index: number): Uint8Array[] {
  const proof: Uint8Array[] = [];
  let i = index;
  for (const level of levels.slice(0, -1)) {
    const sibling = i % 2 === 1 ? i - 1 : i + 1;
    if (sibling < level.length) proof.push(level[sibling]!);
    i >>= 1;
  }
  return proof;
}

/** How many hashes the audit path of leaf `index` among `count` leaves has (what a parser may accept). */
export function proofLength(index: number, count: number): number {
  let n = 0;
  for (let i = index, len = count; len > 1; i >>= 1, len = Math.ceil(len / 2)) {
    const sibling = i % 2 === 1 ? i - 1 : i + 1;
    if (sibling < len) n++;
  }
  return n;
}

/** Whether `chunk` is leaf `index` of `count` under `root` with this audit path. */
export async function verifyChunk(
  root: Uint8Array,
  index: number,
  count: number,
  chunk: Uint8Array,
  proof: readonly Uint8Array[],
): Promise<boolean> {
  if (index < 0 || index >= count || proof.length !== proofLength(index, count)) return false;
  let node = await leafHash(chunk);
  let used = 0;
  for (let i = index, len = count; len > 1; i >>= 1, len = Math.ceil(len / 2)) {
    if (i % 2 === 1) node = nodeHash(proof[used++]!, node);
    else if (i + 1 < len) node = nodeHash(node, proof[used++]!);
  }
  return equalBytes(node, root);
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}
