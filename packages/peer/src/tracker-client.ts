// The peer's side of the tracker: one Socket.IO connection per peer session.
// Owns: the socket, the identity handshake, heartbeats, reconnection, and
// turning every ack into a value or an Error with a `code`. Knows nothing of
// groups' state: after every (re)connect it emits `ready`, and the owner
// re-syncs the directory and views and re-joins its groups.
// One request's ack, timeout and error are tracker-acks.ts; pushed notices and
// the known directory tracker-notices.ts.

import { io } from 'socket.io-client';
import type { ManagerOptions, SocketOptions } from 'socket.io-client';
import type {
  AccusationProof,
  ChallengeReply,
  DirectoryPage,
  DirectoryQuery,
  GroupId,
  GroupSummary,
  HelloPayload,
  IceServer,
  PeerRole,
  HelloReply,
  JoinReply,
  LinkReportState,
  MemberInfo,
  MetricsReport,
  Ordering,
  PeerId,
  RestoreGroupPayload,
  Result,
  View,
  ClientToServerEvents,
} from '@chorus/protocol';
import { asPeerId, helloSigningText, signText } from '@chorus/protocol';
import type { ConnectionState } from './api.ts';
import { ackOf, emitWithAck, HandshakeWaiters, TrackerRequestError, type ChorusSocket } from './tracker-acks.ts';
import { Backoff } from './backoff.ts';
import { Emitter } from './emitter.ts';
import { TurnRefresher } from './turn-refresh.ts';
import type { TrackerLink, TrackerLinkEvents } from './tracker-link.ts';
import { KnownDirectory, listenForNotices } from './tracker-notices.ts';

export { TrackerRequestError, type ClientErrorCode } from './tracker-acks.ts';

/** A tracker that does not answer within this time is treated as gone for that request (it acks in milliseconds). */
export const ACK_TIMEOUT_MS = 8_000;
/** The first connect gives up (and rejects) after this; later reconnects keep trying forever. */
export const FIRST_CONNECT_TIMEOUT_MS = 15_000;
/** socket.io reconnection: start fast (a restarted tracker is back in ~1 s), cap so a long outage costs little. */
export const RECONNECT_DELAY_MS = 250;
export const RECONNECT_DELAY_MAX_MS = 5_000;
/** Never heartbeat faster than this, whatever the tracker says (a broken config must not flood it). */
export const MIN_HEARTBEAT_INTERVAL_MS = 50;

export interface TrackerClientOptions {
  readonly url: string;
  readonly name: string;
  readonly peerId: PeerId | string;
  /** Ed25519 key pair; only the private key is used (to sign the challenge). */
  readonly keyPair: CryptoKeyPair;
  /** Raw Ed25519 public key, base64. */
  readonly publicKey: string;
  /** Shown to members as a badge (an archivist); grants nothing. */
  readonly role?: PeerRole;
  /** Passed to socket.io-client (Node passes `transports: ['websocket']`). */
  readonly socketOptions?: Partial<ManagerOptions & SocketOptions>;
  /** Defaults to ACK_TIMEOUT_MS. */
  readonly ackTimeoutMs?: number;
  /** Defaults to FIRST_CONNECT_TIMEOUT_MS. */
  readonly firstConnectTimeoutMs?: number;
}

