// The second data channel of a connection, for file chunks only (PROTOCOL.md
// §10.3). SCTP sends the streams of one association in turn, message by
// message, so a chat frame on the main channel waits for at most the chunk
// being sent, not for everything a transfer has buffered (on one channel it
// waited behind the whole bulk window: tens of milliseconds). Owns the
// RTCDataChannel and its readiness; the outbound queue decides what to write.
//
// Both ends create the channel with the same id (negotiated, no in-band
// handshake) once the connection is up. A message sent before the far end
// has created its end is dropped by WebRTC, so each end says HELLO when its
// end opens and once more on the first HELLO it hears: the later end's HELLO
// always arrives, and the answer tells the earlier end. Chunks go here only
// after a HELLO came back; until then, and if this channel fails, they take
// the main channel's bulk lane.

import type { ChannelSink } from './outbound-queue.ts';
import { LOW_WATER_BYTES } from './outbound-queue.ts';

/** The stream id both ends give the bulk channel: clear of simple-peer's (0 or 1), below every stack's limit. */
export const BULK_CHANNEL_ID = 100;
export const BULK_CHANNEL_LABEL = 'chorus-bulk';
/** The one-byte message that says "my end of the bulk channel exists". */
export const BULK_HELLO = 0x02;

export interface BulkChannelHooks {
  /** The far end has its end: chunks may go on this channel now. */
  ready(): void;
  /** A chunk message arrived. */
  binary(bytes: Uint8Array): void;
  /** Something other than a chunk arrived (a text): refused. */
  refuse(message: string): void;
  /** The channel closed or failed: chunks go back to the main channel. */
  gone(): void;
}

export class BulkChannel {
  readonly #channel: RTCDataChannel;
  #answered = false;
  #ready = false;
  #closed = false;

  constructor(pc: RTCPeerConnection, hooks: BulkChannelHooks) {
    const ch = pc.createDataChannel(BULK_CHANNEL_LABEL, { negotiated: true, id: BULK_CHANNEL_ID });
    this.#channel = ch;
    ch.binaryType = 'arraybuffer';
    if (typeof ch.bufferedAmountLowThreshold === 'number') ch.bufferedAmountLowThreshold = LOW_WATER_BYTES;
    const hello = (): void => {
      try {
        ch.send(Uint8Array.of(BULK_HELLO));
      } catch {
        // Not open after all: the far end's HELLO (or its absence) decides.
      }
    };
    if (ch.readyState === 'open') hello();
    else ch.onopen = hello;
    ch.onmessage = (event: MessageEvent) => {
      if (this.#closed) return;
      const data: unknown = event.data;
      if (typeof data === 'string') {
        hooks.refuse('A text on the bulk channel: only file chunks travel there.');
        return;
      }
      const bytes =
        data instanceof ArrayBuffer
          ? new Uint8Array(data)
          : ArrayBuffer.isView(data)
            ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
            : null;
      if (bytes === null) return;
      if (bytes.length === 1 && bytes[0] === BULK_HELLO) {
        if (!this.#answered) {
          this.#answered = true;
          hello();
        }
        if (!this.#ready) {
          this.#ready = true;
          hooks.ready();
        }
        return;
      }
      hooks.binary(bytes);
    };
    const gone = (): void => {
      if (this.#closed) return;
      this.#closed = true;
      hooks.gone();
    };
    ch.onclose = gone;
    ch.onerror = gone;
  }

  /** What the outbound queue writes chunk messages to. */
  readonly sink: ChannelSink = {
    bufferedAmount: () => this.#channel.bufferedAmount,
    send: (message) => {
      if (typeof message === 'string') throw new TypeError('Only chunk messages go on the bulk channel.');
      this.#channel.send(message as Uint8Array<ArrayBuffer>);
    },
    onDrain: (listener) => {
      if (typeof this.#channel.addEventListener !== 'function') return () => {};
      this.#channel.addEventListener('bufferedamountlow', listener);
      return () => this.#channel.removeEventListener('bufferedamountlow', listener);
    },
  };

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#channel.close();
    } catch {
      // Already closed with its connection.
    }
  }
}
