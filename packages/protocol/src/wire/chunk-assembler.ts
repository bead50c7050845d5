// Reassembly of chunked frames, per peer. State: the partial frames each peer
// has in flight. It never reads a clock: `now` comes with every call, and a
// partial idle longer than CHUNK_ASSEMBLY_TIMEOUT_MS is dropped on the next
// call. A rejected chunk drops its partial frame and nothing else.

import type { PeerId } from '../ids.ts';
import { err, ok, type Result } from '../result.ts';
import { CHUNK_ASSEMBLY_TIMEOUT_MS, MAX_CHUNKS, MAX_FRAME_BYTES, MAX_OUTSTANDING_CHUNKED_FRAMES } from './caps.ts';
import type { ChunkFrame } from './frames.ts';
import { utf8ByteLength } from './utf8.ts';

export interface ChunkAssemblerOptions {
  readonly maxFrameBytes?: number;
  readonly maxOutstanding?: number;
  readonly timeoutMs?: number;
}

interface PartialFrame {
  readonly count: number;
  readonly parts: (string | undefined)[];
  received: number;
  bytes: number;
  lastSeen: number;
}

export class ChunkAssembler {
  readonly #maxFrameBytes: number;
  readonly #maxOutstanding: number;
  readonly #timeoutMs: number;
  readonly #partials = new Map<PeerId, Map<string, PartialFrame>>();

  constructor(opts: ChunkAssemblerOptions = {}) {
    this.#maxFrameBytes = opts.maxFrameBytes ?? MAX_FRAME_BYTES;
    this.#maxOutstanding = opts.maxOutstanding ?? MAX_OUTSTANDING_CHUNKED_FRAMES;
    this.#timeoutMs = opts.timeoutMs ?? CHUNK_ASSEMBLY_TIMEOUT_MS;
  }

  /** The whole frame text once its last chunk arrives, null while more are due, or why the chunk was refused. */
  push(from: PeerId, chunk: ChunkFrame, now: number): Result<string | null> {
    this.prune(now);
    const { id, index, count, part } = chunk;
    if (!Number.isSafeInteger(count) || count < 1 || count > MAX_CHUNKS)
      return this.#fail(from, id, 'too-many', `Chunk count ${count} is outside 1..${MAX_CHUNKS}.`);
    if (!Number.isSafeInteger(index) || index < 0 || index >= count)
      return this.#fail(from, id, 'bad-type', `Chunk index ${index} is outside 0..${count - 1}.`);
    const peer = this.#partials.get(from) ?? new Map<string, PartialFrame>();
    let partial = peer.get(id);
    if (partial === undefined && count === 1) {
      // A one-chunk frame needs no bookkeeping, so the in-flight cap does not apply to it.
      if (utf8ByteLength(part) > this.#maxFrameBytes)
        return err('too-large', `Chunk ${id} is over ${this.#maxFrameBytes} bytes.`);
      return ok(part);
    }
    if (partial === undefined) {
      if (peer.size >= this.#maxOutstanding)
        return err(
          'too-many',
          `Peer already has ${peer.size} chunked frames in flight; the limit is ${this.#maxOutstanding}.`,
        );
      partial = { count, parts: new Array<string | undefined>(count), received: 0, bytes: 0, lastSeen: now };
      peer.set(id, partial);
      this.#partials.set(from, peer);
    }
    if (partial.count !== count)
      return this.#fail(from, id, 'bad-state', `Chunk ${id} said ${partial.count} chunks before and ${count} now.`);
    if (partial.parts[index] !== undefined)
      return this.#fail(from, id, 'bad-state', `Chunk ${id}#${index} arrived twice.`);
    partial.bytes += utf8ByteLength(part);
    if (partial.bytes > this.#maxFrameBytes)
      return this.#fail(from, id, 'too-large', `Chunked frame ${id} is over ${this.#maxFrameBytes} bytes.`);
    partial.parts[index] = part;
    partial.received += 1;
    partial.lastSeen = now;
    if (partial.received < count) return ok(null);
    this.#forget(from, id);
    return ok(partial.parts.join(''));
  }

  /** Drops partials idle for longer than the timeout; returns how many were dropped. */
  prune(now: number): number {
    let dropped = 0;
    for (const [from, peer] of this.#partials) {
      for (const [id, partial] of peer) {
        if (now - partial.lastSeen > this.#timeoutMs) {
          peer.delete(id);
          dropped++;
        }
      }
      if (peer.size === 0) this.#partials.delete(from);
    }
    return dropped;
  }

  /** The link to `from` closed: its partial frames can never complete. */
  dropPeer(from: PeerId): void {
    this.#partials.delete(from);
  }

  /** Partial frames held, over all peers. */
  get pending(): number {
    let n = 0;
    for (const peer of this.#partials.values()) n += peer.size;
    return n;
  }

  #forget(from: PeerId, id: string): void {
    const peer = this.#partials.get(from);
    peer?.delete(id);
    if (peer?.size === 0) this.#partials.delete(from);
  }

  #fail(from: PeerId, id: string, code: Parameters<typeof err>[0], message: string): Result<string | null> {
    this.#forget(from, id);
    return err(code, message);
  }
}
