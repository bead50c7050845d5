// One link's inbound channel messages on their way to decoding. Owns how much
// of them is handled per event-loop turn and what waits; knows nothing of
// frames, peers or connections. @roamhq/wrtc hands JavaScript every message
// that arrived meanwhile in one callback (hundreds, megabytes, in a flood),
// and a browser queues them as tasks that run back to back: handled all at
// once, a flood of signed frames froze a process for seconds (its tracker
// heartbeats too, so the tracker declared it dead). A message is handled at
// once while nothing of its link waits and the link has not used its slice of
// this turn — a lone message keeps its latency; the rest waits here, bounded
// by bytes, and later turns take a slice each, with timers, I/O and the other
// links' messages in between.

import { onNextTurn } from '../next-turn.ts';

/**
 * Bytes (text length; binary byte length) one link hands on per event-loop
 * turn before it yields. A signed DATA of 4 kB costs ~0.3 ms to parse and
 * verify on an idle core and ten times that on a loaded one (measured in the
 * hostile flood test at load 20): 32 KiB is a few milliseconds idle, tens
 * loaded, and still two whole channel messages (CHUNK_THRESHOLD_BYTES).
 */
export const INBOUND_SLICE_BYTES = 32 * 1024;
/** Messages one link hands on per turn, however small: each may carry a batch of frames to verify. */
export const INBOUND_SLICE_MESSAGES = 32;
/**
 * Bytes that may wait to be handled per link. Past it a message is refused
 * (`too-many`, counted like any refused frame) and what already waits is kept.
 * An honest sender's largest burst fits: MAX_OUTBOX messages of MAX_BODY_CHARS
 * (~45 MB) arriving faster than they can be verified, or a FLUSH report
 * (MAX_FLUSH_REPORT_BYTES); a flood beyond it no longer grows the heap. An honest
 * sponsor's 100 000-message fill left a witness at most ~22 MB behind (load 9).
 */
export const MAX_INBOUND_QUEUED_BYTES = 64 * 1024 * 1024;

export type InboundMessage = string | Uint8Array;

export interface InboundQueueOptions {
  readonly sliceBytes?: number;
  readonly sliceMessages?: number;
  readonly maxQueuedBytes?: number;
}

export const inboundBytes = (m: InboundMessage): number => (typeof m === 'string' ? m.length : m.byteLength);

interface Waiting<T> {
  readonly message: InboundMessage;
  /** What the owner needs to handle it (the link: the decoder of the connection it came on). */
  readonly tag: T;
  readonly bytes: number;
}

export class InboundQueue<T> {
  readonly #handle: (message: InboundMessage, tag: T) => void;
  readonly #sliceBytes: number;
  readonly #sliceMessages: number;
  readonly #maxQueuedBytes: number;
  /** Waiting messages, from `#head` on. */
  #items: Waiting<T>[] = [];
  #head = 0;
  #queuedBytes = 0;
  #spentBytes = 0;
  #spentMessages = 0;
  #turnScheduled = false;
  /** Bumped by clear(): a handler that cleared the queue stops the slice it ran in. */
  #generation = 0;

  constructor(handle: (message: InboundMessage, tag: T) => void, opts: InboundQueueOptions = {}) {
    this.#handle = handle;
    this.#sliceBytes = opts.sliceBytes ?? INBOUND_SLICE_BYTES;
    this.#sliceMessages = opts.sliceMessages ?? INBOUND_SLICE_MESSAGES;
    this.#maxQueuedBytes = opts.maxQueuedBytes ?? MAX_INBOUND_QUEUED_BYTES;
  }

  /** Bytes waiting for a later turn. */
  get queuedBytes(): number {
    return this.#queuedBytes;
  }

  /**
   * Handle `message` now, or keep it for a later turn. Returns the bytes
   * already waiting when it is refused (the queue is full), else null.
   */
  push(message: InboundMessage, tag: T): number | null {
    const bytes = inboundBytes(message);
    if (this.#head === this.#items.length && this.#hasRoom()) {
      this.#spend(bytes);
      this.#handle(message, tag);
      return null;
    }
    if (this.#queuedBytes + bytes > this.#maxQueuedBytes) return this.#queuedBytes;
    this.#items.push({ message, tag, bytes });
    this.#queuedBytes += bytes;
    this.#scheduleTurn();
    return null;
  }

  /**
   * Hand up everything waiting, now, in order (a member removed from the view: what it sent
   * before the view changed was received and must reach the session while it still holds the
   * old view, as it would have without slicing). Stops where a handler cleared the queue.
   */
  drain(): void {
    const generation = this.#generation;
    while (this.#head < this.#items.length) {
      const item = this.#items[this.#head] as Waiting<T>;
      this.#head++;
      this.#queuedBytes -= item.bytes;
      this.#handle(item.message, item.tag);
      if (this.#generation !== generation) return;
    }
    this.#items = [];
    this.#head = 0;
  }

  /** Forget everything waiting (the link closed: its messages are no longer anyone's). */
  clear(): void {
    this.#items = [];
    this.#head = 0;
    this.#queuedBytes = 0;
    this.#generation++;
  }

  #hasRoom(): boolean {
    return this.#spentBytes < this.#sliceBytes && this.#spentMessages < this.#sliceMessages;
  }

  #spend(bytes: number): void {
    this.#spentBytes += bytes;
    this.#spentMessages++;
    this.#scheduleTurn();
  }

  /** The next turn starts a new slice (and takes one from the queue); one callback a turn however many messages. */
  #scheduleTurn(): void {
    if (this.#turnScheduled) return;
    this.#turnScheduled = true;
    onNextTurn(() => this.#nextTurn());
  }

  #nextTurn(): void {
    this.#turnScheduled = false;
    this.#spentBytes = 0;
    this.#spentMessages = 0;
    const generation = this.#generation;
    while (this.#head < this.#items.length && this.#hasRoom()) {
      const item = this.#items[this.#head] as Waiting<T>;
      this.#head++;
      this.#queuedBytes -= item.bytes;
      this.#spend(item.bytes);
      this.#handle(item.message, item.tag);
      if (this.#generation !== generation) return;
    }
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
  }
}
