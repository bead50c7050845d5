// Many bare tracker sessions in one process (the tracker runs elsewhere):
// idle authenticated clients that only heartbeat, for memory per connection,
// and member/joiner pairs that relay signals through the tracker, for the
// relay rate and its latency on one node vs two nodes over Redis.
import { io } from 'socket.io-client';
import { serve } from '../lib/rpc.ts';
import { call, openSession, startHeartbeats, type Session } from '../lib/tracker-session.ts';
import { wallNowMs } from '../lib/wall-clock.ts';
import { ascending } from '../lib/stats.ts';

interface Held {
  readonly session: Session;
  readonly stopBeats: () => void;
}
interface Pair {
  readonly a: Held;
  readonly b: Held;
  readonly groupId: string;
}

const idle: Held[] = [];
/** Idle clients that lost their connection, by Socket.IO's reason ('io server disconnect': the server closed it). */
const lost = new Map<string, number>();
const countLoss = (socket: Held['session']['socket']): void => {
  socket.once('disconnect', (reason: string) => lost.set(reason, (lost.get(reason) ?? 0) + 1));
};
const pairs: Pair[] = [];
let received = 0;
let latencies: number[] = [];
let window: { from: number; to: number } | null = null;

const openBare = (url: string): Promise<Held> =>
  new Promise((resolve, reject) => {
    const socket = io(url, { transports: ['websocket'], forceNew: true, reconnection: false });
    socket.once('connect', () =>
      resolve({ session: { socket, peerId: '', heartbeatIntervalMs: 0 }, stopBeats: () => undefined }),
    );
    socket.once('connect_error', (e) => {
      socket.close();
      reject(e);
    });
  });

const hold = (session: Session): Held => ({ session, stopBeats: startHeartbeats(session) });
const release = (h: Held): void => {
  h.stopBeats();
  h.session.socket.close();
};

/**
 * Runs `work` for items with at most `limit` in flight (a connection storm would measure the accept queue, not memory).
 */
const pool = async (count: number, limit: number, work: (i: number) => Promise<void>): Promise<void> => {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, count) }, async () => {
      while (next < count) {
        const i = next++;
        await work(i);
      }
    }),
  );
};

serve({
  /** `bare`: plain Socket.IO connections (no hello, no heartbeats) to the baseline server. */
  'idle-open': async ({
    url,
    count,
    concurrency,
    bare,
  }: {
    url: string;
    count: number;
    concurrency: number;
    bare: boolean;
  }) => {
    let failed = 0;
    let firstError: string | null = null;
    const started = performance.now();
    await pool(count, concurrency, async (i) => {
      try {
        const h = bare ? await openBare(url) : hold(await openSession(url, `idle-${process.pid}-${i}`));
        countLoss(h.session.socket);
        idle.push(h);
      } catch (e) {
        failed += 1;
        firstError ??= e instanceof Error ? e.message : String(e);
      }
    });
    const alive = idle.filter((h) => h.session.socket.connected).length;
    return { opened: idle.length, alive, failed, firstError, openMs: performance.now() - started };
  },
  'idle-alive': () => idle.filter((h) => h.session.socket.connected).length,
  /** Connected idle clients and, for those that lost their connection, how many per disconnect reason. */
  'idle-lost': () => Object.fromEntries(lost),
  'idle-close': () => {
    for (const h of idle.splice(0)) release(h);
  },

  /** Pairs: a creates and joins a group on urlA, b joins it through urlB (then a member and a joiner may signal). */
  'pair-setup': async ({ urlA, urlB, count, tag }: { urlA: string; urlB: string; count: number; tag: string }) => {
    await pool(count, 16, async (i) => {
      const a = hold(await openSession(urlA, `sig-a-${i}`));
      const b = hold(await openSession(urlB, `sig-b-${i}`));
      const group = await call<{ groupId: string }>(a.session.socket, 'group:create', {
        name: `bench-${tag}-${process.pid}-${i}`,
        ordering: 'fifo',
      });
      await call(a.session.socket, 'group:join', { groupId: group.groupId });
      await call(a.session.socket, 'group:links-ready', { groupId: group.groupId });
      await call(b.session.socket, 'group:join', { groupId: group.groupId });
      b.session.socket.on('signal', (d: { data?: { stamp?: number } }) => {
        const at = wallNowMs();
        if (window === null || at < window.from || at > window.to) return;
        received += 1;
        const stamp = d.data?.stamp;
        if (typeof stamp === 'number') latencies.push(at - stamp);
      });
      pairs.push({ a, b, groupId: group.groupId });
    });
    return pairs.length;
  },
  /**
   * Every a sends signals to its b for durationMs. `inFlight` > 0: keep that
   * many unacknowledged signals per sender (saturation, for the relay rate);
   * otherwise send `ratePerSec` per sender (latency at a light load).
   */
  'pair-run': async ({
    durationMs,
    inFlight,
    ratePerSec,
    warmupMs,
  }: {
    durationMs: number;
    inFlight: number;
    ratePerSec: number;
    warmupMs: number;
  }) => {
    received = 0;
    latencies = [];
    const start = wallNowMs();
    window = { from: start + warmupMs, to: start + warmupMs + durationMs };
    const end = window.to;
    let rejected = 0;
    const data = (): { type: string; stamp: number; pad: string } => ({
      type: 'candidate',
      stamp: wallNowMs(),
      pad: 'candidate:1 1 udp 2122260223 192.0.2.1 54321 typ host',
    });
    await Promise.all(
      pairs.map(async (p) => {
        const s = p.a.session.socket;
        const payload = (): unknown => ({ groupId: p.groupId, to: p.b.session.peerId, data: data() });
        if (inFlight > 0) {
          await Promise.all(
            Array.from({ length: inFlight }, async () => {
              while (wallNowMs() < end) {
                const res = await new Promise<{ ok: boolean }>((resolve) =>
                  s
                    .timeout(10_000)
                    .emit('signal', payload(), (e: Error | null, r: { ok: boolean }) => resolve(e ? { ok: false } : r)),
                );
                if (!res.ok) rejected += 1;
              }
            }),
          );
        } else {
          const gap = 1000 / ratePerSec;
          let next = wallNowMs() + Math.random() * gap;
          while (next < end) {
            const wait = next - wallNowMs();
            if (wait > 0) await new Promise((r) => setTimeout(r, wait));
            s.emit('signal', payload());
            next += gap;
          }
        }
      }),
    );
    // Let the last relayed signals land inside the window's accounting.
    await new Promise((r) => setTimeout(r, 300));
    window = null;
    const sorted = ascending(latencies);
    return { received, perSec: (received * 1000) / durationMs, rejected, latencies: sorted };
  },
  'pair-close': () => {
    for (const p of pairs.splice(0)) {
      release(p.a);
      release(p.b);
    }
  },
  mem: () => process.memoryUsage(),
});
