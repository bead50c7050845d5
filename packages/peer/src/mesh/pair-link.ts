// The lasting link between this peer and one member of one group. Owns which
// connection attempt is current, who offers (the smaller peerId: no glare),
// the connect timeout and the re-offer backoff. It outlives any single
// WebRTC connection and lives exactly as long as the peer is wanted by
// `setPeers`.
//
// Frames sent to the link in one event-loop turn leave as one BATCH message
// (PROTOCOL.md §1.2b): the first frame of a turn schedules the flush at the
// end of the turn (endOfTurn below, never a timer), so a lone frame still
// leaves at once; a batch that reaches the 16 KiB message cap leaves on the
// spot, so at most one message's worth waits here per link.
//
// Messages that arrive go through the link's InboundQueue (inbound-queue.ts):
// handled at once unless the link already used its slice of this event-loop
// turn or has messages waiting, else in later turns, bounded by bytes; one
// queue for every connection of the link, so their order holds.
//
// Frames sent while the link is not up are dropped on purpose: after the next
// link-up the session's engine exchanges high-water marks and resends the gap
// (docs/design.md §4 "Links"), so keeping them here would only duplicate that work
// and grow memory without bound while a peer is unreachable.

import type { GroupFrame, GroupId, IceServer, IceTransportPolicy, PeerId, ProtocolError } from '@chorus/protocol';
import { BatchWriter, comparePeerIds } from '@chorus/protocol';
import { Backoff } from '../backoff.ts';
import type { FrameCodec, FrameDecoder } from './frame-codec.ts';
import { InboundQueue, inboundBytes } from './inbound-queue.ts';
import type { InboundMessage, InboundQueueOptions } from './inbound-queue.ts';
import { RtcConnection } from './rtc-connection.ts';
import type { RtcConnectionHandlers, RtcConnectionOptions, SelectedPair } from './rtc-connection.ts';
import { isOffer, restartEnvelope, rtcEnvelope } from './signal-envelope.ts';
import type { SignalEnvelope } from './signal-envelope.ts';

/** An attempt not open by then is abandoned and re-offered (ICE over host/STUN finishes in ~1 s; TURN in a few). */
export const CONNECT_TIMEOUT_MS = 10_000;
/** Re-offer backoff: the first retry comes quickly (a dropped channel on a healthy network), later ones spread out. */
export const RECONNECT_BASE_MS = 200;
export const RECONNECT_CAP_MS = 5_000;

export type PairLinkState = 'connecting' | 'up' | 'down';

/**
 * Runs `fn` once the current turn's work is done, without a timer: Node's
 * setImmediate (after this loop iteration's I/O callbacks, so frames made
 * while handling several inbound messages share a batch), else a microtask
 * (a browser: right after the current task).
 */
export const endOfTurn: (fn: () => void) => void =
  typeof setImmediate === 'function' ? (fn) => void setImmediate(fn) : (fn) => queueMicrotask(fn);

export interface PairLinkHooks {
  sendSignal(data: unknown): void;
  up(): void;
  down(reason: string): void;
  /** The link was wanted for `neverOpenedMs` and never opened (counts as down for the tracker). */
  neverOpened?(): void;
  frame(frame: GroupFrame): void;
  reject(error: ProtocolError): void;
  /** An attempt's ICE gathering got no TURN relay address (see RtcConnection.turnFailed). */
  turnFailed?(message: string): void;
}

/** What a link needs of one connection attempt (RtcConnection; a double in tests). */
export type LinkConnection = Pick<
  RtcConnection,
  'queued' | 'signal' | 'send' | 'sendBulk' | 'destroy' | 'fail' | 'selectedPair'
>;

export interface PairLinkOptions {
  readonly self: PeerId;
  readonly groupId: GroupId;
  readonly peer: PeerId;
  readonly wrtc?: object;
  readonly iceServers: () => readonly IceServer[];
  readonly iceTransportPolicy?: () => IceTransportPolicy;
  readonly codec: FrameCodec;
  readonly now: () => number;
  readonly randomId: () => string;
  /** How long a link may stay unopened before `neverOpened` (the tracker's link grace time); absent: never. */
  readonly neverOpenedMs?: () => number;
  /** Starts a connection attempt; a real RtcConnection unless a test gives a double. */
  readonly connect?: (opts: RtcConnectionOptions, handlers: RtcConnectionHandlers) => LinkConnection;
  /** Slice and bound of the inbound queue (inbound-queue.ts defaults). */
  readonly inbound?: InboundQueueOptions;
}

