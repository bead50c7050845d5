// BlobStore over the `blobs` and `blobChunks` object stores of the `chorus`
// database (idb-schema.ts, version 3). Kept apart from idb-store.ts, which
// only hands over its connection: message storage and file storage change
// for different reasons. A failed write (a quota error included) rejects and
// leaves every record written before it as it was (a failed batch of chunks
// rejects every write in it, none of which is stored).

import type { BlobChunkRecord, Db } from '../idb-schema.ts';
import type { BlobRecord, BlobStore, StoredChunk } from './blob-store.ts';
import { ChunkWorker, type ChunkCheck } from './chunk-worker-client.ts';

/** Bytes of a view's buffer around it that may be stored with it rather than copying it out. */
const VIEW_SLACK_BYTES = 1024;

interface PendingChunk {
  readonly record: BlobChunkRecord;
  resolve(): void;
  reject(e: unknown): void;
}

export class IdbBlobs implements BlobStore {
  readonly #db: () => Promise<Db>;
  readonly #worker: ChunkWorker | null;

  /** With the database's name, where there is a Worker, received chunks are checked and stored in one. */
  constructor(db: () => Promise<Db>, name?: string) {
    this.#db = db;
    this.#worker =
      name !== undefined && typeof Worker === 'function'
        ? new ChunkWorker(name, () => new Worker(new URL('./chunk-worker.ts', import.meta.url), { type: 'module' }))
        : null;
  }

  checkAndPutChunk(c: ChunkCheck): Promise<boolean | null> | null {
    return this.#worker?.check(c) ?? null;
  }

  async getBlob(hash: string): Promise<BlobRecord | null> {
    return (await (await this.#db()).get('blobs', hash)) ?? null;
  }

  async putBlob(record: BlobRecord): Promise<void> {
    const tx = (await this.#db()).transaction('blobs', 'readwrite');
    const old = await tx.store.get(record.hash);
    await tx.store.put({ ...record, complete: record.complete || (old?.complete ?? false) });
    await tx.done;
  }

  /**
   * Chunks written while a batch is being committed wait for it and go
   * together in the next transaction: one transaction per chunk was most of
   * a receiving page's store time (a transfer brings hundreds a second).
   * Each write's promise settles with the transaction that carried it.
   */
  putChunk(hash: string, index: number, chunk: StoredChunk): Promise<void> {
    // Where the worker runs, it writes (the page's thread then only copies the chunk to it).
    const inWorker = this.#worker?.put(hash, index, chunk);
    if (inWorker) return inWorker.then((stored) => (stored ? undefined : this.#putInThread(hash, index, chunk)));
    return this.#putInThread(hash, index, chunk);
  }

  #putInThread(hash: string, index: number, chunk: StoredChunk): Promise<void> {
    // A view is stored as it is when its buffer is little more than it (a received chunk message: the chunk
    // after a header and its path); one into a larger buffer (a file being sent) is copied, since IndexedDB
    // clones a view's whole buffer.
    const { bytes } = chunk;
    const own = bytes.buffer.byteLength - bytes.byteLength <= VIEW_SLACK_BYTES;
    const record = { hash, index, bytes: own ? bytes : bytes.slice(), proof: [...chunk.proof] };
    return new Promise((resolve, reject) => {
      this.#pending.push({ record, resolve, reject });
      if (!this.#writing) void this.#writeBatches();
    });
  }

  readonly #pending: PendingChunk[] = [];
  #writing = false;

  async #writeBatches(): Promise<void> {
    this.#writing = true;
    while (this.#pending.length > 0) {
      const batch = this.#pending.splice(0);
      try {
        const tx = (await this.#db()).transaction('blobChunks', 'readwrite');
        // A chunk already stored stays as it is (the first write wins), in the store and within the batch.
        const seen = new Set<string>();
        for (const { record } of batch) {
          const name = `${record.hash}/${record.index}`;
          if (seen.has(name)) continue;
          seen.add(name);
          const key: [string, number] = [record.hash, record.index];
          tx.store
            .getKey(key)
            .then((k) => (k === undefined ? tx.store.put(record) : undefined))
            .catch(() => {}); // tx.done rejects for it
        }
        await tx.done;
        for (const p of batch) p.resolve();
      } catch (e) {
        for (const p of batch) p.reject(e);
      }
    }
    this.#writing = false;
  }

  async getChunk(hash: string, index: number): Promise<StoredChunk | null> {
    const r = await (await this.#db()).get('blobChunks', [hash, index]);
    return r === undefined ? null : { bytes: r.bytes, proof: r.proof };
  }

  async getChunks(hash: string, indexes: readonly number[]): Promise<(StoredChunk | null)[]> {
    const tx = (await this.#db()).transaction('blobChunks', 'readonly');
    const found = await Promise.all(indexes.map((i) => tx.store.get([hash, i])));
    await tx.done;
    return found.map((r) => (r === undefined ? null : { bytes: r.bytes, proof: r.proof }));
  }

  async chunkIndexes(hash: string): Promise<readonly number[]> {
    const keys = await (await this.#db()).getAllKeys('blobChunks', IDBKeyRange.bound([hash, 0], [hash, Infinity]));
    return keys.map((k) => k[1]);
  }
}
