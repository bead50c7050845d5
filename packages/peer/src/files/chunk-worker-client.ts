// The page's side of chunk-worker.ts: hands a received chunk (its message's
// buffer, transferred, not copied) to a dedicated worker that checks it
// against the file's root and stores it over its own IndexedDB connection
// (and the chunks of a file being sent, so their writes leave the page too),
// and settles each chunk's promise when the worker's batch answer comes. The
// main thread then spends on a chunk one postMessage instead of a WebCrypto
// call, its promise and two IndexedDB requests, so a chat frame arriving
// during a transfer waits behind less (PROTOCOL.md §10 "Swarming").
//
// Only where there is a Worker (a page); Node and tests check and store in
// thread (download.ts). A worker that cannot load or open the database is
// given up: what it held is answered `null` (asked again, no strike) and the
// chunks after it are checked in thread. An idle worker is ended and made
// again on the next chunk, so a page that stopped receiving holds no thread.

import type { StoredChunk } from './blob-store.ts';

export interface ChunkCheck {
  readonly hash: string;
  /** The file's Merkle root, lowercase hex. */
  readonly root: string;
  readonly index: number;
  readonly count: number;
  readonly data: Uint8Array;
  readonly proof: readonly Uint8Array[];
}

/** The worker is ended after this long with nothing to do. */
export const CHUNK_WORKER_IDLE_MS = 10_000;
/** Bytes of a view's buffer around a chunk's data and path that may be handed over with them instead of copying. */
const SLACK_BYTES = 1024;

interface Waiting {
  resolve(good: boolean | null): void;
  reject(e: unknown): void;
}

type Answer =
  | { k: 'ready' }
  | { k: 'open-failed'; message: string }
  | { k: 'done'; good: number[]; bad: number[] }
  | { k: 'failed'; ids: number[]; name: string; message: string };

export class ChunkWorker {
  readonly #dbName: string;
  readonly #make: () => Worker;
  #worker: Worker | null = null;
  #ready = false;
  #broken = false;
  readonly #waiting = new Map<number, Waiting>();
  #nextId = 1;
  #idle: ReturnType<typeof setTimeout> | null = null;

  /** `make` builds the worker (the bundler sees `new Worker(new URL(...))` only where it is written). */
  constructor(dbName: string, make: () => Worker) {
    this.#dbName = dbName;
    this.#make = make;
  }

  /**
   * Checks and stores one chunk in the worker: true (stored), false (refused),
   * null (the worker failed with it: ask again). Returns null at once, taking
   * nothing, when the worker is not ready: the caller checks in thread.
   */
  check(c: ChunkCheck): Promise<boolean | null> | null {
    const worker = this.#busy();
    if (worker === null) return null;
    const id = this.#nextId++;
    const { data, proof } = handOver(c.data, c.proof);
    const promise = this.#waitFor(id);
    const message = { k: 'check', id, hash: c.hash, root: c.root, index: c.index, count: c.count, data, proof };
    worker.postMessage(message, [data.buffer]);
    return promise;
  }

  /**
   * Stores a chunk of a file being sent (already proven: not checked) in the
   * worker (a copy: the caller's bytes stay): true once stored, null if the
   * worker failed first; null at once when it is not ready (store it in thread).
   */
  put(hash: string, index: number, chunk: StoredChunk): Promise<boolean | null> | null {
    const worker = this.#busy();
    if (worker === null) return null;
    const id = this.#nextId++;
    const bytes = chunk.bytes.slice();
    const promise = this.#waitFor(id);
    worker.postMessage({ k: 'put', id, record: { hash, index, bytes, proof: [...chunk.proof] } }, [bytes.buffer]);
    return promise;
  }

  /** The worker, started if need be and kept from idling out, or null when it is not ready (work in thread). */
  #busy(): Worker | null {
    if (this.#broken) return null;
    if (this.#worker === null) this.#start();
    if (!this.#ready || this.#worker === null) return null;
    if (this.#idle) clearTimeout(this.#idle);
    this.#idle = null;
    return this.#worker;
  }

  /** The promise the worker's answer to `id` settles. */
  #waitFor(id: number): Promise<boolean | null> {
    return new Promise<boolean | null>((resolve, reject) => this.#waiting.set(id, { resolve, reject }));
  }

  #start(): void {
    let w: Worker;
    try {
      w = this.#make();
    } catch {
      this.#broken = true;
      return;
    }
    this.#worker = w;
    w.onmessage = (event: MessageEvent) => this.#answer(event.data as Answer);
    w.onerror = () => this.#giveUp();
    w.postMessage({ k: 'open', name: this.#dbName });
  }

  #answer(a: Answer): void {
    if (a.k === 'ready') {
      this.#ready = true;
      this.#armIdle();
      return;
    }
    if (a.k === 'open-failed') {
      this.#giveUp();
      return;
    }
    if (a.k === 'done') {
      for (const id of a.good) this.#settle(id)?.resolve(true);
      for (const id of a.bad) this.#settle(id)?.resolve(false);
    } else {
      const error = typeof DOMException === 'function' ? new DOMException(a.message, a.name) : new Error(a.message);
      for (const id of a.ids) this.#settle(id)?.reject(error);
    }
    if (this.#waiting.size === 0) this.#armIdle();
  }

  #settle(id: number): Waiting | undefined {
    const w = this.#waiting.get(id);
    this.#waiting.delete(id);
    return w;
  }

  #armIdle(): void {
    if (this.#idle) clearTimeout(this.#idle);
    this.#idle = setTimeout(() => {
      this.#idle = null;
      if (this.#waiting.size > 0) return;
      this.#worker?.terminate();
      this.#worker = null;
      this.#ready = false;
    }, CHUNK_WORKER_IDLE_MS);
  }

  #giveUp(): void {
    this.#broken = true;
    this.#ready = false;
    this.#worker?.terminate();
    this.#worker = null;
    for (const w of this.#waiting.values()) w.resolve(null);
    this.#waiting.clear();
  }
}

/**
 * The chunk's data and path as views of one buffer that can be transferred:
 * the received message's own buffer when they are all in it and it holds
 * little else, else a fresh copy of them.
 */
function handOver(data: Uint8Array, proof: readonly Uint8Array[]): { data: Uint8Array; proof: Uint8Array[] } {
  const buffer = data.buffer;
  const pathBytes = proof.reduce((n, p) => n + p.length, 0);
  const own =
    buffer instanceof ArrayBuffer &&
    buffer.byteLength <= data.byteLength + pathBytes + SLACK_BYTES &&
    proof.every((p) => p.buffer === buffer);
  if (own) return { data, proof: [...proof] };
  const copy = new Uint8Array(data.byteLength + pathBytes);
  copy.set(data, 0);
  let at = data.byteLength;
  const path = proof.map((p) => {
    copy.set(p, at);
    at += p.length;
    return copy.subarray(at - p.length, at);
  });
  return { data: copy.subarray(0, data.byteLength), proof: path };
}
