// The blob store of a hostile Node peer (issue 10, PROTOCOL.md §10.5): it
// claims to hold, whole, every file it is told to claim, and hands the shipped
// chunk server garbage of the right length with an audit path of the right
// length for each chunk asked, so every frame it serves is well formed and
// only the receiver's check against the signed root can refuse it. Its own
// files (sent with `files.send`) it keeps and serves honestly. It counts what
// it serves and every read of a file, claimed or not.

import { randomBytes } from 'node:crypto';
import { MemoryBlobs, type BlobRecord, type BlobStore, type FileInfo, type StoredChunk } from '@chorus/peer';
import { chunkCount, proofLength } from '@chorus/protocol';

export class ClaimingBlobs implements BlobStore {
  readonly #own = new MemoryBlobs();
  readonly #claims = new Map<string, BlobRecord>();
  /** Garbage chunks read out to be served, all claimed files together. */
  garbageServed = 0;
  /** Reads (getBlob, getChunk) per file hash: a file nobody asked about was never read. */
  readonly reads = new Map<string, number>();

  claim(file: FileInfo): void {
    const { sha256: hash, root, size, chunkSize } = file;
    this.#claims.set(hash, { hash, root, size, chunkSize, complete: true });
  }

  claims(hash: string): boolean {
    return this.#claims.has(hash);
  }

  getBlob(hash: string): Promise<BlobRecord | null> {
    this.#read(hash);
    const c = this.#claims.get(hash);
    return c === undefined ? this.#own.getBlob(hash) : Promise.resolve(c);
  }

  putBlob(record: BlobRecord): Promise<void> {
    return this.#claims.has(record.hash) ? Promise.resolve() : this.#own.putBlob(record);
  }

  putChunk(hash: string, index: number, chunk: StoredChunk): Promise<void> {
    return this.#claims.has(hash) ? Promise.resolve() : this.#own.putChunk(hash, index, chunk);
  }

  getChunk(hash: string, index: number): Promise<StoredChunk | null> {
    this.#read(hash);
    const c = this.#claims.get(hash);
    if (c === undefined) return this.#own.getChunk(hash, index);
    const count = chunkCount(c.size, c.chunkSize);
    if (index >= count) return Promise.resolve(null);
    this.garbageServed += 1;
    const length = Math.min(c.chunkSize, c.size - index * c.chunkSize);
    const proof = Array.from({ length: proofLength(index, count) }, () => randomBytes(32).toString('base64'));
    return Promise.resolve({ bytes: new Uint8Array(randomBytes(length)), proof });
  }

  chunkIndexes(hash: string): Promise<readonly number[]> {
    const c = this.#claims.get(hash);
    if (c === undefined) return this.#own.chunkIndexes(hash);
    return Promise.resolve(Array.from({ length: chunkCount(c.size, c.chunkSize) }, (_, i) => i));
  }

  #read(hash: string): void {
    this.reads.set(hash, (this.reads.get(hash) ?? 0) + 1);
  }
}
