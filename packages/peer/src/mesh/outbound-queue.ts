// Backpressure for one data channel. Owns the texts waiting to be written and
// decides when to write them; knows nothing of frames or peers. A reliable
// channel buffers whatever `send` is given, and libwebrtc closes the channel
// (losing everything buffered) when that buffer passes 16 MiB, so a burst must
// wait here instead of in the channel.

import { TurnQueue } from '../next-turn.ts';

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
 * The bulk lane's mark on a channel of its own (mesh/bulk-channel.ts): chat
 * frames do not wait behind what it holds there, so it may hold as much as
 * keeps a fast link busy between two looks at it.
 */
export const BULK_CHANNEL_HIGH_WATER_BYTES = 1024 * 1024;
/**
 * While the bulk lane waits for the channel to drain, it looks this often: a
 * fast link empties BULK_HIGH_WATER_BYTES in a few milliseconds, and the
 * DRAIN_POLL_MS of the chat lane would leave it idle most of the time.
 */
export const BULK_DRAIN_POLL_MS = 2;
/**
 * Bytes the bulk lane holds for one channel: more than one receiver's window
 * (files/download.ts WANT_WINDOW) of chunk messages. Past it a bulk message is
 * refused (`pushBulk` returns false): the receiver asks again for a chunk that
 * does not come.
 */
export const MAX_BULK_QUEUE_BYTES = 4 * 1024 * 1024;
/**
 * Chunk messages written per event-loop turn by every link of the process
 * together (one link writes at most one a turn): a chat frame to write, or one
 * that arrived, waits behind at most this many chunk writes on this side, each
 * a blocking hop to @roamhq/wrtc's network thread (≈ 1 ms a message while it
 * carries a transfer). One a link a turn, as before, for a peer serving one
 * receiver; with seven receivers the sender used to block in seven sends a
 * turn before any chat frame got through.
 */
export const BULK_WRITES_PER_TURN = 2;
/** The process's bulk writes: every link's bulk lane takes its turn here. */
export const bulkWrites = new TurnQueue(BULK_WRITES_PER_TURN);
/** At most the UTF-8 bytes of a text: 3 per UTF-16 unit (a surrogate pair is 4 bytes in 2 units), without encoding. */
const utf8BytesAtMost = (text: string): number => text.length * 3;
/** Compact the array once this many sent slots sit at its head (amortized O(1) dequeue). */
const COMPACT_AFTER = 1024;

/** The part of an RTCDataChannel the queue needs. */
export interface ChannelSink {
  /** Costly on @roamhq/wrtc (a blocking hop to the network thread): both lanes ask only when they must. */
  bufferedAmount(): number;
  /** Throws when the channel is no longer open. */
  send(message: string | Uint8Array): void;
  /** Subscribe to the channel's `bufferedamountlow` where it has one. */
  onDrain(listener: () => void): () => void;
}

export class OutboundQueue {
  readonly #sink: ChannelSink;
  readonly #onFailure: (error: unknown) => void;
  #items: string[] = [];
  #head = 0;
  /** The bulk lane: written only when #items is empty (chat frames always go first), in turns of #writes. */
  #bulk: Uint8Array[] = [];
  #bulkHead = 0;
  #bulkBytes = 0;
  /**
   * The channel's bufferedAmount as last asked, plus what was written since:
   * never less than the real amount (the channel only drains), so the bulk lane
   * writes under its mark without asking before every message.
   */
  #bufferedAtMost = 0;
  /**
   * The same bound for the main channel, for the chat lane: asking before every
   * text cost a blocking hop to @roamhq/wrtc's network thread per message (a
   * quarter of the time `send` itself took in the latency bench's profiles).
   * Unknown until asked once.
   */
  #mainAtMost = Number.MAX_SAFE_INTEGER;
  /** A channel of the bulk lane's own, when there is one; else it writes to the main channel. */
  #bulkSink: ChannelSink | null = null;
  #unsubscribeBulk: () => void = () => {};
  #poll: ReturnType<typeof setInterval> | null = null;
  #pollMs = 0;
  /** A write slice is scheduled for the next turn (the last one ran out of time). */
  #continuation: ReturnType<typeof setTimeout> | null = null;
  /** The process's turns of bulk writes, shared with every other link's lane. */
  readonly #writes: TurnQueue;
  /** The bulk lane's next message waits for its turn in #writes. */
  #bulkAsked = false;
  /** When this turn's slice began; every push of one synchronous burst shares it. */
  #sliceStart: number | null = null;
  readonly #unsubscribe: () => void;
  #closed = false;