export class PairLink {
  readonly peer: PeerId;
  readonly initiator: boolean;
  readonly #opts: PairLinkOptions;
  readonly #hooks: PairLinkHooks;
  readonly #backoff = new Backoff({ baseMs: RECONNECT_BASE_MS, capMs: RECONNECT_CAP_MS, minMs: RECONNECT_BASE_MS / 2 });
  #conn: LinkConnection | null = null;
  #connId: string | null = null;
  #decoder: FrameDecoder | null = null;
  #state: PairLinkState = 'connecting';
  #timer: ReturnType<typeof setTimeout> | null = null;
  #neverOpenedTimer: ReturnType<typeof setTimeout> | null = null;
  #everUp = false;
  #closed = false;
  /** This turn's frames for the link, not yet handed to the channel. */
  readonly #batch = new BatchWriter();
  #flushScheduled = false;
  /** What arrived and waits for its turn, each message with the decoder of the connection it came on. */
  readonly #inbound: InboundQueue<FrameDecoder>;
  /** The connection failed for exceeding the inbound bound (failed once). */
  #overflowed: LinkConnection | null = null;

  constructor(opts: PairLinkOptions, hooks: PairLinkHooks) {
    this.#opts = opts;
    this.#hooks = hooks;
    this.#inbound = new InboundQueue((message, decoder) => this.#receive(message, decoder), opts.inbound);
    this.peer = opts.peer;
    this.initiator = comparePeerIds(opts.self, opts.peer) < 0;
  }

  get state(): PairLinkState {
    return this.#state;
  }

  /** Chat messages waiting for the channel to drain (0 when not up). */
  get queued(): number {
    return this.#conn?.queued ?? 0;
  }

