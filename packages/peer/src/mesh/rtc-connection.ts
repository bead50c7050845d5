// One WebRTC connection attempt (simple-peer) carrying one reliable, ordered
// data channel. Owns the simple-peer object, its outbound queue and the
// decoding of what arrives; knows nothing of retries (pair-link.ts) or of the
// tracker. It reports `down` exactly once, whatever killed it.

import SimplePeer from 'simple-peer';
import type { IceServer, IceTransportPolicy } from '@chorus/protocol';
import { OutboundQueue, LOW_WATER_BYTES } from './outbound-queue.ts';
import type { ChannelSink } from './outbound-queue.ts';
import { BulkChannel } from './bulk-channel.ts';

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
  /** A binary message (a file chunk, PROTOCOL.md §10.3), on either channel. */
  binary(bytes: Uint8Array): void;
  /** A message refused before parsing (a text on the bulk channel). */
  refuse(message: string): void;
  /** The channel is gone (closed, errored, ICE failed); called once, never after destroy(). */
  down(reason: string): void;
  /**
   * ICE gathering finished without a relay candidate although TURN servers
   * were given: the TURN server refused our credentials or cannot be reached.
   * At most once per connection; with `relay` policy this link cannot open.
   */
  turnFailed?(message: string): void;
}

/** The candidate types of the pair ICE selected: `relay` on both ends means everything goes through TURN. */
export interface SelectedPair {
  readonly local: string;
  readonly remote: string;
}

export interface RtcConnectionOptions {
  readonly initiator: boolean;
  /** `@roamhq/wrtc` in Node; undefined in a browser (simple-peer finds RTCPeerConnection). */
  readonly wrtc?: object;
  readonly iceServers: readonly IceServer[];
  /** `relay`: TURN candidates only (tracker config ICE_TRANSPORT_POLICY). Default `all`. */
  readonly iceTransportPolicy?: IceTransportPolicy;
}

const turnUrlsOf = (servers: readonly IceServer[]): string[] =>
  servers
    .flatMap((s) => (typeof s.urls === 'string' ? [s.urls] : [...s.urls]))
    .filter((u) => u.startsWith('turn:') || u.startsWith('turns:'));

/** A relay candidate line: `candidate:… typ relay …`. */
const isRelayCandidate = (data: unknown): boolean => {
  const c = (data as { type?: unknown; candidate?: { candidate?: unknown } } | null)?.candidate?.candidate;
  return (data as { type?: unknown }).type === 'candidate' && typeof c === 'string' && / typ relay( |$)/.test(c);
};

/** The bits of simple-peer's instance we use that its typings leave out. */
interface SimplePeerInternals {
  _channel?: RTCDataChannel | null;
  _pc?: RTCPeerConnection;
}

interface StatsItem {
  readonly type?: string;
  readonly id?: string;
  readonly selected?: boolean;
  readonly nominated?: boolean;
  readonly state?: string;
  readonly selectedCandidatePairId?: string;
  readonly localCandidateId?: string;
  readonly remoteCandidateId?: string;
  readonly candidateType?: string;
}

export class RtcConnection {
  readonly #sp: SimplePeer.Instance;
  readonly #handlers: RtcConnectionHandlers;
  #queue: OutboundQueue | null = null;
  #bulk: BulkChannel | null = null;
  #iceTimer: ReturnType<typeof setTimeout> | null = null;
  #open = false;
  #finished = false;
  #relayCandidates = 0;
  #turnError = '';
  #turnReported = false;

