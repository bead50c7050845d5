// BlobStore over the `blobs` and `blobChunks` object stores of the `chorus`
// database (idb-schema.ts, version 3). Kept apart from idb-store.ts, which
// only hands over its connection: message storage and file storage change
// for different reasons. A failed write (a quota error included) rejects and
// leaves every record written before it as it was.

import type { Db } from '../idb-schema.ts';
import type { BlobRecord, BlobStore, StoredChunk } from './blob-store.ts';

export class IdbBlobs implements BlobStore {
  readonly #db: () => Promise<Db>;

  constructor(db: () => Promise<Db>) {
    this.#db = db;
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

  async putChunk(hash: string, index: number, chunk: StoredChunk): Promise<void> {
    const tx = (await this.#db()).transaction('blobChunks', 'readwrite');
    if ((await tx.store.getKey([hash, index])) === undefined)
      await tx.store.put({ hash, index, bytes: chunk.bytes.slice(), proof: [...chunk.proof] });
    await tx.done;
  }

  async getChunk(hash: string, index: number): Promise<StoredChunk | null> {
    const r = await (await this.#db()).get('blobChunks', [hash, index]);
    return r === undefined ? null : { bytes: r.bytes, proof: r.proof };
  }

  async chunkIndexes(hash: string): Promise<readonly number[]> {
    const keys = await (await this.#db()).getAllKeys('blobChunks', IDBKeyRange.bound([hash, 0], [hash, Infinity]));
    return keys.map((k) => k[1]);
  }
}