  start(): void {
    // A link that was never up is down as far as the tracker is concerned
    // (a member that never opens its channels must not look healthy).
    const ms = this.#opts.neverOpenedMs?.();
    if (ms !== undefined) {
      this.#neverOpenedTimer = setTimeout(() => {
        this.#neverOpenedTimer = null;
        if (!this.#closed && !this.#everUp) this.#hooks.neverOpened?.();
      }, ms);
    }
    // The responder waits for an offer; the initiator's connect timeout covers a lost one.
    if (this.initiator) this.#offer();
  }

  send(frame: GroupFrame): void {
    if (this.#state !== 'up' || !this.#conn) return;
    // A file chunk takes the bulk lane as one binary message, unbatched: chat frames go first (PROTOCOL.md §10).
    if (frame.t === 'file-chunk') {
      this.#conn.sendBulk(this.#opts.codec.encodeChunk(frame));
      return;
    }
    const ready = this.#batch.push(this.#opts.codec.encode(frame));
    if (ready.length > 0) this.#conn.send(ready);
    if (this.#batch.pending === 0) return;
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      endOfTurn(() => {
        this.#flushScheduled = false;
        this.#flushBatch();
      });
    }
  }

  #flushBatch(): void {
    const text = this.#batch.take();
    if (text !== null && this.#state === 'up' && this.#conn) this.#conn.send([text]);
  }

  handleSignal(env: SignalEnvelope): void {
    if (this.#closed) return;
    if (env.kind === 'restart') {
      if (!this.initiator) return;
      // The responder lost connection `env.c`. If that is ours, or we are idle
      // waiting for a retry, re-offer now; a restart for an attempt we already
      // replaced is stale.
      if (env.c === this.#connId || this.#state === 'down') {
        this.#drop('peer asked to restart');
        this.#clearTimer();
        this.#offer();
      }
      return;
    }
    if (this.initiator) {
      if (env.c === this.#connId) this.#conn?.signal(env.rtc);
      return;
    }
    if (env.c !== this.#connId) {
      // Only an offer may start a new attempt; anything else is left over from an old one.
      if (!isOffer(env.rtc)) return;
      this.#drop('replaced by a new offer');
      this.#clearTimer();
      this.#connect(env.c);
    }
    this.#conn?.signal(env.rtc);
  }

  /** Debug/test hook: put raw text on the channel, bypassing the codec (a hostile peer's view). */
  sendRaw(text: string): boolean {
    if (this.#state !== 'up' || !this.#conn) return false;
    this.#flushBatch();
    this.#conn.send([text]);
    return true;
  }

  /** ICE candidate types of the open channel's selected pair; null when not up (diagnostics, tests). */
  selectedPair(): Promise<SelectedPair | null> {
    return this.#state === 'up' && this.#conn ? this.#conn.selectedPair() : Promise.resolve(null);
  }

  /** Debug/test hook: kill the current channel as a network failure would. */
  fail(): void {
    this.#conn?.fail('destroyed on request');
  }

  /**
   * Deliberate close (peer no longer wanted, leave): no events, no retries. `drain` (a removal
   * from the view) first hands up every message still waiting in the inbound queue: they were
   * received before the view changed, and the caller installs the new view only after this.
   */
  close(opts: { readonly drain?: boolean } = {}): void {
    if (this.#closed) return;
    if (opts.drain === true) this.#inbound.drain();
    if (this.#closed) return; // a handler closed the link meanwhile
    // What this turn batched was sent as far as the caller knows (a leave right after a send):
    // hand it to the channel, which still carries what it holds when it closes.
    this.#flushBatch();
    this.#closed = true;
    this.#clearTimer();
    if (this.#neverOpenedTimer) clearTimeout(this.#neverOpenedTimer);
    this.#neverOpenedTimer = null;
    this.#conn?.destroy();
    this.#conn = null;
    this.#connId = null;
    this.#decoder = null;
    this.#batch.clear();
    this.#inbound.clear();
  }

  #offer(): void {
    if (this.#closed) return;
    this.#connect(this.#opts.randomId());
    this.#timer = setTimeout(() => {
      this.#timer = null;
      if (this.#state !== 'up') {
        this.#conn?.destroy();
        this.#conn = null;
        this.#retryLater();
      }
    }, CONNECT_TIMEOUT_MS);
  }

  #connect(connId: string): void {
    this.#state = 'connecting';
    this.#connId = connId;
    this.#batch.clear();
    this.#decoder = this.#opts.codec.decoder(this.#opts.groupId, this.peer);
    const init = {
      initiator: this.initiator,
      iceServers: this.#opts.iceServers(),
      iceTransportPolicy: this.#opts.iceTransportPolicy?.() ?? 'all',
    };
    const connect = this.#opts.connect ?? ((o, h) => new RtcConnection(o, h));
    const conn: LinkConnection = connect(this.#opts.wrtc ? { ...init, wrtc: this.#opts.wrtc } : init, {
      signal: (data) => this.#hooks.sendSignal(rtcEnvelope(connId, data)),
      open: () => {
        if (conn !== this.#conn) return;
        this.#clearTimer();
        this.#backoff.reset();
        this.#state = 'up';
        this.#everUp = true;
        this.#hooks.up();
      },
      text: (text) => {
        if (conn === this.#conn) this.#arrived(text);
      },
      binary: (bytes) => {
        if (conn === this.#conn) this.#arrived(bytes);
      },
      refuse: (message) => {
        if (conn === this.#conn) this.#hooks.reject({ code: 'bad-type', message });
      },
      down: (reason) => {
        if (conn !== this.#conn) return;
        this.#conn = null;
        const wasUp = this.#state === 'up';
        this.#state = 'down';
        if (wasUp) this.#hooks.down(reason);
        this.#retryLater();
      },
      turnFailed: (message) => {
        if (conn === this.#conn) this.#hooks.turnFailed?.(message);
      },
    });
    this.#conn = conn;
  }

  #arrived(message: InboundMessage): void {
    const decoder = this.#decoder;
    if (!decoder) return;
    const waiting = this.#inbound.push(message, decoder);
    if (waiting === null) return;
    this.#hooks.reject({
      code: 'too-many',
      message: `${this.peer} already has ${waiting} bytes of messages waiting to be handled; ${inboundBytes(message)} more exceed the link's inbound bound.`,
    });
    // A refused message is lost on this connection, and a FIFO gate would wait for it for good (an honest
    // sponsor filling a witness with 100 000 messages stalled at a few thousand): the connection is failed,
    // and the link's repair when it is up again (PROTOCOL.md §3.7) has the sender send what we lack. What
    // already waits is still handled (#receive).
    const conn = this.#conn;
    if (conn !== null && this.#overflowed !== conn) {
      this.#overflowed = conn;
      conn.fail(`more than the link's inbound bound of messages waiting to be handled; rebuilt for a repair`);
    }
  }

  /**
   * A message's turn came: its frames go up in order. It is handled even if its connection has
   * since gone down (it was received; the decoder is that connection's), not after close().
   */
  #receive(message: InboundMessage, decoder: FrameDecoder): void {
    if (this.#closed) return;
    if (typeof message !== 'string') {
      const res = decoder.decodeBinary(message);
      if (res.kind === 'frame') this.#hooks.frame(res.frame);
      else this.#hooks.reject(res.error);
      return;
    }
    for (const res of decoder.decode(message, this.#opts.now())) {
      // A hook may close the link (a removal): the rest of a batch is then no longer ours to hand on.
      if (this.#closed) return;
      if (res.kind === 'frame') this.#hooks.frame(res.frame);
      else this.#hooks.reject(res.error);
    }
  }

  /** Current attempt abandoned on purpose: report down if it was up, no retry scheduled here. */
  #drop(reason: string): void {
    const conn = this.#conn;
    this.#conn = null;
    if (conn) conn.destroy();
    const wasUp = this.#state === 'up';
    this.#state = 'down';
    if (wasUp) this.#hooks.down(reason);
  }

  #retryLater(): void {
    if (this.#closed || this.#timer) return;
    this.#state = 'down';
    const delay = this.#backoff.next();
    this.#timer = setTimeout(() => {
      this.#timer = null;
      if (this.#closed || this.#state === 'up') return;
      if (this.initiator) this.#offer();
      else {
        // Only the initiator offers; ask it to, and keep asking until an offer comes.
        this.#hooks.sendSignal(restartEnvelope(this.#connId ?? 'none'));
        this.#retryLater();
      }
    }, delay);
  }

  #clearTimer(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }
}