  constructor(opts: RtcConnectionOptions, handlers: RtcConnectionHandlers) {
    this.#handlers = handlers;
    const config: RTCConfiguration = {
      ...(opts.iceTransportPolicy === 'relay' ? { iceTransportPolicy: 'relay' as const } : {}),
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
      if (this.#finished) return;
      if (isRelayCandidate(data)) this.#relayCandidates++;
      handlers.signal(data);
    });
    const turnUrls = turnUrlsOf(opts.iceServers);
    if (turnUrls.length > 0) this.#watchTurn(turnUrls);
    this.#sp.on('connect', () => this.#onConnect());
    // Straight from the data channel's message event: simple-peer's stream would turn every text into a
    // Buffer (a JavaScript UTF-8 encoder in the browser) that we decode back, a cost per byte received.
    // Texts are frames; binary messages are file chunks (simple-peer sets binaryType 'arraybuffer').
    const sp = this.#sp as unknown as { destroyed: boolean; _onChannelMessage: (event: MessageEvent) => void };
    sp._onChannelMessage = (event) => {
      if (sp.destroyed || this.#finished) return;
      const data: unknown = event.data;
      if (typeof data === 'string') handlers.text(data);
      else if (data instanceof ArrayBuffer) handlers.binary(new Uint8Array(data));
      else if (ArrayBuffer.isView(data)) handlers.binary(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    };
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

  /** Queue a bulk message (a file chunk) behind every chat text; false when dropped (not open, lane full). */
  sendBulk(bytes: Uint8Array): boolean {
    if (!this.open || !this.#queue) return false;
    return this.#queue.pushBulk(bytes);
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

  /** The ICE candidate types of the selected pair, null while none is selected (diagnostics, tests). */
  selectedPair(): Promise<SelectedPair | null> {
    return new Promise((resolve) => {
      if (this.#finished) {
        resolve(null);
        return;
      }
      (this.#sp as unknown as { getStats(cb: (err: Error | null, items: StatsItem[]) => void): void }).getStats(
        (err, items) => {
          if (err) {
            resolve(null);
            return;
          }
          const byId = new Map(items.filter((i) => i.id !== undefined).map((i) => [i.id, i]));
          const selectedId = items.find(
            (i) => i.type === 'transport' && i.selectedCandidatePairId,
          )?.selectedCandidatePairId;
          const pair =
            (selectedId === undefined ? undefined : byId.get(selectedId)) ??
            items.find(
              (i) =>
                i.type === 'candidate-pair' &&
                (i.selected === true || (i.nominated === true && i.state === 'succeeded')),
            );
          const local =
            pair?.localCandidateId === undefined ? undefined : byId.get(pair.localCandidateId)?.candidateType;
          const remote =
            pair?.remoteCandidateId === undefined ? undefined : byId.get(pair.remoteCandidateId)?.candidateType;
          resolve(local !== undefined && remote !== undefined ? { local, remote } : null);
        },
      );
    });
  }

  /**
   * A TURN server that refuses our credentials (coturn answers 401) or cannot
   * be reached leaves gathering to finish with no relay candidate; the
   * icecandidateerror event (Chromium and @roamhq/wrtc) says which and why.
   */
  #watchTurn(turnUrls: readonly string[]): void {
    const pc = (this.#sp as unknown as SimplePeerInternals)._pc;
    if (pc && typeof pc.addEventListener === 'function') {
      pc.addEventListener('icecandidateerror', (e: Event) => {
        const err = e as Event & { errorCode?: number; errorText?: string; url?: string };
        if (
          typeof err.url === 'string' &&
          (err.url.startsWith('turn:') || err.url.startsWith('turns:')) &&
          !this.#turnError
        ) {
          this.#turnError = `${err.url} answered ${err.errorCode ?? '?'}${err.errorText ? ` ${err.errorText}` : ''}`;
        }
      });
      pc.addEventListener('icegatheringstatechange', () => {
        if (pc.iceGatheringState === 'complete') this.#gatheringDone(turnUrls);
      });
    }
    // simple-peer also fires this 5 s after the first candidate when gathering drags on: not an end.
    this.#sp.on('_iceComplete', () => {
      if (pc?.iceGatheringState === undefined || pc.iceGatheringState === 'complete') this.#gatheringDone(turnUrls);
    });
  }

  #gatheringDone(turnUrls: readonly string[]): void {
    if (this.#finished || this.#turnReported || this.#relayCandidates > 0) return;
    this.#turnReported = true;
    const why = this.#turnError ? ` (${this.#turnError})` : '';
    this.#handlers.turnFailed?.(
      `The TURN server gave no relay address${why}: its credentials are wrong or expired, or ${turnUrls.join(', ')} cannot be reached.`,
    );
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
      send: (message) => sp.send(message),
      onDrain: (listener) => {
        if (!channel || typeof channel.addEventListener !== 'function') return () => {};
        channel.addEventListener('bufferedamountlow', listener);
        return () => channel.removeEventListener('bufferedamountlow', listener);
      },
    };
    const queue = new OutboundQueue(sink, (e) => this.#finish(`send failed: ${String(e)}`));
    this.#queue = queue;
    const pc = (this.#sp as unknown as SimplePeerInternals)._pc;
    if (pc && typeof pc.createDataChannel === 'function') {
      try {
        const bulk: BulkChannel = new BulkChannel(pc, {
          ready: () => queue.setBulkSink(bulk.sink),
          binary: (bytes) => {
            if (!this.#finished) this.#handlers.binary(bytes);
          },
          refuse: (message) => {
            if (!this.#finished) this.#handlers.refuse(message);
          },
          gone: () => queue.setBulkSink(null),
        });
        this.#bulk = bulk;
      } catch {
        // No second channel on this stack: chunks share the main channel's bulk lane.
      }
    }
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
    this.#bulk?.close();
    this.#bulk = null;
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
