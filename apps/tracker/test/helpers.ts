// Test fixtures: a real tracker on a free port and real socket.io-clients
// that authenticate with a fresh Ed25519 key, exactly as a peer would.

import { randomBytes } from 'node:crypto';
import { io } from 'socket.io-client';
import type { Socket } from 'socket.io-client';
import type {
  ClientToServerEvents,
  GroupId,
  GroupSummary,
  HelloReply,
  MemberInfo,
  Ordering,
  PeerId,
  Result,
  ServerToClientEvents,
  View,
} from '@chorus/protocol';
import { helloSigningText } from '@chorus/protocol';
import { startTracker } from '../src/index.ts';
import type { RunningTracker, TrackerConfig } from '../src/index.ts';

export type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/**
 * Short timers so failure paths finish fast, yet long enough that a busy
 * shared machine does not fail a live test client by accident. Tests of the
 * timeouts themselves start their own tracker with tighter values.
 */
export const TEST_TIMERS = {
  heartbeatIntervalMs: 200,
  heartbeatTimeoutMs: 3_000,
  linkGraceMs: 1_500,
  joinTimeoutMs: 5_000,
} as const;

export async function startTestTracker(over: Partial<TrackerConfig> = {}): Promise<RunningTracker> {
  return startTracker({
    port: 0,
    host: '127.0.0.1',
    logLevel: 'silent',
    webDist: '/nonexistent',
    ...TEST_TIMERS,
    ...over,
  });
}

export interface Key {
  readonly publicKey: string;
  sign(text: string): Promise<string>;
}

export async function makeKey(): Promise<Key> {
  const pair = (await crypto.subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify'])) as CryptoKeyPair;
  const raw = await crypto.subtle.exportKey('raw', pair.publicKey);
  return {
    publicKey: Buffer.from(raw).toString('base64'),
    sign: async (text) =>
      Buffer.from(
        await crypto.subtle.sign({ name: 'Ed25519' }, pair.privateKey, new TextEncoder().encode(text)),
      ).toString('base64'),
  };
}

export const newPeerId = (): PeerId => `p${randomBytes(8).toString('hex')}` as PeerId;

/**
 * Generous: events of one socket run in order, and a few password checks
 * (scrypt at current cost, ~1 s each on a loaded 2-core box, several on a
 * slower one) may queue.
 */
const ACK_WAIT_MS = 60_000;

/** Resolves with the ack; emits with any arguments so tests can send garbage too. */
export function call<T = unknown>(socket: ClientSocket, event: string, ...args: unknown[]): Promise<Result<T>> {
  return callWithin<T>(ACK_WAIT_MS, socket, event, ...args);
}

export function callWithin<T = unknown>(
  timeoutMs: number,
  socket: ClientSocket,
  event: string,
  ...args: unknown[]
): Promise<Result<T>> {
  return (socket as unknown as Socket).timeout(timeoutMs).emitWithAck(event, ...args) as Promise<Result<T>>;
}

export function rawSocket(url: string, extra: Record<string, unknown> = {}): ClientSocket {
  return io(url, { transports: ['websocket'], forceNew: true, reconnection: false, ...extra }) as ClientSocket;
}

export async function connected(socket: ClientSocket): Promise<void> {
  if (socket.connected) return;
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', (e) => reject(e));
  });
}

export interface TestClient {
  readonly socket: ClientSocket;
  readonly key: Key;
  readonly info: MemberInfo;
  readonly peerId: PeerId;
  readonly hello: HelloReply;
  readonly events: Recorder;
  /** Keeps the session alive like a real peer; stop() simulates a hung tab. */
  startHeartbeats(): void;
  stopHeartbeats(): void;
  close(): void;
}

/** Records every server->client event so tests can wait for one that matches. */
export class Recorder {
  readonly log: { event: string; payload: unknown }[] = [];
  private waiters: { event: string; pred: (p: unknown) => boolean; resolve: (p: unknown) => void }[] = [];

  constructor(socket: ClientSocket) {
    (socket as unknown as Socket).onAny((event: string, payload: unknown) => {
      this.log.push({ event, payload });
      this.waiters = this.waiters.filter((w) => {
        if (w.event !== event || !w.pred(payload)) return true;
        w.resolve(payload);
        return false;
      });
    });
  }

  all<T>(event: string): T[] {
    return this.log.filter((e) => e.event === event).map((e) => e.payload as T);
  }