export class TrackerClient implements TrackerLink {
  readonly peerId: PeerId;
  readonly #opts: TrackerClientOptions;
  readonly #events = new Emitter<TrackerLinkEvents>();
  #socket: ChorusSocket | null = null;
  #state: ConnectionState = 'offline';
  #hello: HelloReply | null = null;
  readonly #directory = new KnownDirectory();
  #heartbeat: ReturnType<typeof setInterval> | null = null;
  #retryTimer: ReturnType<typeof setTimeout> | null = null;
  /** Bumped on every socket (re)connect, so a handshake from an older connection is ignored. */
  #generation = 0;
  readonly #turnRefresh = new TurnRefresher(
    () => this.#request<readonly IceServer[]>('ice:servers'),
    (iceServers) => {
      if (this.#hello) this.#hello = { ...this.#hello, iceServers };
    },
  );
  #authBackoff = new Backoff({ baseMs: RECONNECT_DELAY_MS, capMs: RECONNECT_DELAY_MAX_MS, minMs: RECONNECT_DELAY_MS });
  #firstConnect: {
    resolve: (h: HelloReply) => void;
    reject: (e: Error) => void;
    timer: ReturnType<typeof setTimeout>;
  } | null = null;
  #closed = false;
  /**
   * True from socket connect until the hello is answered. The tracker binds
   * the session (and starts pushing notices to it) a moment before its hello
   * ack arrives: notices in that window are held and emitted right after
   * `ready`, and requests made in it wait for the handshake instead of
   * failing as offline.
   */
  #handshaking = false;
  #held: (() => void)[] = [];
  readonly #onlineWaiters = new HandshakeWaiters();

  constructor(opts: TrackerClientOptions) {
    this.#opts = opts;
    this.peerId = asPeerId(opts.peerId);
  }

  get state(): ConnectionState {
    return this.#state;
  }
  get hello(): HelloReply | null {
    return this.#hello;
  }
  get directory(): readonly GroupSummary[] {
    return this.#directory.list;
  }

  on<K extends keyof TrackerLinkEvents>(event: K, listener: TrackerLinkEvents[K]): () => void {
    return this.#events.on(event, listener);
  }

  connect(): Promise<HelloReply> {
    if (this.#state === 'online' && this.#hello) return Promise.resolve(this.#hello);
    if (this.#firstConnect) {
      const pending = this.#firstConnect;
      return new Promise((resolve, reject) => {
        const { resolve: r0, reject: j0 } = pending;
        pending.resolve = (h) => {
          r0(h);
          resolve(h);
        };
        pending.reject = (e) => {
          j0(e);
          reject(e);
        };
      });
    }
    this.#closed = false;
    return new Promise<HelloReply>((resolve, reject) => {
      const limit = this.#opts.firstConnectTimeoutMs ?? FIRST_CONNECT_TIMEOUT_MS;
      const timer = setTimeout(() => {
        this.#settleFirst(
          new TrackerRequestError('unreachable', `The tracker at ${this.#opts.url} did not answer within ${limit} ms.`),
        );
      }, limit);
      this.#firstConnect = { resolve, reject, timer };
      this.#setState('connecting');
      const socket = this.#socket ?? this.#createSocket();
      if (!socket.connected) socket.connect();
    });
  }

  createGroup(name: string, ordering: Ordering, password?: string): Promise<GroupSummary> {
    return this.#request<GroupSummary>(
      'group:create',
      password === undefined ? { name, ordering } : { name, ordering, password },
    );
  }

  restoreGroup(payload: RestoreGroupPayload): Promise<GroupSummary> {
    return this.#request<GroupSummary>('group:restore', payload);
  }

  openDm(publicKey: string, name: string): Promise<GroupSummary> {
    return this.#request<GroupSummary>('dm:open', { publicKey, name });
  }

  join(groupId: GroupId, password?: string): Promise<JoinReply> {
    return this.#request<JoinReply>('group:join', password === undefined ? { groupId } : { groupId, password });
  }

  linksReady(groupId: GroupId): Promise<View> {
    return this.#request<View>('group:links-ready', { groupId });
  }

  async leave(groupId: GroupId): Promise<void> {
    await this.#request<null>('group:leave', { groupId });
  }

  members(groupId: GroupId): Promise<readonly MemberInfo[]> {
    return this.#request<readonly MemberInfo[]>('group:members', { groupId });
  }

  view(groupId: GroupId): Promise<View> {
    return this.#request<View>('group:view', { groupId });
  }

  /** One page of the directory (groups whose name contains `query`); its groups join the known directory. */
  async listDirectory(query: DirectoryQuery = {}): Promise<DirectoryPage> {
    const page = await this.#request<DirectoryPage>('directory:list', query);
    if (Array.isArray(page.groups)) {
      this.#directory.merge(page.groups);
      this.#events.emit('directory', this.#directory.list);
    }
    return page;
  }

  // Fire-and-forget events: while offline they are dropped, not buffered, because
  // socket.io would replay them before the new handshake and the tracker would
  // refuse them. Signaling retries on its own (mesh connect timeout); link and
  // metrics reports are repeated by their owners.
  signal(groupId: GroupId, to: PeerId, data: unknown): void {
    if (this.#state !== 'online') return;
    this.#socket?.emit('signal', { groupId, to, data });
  }

  reportLink(groupId: GroupId, peer: PeerId, state: LinkReportState, via?: PeerId): void {
    if (this.#state !== 'online') return;
    this.#socket?.emit('link:report', via === undefined ? { groupId, peer, state } : { groupId, peer, state, via });
  }

  reportMetrics(report: MetricsReport): void {
    if (this.#state !== 'online') return;
    this.#socket?.emit('metrics:report', report);
  }

  accuse(groupId: GroupId, accused: PeerId, proof: AccusationProof): void {
    if (this.#state !== 'online') return;
    this.#socket?.emit('group:accuse', { groupId, accused, proof });
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#generation += 1;
    this.#stopHeartbeat();
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
    this.#settleFirst(new TrackerRequestError('closed', 'The tracker client was closed before it connected.'));
    this.#endHandshake(new TrackerRequestError('closed', 'The tracker client was closed.'));
    const socket = this.#socket;
    this.#socket = null;
    if (socket) {
      socket.removeAllListeners();
      socket.io.removeAllListeners();
      socket.disconnect();
    }
    this.#setState('offline');
  }

  // ---- internals ----

  get #ackTimeoutMs(): number {
    return this.#opts.ackTimeoutMs ?? ACK_TIMEOUT_MS;
  }

  #createSocket(): ChorusSocket {
    const socket: ChorusSocket = io(this.#opts.url, {
      autoConnect: false,
      reconnection: true,
      reconnectionDelay: RECONNECT_DELAY_MS,
      reconnectionDelayMax: RECONNECT_DELAY_MAX_MS,
      ...this.#opts.socketOptions,
    });
    this.#socket = socket;

    socket.on('connect', () => {
      this.#generation += 1;
      this.#handshaking = true;
      this.#held = [];
      void this.#handshake(socket, this.#generation);
    });
    socket.on('disconnect', (reason) => {
      this.#generation += 1;
      this.#stopHeartbeat();
      this.#endHandshake(new TrackerRequestError('offline', 'The tracker connection dropped during the handshake.'));
      if (this.#closed) return;
      this.#setState('connecting');
      // socket.io does not reconnect by itself after a server-side disconnect
      // (e.g. the tracker kicked this session); we do, with backoff.
      if (reason === 'io server disconnect') this.#scheduleReconnect();
    });
    socket.on('connect_error', () => {
      if (!this.#closed) this.#setState('connecting');
    });

    listenForNotices(
      socket,
      (emit) => this.#deliver(emit),
      this.#events,
      (delta) => {
        this.#directory.apply(delta);
        this.#events.emit('directory', this.#directory.list);
      },
    );
    return socket;
  }

  async #handshake(socket: ChorusSocket, generation: number): Promise<void> {
    const { name, publicKey, keyPair } = this.#opts;
    try {
      const challenge = await this.#ackOf<ChallengeReply>(
        emitWithAck(socket, this.#ackTimeoutMs, 'auth:challenge'),
        'auth:challenge',
      );
      if (generation !== this.#generation) return;
      if (typeof challenge.nonce !== 'string')
        throw new TrackerRequestError('bad-reply', 'The tracker sent a challenge without a nonce.');
      const signature = await signText(keyPair.privateKey, helloSigningText(challenge.nonce, this.peerId, name));
      if (generation !== this.#generation) return;
      const role = this.#opts.role;
      const payload: HelloPayload = {
        peerId: this.peerId,
        name,
        publicKey,
        signature,
        ...(role === undefined ? {} : { role }),
      };
      const hello = await this.#ackOf<HelloReply>(
        emitWithAck(socket, this.#ackTimeoutMs, 'auth:hello', payload),
        'auth:hello',
      );
      if (generation !== this.#generation) return;
      this.#hello = hello;
      if (Array.isArray(hello.directory)) this.#directory.reset(hello.directory);
      this.#authBackoff.reset();
      this.#startHeartbeat(socket, hello.heartbeatIntervalMs);
      if (Array.isArray(hello.iceServers)) this.#turnRefresh.start(hello.iceServers);
      this.#setState('online');
      this.#settleFirst(null, hello);
      this.#events.emit('ready', hello);
      this.#events.emit('directory', this.#directory.list);
      this.#endHandshake(null);
    } catch (e) {
      if (generation !== this.#generation || this.#closed) return;
      const error =
        e instanceof TrackerRequestError
          ? e
          : new TrackerRequestError('internal', `The handshake failed: ${String(e)}`);
      this.#endHandshake(new TrackerRequestError('offline', `Not connected to the tracker: ${error.message}`));
      this.#events.emit('error', { code: error.code, message: error.message });
      if (this.#firstConnect) {
        // The first connect reports the refusal to its caller and stops; a
        // later connect() starts over.
        this.#settleFirst(error);
        socket.disconnect();
        this.#setState('offline');
      } else {
        // A refused re-handshake (e.g. the tracker is still starting) is retried with backoff.
        socket.disconnect();
        this.#scheduleReconnect();
      }
    }
  }

  /** A notice from the tracker: now, or right after `ready` if the handshake is still running. */
  #deliver(emit: () => void): void {
    if (this.#handshaking) this.#held.push(emit);
    else emit();
  }

  /** Handshake over: on success emit what was held and release waiting requests; on failure drop and reject them. */
  #endHandshake(error: Error | null): void {
    if (!this.#handshaking) return;
    this.#handshaking = false;
    const held = this.#held;
    this.#held = [];
    if (!error) for (const emit of held) emit();
    this.#onlineWaiters.release(error);
  }

  #scheduleReconnect(): void {
    if (this.#retryTimer || this.#closed) return;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = null;
      if (!this.#closed && this.#socket && !this.#socket.connected) this.#socket.connect();
    }, this.#authBackoff.next());
  }

  #startHeartbeat(socket: ChorusSocket, intervalMs: number): void {
    this.#stopHeartbeat();
    const every = Number.isFinite(intervalMs)
      ? Math.max(MIN_HEARTBEAT_INTERVAL_MS, intervalMs)
      : MIN_HEARTBEAT_INTERVAL_MS;
    this.#heartbeat = setInterval(() => {
      if (socket.connected) socket.emit('heartbeat');
    }, every);
  }

  #stopHeartbeat(): void {
    this.#turnRefresh.stop();
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    this.#heartbeat = null;
  }

  #setState(state: ConnectionState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.#events.emit('connection', state);
  }

  #settleFirst(error: Error | null, hello?: HelloReply): void {
    const pending = this.#firstConnect;
    if (!pending) return;
    this.#firstConnect = null;
    clearTimeout(pending.timer);
    if (error) {
      // Requests made before the socket even connected waited for this first connect; it failed.
      this.#onlineWaiters.release(error);
      pending.reject(error);
    } else if (hello) pending.resolve(hello);
  }

  #ackOf<T>(pending: Promise<Result<never>>, event: string): Promise<T> {
    return ackOf<T>(pending, event, this.#ackTimeoutMs);
  }

  /**
   * One request with an ack. The payload and reply types are pinned by the
   * public methods above (and by the TrackerLink interface); socket.io's
   * typed `emitWithAck` cannot express a generic helper over the event map.
   */
  async #request<T>(event: keyof ClientToServerEvents, payload?: unknown): Promise<T> {
    if (this.#closed) throw new TrackerRequestError('closed', 'The tracker client is closed.');
    // A request made while the first connect or a handshake runs waits for it (the socket may
    // not even be connected yet: a slow machine takes longer than a caller's short delay).
    if (this.#state !== 'online' && (this.#handshaking || this.#firstConnect !== null))
      await this.#onlineWaiters.wait(event, this.#ackTimeoutMs);
    const socket = this.#socket;
    if (!socket || this.#state !== 'online') {
      throw new TrackerRequestError('offline', `Not connected to the tracker; '${event}' was not sent.`);
    }
    return this.#ackOf<T>(emitWithAck(socket, this.#ackTimeoutMs, event, payload), event);
  }
}