  constructor(sink: ChannelSink, onFailure: (error: unknown) => void, writes: TurnQueue = bulkWrites) {
    this.#sink = sink;
    this.#onFailure = onFailure;
    this.#writes = writes;
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

  /** Queue a bulk message behind every chat text; false (and dropped) when the bulk lane is full or closed. */
  pushBulk(message: Uint8Array): boolean {
    if (this.#closed || this.#bulkBytes + message.length > MAX_BULK_QUEUE_BYTES) return false;
    this.#bulk.push(message);
    this.#bulkBytes += message.length;
    this.pump();
    return true;
  }

  /**
   * Write the bulk lane to its own channel from now on (null: back to the main
   * channel, the bulk channel is gone). A failed write there hands the lane back.
   */
  setBulkSink(sink: ChannelSink | null): void {
    if (this.#closed || sink === this.#bulkSink) return;
    this.#unsubscribeBulk();
    this.#unsubscribeBulk = sink === null ? () => {} : sink.onDrain(() => this.pump());
    this.#bulkSink = sink;
    // Unknown for the new channel: ask before the next write.
    this.#bufferedAtMost = Number.MAX_SAFE_INTEGER;
    this.pump();
  }

  /** Bytes waiting in the bulk lane. */
  get bulkBytes(): number {
    return this.#bulkBytes;
  }

  /**
   * Write chat texts while the channel is under the high-water mark and this
   * turn's slice lasts; with none left, ask a turn for the next bulk message
   * when the channel has room for it; otherwise wait for the channel to drain
   * or the next turn.
   */
  pump(): void {
    if (this.#closed) return;
    try {
      if (!this.#continuation) this.#writeChat();
      if (this.#head === this.#items.length && !this.#continuation && !this.#bulkAsked) this.#askBulk();
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
    // Blocked on the channel's buffer (not on the slice or the next bulk turn): watch for it to drain.
    const chatBlocked = this.length > 0 && !this.#continuation;
    const bulkBlocked = this.length === 0 && this.#bulkHead < this.#bulk.length && !this.#bulkAsked;
    if (chatBlocked) this.#startPolling(DRAIN_POLL_MS);
    else if (bulkBlocked) this.#startPolling(BULK_DRAIN_POLL_MS);
    else this.#stopPolling();
  }

  #writeChat(): void {
    if (this.#head >= this.#items.length) return;
    // The first text always goes: a slice that began long ago (a busy turn) must not hold back a lone chat text.
    // A slice (a timer) starts only with a second text: a turn's lone batch, the common case, needs none.
    const first = this.#sliceStart ?? performance.now();
    let wrote = false;
    while (this.#head < this.#items.length && this.#mainUnder(HIGH_WATER_BYTES)) {
      if (wrote && performance.now() - this.#slice(first) > WRITE_SLICE_MS) {
        this.#continueNextTurn();
        return;
      }
      const text = this.#items[this.#head] as string;
      this.#sink.send(text);
      this.#head += 1;
      wrote = true;
      const bytes = utf8BytesAtMost(text);
      this.#mainAtMost += bytes;
      // The bulk lane's bound counts what shares its channel.
      if (!this.#bulkSink) this.#bufferedAtMost += bytes;
    }
  }

  /** The main channel holds less than `mark` bytes: by the running bound, else by asking it. */
  #mainUnder(mark: number): boolean {
    if (this.#mainAtMost < mark) return true;
    this.#mainAtMost = this.#sink.bufferedAmount();
    return this.#mainAtMost < mark;
  }

  /** The next bulk message has room in its channel: ask the process's bulk writes for a turn to write it. */
  #askBulk(): void {
    if (this.#bulkHead >= this.#bulk.length || !this.#bulkRoom()) return;
    this.#bulkAsked = true;
    this.#writes.ask(() => this.#bulkTurn());
  }

  /**
   * The lane's turn: one bulk message, unless a chat text came meanwhile
   * (written first by the pump below, which then asks again) or the channel
   * filled up; then the next message asks for a later turn, behind the other
   * links' lanes. Says whether it wrote.
   */
  #bulkTurn(): boolean {
    this.#bulkAsked = false;
    if (this.#closed) return false;
    let wrote = false;
    try {
      if (this.length === 0 && this.#bulkHead < this.#bulk.length && this.#bulkRoom()) wrote = this.#writeBulk();
    } catch (e) {
      this.close();
      this.#onFailure(e);
      return false;
    }
    this.pump();
    return wrote;
  }

  /**
   * The next bulk message would keep its channel under the bulk mark: by the
   * running estimate, else by asking the channel (a blocking call on wrtc).
   */
  #bulkRoom(): boolean {
    const message = this.#bulk[this.#bulkHead] as Uint8Array;
    const own = this.#bulkSink;
    const mark = own ? BULK_CHANNEL_HIGH_WATER_BYTES : BULK_HIGH_WATER_BYTES;
    if (this.#bufferedAtMost + message.length <= mark) return true;
    this.#bufferedAtMost = (own ?? this.#sink).bufferedAmount();
    if (!own) this.#mainAtMost = this.#bufferedAtMost;
    return this.#bufferedAtMost + message.length <= mark;
  }

  /** Write the next bulk message; false when the bulk channel failed (the lane goes back to the main one). */
  #writeBulk(): boolean {
    const message = this.#bulk[this.#bulkHead] as Uint8Array;
    const own = this.#bulkSink;
    if (own) {
      try {
        own.send(message);
      } catch {
        // The bulk channel died (the main one may live on): the lane goes back to the main channel.
        this.setBulkSink(null);
        return false;
      }
    } else {
      this.#sink.send(message);
      this.#mainAtMost += message.length;
    }
    this.#bulkHead += 1;
    this.#bulkBytes -= message.length;
    this.#bufferedAtMost += message.length;
    return true;
  }

  /** This slice has written long enough: the rest goes on in the next turn. */
  #continueNextTurn(): void {
    this.#continuation = setTimeout(() => {
      this.#continuation = null;
      this.#sliceStart = null;
      this.pump();
    }, 0);
  }

  /** Forget everything queued (the link is down; see mesh docs on why frames are not kept). */
  close(): void {
    this.#closed = true;
    this.#items = [];
    this.#head = 0;
    this.#bulk = [];
    this.#bulkHead = 0;
    this.#bulkBytes = 0;
    this.#stopPolling();
    if (this.#continuation) clearTimeout(this.#continuation);
    this.#continuation = null;
    this.#unsubscribe();
    this.#unsubscribeBulk();
    this.#bulkSink = null;
  }

  /** The start of the current turn's write slice (a new one once the event loop has turned). */
  #slice(startedAt: number): number {
    if (this.#sliceStart === null) {
      this.#sliceStart = startedAt;
      setTimeout(() => {
        this.#sliceStart = null;
      }, 0);
    }
    return this.#sliceStart;
  }

  #startPolling(ms: number): void {
    if (this.#poll && this.#pollMs === ms) return;
    this.#stopPolling();
    this.#pollMs = ms;
    this.#poll = setInterval(() => this.pump(), ms);
  }

  #stopPolling(): void {
    if (this.#poll) clearInterval(this.#poll);
    this.#poll = null;
  }
}
