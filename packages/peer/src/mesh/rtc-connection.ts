// One WebRTC connection attempt (simple-peer) carrying one reliable, ordered
// data channel. Owns the simple-peer object, its outbound queue and the
// decoding of what arrives; knows nothing of retries (pair-link.ts) or of the
// tracker. It reports `down` exactly once, whatever killed it.

import SimplePeer from 'simple-peer';
import type { IceServer } from '@chorus/protocol';
import { OutboundQueue, LOW_WATER_BYTES } from './outbound-queue.ts';
import type { ChannelSink } from './outbound-queue.ts';

/**
 * ICE `disconnected` often heals by itself (a Wi-Fi blip); only a disconnect
 * that lasts this long is a dead link. Short enough that the tracker's link
 * grace (eviction) is not reached by one blip plus a reconnect.
 */
export const ICE_DISCONNECTED_GRACE_MS = 3_000;

export interface RtcConnectionHandlers {
  /** simple-peer signal data to relay to the other end. */
  signal(data: unknown): void;
  open(): void;
  text(text: string): void;
  /** The channel is gone (closed, errored, ICE failed); called once, never after destroy(). */
  down(reason: string): void;
}

export interface RtcConnectionOptions {
  readonly initiator: boolean;
  /** `@roamhq/wrtc` in Node; undefined in a browser (simple-peer finds RTCPeerConnection). */
  readonly wrtc?: object;
  readonly iceServers: readonly IceServer[];
}

/** The bits of simple-peer's instance we use that its typings leave out. */
interface SimplePeerInternals {
  _channel?: RTCDataChannel | null;
}

const decoder = new TextDecoder();

export class RtcConnection {
  readonly #sp: SimplePeer.Instance;
  readonly #handlers: RtcConnectionHandlers;
  #queue: OutboundQueue | null = null;
  #iceTimer: ReturnType<typeof setTimeout> | null = null;
  #open = false;
  #finished = false;

  constructor(opts: RtcConnectionOptions, handlers: RtcConnectionHandlers) {
    this.#handlers = handlers;
    const config: RTCConfiguration = {
      iceServers: opts.iceServers.map((s) => {
        const server: RTCIceServer = { urls: typeof s.urls === 'string' ? s.urls : [...s.urls] };
        if (s.username !== undefined) server.username = s.username;
        if (s.credential !== undefined) server.credential = s.credential;
        return server;
      }),
    };
    this.#sp = new SimplePeer({
      initiator: opts.initiator,
      config,
      trickle: true,
      ...(opts.wrtc ? { wrtc: opts.wrtc as SimplePeer.Options['wrtc'] } : {}),
    });
    this.#sp.on('signal', (data) => {
      if (!this.#finished) handlers.signal(data);
    });
    this.#sp.on('connect', () => this.#onConnect());
    this.#sp.on('data', (data: Uint8Array | string) => {
      if (this.#finished) return;
      handlers.text(typeof data === 'string' ? data : decoder.decode(data));
    });
    this.#sp.on('iceStateChange', (state: string) => this.#onIceState(state));
    // simple-peer emits 'error' before 'close'; without a listener an EventEmitter throws.
    this.#sp.on('error', (e: Error & { code?: string }) => this.#finish(`error: ${e.code ?? e.message}`));
    this.#sp.on('close', () => this.#finish('closed'));
  }

  get open(): boolean {
    return this.#open && !this.#finished;
  }

  /** Texts the channel has not taken yet (backpressure). */
  get queued(): number {
    return this.#queue?.length ?? 0;
  }

  signal(data: unknown): void {
    if (this.#finished) return;
    try {
      this.#sp.signal(data as SimplePeer.SignalData);
    } catch (e) {
      this.#finish(`bad signal: ${String(e)}`);
    }
  }

  /** Queue texts for the channel. Only valid while open; dropped otherwise (the link is down). */
  send(texts: readonly string[]): void {
    if (!this.open || !this.#queue) return;
    this.#queue.push(texts);
  }

  /** Tear down without reporting `down` (the owner already knows). */
  destroy(): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#cleanup();
  }

  /** Kill the channel as a network failure would: the owner hears `down`. */
  fail(reason: string): void {
    this.#finish(reason);
  }

  #onConnect(): void {
    if (this.#finished) return;
    const channel = (this.#sp as unknown as SimplePeerInternals)._channel ?? null;
    if (channel && typeof channel.bufferedAmountLowThreshold === 'number') {
      channel.bufferedAmountLowThreshold = LOW_WATER_BYTES;
    }
    const sp = this.#sp;
    const sink: ChannelSink = {
      bufferedAmount: () => sp.bufferSize,
      send: (text) => sp.send(text),
      onDrain: (listener) => {
        if (!channel || typeof channel.addEventListener !== 'function') return () => {};
        channel.addEventListener('bufferedamountlow', listener);
        return () => channel.removeEventListener('bufferedamountlow', listener);
      },
    };
    this.#queue = new OutboundQueue(sink, (e) => this.#finish(`send failed: ${String(e)}`));
    this.#open = true;
    this.#handlers.open();
  }

  #onIceState(state: string): void {
    if (this.#finished) return;
    if (state === 'disconnected') {
      if (!this.#iceTimer) {
        this.#iceTimer = setTimeout(() => this.#finish('ice disconnected'), ICE_DISCONNECTED_GRACE_MS);
      }
    } else if (this.#iceTimer) {
      clearTimeout(this.#iceTimer);
      this.#iceTimer = null;
    }
  }

  #finish(reason: string): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#cleanup();
    this.#handlers.down(reason);
  }

  #cleanup(): void {
    this.#open = false;
    if (this.#iceTimer) clearTimeout(this.#iceTimer);
    this.#iceTimer = null;
    this.#queue?.close();
    this.#queue = null;
    // Errors after we stopped listening must not become unhandled 'error' events.
    this.#sp.removeAllListeners('signal');
    this.#sp.removeAllListeners('data');
    this.#sp.on('error', () => {});
    try {
      this.#sp.destroy();
    } catch {
      // Already destroyed: nothing left to release.
    }
  }
}
