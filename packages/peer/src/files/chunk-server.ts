// Serving the chunks this peer holds (PROTOCOL.md §10): a `file-want` is
// answered chunk by chunk — a `file-chunk` (with the audit path stored with
// it) for each chunk held, one `file-none` for the rest — when the asker's
// root for the file is ours; otherwise every chunk is `none`. Wants from one
// member are answered one at a time, and at most MAX_QUEUED_CHUNKS chunks'
// worth of wants wait per member (a want past it is answered `none` at once),
// so a member can make us read at most that many chunks ahead of its link's
// bulk lane, which is bounded by bytes (mesh/outbound-queue.ts). An honest
// receiver never has more than WANT_WINDOW (download.ts, ≈ 2 MiB) asked of
// us, however many files it fetches from us at once: that fits the lane.

import { chunkCount, type FileWantFrame, type GroupFrame, type GroupId, type PeerId } from '@chorus/protocol';
import { readChunks, type BlobStore, type StoredChunk } from './blob-store.ts';
import { WANT_WINDOW } from './download.ts';
import { proofBytes } from './file-chunks.ts';
import { TurnQueue } from '../next-turn.ts';

/**
 * Chunks encoded and handed to their links per event-loop turn, for every
 * member this process serves together: a want of 64 chunks read from memory
 * would otherwise be one long task (~0.3 ms a chunk) that chat frames arriving
 * meanwhile wait behind, and a turn per member (4 chunks each) grew with the
 * number of receivers served.
 */
export const CHUNKS_PER_TURN = 4;
/** The process's serving turns, shared by every ChunkServer (one a peer) and every member it serves, in turn. */
export const servingTurns = new TurnQueue(CHUNKS_PER_TURN, { againInTurn: true });

/** Chunks asked by one member and not yet read: twice a receiver's window (download.ts WANT_WINDOW). */
export const MAX_QUEUED_CHUNKS = 2 * WANT_WINDOW;

export interface ChunkServerHost {
  readonly store: BlobStore;
  send(groupId: GroupId, to: PeerId, frame: GroupFrame): void;
}

export class ChunkServer {
  readonly #host: ChunkServerHost;
  readonly #queues = new Map<string, { chain: Promise<void>; waiting: number }>();
  /** Chunks served since start (for tests and metrics). */
  served = 0;

  readonly #turns: TurnQueue;

  constructor(host: ChunkServerHost, turns: TurnQueue = servingTurns) {
    this.#host = host;
    this.#turns = turns;
  }

  onWant(groupId: GroupId, from: PeerId, want: FileWantFrame): void {
    const key = `${groupId}\n${from}`;
    const q = this.#queues.get(key) ?? { chain: Promise.resolve(), waiting: 0 };
    if (q.waiting + want.chunks.length > MAX_QUEUED_CHUNKS) {
      this.#none(groupId, from, want.hash, want.chunks);
      return;
    }
    q.waiting += want.chunks.length;
    q.chain = q.chain
      .then(() => this.#serve(groupId, from, want))
      .catch(() => this.#none(groupId, from, want.hash, want.chunks))
      .finally(() => {
        q.waiting -= want.chunks.length;
        if (q.waiting === 0 && this.#queues.get(key) === q) this.#queues.delete(key);
      });
    this.#queues.set(key, q);
  }

  async #serve(groupId: GroupId, from: PeerId, want: FileWantFrame): Promise<void> {
    const { store } = this.#host;
    const record = await store.getBlob(want.hash);
    if (record === null || record.root !== want.root) {
      this.#none(groupId, from, want.hash, want.chunks);
      return;
    }
    const lacking: number[] = [];
    const count = chunkCount(record.size, record.chunkSize);
    // The want's chunks in one read: IndexedDB answers a whole batch in about the time of one chunk's transaction.
    const chunks = await readChunks(
      store,
      want.hash,
      want.chunks.filter((i) => i < count),
    );
    const ready: { readonly index: number; readonly chunk: StoredChunk }[] = [];
    let next = 0;
    for (const index of want.chunks) {
      const chunk = index < count ? (chunks[next++] ?? null) : null;
      if (chunk === null) lacking.push(index);
      else ready.push({ index, chunk });
    }
    // One chunk a step, in the process's serving turns, behind the other members' chunks asked before it.
    await new Promise<void>((resolve, reject) => {
      let k = 0;
      const step = (): boolean => {
        try {
          const { index, chunk } = ready[k++] as (typeof ready)[number];
          const proof = proofBytes(chunk.proof);
          this.#host.send(groupId, from, {
            t: 'file-chunk',
            groupId,
            hash: want.hash,
            index,
            data: chunk.bytes,
            proof,
          });
          this.served += 1;
          if (k < ready.length) this.#turns.ask(step);
          else resolve();
        } catch (e) {
          reject(e instanceof Error ? e : new Error(String(e)));
        }
        return true;
      };
      if (ready.length === 0) resolve();
      else this.#turns.ask(step);
    });
    if (lacking.length > 0) this.#none(groupId, from, want.hash, lacking);
  }

  #none(groupId: GroupId, to: PeerId, hash: string, chunks: readonly number[]): void {
    this.#host.send(groupId, to, { t: 'file-none', groupId, hash, chunks: [...chunks] });
  }
}
