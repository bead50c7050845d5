// Scenario 5: the tracker under many clients. Memory per idle authenticated
// connection (heartbeating as real peers do) against a bare Socket.IO server
// holding the same number of plain connections; signaling relay rate of one
// node pinned to one core; and the latency a second node on Redis adds to a
// relayed signal. The tracker runs in its own process, clients in others.
import type { BenchContext } from '../lib/context.ts';
import { freePort } from '../lib/free-port.ts';
import { openFilesLimit } from '../lib/machine.ts';
import { startRedis } from '../lib/redis-server.ts';
import { checkTarget, putSpread, ScenarioBuilder, type Row, type ScenarioReport, errorText } from '../lib/report.ts';
import { spawnWorker, type Worker } from '../lib/rpc.ts';
import { latencySummary, ratio } from '../lib/stats.ts';
import { sleep } from '../lib/wall-clock.ts';
import { growthPer, heapByKind } from '../lib/heap-snapshot.ts';
import { rmSync } from 'node:fs';
import { measureSoak, SOAK_COLUMNS, SOAK_METHOD } from './tracker-soak.ts';

/** One swarm process holds at most this many clients (its own fds and event loop stay comfortable). */
const CLIENTS_PER_SWARM = 5_000;
/** Concurrent handshakes per swarm process: a faster storm measures the accept queue, not memory. */
const HANDSHAKE_CONCURRENCY = 100;
/** fds the tracker process needs besides client sockets (stdio, listener, Redis, timers' fds). */
const FD_HEADROOM = 100;
/** Heartbeats keep flowing for two intervals before memory is read, so every session is in steady state. */
const STEADY_HEARTBEATS = 2;
const DEFAULT_HEARTBEAT_INTERVAL_MS = 2_000;
/** Signal pairs for the relay rate; enough senders that no single session limits the rate. */
const RELAY_PAIRS = 40;
/** Unacknowledged signals per sender: deep enough to keep the tracker busy, shallow enough not to time out. */
const RELAY_IN_FLIGHT = 8;
/** Light load per pair for the Redis latency comparison (a join's worth of candidates per second). */
const LATENCY_PAIRS = 10;
const LATENCY_RATE_PER_PAIR = 40;

interface Mem {
  heapUsed: number;
  rss: number;
}

const gcArgs = { nodeArgs: ['--expose-gc'] };
/** Kinds of heap objects listed in the per-connection breakdown. */
const HEAP_KINDS_SHOWN = 12;

