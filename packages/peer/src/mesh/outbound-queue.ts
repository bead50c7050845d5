// Backpressure for one data channel. Owns the texts waiting to be written and
// decides when to write them; knows nothing of frames or peers. A reliable
// channel buffers whatever `send` is given, and libwebrtc closes the channel
// (losing everything buffered) when that buffer passes 16 MiB, so a burst must
// wait here instead of in the channel.

/** Stop writing above this many buffered bytes: far below libwebrtc's 16 MiB abort, enough to keep a LAN link busy. */
export const HIGH_WATER_BYTES = 1024 * 1024;
/** Resume when the channel drains below this (set as `bufferedAmountLowThreshold`). */
export const LOW_WATER_BYTES = 256 * 1024;
/**
 * While blocked, also look at `bufferedAmount` this often: @roamhq/wrtc does
 * not fire `bufferedamountlow`, and a missed event must never stall a link.
 */
export const DRAIN_POLL_MS = 15;
/**
 * Write for at most this long per event-loop turn, then yield: `send` on
 * @roamhq/wrtc costs ~0.2 ms a message (a cross-thread hop), so writing a
 * 10 000-frame burst in one go would freeze the process for seconds. Half a
 * 60 Hz frame keeps a UI responsive while the burst drains.
 */
export const WRITE_SLICE_MS = 8;
/**
 * The bulk lane (file chunks, PROTOCOL.md §10) writes only while the chat lane
 * is empty and the channel holds less than this: a chat frame queued behind a
 * transfer waits for at most this many bytes to drain, not for HIGH_WATER_BYTES.
 */
export const BULK_HIGH_WATER_BYTES = 512 * 1024;
/**
 * Texts the bulk lane holds for one channel, in UTF-16 units (≈ bytes: chunk
 * frames are ASCII): more than one receiver's window (files/download.ts
 * WANT_WINDOW) of chunk frames. Past it a bulk text is refused (`pushBulk` returns
 * false): the receiver asks again for a chunk that does not come.
 */
export const MAX_BULK_QUEUE_CHARS = 4 * 1024 * 1024;
/** Compact the array once this many sent slots sit at its head (amortized O(1) dequeue). */
const COMPACT_AFTER = 1024;

/** The part of an RTCDataChannel the queue needs. */
export interface ChannelSink {
  bufferedAmount(): number;
  /** Throws when the channel is no longer open. */
  send(text: string): void;
  /** Subscribe to the channel's `bufferedamountlow` where it has one. */
  onDrain(listener: () => void): () => void;
}

export class OutboundQueue {
  readonly #sink: ChannelSink;
  readonly #onFailure: (error: unknown) => void;
  #items: string[] = [];
  #head = 0;
  /** The bulk lane: written only when #items is empty (chat frames always go first). */
  #bulk: string[] = [];
  #bulkHead = 0;
  #bulkChars = 0;
  #poll: ReturnType<typeof setInterval> | null = null;
  /** A write slice is scheduled for the next turn (the last one ran out of time). */
  #continuation: ReturnType<typeof setTimeout> | null = null;
  /** When this turn's slice began; every push of one synchronous burst shares it. */
  #sliceStart: number | null = null;
  readonly #unsubscribe: () => void;
  #closed = false;

  constructor(sink: ChannelSink, onFailure: (error: unknown) => void) {
    this.#sink = sink;
    this.#onFailure = onFailure;
    this.#unsubscribe = sink.onDrain(() => this.pump());
  }

  /** Texts waiting to be written (not yet handed to the channel). */
  get length(): number {
    return this.#items.length - this.#head;
  }

  push(texts: readonly string[]): void {
    if (this.#closed) return;
    for (const t of texts) this.#items.push(t);
    this.pump();
  }

  /** Queue a bulk text behind every chat text; false (and dropped) when the bulk lane is full or closed. */
  pushBulk(text: string): boolean {
    if (this.#closed || this.#bulkChars + text.length > MAX_BULK_QUEUE_CHARS) return false;
    this.#bulk.push(text);
    this.#bulkChars += text.length;
    this.pump();
    return true;
  }

  /** Characters waiting in the bulk lane. */
  get bulkChars(): number {
    return this.#bulkChars;
  }

  /**
   * Write while the channel is under the high-water mark and this turn's
   * slice lasts; otherwise wait for the channel to drain or the next turn.
   */
  /** This slice has written long enough: the rest goes on in the next turn. */
  #continueNextTurn(): void {
    this.#continuation = setTimeout(() => {
      this.#continuation = null;
      this.#sliceStart = null;
      this.pump();
    }, 0);
  }

  pump(): void {
    if (this.#closed || this.#continuation) return;
    const started = this.#slice();
    try {
      while (this.#head < this.#items.length && this.#sink.bufferedAmount() < HIGH_WATER_BYTES) {
        if (performance.now() - started > WRITE_SLICE_MS) {
          this.#continueNextTurn();
          break;
        }
        const text = this.#items[this.#head] as string;
        this.#sink.send(text);
        this.#head += 1;
      }
      while (
        this.#head === this.#items.length &&
        this.#bulkHead < this.#bulk.length &&
        !this.#continuation &&
        this.#sink.bufferedAmount() < BULK_HIGH_WATER_BYTES
      ) {
        if (performance.now() - started > WRITE_SLICE_MS) {
          this.#continueNextTurn();
          break;
        }
        const text = this.#bulk[this.#bulkHead] as string;
        this.#sink.send(text);
        this.#bulkHead += 1;
        this.#bulkChars -= text.length;
      }
    } catch (e) {
      // The channel died under us: the caller tears the link down; the engine
      // resends the gap after the next link-up.
      this.close();
      this.#onFailure(e);
      return;
    }
    if (this.#head >= COMPACT_AFTER || this.#head === this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    if (this.#bulkHead >= COMPACT_AFTER || this.#bulkHead === this.#bulk.length) {
      this.#bulk = this.#bulk.slice(this.#bulkHead);
      this.#bulkHead = 0;
    }
    // Blocked on the channel's buffer (not on the slice): watch for it to drain.
    if (this.length + this.#bulk.length > 0 && !this.#continuation) this.#startPolling();
    else this.#stopPolling();
  }

  /** Forget everything queued (the link is down; see mesh docs on why frames are not kept). */
  close(): void {
    this.#closed = true;
    this.#items = [];
    this.#head = 0;
    this.#bulk = [];
    this.#bulkHead = 0;
    this.#bulkChars = 0;
    this.#stopPolling();
    if (this.#continuation) clearTimeout(this.#continuation);
    this.#continuation = null;
    this.#unsubscribe();
  }

  /** The start of the current turn's write slice (a new one once the event loop has turned). */
  #slice(): number {
    if (this.#sliceStart === null) {
      this.#sliceStart = performance.now();
      setTimeout(() => {
        this.#sliceStart = null;
      }, 0);
    }
    return this.#sliceStart;
  }

  #startPolling(): void {
    if (this.#poll) return;
    this.#poll = setInterval(() => this.pump(), DRAIN_POLL_MS);
  }

  #stopPolling(): void {
    if (this.#poll) clearInterval(this.#poll);
    this.#poll = null;
  }
}
