// TrackerClient against a real tracker (apps/tracker, in process, port 0):
// the identity handshake, heartbeats keeping a session alive, every request's
// value or coded error, signaling relay, and re-authentication after the
// tracker restarts on the same port.

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { afterEach, describe, expect, it } from 'vitest';
import { startTracker } from '@chorus/tracker';
import type { RunningTracker, TrackerConfig } from '@chorus/tracker';
import type { GroupId, HelloReply, JoiningNotice, SignalDelivery, View } from '@chorus/protocol';
import { exportPublicKey, generateIdentity } from '@chorus/protocol';
import { TrackerClient, TrackerRequestError } from '../src/tracker-client.ts';
import type { ConnectionState } from '../src/api.ts';

const TIMERS = { heartbeatIntervalMs: 100, heartbeatTimeoutMs: 600, linkGraceMs: 400, joinTimeoutMs: 2_000 } as const;
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function tracker(over: Partial<TrackerConfig> = {}): Promise<RunningTracker> {
  const t = await startTracker({
    port: 0,
    host: '127.0.0.1',
    logLevel: 'silent',
    webDist: '/nonexistent',
    ...TIMERS,
    ...over,
  });
  cleanups.push(() => t.close());
  return t;
}

let counter = 0;
async function client(
  url: string,
  name = `user${++counter}`,
  extra: { ackTimeoutMs?: number; firstConnectTimeoutMs?: number } = {},
): Promise<TrackerClient> {
  const keyPair = await generateIdentity();
  const c = new TrackerClient({
    url,
    name,
    peerId: `p${Date.now().toString(36)}${++counter}`,
    keyPair,
    publicKey: await exportPublicKey(keyPair.publicKey),
    socketOptions: { transports: ['websocket'] },
    ...extra,
  });
  cleanups.push(() => c.close());
  return c;
}

function nextEvent<T>(
  subscribe: (cb: (v: T) => void) => () => void,
  pred: (v: T) => boolean = () => true,
  timeoutMs = 10_000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error('timed out waiting for an event'));
    }, timeoutMs);
    const off = subscribe((v) => {
      if (!pred(v)) return;
      clearTimeout(timer);
      off();
      resolve(v);
    });
  });
}

const codeOf = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
    return 'resolved';
  } catch (e) {
    expect(e).toBeInstanceOf(TrackerRequestError);
    return (e as TrackerRequestError).code;
  }
};