export const runTrackerCapacity = async (ctx: BenchContext): Promise<ScenarioReport> => {
  const fdLimit = openFilesLimit();
  // BENCH_TRACKER_LEVELS=20000 looks into one level without a full run.
  const override =
    process.env['BENCH_TRACKER_LEVELS']
      ?.split(',')
      .map(Number)
      .filter((x) => Number.isInteger(x) && x > 0) ?? [];
  const levels = override.length > 0 ? override : ctx.smoke ? [200] : ctx.quick ? [1_000] : [1_000, 5_000, 20_000];
  // 20 000 clients take the longest to connect: one run there, two below.
  const runsAt = (level: number): number => (ctx.quick ? 1 : level >= 20_000 ? 1 : 2);
  const b = new ScenarioBuilder(
    'tracker-capacity',
    '5. Tracker capacity',
    ctx.mode,
    [
      { key: 'measure', header: 'measure', kind: 'text' },
      { key: 'clients', header: 'clients', kind: 'value', digits: 0 },
      { key: 'heap_bytes_per_conn', header: 'tracker heap B/conn', kind: 'spread', digits: 0 },
      { key: 'rss_bytes_per_conn', header: 'tracker RSS B/conn', kind: 'spread', digits: 0 },
      { key: 'baseline_heap_bytes_per_conn', header: 'bare Socket.IO heap B/conn', kind: 'spread', digits: 0 },
      { key: 'baseline_rss_bytes_per_conn', header: 'bare Socket.IO RSS B/conn', kind: 'spread', digits: 0 },
      { key: 'heap_over_baseline', header: 'heap / bare', kind: 'spread', digits: 2 },
      { key: 'tracker_cpu_share', header: 'tracker CPU (1 = one core)', kind: 'spread', digits: 2 },
      { key: 'signals_per_sec', header: 'signals/s', kind: 'spread', digits: 0 },
      { key: 'signals_per_tracker_cpu_sec', header: 'signals per tracker CPU-s', kind: 'spread', digits: 0 },
      { key: 'single_p50_ms', header: '1 node p50 ms', kind: 'spread', digits: 2 },
      { key: 'single_p99_ms', header: '1 node p99', kind: 'spread', digits: 2 },
      { key: 'redis_p50_ms', header: '2 nodes+Redis p50', kind: 'spread', digits: 2 },
      { key: 'redis_p99_ms', header: '2 nodes+Redis p99', kind: 'spread', digits: 2 },
      { key: 'added_p50_ms', header: 'added p50', kind: 'spread', digits: 2 },
      ...SOAK_COLUMNS,
    ],
    [
      `Idle connections: authenticated sessions (Ed25519 hello) sending a heartbeat every interval the tracker announces (default ${DEFAULT_HEARTBEAT_INTERVAL_MS} ms), websocket only, from separate swarm processes (≤ ${CLIENTS_PER_SWARM} clients each). The tracker (apps/tracker startTracker, in-memory store) runs alone in its own process; heap and RSS are read after two forced GCs, before any client connects and again after ${STEADY_HEARTBEATS} heartbeat intervals with all clients connected; per connection = difference / connected clients. A fresh tracker per level and run.`,
      'Baseline: a bare Socket.IO server (the relay server of scenario 1) holding the same number of plain websocket connections, measured the same way.',
      `Relay rate: ${RELAY_PAIRS} member/joiner pairs, each sender keeping ${RELAY_IN_FLIGHT} acknowledged signals in flight; the tracker is pinned to CPU 0 with taskset, the clients to CPU 1; per-session signal rate limits raised so the tracker's relay path (parse, membership check, emit) is what is measured.`,
      `Redis: ${LATENCY_PAIRS} pairs, ${LATENCY_RATE_PER_PAIR} signals/s each; "1 node" has both ends on one tracker, "2 nodes" puts the sender on node A and the receiver on node B of two trackers sharing a real redis-server (started on a free port) through the Socket.IO Redis adapter.`,
      SOAK_METHOD,
    ],
  );

  // ---- memory per idle connection ----
  for (const level of levels) {
    const clients = Math.min(level, (fdLimit ?? Infinity) - FD_HEADROOM);
    const label: Row = {
      table: 'memory',
      measure: level === clients ? 'idle memory' : `idle memory (${level} asked, capped by ulimit -n ${fdLimit})`,
      clients,
    };
    const perRun = {
      heap: [] as number[],
      rss: [] as number[],
      bHeap: [] as number[],
      bRss: [] as number[],
      cpu: [] as number[],
      ratio: [] as number[],
    };
    let problem: string | null = null;
    console.log(`  tracker memory: ${clients} clients`);
    for (let run = 1; run <= runsAt(level) && problem === null; run++) {
      try {
        const t = await idleMemory(clients, 'tracker');
        const base = await idleMemory(clients, 'baseline');
        perRun.heap.push(t.heapPerConn);
        perRun.rss.push(t.rssPerConn);
        perRun.cpu.push(t.cpu);
        perRun.bHeap.push(base.heapPerConn);
        perRun.bRss.push(base.rssPerConn);
        perRun.ratio.push(ratio(t.heapPerConn, base.heapPerConn));
        if (t.alive < clients)
          problem = `only ${t.alive} of ${clients} stayed connected (${t.firstError ?? 'no error reported'})`;
      } catch (e) {
        problem = msg(e);
      }
    }
    if (perRun.heap.length === 0) {
      b.failRow(label, problem ?? 'no run completed');
      continue;
    }
    const row: Row = { ...label };
    putSpread(row, 'heap_bytes_per_conn', perRun.heap);
    putSpread(row, 'rss_bytes_per_conn', perRun.rss);
    putSpread(row, 'baseline_heap_bytes_per_conn', perRun.bHeap);
    putSpread(row, 'baseline_rss_bytes_per_conn', perRun.bRss);
    putSpread(row, 'heap_over_baseline', perRun.ratio);
    putSpread(row, 'tracker_cpu_share', perRun.cpu);
    if (problem !== null) {
      row['problems'] = problem;
      b.notes.push(`${clients} clients: ${problem}`);
    }
    b.rows.push(row);
    b.targets.push(
      checkTarget(
        '≤ 10 KB heap per idle tracker connection',
        `${clients} clients`,
        row['heap_bytes_per_conn'],
        '<=',
        10_240,
      ),
    );
  }
  // Where the tracker's heap per connection goes, from V8 heap snapshots in an extra pass at the
  // smallest level (writing a snapshot grows RSS, so its memory figures are not used above).
  if (!ctx.quick)
    try {
      const clients = levels[0] ?? 1_000;
      const t = await idleMemory(clients, 'tracker', true);
      const base = await idleMemory(clients, 'baseline', true);
      const fmt = (list: readonly { kind: string; bytes: number }[]): string =>
        list.map((k) => `${k.kind} ${Math.round(k.bytes)} B`).join(', ');
      b.notes.push(
        `Tracker heap growth per idle connection by kind (V8 heap snapshots before/after ${clients} clients, self sizes; compiled code is JIT warm-up, not per connection): ${fmt(t.byKind)}.`,
      );
      b.notes.push(`The same for the bare Socket.IO server: ${fmt(base.byKind)}.`);
      b.facts['heap_breakdown_clients'] = clients;
      for (const k of t.byKind) b.facts[`heap_per_conn_${k.kind}`] = Math.round(k.bytes);
      for (const k of base.byKind) b.facts[`baseline_heap_per_conn_${k.kind}`] = Math.round(k.bytes);
    } catch (e) {
      b.notes.push(`Heap breakdown not taken: ${msg(e)}`);
    }
  if (fdLimit !== null && levels.some((l) => l > fdLimit - FD_HEADROOM)) {
    b.notes.push(
      `The open-files limit is ${fdLimit} (hard limit; the container does not allow raising it), and the tracker needs one fd per client plus its own, so the largest level holds ${fdLimit - FD_HEADROOM} clients.`,
    );
  }

  // ---- signaling relay rate on one core ----
  {
    const label: Row = { table: 'relay', measure: 'signal relay, 1 core', clients: RELAY_PAIRS * 2 };
    const rates: number[] = [];
    const cpus: number[] = [];
    const perCpu: number[] = [];
    let problem: string | null = null;
    console.log('  tracker signal relay rate');
    for (let run = 1; run <= (ctx.quick ? 1 : 2) && problem === null; run++) {
      const tracker = spawnWorker('tracker-relay', 'tracker-host.ts', { ...gcArgs, cpus: '0' });
      const swarm = spawnWorker('swarm-relay', 'tracker-swarm.ts', { cpus: '1' });
      try {
        const { url } = await tracker.call<{ url: string }>('start', {
          overrides: { signalRateLimit: { burst: 1e9, perSecond: 1e9 } },
        });
        await swarm.call('pair-setup', { urlA: url, urlB: url, count: RELAY_PAIRS, tag: `relay${run}` });
        await tracker.call('cpu');
        const r = await swarm.call<{ perSec: number; rejected: number }>('pair-run', {
          durationMs: ctx.quick ? 2_000 : 4_000,
          inFlight: RELAY_IN_FLIGHT,
          ratePerSec: 0,
          warmupMs: 500,
        });
        const cpu = await tracker.call<number>('cpu');
        cpus.push(cpu);
        rates.push(r.perSec);
        perCpu.push(r.perSec / cpu);
        if (r.rejected > 0) problem = `${r.rejected} signals were refused`;
      } catch (e) {
        problem = msg(e);
      } finally {
        await swarm.stop();
        await tracker.stop();
      }
    }
    if (rates.length === 0) b.failRow(label, problem ?? 'no run completed');
    else {
      const row: Row = { ...label };
      putSpread(row, 'signals_per_sec', rates);
      putSpread(row, 'signals_per_tracker_cpu_sec', perCpu);
      putSpread(row, 'tracker_cpu_share', cpus);
      if (problem !== null) row['problems'] = problem;
      b.rows.push(row);
      const cpu = row['tracker_cpu_share'];
      if (typeof cpu === 'number' && cpu < 0.9)
        b.notes.push(
          `Signal relay: the tracker used ${cpu.toFixed(2)} of its core, so the single client core was (also) a limit; signals/s is a lower bound of the tracker's relay rate; "signals per tracker CPU-s" (signals/s ÷ the tracker's CPU share) estimates what one saturated core would relay, assuming cost per signal stays flat.`,
        );
    }
  }

  // ---- added latency of two nodes on Redis ----
  {
    const label: Row = {
      table: 'redis',
      measure: 'signal latency, 1 node vs 2 nodes on Redis',
      clients: LATENCY_PAIRS * 2,
    };
    const single = { p50: [] as number[], p99: [] as number[] };
    const redis = { p50: [] as number[], p99: [] as number[] };
    const added: number[] = [];
    let problem: string | null = null;
    console.log('  tracker on Redis');
    let redisServer: Awaited<ReturnType<typeof startRedis>> | null = null;
    const workers: Worker[] = [];
    try {
      redisServer = await startRedis();
      const one = spawnWorker('tracker-single', 'tracker-host.ts', gcArgs);
      const nodeA = spawnWorker('tracker-a', 'tracker-host.ts', gcArgs);
      const nodeB = spawnWorker('tracker-b', 'tracker-host.ts', gcArgs);
      workers.push(one, nodeA, nodeB);
      const singleUrl = (await one.call<{ url: string }>('start', { overrides: {} })).url;
      const urlA = (await nodeA.call<{ url: string }>('start', { overrides: { redisUrl: redisServer.url } })).url;
      const urlB = (await nodeB.call<{ url: string }>('start', { overrides: { redisUrl: redisServer.url } })).url;
      for (let run = 1; run <= (ctx.quick ? 1 : 2); run++) {
        const measure = async (a: string, bUrl: string): Promise<{ p50: number; p99: number }> => {
          const swarm = spawnWorker('swarm-latency', 'tracker-swarm.ts');
          try {
            await swarm.call('pair-setup', { urlA: a, urlB: bUrl, count: LATENCY_PAIRS, tag: `lat${run}` });
            const r = await swarm.call<{ latencies: number[]; received: number }>('pair-run', {
              durationMs: ctx.quick ? 2_000 : 3_000,
              inFlight: 0,
              ratePerSec: LATENCY_RATE_PER_PAIR,
              warmupMs: 500,
            });
            if (r.received === 0) throw new Error('no signal arrived');
            const s = latencySummary(r.latencies);
            return { p50: s.p50, p99: s.p99 };
          } finally {
            await swarm.stop();
          }
        };
        try {
          const s1 = await measure(singleUrl, singleUrl);
          const s2 = await measure(urlA, urlB);
          single.p50.push(s1.p50);
          single.p99.push(s1.p99);
          redis.p50.push(s2.p50);
          redis.p99.push(s2.p99);
          added.push(s2.p50 - s1.p50);
        } catch (e) {
          problem = msg(e);
          break;
        }
      }
    } catch (e) {
      problem = msg(e);
    } finally {
      await Promise.all(workers.map((w) => w.stop()));
      await redisServer?.stop();
    }
    if (single.p50.length === 0) b.failRow(label, problem ?? 'no run completed');
    else {
      const row: Row = { ...label };
      putSpread(row, 'single_p50_ms', single.p50);
      putSpread(row, 'single_p99_ms', single.p99);
      putSpread(row, 'redis_p50_ms', redis.p50);
      putSpread(row, 'redis_p99_ms', redis.p99);
      putSpread(row, 'added_p50_ms', added);
      if (problem !== null) row['problems'] = problem;
      b.rows.push(row);
    }
  }
  // ---- an honest round trip and the heap under a capped flood (issue 12's soak) ----
  await measureSoak(ctx, b);
  return b.finish();
};

