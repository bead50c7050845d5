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
  #poll: ReturnType<typeof setInterval> | null = null;
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

  /** Write while the channel is under the high-water mark; otherwise wait for it to drain. */
  pump(): void {
    if (this.#closed) return;
    try {
      while (this.#head < this.#items.length && this.#sink.bufferedAmount() < HIGH_WATER_BYTES) {
        const text = this.#items[this.#head] as string;
        this.#sink.send(text);
        this.#head += 1;
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
    if (this.length > 0) this.#startPolling();
    else this.#stopPolling();
  }

  /** Forget everything queued (the link is down; see mesh docs on why frames are not kept). */
  close(): void {
    this.#closed = true;
    this.#items = [];
    this.#head = 0;
    this.#stopPolling();
    this.#unsubscribe();
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