  /** Waits for a matching event (also one already received). */
  next<T>(event: string, pred: (p: T) => boolean = () => true, timeoutMs = 5_000): Promise<T> {
    const seen = this.log.find((e) => e.event === event && pred(e.payload as T));
    if (seen !== undefined) return Promise.resolve(seen.payload as T);
    return new Promise<T>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no ${event} within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({
        event,
        pred: pred as (p: unknown) => boolean,
        resolve: (p) => {
          clearTimeout(t);
          resolve(p as T);
        },
      });
    });
  }
}

export async function connectClient(
  url: string,
  name = 'Alice',
  peerId: PeerId = newPeerId(),
  givenKey?: Key,
  /** socket.io-client options, e.g. `localAddress` to connect from another loopback address. */
  socketOptions: Record<string, unknown> = {},
): Promise<TestClient> {
  const socket = rawSocket(url, socketOptions);
  const events = new Recorder(socket);
  await connected(socket);
  const key = givenKey ?? (await makeKey());
  const ch = await call<{ nonce: string }>(socket, 'auth:challenge');
  if (!ch.ok) throw new Error(ch.error.message);
  const signature = await key.sign(helloSigningText(ch.value.nonce, peerId, name));
  const hello = await call<HelloReply>(socket, 'auth:hello', { peerId, name, publicKey: key.publicKey, signature });
  if (!hello.ok) throw new Error(`${hello.error.code}: ${hello.error.message}`);
  let timer: NodeJS.Timeout | undefined;
  const client: TestClient = {
    socket,
    key,
    info: { peerId, name, publicKey: key.publicKey },
    peerId,
    hello: hello.value,
    events,
    startHeartbeats() {
      timer ??= setInterval(() => socket.emit('heartbeat'), hello.value.heartbeatIntervalMs);
    },
    stopHeartbeats() {
      clearInterval(timer);
      timer = undefined;
    },
    close() {
      clearInterval(timer);
      socket.disconnect();
    },
  };
  client.startHeartbeats();
  return client;
}

export function unwrap<T>(r: Result<T>): T {
  if (!r.ok) throw new Error(`expected ok, got ${r.error.code}: ${r.error.message}`);
  return r.value;
}

/**
 * Phase two as honest peers go through it: each member says its channel to
 * the joiner is up, then the joiner says links-ready; the view that has it.
 */
export async function admit(joiner: TestClient, members: readonly TestClient[], groupId: GroupId): Promise<View> {
  for (const m of members) unwrap(await call(m.socket, 'link:report', { groupId, peer: joiner.peerId, state: 'up' }));
  return unwrap(await call<View>(joiner.socket, 'group:links-ready', { groupId }));
}

export async function stats(
  url: string,
): Promise<Record<string, unknown> & { signalsDropped: Record<string, number>; badInputs: Record<string, number> }> {
  const res = await fetch(`${url}/api/stats`);
  return (await res.json()) as never;
}

/**
 * A group made by the first client, which joins it, and every other client joined and admitted in turn
 * (each installed member confirms the newcomer's links): all of them installed, in the order given.
 */
export async function groupOfClients(
  name: string,
  ordering: Ordering,
  ...clients: readonly TestClient[]
): Promise<GroupSummary> {
  const [first, ...rest] = clients;
  if (first === undefined) throw new Error('A group needs at least one client.');
  const g = unwrap(await call<GroupSummary>(first.socket, 'group:create', { name, ordering }));
  unwrap(await call(first.socket, 'group:join', { groupId: g.groupId }));
  const installed = [first];
  for (const c of rest) {
    unwrap(await call(c.socket, 'group:join', { groupId: g.groupId }));
    await admit(c, installed, g.groupId);
    installed.push(c);
  }
  return g;
}

/** Alice, Bob and Mallory connected and installed in a new total-order group, with the view that holds the three. */
export async function aliceBobMallory(url: string, name: string) {
  const [a, b, m] = await Promise.all([
    connectClient(url, 'Alice'),
    connectClient(url, 'Bob'),
    connectClient(url, 'Mallory'),
  ]);
  const { groupId } = await groupOfClients(`${name}-${Date.now()}`, 'total', a, b, m);
  const view = unwrap(await call<View>(a.socket, 'group:view', { groupId }));
  return { a, b, m, groupId, view };
}
