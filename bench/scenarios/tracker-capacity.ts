// Scenario 5: the tracker under many clients. Memory per idle authenticated
// connection (heartbeating as real peers do) against a bare Socket.IO server
// holding the same number of plain connections; signaling relay rate of one
// node pinned to one core; and the latency a second node on Redis adds to a
// relayed signal. The tracker runs in its own process, clients in others.
// The memory step is tracker-idle-memory.ts, the soak tracker-soak.ts.
import type { BenchContext } from '../lib/context.ts';
import { startRedis } from '../lib/redis-server.ts';
import { putSpread, ScenarioBuilder, type Row, type ScenarioReport, errorText } from '../lib/report.ts';
import { spawnWorker, type Worker } from '../lib/rpc.ts';
import { latencySummary } from '../lib/stats.ts';
import { IDLE_MEMORY_METHOD, measureIdleMemory } from './tracker-idle-memory.ts';
import { measureSoak, SOAK_COLUMNS, SOAK_METHOD } from './tracker-soak.ts';

/** Signal pairs for the relay rate; enough senders that no single session limits the rate. */
const RELAY_PAIRS = 40;
/** Unacknowledged signals per sender: deep enough to keep the tracker busy, shallow enough not to time out. */
const RELAY_IN_FLIGHT = 8;
/** Light load per pair for the Redis latency comparison (a join's worth of candidates per second). */
const LATENCY_PAIRS = 10;
const LATENCY_RATE_PER_PAIR = 40;

const gcArgs = { nodeArgs: ['--expose-gc'] };

export const runTrackerCapacity = async (ctx: BenchContext): Promise<ScenarioReport> => {
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
      { key: 'heap_added_bytes_per_conn', header: 'Chorus adds B/conn', kind: 'spread', digits: 0 },
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
      IDLE_MEMORY_METHOD,
      'Baseline: a bare Socket.IO server (the relay server of scenario 1) holding the same number of plain websocket connections, measured the same way.',
      `Relay rate: ${RELAY_PAIRS} member/joiner pairs, each sender keeping ${RELAY_IN_FLIGHT} acknowledged signals in flight; the tracker is pinned to CPU 0 with taskset, the clients to CPU 1; per-session signal rate limits raised so the tracker's relay path (parse, membership check, emit) is what is measured.`,
      `Redis: ${LATENCY_PAIRS} pairs, ${LATENCY_RATE_PER_PAIR} signals/s each; "1 node" has both ends on one tracker, "2 nodes" puts the sender on node A and the receiver on node B of two trackers sharing a real redis-server (started on a free port) through the Socket.IO Redis adapter.`,
      SOAK_METHOD,
    ],
  );

  // ---- memory per idle connection ----
  await measureIdleMemory(ctx, b);

  // BENCH_TRACKER_MEMORY_ONLY=1 looks into the memory step alone.
  if (process.env['BENCH_TRACKER_MEMORY_ONLY'] === '1') return b.finish();

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

const msg = errorText;