describe('TrackerClient', () => {
  it('authenticates with its key and gets the tracker settings and directory', async () => {
    const t = await tracker({ iceServers: [{ urls: 'stun:stun.example.org:3478' }] });
    const a = await client(t.url, 'Alice');
    const states: ConnectionState[] = [];
    a.on('connection', (s) => states.push(s));
    const hello = await a.connect();

    expect(hello.peerId).toBe(a.peerId);
    expect(hello.heartbeatIntervalMs).toBe(TIMERS.heartbeatIntervalMs);
    expect(hello.iceServers).toEqual([{ urls: 'stun:stun.example.org:3478' }]);
    expect(a.state).toBe('online');
    expect(states).toEqual(['connecting', 'online']);
    // connect() again while online is the same hello, not a second session.
    expect(await a.connect()).toBe(hello);

    const b = await client(t.url, 'Bob');
    await b.connect();
    const pushed = nextEvent<readonly { name: string }[]>(
      (cb) => b.on('directory', cb),
      (d) => d.some((g) => g.name === 'general'),
    );
    const created = await a.createGroup('general', 'total');
    expect(created).toMatchObject({ name: 'general', ordering: 'total', locked: false });
    expect((await pushed).map((g) => g.name)).toContain('general');
    expect(b.directory.map((g) => g.name)).toContain('general');
  });

  it('is refused with a code when its key does not match the public key it claims', async () => {
    const t = await tracker();
    const other = await generateIdentity();
    const keyPair = await generateIdentity();
    const c = new TrackerClient({
      url: t.url,
      name: 'Mallory',
      peerId: 'pmallory',
      keyPair,
      publicKey: await exportPublicKey(other.publicKey),
      socketOptions: { transports: ['websocket'] },
    });
    cleanups.push(() => c.close());
    expect(await codeOf(c.connect())).toBe('bad-signature');
    expect(c.state).toBe('offline');
  });

  it('turns every request into a value or an error with the tracker code', async () => {
    const t = await tracker();
    const a = await client(t.url, 'Alice');
    const b = await client(t.url, 'Bob');
    await Promise.all([a.connect(), b.connect()]);

    const g = await a.createGroup('secret', 'fifo', 'hunter2');
    expect(g.locked).toBe(true);
    expect(await codeOf(a.createGroup('secret', 'total'))).toBe('name-taken');
    expect(await codeOf(b.join(g.groupId, 'wrong'))).toBe('wrong-password');
    expect(await codeOf(b.join('nope' as GroupId))).toBe('not-found');

    const first = await a.join(g.groupId, 'hunter2');
    expect(first.view.members.map((m) => m.peerId)).toEqual([a.peerId]);

    // Bob joins in two phases; Alice hears about the joiner first, then the view.
    const joining = nextEvent<JoiningNotice>((cb) => a.on('joining', cb));
    const joinReply = await b.join(g.groupId, 'hunter2');
    expect(joinReply.view.members.map((m) => m.peerId)).toEqual([a.peerId]);
    expect((await joining).peer.peerId).toBe(b.peerId);
    const aView = nextEvent<View>(
      (cb) => a.on('view', cb),
      (v) => v.members.length === 2,
    );
    // Bob says his links are up: not installed on his word alone, until Alice confirms hers.
    expect((await b.linksReady(g.groupId)).members.map((m) => m.peerId)).toEqual([a.peerId]);
    const bView = nextEvent<View>(
      (cb) => b.on('view', cb),
      (v) => v.members.length === 2,
    );
    a.reportLink(g.groupId, b.peerId, 'up');
    const installed = await bView;
    expect(installed.members.map((m) => m.peerId).sort()).toEqual([a.peerId, b.peerId].sort());
    expect((await aView).viewId).toBe(installed.viewId);
    expect((await a.view(g.groupId)).viewId).toBe(installed.viewId);
    expect((await a.members(g.groupId)).map((m) => m.name).sort()).toEqual(['Alice', 'Bob']);

    // Signaling between members arrives with the tracker-set sender.
    const got = nextEvent<SignalDelivery>((cb) => b.on('signal', cb));
    a.signal(g.groupId, b.peerId, { hello: 'there' });
    expect(await got).toEqual({ groupId: g.groupId, from: a.peerId, data: { hello: 'there' } });

    const left = nextEvent<View>(
      (cb) => a.on('view', cb),
      (v) => v.members.length === 1,
    );
    await b.leave(g.groupId);
    expect((await left).changes).toEqual([{ peerId: b.peerId, change: 'left' }]);
    expect(await codeOf(b.view(g.groupId))).toBe('not-member');
  });

  it('keeps its session alive with heartbeats, and the tracker fails it once closed', async () => {
    const t = await tracker();
    const a = await client(t.url, 'Alice');
    const b = await client(t.url, 'Bob');
    await Promise.all([a.connect(), b.connect()]);
    const g = await a.createGroup('alive', 'total');
    await a.join(g.groupId);
    await b.join(g.groupId);
    const bView = nextEvent<View>(
      (cb) => b.on('view', cb),
      (v) => v.members.length === 2,
    );
    a.reportLink(g.groupId, b.peerId, 'up');
    await b.linksReady(g.groupId);
    await bView;

    // Several heartbeat timeouts pass: nobody is removed.
    await new Promise((r) => setTimeout(r, TIMERS.heartbeatTimeoutMs * 3));
    expect((await a.members(g.groupId)).map((m) => m.peerId).sort()).toEqual([a.peerId, b.peerId].sort());

    const gone = nextEvent<View>(
      (cb) => a.on('view', cb),
      (v) => v.members.length === 1,
    );
    await b.close();
    expect((await gone).changes[0]).toMatchObject({ peerId: b.peerId });
    expect(b.state).toBe('offline');
    expect(await codeOf(b.members(g.groupId))).toBe('closed');
  });

  it('reconnects after the tracker restarts on the same port and emits ready again', async () => {
    const first = await startTracker({
      port: 0,
      host: '127.0.0.1',
      logLevel: 'silent',
      webDist: '/nonexistent',
      ...TIMERS,
    });
    const port = first.port;
    const a = await client(first.url, 'Alice');
    const readies: HelloReply[] = [];
    a.on('ready', (h) => readies.push(h));
    await a.connect();
    await a.createGroup('before', 'fifo');

    const offline = nextEvent<ConnectionState>(
      (cb) => a.on('connection', cb),
      (s) => s !== 'online',
    );
    await first.close();
    await offline;
    expect(await codeOf(a.members('x' as GroupId))).toBe('offline');

    const again = nextEvent<HelloReply>((cb) => a.on('ready', cb));
    const second = await tracker({ port });
    await again;
    expect(a.state).toBe('online');
    expect(readies).toHaveLength(2);
    // A fresh in-memory tracker: the client's directory is the new one, and requests work again.
    expect(a.directory.map((g) => g.name)).not.toContain('before');
    expect((await a.createGroup('after', 'total')).name).toBe('after');
    expect(second.port).toBe(port);
  });

  it('holds notices that race the hello ack until after ready, and lets requests made meanwhile wait', async () => {
    // A tracker that binds the session and pushes a notice a moment before
    // its hello ack arrives, as a real one can (room join, then ack).
    const http = createServer();
    const io = new Server(http);
    let requestSeenAt = 0;
    let helloAckedAt = 0;
    io.on('connection', (socket) => {
      socket.on('auth:challenge', (ack: (r: unknown) => void) => ack({ ok: true, value: { nonce: 'n1' } }));
      socket.on('auth:hello', (p: { peerId: string }, ack: (r: unknown) => void) => {
        socket.emit('group:removed', { groupId: 'g1', reason: 'failed' });
        setTimeout(() => {
          helloAckedAt = Date.now();
          ack({
            ok: true,
            value: {
              peerId: p.peerId,
              iceServers: [],
              heartbeatIntervalMs: 1_000,
              heartbeatTimeoutMs: 5_000,
              linkGraceMs: 1_000,
              directory: [],
            },
          });
        }, 100);
      });
      socket.on('group:members', (_p: unknown, ack: (r: unknown) => void) => {
        requestSeenAt = Date.now();
        ack({ ok: true, value: [] });
      });
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => io.close(() => r())));
    const a = await client(`http://127.0.0.1:${(http.address() as AddressInfo).port}`, 'Alice');

    const seen: string[] = [];
    let earlyRequest: Promise<unknown> | null = null;
    a.on('connection', (s) => {
      // Asked as soon as connecting starts, before the socket is even connected (on a loaded
      // machine any short delay can still land there): must wait for the handshake, not fail as offline.
      if (s === 'connecting' && !earlyRequest) earlyRequest = a.members('g1' as GroupId);
    });
    a.on('ready', () => seen.push(`ready:${a.state}`));
    a.on('removed', (n) => seen.push(`removed:${n.groupId}:${a.state}`));
    // Held notices are emitted in the same turn as ready, before connect() resolves.
    await a.connect();

    expect(seen).toEqual(['ready:online', 'removed:g1:online']);
    expect(earlyRequest).not.toBeNull();
    expect(await earlyRequest).toEqual([]);
    expect(requestSeenAt).toBeGreaterThanOrEqual(helloAckedAt);
  });

  it('rejects a request the tracker never answers with a timeout code', async () => {
    // A socket.io server that accepts connections and ignores every event.
    const http = createServer();
    const io = new Server(http);
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => io.close(() => r())));
    const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    const a = await client(url, 'Alice', { ackTimeoutMs: 200 });
    const err = await a.connect().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TrackerRequestError);
    expect((err as TrackerRequestError).code).toBe('timeout');
    expect((err as Error).message).toMatch(/auth:challenge/);
  });

  it('gives up the first connect to an unreachable tracker with a clear code', async () => {
    const a = await client('http://127.0.0.1:1', 'Alice', { firstConnectTimeoutMs: 500 });
    expect(await codeOf(a.connect())).toBe('unreachable');
  });
});
