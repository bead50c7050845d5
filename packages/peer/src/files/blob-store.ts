// Where a file's bytes live on this peer (PROTOCOL.md §10): blobs by the
// SHA-256 of the whole file, de-duplicated (two messages of one file share
// one blob), stored chunk by chunk with each chunk's Merkle audit path, so a
// download that stops (cancel, link drop, reload) resumes from the chunks
// already stored, and a peer serves every chunk it holds, complete or not.
// The IndexedDB implementation is idb-blobs.ts (object stores of the
// `chorus` database); the in-memory one is MemoryBlobs below.

import type { ChunkCheck } from './chunk-worker-client.ts';

export interface BlobRecord {
  /** SHA-256 of the whole file, lowercase hex. */
  readonly hash: string;
  /** The Merkle root the stored chunks were verified against, lowercase hex. */
  readonly root: string;
  readonly size: number;
  readonly chunkSize: number;
  /** Every chunk is stored and the whole file matched `hash`. */
  readonly complete: boolean;
}

export interface StoredChunk {
  readonly bytes: Uint8Array;
  /** The chunk's audit path (base64 hashes, bottom up), served with it. */
  readonly proof: readonly string[];
}

export interface BlobStore {
  /**
   * Where a store can check a received chunk against its file's root and store
   * it off this thread (IdbBlobs in a page: chunk-worker-client.ts): true
   * stored, false refused (nothing stored), null lost on the way (ask again).
   * Returns null at once, taking nothing, when it cannot now: the caller
   * checks and stores in thread. It may take the chunk's buffer (transferred).
   */
  checkAndPutChunk?(c: ChunkCheck): Promise<boolean | null> | null;
  getBlob(hash: string): Promise<BlobRecord | null>;
  /** Creates or updates the record; a `complete` record stays complete. */
  putBlob(record: BlobRecord): Promise<void>;
  /** Idempotent. Rejects (a quota error included) without touching what was stored. */
  putChunk(hash: string, index: number, chunk: StoredChunk): Promise<void>;
  getChunk(hash: string, index: number): Promise<StoredChunk | null>;
  /** Several chunks at once, null for each one not stored (IdbBlobs: one transaction, not one a chunk). */
  getChunks?(hash: string, indexes: readonly number[]): Promise<(StoredChunk | null)[]>;
  /** Indexes of the chunks stored for `hash`, ascending. */
  chunkIndexes(hash: string): Promise<readonly number[]>;
}

/** `indexes`' chunks of `hash` (null for each not stored), in one read where the store can. */
export const readChunks = (
  store: BlobStore,
  hash: string,
  indexes: readonly number[],
): Promise<(StoredChunk | null)[]> =>
  store.getChunks ? store.getChunks(hash, indexes) : Promise.all(indexes.map((i) => store.getChunk(hash, i)));

/** Whether a store also keeps blobs (IdbStore and MemoryStore do). */
export const isBlobStore = (s: object): s is BlobStore =>
  typeof (s as Partial<BlobStore>).putChunk === 'function' && typeof (s as Partial<BlobStore>).getBlob === 'function';

/** The blob store of a message store: itself (MemoryStore), its `blobs()` (IdbStore), else blobs in memory. */
export function blobStoreOf(store: object): BlobStore {
  if (isBlobStore(store)) return store;
  const blobs = (store as { blobs?: () => BlobStore }).blobs;
  return typeof blobs === 'function' ? blobs.call(store) : new MemoryBlobs();
}

/** The most bytes a received chunk message holds beside its data: the header and the longest audit path. */
const CHUNK_MESSAGE_SLACK_BYTES = 1024;

/**
 * Whether `bytes` is the data of a received chunk message (a view past the
 * message's header and path, into a buffer nothing else holds: the parsed
 * message is handed over whole, PROTOCOL.md §10.3), so a store may keep it
 * without a copy. Anything else (a chunk of a file being sent, a view of a
 * caller's buffer, which starts at 0) is copied: a store never shares memory
 * its caller may change. Copying each received chunk was half of a Node
 * receiver's time handling chunks in a bench profile (0.32 of 0.67 s for
 * 6 830 chunks), and garbage on top (bench/results/comparisons.md).
 */
const isReceivedChunk = (bytes: Uint8Array): boolean =>
  bytes.byteOffset > 0 && bytes.buffer.byteLength - bytes.byteLength <= CHUNK_MESSAGE_SLACK_BYTES;

/** Blobs in memory; `MemoryStore` shares one between its connections (`reopen`). */
export class MemoryBlobs implements BlobStore {
  readonly #records = new Map<string, BlobRecord>();
  readonly #chunks = new Map<string, Map<number, StoredChunk>>();

  getBlob(hash: string): Promise<BlobRecord | null> {
    return Promise.resolve(this.#records.get(hash) ?? null);
  }

  putBlob(record: BlobRecord): Promise<void> {
    const old = this.#records.get(record.hash);
    this.#records.set(record.hash, { ...record, complete: record.complete || (old?.complete ?? false) });
    return Promise.resolve();
  }

  putChunk(hash: string, index: number, chunk: StoredChunk): Promise<void> {
    let m = this.#chunks.get(hash);
    if (!m) this.#chunks.set(hash, (m = new Map()));
    const { bytes } = chunk;
    if (!m.has(index)) m.set(index, { bytes: isReceivedChunk(bytes) ? bytes : bytes.slice(), proof: [...chunk.proof] });
    return Promise.resolve();
  }

  getChunk(hash: string, index: number): Promise<StoredChunk | null> {
    return Promise.resolve(this.#chunks.get(hash)?.get(index) ?? null);
  }

  chunkIndexes(hash: string): Promise<readonly number[]> {
    return Promise.resolve([...(this.#chunks.get(hash)?.keys() ?? [])].sort((a, b) => a - b));
  }
}