/** Opens `clients` idle connections to a fresh server and returns memory per connection. */
const idleMemory = async (
  clients: number,
  kind: 'tracker' | 'baseline',
  breakdown = false,
): Promise<{
  heapPerConn: number;
  rssPerConn: number;
  cpu: number;
  alive: number;
  firstError: string | null;
  byKind: { kind: string; bytes: number }[];
}> => {
  const server =
    kind === 'tracker'
      ? spawnWorker('tracker-mem', 'tracker-host.ts', gcArgs)
      : spawnWorker('bare-socketio', 'relay-server.ts', gcArgs);
  const swarms: Worker[] = [];
  try {
    const url =
      kind === 'tracker'
        ? (await server.call<{ url: string }>('start', { overrides: {} })).url
        : `http://127.0.0.1:${await server.call<number>('start', { port: await freePort() })}`;
    await sleep(500);
    const before = await server.call<Mem>('mem');
    const snapBefore = breakdown ? await server.call<string>('snapshot') : null;
    const n = Math.ceil(clients / CLIENTS_PER_SWARM);
    for (let i = 0; i < n; i++) swarms.push(spawnWorker(`swarm-${i + 1}`, 'tracker-swarm.ts'));
    const opened = await Promise.all(
      swarms.map((s, i) =>
        s.call<{ alive: number; failed: number; firstError: string | null }>('idle-open', {
          url,
          count: Math.min(CLIENTS_PER_SWARM, clients - i * CLIENTS_PER_SWARM),
          concurrency: HANDSHAKE_CONCURRENCY,
          bare: kind === 'baseline',
        }),
      ),
    );
    if (kind === 'tracker') await server.call('cpu');
    await sleep(STEADY_HEARTBEATS * DEFAULT_HEARTBEAT_INTERVAL_MS);
    const cpu = kind === 'tracker' ? await server.call<number>('cpu') : Number.NaN;
    const alive = (await Promise.all(swarms.map((s) => s.call<number>('idle-alive')))).reduce((a, c) => a + c, 0);
    const after = await server.call<Mem>('mem');
    let byKind: { kind: string; bytes: number }[] = [];
    if (snapBefore !== null) {
      const snapAfter = await server.call<string>('snapshot');
      byKind = growthPer(heapByKind(snapBefore), heapByKind(snapAfter), alive, HEAP_KINDS_SHOWN);
      rmSync(snapBefore, { force: true });
      rmSync(snapAfter, { force: true });
    }
    if (alive === 0)
      throw new Error(
        `no client stayed connected (${opened.find((o) => o.firstError !== null)?.firstError ?? 'no error reported'})`,
      );
    return {
      heapPerConn: (after.heapUsed - before.heapUsed) / alive,
      rssPerConn: (after.rss - before.rss) / alive,
      cpu,
      alive,
      firstError: opened.find((o) => o.firstError !== null)?.firstError ?? null,
      byKind,
    };
  } finally {
    await Promise.all(swarms.map((s) => s.stop()));
    await server.stop();
  }
};

const msg = errorText;
