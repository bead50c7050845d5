// The soak of issue 12 as load (the tracker runs elsewhere): flooders that
// create groups until the caps refuse them and send metrics and link reports
// for groups they are not in, idle authenticated sockets that stop
// heartbeating, and an honest client whose hello → create → join → signal
// to a member is timed. One process floods; another (a second instance of
// this worker) times the honest client, so the flood's event loop is not in
// the honest figure.
import { io, type Socket } from 'socket.io-client';
import { serve } from '../lib/rpc.ts';
import { call, openSession, startHeartbeats, type Session, type TrackerAck } from '../lib/tracker-session.ts';
import { wallNowMs } from '../lib/wall-clock.ts';

interface Flooder {
  readonly session: Session;
  readonly stopBeats: () => void;
  /** A group it created and joined, for reports of a member (allowed) and others' reports (refused). */
  mine: string | null;
}

const REPORT = {
  sent: 1,
  received: 1,
  total: 2,
  throughputPerSec: 1,
  latencyP50Ms: 1,
  latencyP99Ms: 1,
  rejectedFrames: 0,
};
const flooders: Flooder[] = [];
const idle: Session[] = [];
const counts = { creates: 0, accepted: 0, tooMany: 0, otherRefusals: 0, reports: 0 };
let running: Promise<void>[] = [];
let stopping = false;
let honestBob: Session | null = null;
let bobBeats: (() => void) | null = null;

const ack = <T>(socket: Socket, event: string, payload: unknown): Promise<TrackerAck<T>> =>
  new Promise((resolve) =>
    socket
      .timeout(30_000)
      .emit(event, payload, (e: Error | null, r: TrackerAck<T>) =>
        resolve(e ? { ok: false, error: { code: 'timeout', message: e.message } } : r),
      ),
  );

const floodLoop = async (f: Flooder, i: number, reportsPerCreate: number): Promise<void> => {
  for (let k = 0; !stopping; k++) {
    const r = await ack<{ groupId: string }>(f.session.socket, 'group:create', {
      name: `flood ${f.session.peerId} ${k}`,
      ordering: 'fifo',
    });
    counts.creates += 1;
    if (r.ok && r.value !== undefined) {
      counts.accepted += 1;
      f.mine ??= r.value.groupId;
      await ack(f.session.socket, 'group:join', { groupId: r.value.groupId });
    } else if (r.error?.code === 'too-many') counts.tooMany += 1;
    else counts.otherRefusals += 1;
    for (let x = 0; x < reportsPerCreate; x++) {
      const other = flooders[(i + 1 + x) % flooders.length]!;
      const s = f.session.socket;
      s.emit('metrics:report', { ...REPORT, groupId: f.mine ?? `gmadeup${i}x${k}` });
      s.emit('metrics:report', { ...REPORT, groupId: other.mine ?? `gmadeup${i}x${k}x${x}` });
      s.emit('link:report', { groupId: `gmadeup${i}x${k}x${x}`, peer: other.session.peerId, state: 'down' });
      counts.reports += 3;
    }
  }
};

serve({
  /** Opens the flooders (`perAddress` from each loopback address) and starts their loops; returns once they run. */
  'flood-start': async ({
    url,
    addresses,
    perAddress,
    reportsPerCreate,
  }: {
    url: string;
    addresses: string[];
    perAddress: number;
    reportsPerCreate: number;
  }) => {
    for (const localAddress of addresses)
      for (let i = 0; i < perAddress; i++) {
        const session = await openSession(url, `flooder ${localAddress} ${i}`, { localAddress });
        flooders.push({ session, stopBeats: startHeartbeats(session), mine: null });
      }
    stopping = false;
    running = flooders.map((f, i) => floodLoop(f, i, reportsPerCreate));
    return flooders.length;
  },
  'flood-stop': async () => {
    stopping = true;
    await Promise.all(running);
    running = [];
    return { ...counts, flooders: flooders.length };
  },
  /** `count` authenticated sockets from `localAddress` that never heartbeat, then one more: what it was told. */
  'idle-open': async ({ url, localAddress, count }: { url: string; localAddress: string; count: number }) => {
    for (let i = 0; i < count; i++) idle.push(await openSession(url, `idle ${localAddress} ${i}`, { localAddress }));
    // Not in socket.io-client's types; engine.io-client hands it to the websocket in Node.
    const options = { transports: ['websocket'], forceNew: true, reconnection: false, localAddress };
    const extra = io(url, options);
    try {
      const said = await new Promise<string>((resolve) => {
        extra.on('tracker:error', (e: { code?: string }) => resolve(e.code ?? '?'));
        setTimeout(() => resolve('nothing within 10 s'), 10_000);
      });
      return { opened: idle.length, extra: said };
    } finally {
      extra.close();
    }
  },
  'idle-alive': () => idle.filter((s) => s.socket.connected).length,
  /** Honest side: Bob, who joins each round's group and receives its signal. */
  'honest-setup': async ({ url }: { url: string }) => {
    honestBob = await openSession(url, 'Bob');
    bobBeats = startHeartbeats(honestBob);
  },
  /** One honest round trip: Alice's hello, create, join, Bob's join, Alice's signal arriving at Bob; in ms. */
  'round-trip': async ({ url, tag }: { url: string; tag: string }) => {
    const bob = honestBob;
    if (bob === null) throw new Error('honest-setup first');
    const start = wallNowMs();
    const alice = await openSession(url, 'Alice');
    try {
      const g = await call<{ groupId: string }>(alice.socket, 'group:create', {
        name: `honest ${tag}`,
        ordering: 'fifo',
      });
      await call(alice.socket, 'group:join', { groupId: g.groupId });
      await call(bob.socket, 'group:join', { groupId: g.groupId });
      const arrived = new Promise<number>((resolve) => {
        const on = (d: { groupId?: string }): void => {
          if (d.groupId !== g.groupId) return;
          bob.socket.off('signal', on);
          resolve(wallNowMs());
        };
        bob.socket.on('signal', on);
      });
      await call(alice.socket, 'signal', { groupId: g.groupId, to: bob.peerId, data: { type: 'hello' } });
      const ms = (await arrived) - start;
      await call(bob.socket, 'group:leave', { groupId: g.groupId });
      return ms;
    } finally {
      alice.socket.close();
    }
  },
  close: () => {
    stopping = true;
    for (const f of flooders.splice(0)) {
      f.stopBeats();
      f.session.socket.close();
    }
    for (const s of idle.splice(0)) s.socket.close();
    bobBeats?.();
    honestBob?.socket.close();
  },
});
