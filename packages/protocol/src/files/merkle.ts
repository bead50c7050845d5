// The chunk commitment of a file message (PROTOCOL.md §10): a Merkle tree in
// the shape of RFC 6962 (Certificate Transparency) — leaf = SHA-256(0x00 ‖
// chunk), node = SHA-256(0x01 ‖ left ‖ right), and a level with an odd
// number of nodes promotes its last one unchanged. The signed message carries
// the root; every chunk travels with its audit path, so a receiver checks each
// chunk on arrival, from any holder, before storing it. In a browser leaves
// and the whole file are hashed by WebCrypto, inner nodes by wire/sha256.ts;
// in Node leaves and inner nodes by node:crypto's synchronous hash (native,
// no copy of the chunk, none of WebCrypto's per-call cost, which was most of
// a Node receiver's time per chunk), the whole file by WebCrypto.

import { nativeSha256, sha256 } from '../wire/sha256.ts';

const LEAF_TAG = Uint8Array.of(0);
const NODE_TAG = Uint8Array.of(1);

/** A native digest as a plain Uint8Array (not a Buffer), as WebCrypto's. */
const plain = (d: Uint8Array): Uint8Array => new Uint8Array(d.buffer, d.byteOffset, d.byteLength);

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

export function leafHash(chunk: Uint8Array): Promise<Uint8Array> {
  if (nativeSha256 !== null) return Promise.resolve(plain(nativeSha256().update(LEAF_TAG).update(chunk).digest()));
  // WebCrypto copies its input before digest() returns, so one buffer serves every leaf: no 15 KiB allocated per
  // chunk (in a page that allocation cost more than the copy, and fed the garbage collector).
  if (leafInput.length < chunk.length + 1) leafInput = new Uint8Array(chunk.length + 1);
  leafInput[0] = 0;
  leafInput.set(chunk, 1);
  return sha256Bytes(leafInput.subarray(0, chunk.length + 1));
}
let leafInput = new Uint8Array(16 * 1024 + 1);
/**
 * An inner node: 65 bytes hashed synchronously (native in Node, else
 * wire/sha256.ts), far cheaper for so little input than a WebCrypto call (its
 * fixed cost dominated verifying a chunk's path).
 */
const nodeHash = (left: Uint8Array, right: Uint8Array): Uint8Array => {
  if (nativeSha256 !== null) return plain(nativeSha256().update(NODE_TAG).update(left).update(right).digest());
  if (left.length !== 32 || right.length !== 32) return sha256(tagged(1, left, right));
  // The synchronous hash reads its input at once: one buffer serves every inner node, none is allocated per node.
  NODE_INPUT.set(left, 1);
  NODE_INPUT.set(right, 33);
  return sha256(NODE_INPUT);
};
const NODE_INPUT = Uint8Array.of(1, ...new Uint8Array(64));

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

/**
 * Nodes of one tree already proven to lead to its root, by `nodeKey`: a
 * receiver checking the chunks of one file keeps one, so a chunk's path is
 * hashed only up to the first node an earlier chunk proved (its sibling's
 * leaf, often), and the rest of its path is compared, not hashed. Holds
 * every proven node with its ancestors' siblings, so the comparison always
 * finds them.
 */
export type ProvenNodes = Map<number, Uint8Array>;

const nodeKey = (level: number, i: number): number => i * 64 + level;

/**
 * Whether `chunk` is leaf `index` of `count` under `root` with this audit
 * path. With `proven`, nodes an earlier check proved are trusted (and the
 * path must match them), and the nodes this one proves are added.
 */
export async function verifyChunk(
  root: Uint8Array,
  index: number,
  count: number,
  chunk: Uint8Array,
  proof: readonly Uint8Array[],
  proven?: ProvenNodes,
): Promise<boolean> {
  if (index < 0 || index >= count || proof.length !== proofLength(index, count)) return false;
  let node = await leafHash(chunk);
  const found: [number, Uint8Array][] = [];
  let used = 0;
  for (let i = index, len = count, level = 0; len > 1; i >>= 1, len = Math.ceil(len / 2), level++) {
    const known = proven?.get(nodeKey(level, i));
    if (known !== undefined) {
      if (!equalBytes(known, node) || !restMatches(proven!, i, len, level, proof, used)) return false;
      for (const [k, h] of found) proven!.set(k, h);
      return true;
    }
    found.push([nodeKey(level, i), node]);
    const sibling = i % 2 === 1 ? i - 1 : i + 1 < len ? i + 1 : -1;
    if (sibling < 0) continue;
    const s = proof[used++]!;
    found.push([nodeKey(level, sibling), s]);
    node = i % 2 === 1 ? nodeHash(s, node) : nodeHash(node, s);
  }
  if (!equalBytes(node, root)) return false;
  if (proven) for (const [k, h] of found) proven.set(k, h);
  return true;
}

/** Whether the rest of a path, from node `i` of `level` up, names the proven siblings. */
function restMatches(
  proven: ProvenNodes,
  i: number,
  len: number,
  level: number,
  proof: readonly Uint8Array[],
  used: number,
): boolean {
  for (; len > 1; i >>= 1, len = Math.ceil(len / 2), level++) {
    const sibling = i % 2 === 1 ? i - 1 : i + 1 < len ? i + 1 : -1;
    if (sibling < 0) continue;
    const known = proven.get(nodeKey(level, sibling));
    if (known === undefined || !equalBytes(known, proof[used++]!)) return false;
  }
  return true;
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}
