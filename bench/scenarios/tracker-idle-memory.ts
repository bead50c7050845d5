// Scenario 5's memory step: the tracker's heap per idle authenticated
// connection against a bare Socket.IO server holding as many plain
// connections, per client count, with what makes a level's figure valid
// (nearly every client still connected, the tracker's own count agreeing)
// and issue 15's targets. Each server runs alone in its own process, the
// clients in swarm processes.
import { rmSync } from 'node:fs';
import type { BenchContext } from '../lib/context.ts';
import { freePort } from '../lib/free-port.ts';
import { growthPer, heapByKind } from '../lib/heap-snapshot.ts';
import { openFilesLimit } from '../lib/machine.ts';
import { checkTarget, errorText, putSpread, type Row, type ScenarioBuilder, type TargetCheck } from '../lib/report.ts';
import { spawnWorker, type Worker } from '../lib/rpc.ts';
import { ratio } from '../lib/stats.ts';
import { sleep } from '../lib/wall-clock.ts';

/** One swarm process holds at most this many clients (its own fds and event loop stay comfortable). */
const CLIENTS_PER_SWARM = 5_000;
/** Concurrent handshakes per swarm process: a faster storm measures the accept queue, not memory. */
const HANDSHAKE_CONCURRENCY = 100;
/** fds the tracker process needs besides client sockets (stdio, listener, Redis, timers' fds). */
const FD_HEADROOM = 100;
/** Heartbeats keep flowing for two intervals before memory is read, so every session is in steady state. */
const STEADY_HEARTBEATS = 2;
/**
 * The heartbeat interval the tracker announces in the memory step (its timeout is four intervals; the bare
 * server's clients send nothing and are read after the tracker's default 2 s × 2). Not the default 2 s: at
 * 19 900 clients 2 s makes ~10 000 heartbeats/s besides Socket.IO's pings, and a CPU profile of the tracker
 * holding 2 000 idle clients at load ~20 (2026-12-01) spent ~40 µs of its CPU per client per second, so
 * 19 900 need ~0.8 of a core while a tracker sharing this 2-core machine got 0.06–0.16: it fell behind, its
 * event loop lagged past the heartbeat timeout, and its sweep failed and closed every session at once
 * (`npx tsx bench/tools/tracker-idle.ts 19900` prints the timeline). What a session keeps does not depend on how
 * often it beats (BENCHMARKS.md, the record of 2026-12-01, compares 2 s and this at 5 000 clients).
 * `BENCH_TRACKER_HEARTBEAT_MS=2000` runs the step at another interval.
 */
const MEMORY_HEARTBEAT_INTERVAL_MS = Number(process.env['BENCH_TRACKER_HEARTBEAT_MS'] ?? 20_000);
const DEFAULT_HEARTBEAT_INTERVAL_MS = 2_000;
/** The bare server's clients send nothing: its memory is read this long after the last one connected. */
const BARE_STEADY_MS = STEADY_HEARTBEATS * DEFAULT_HEARTBEAT_INTERVAL_MS;
/** Issue 15: from this many clients on, Chorus adds at most this heap per idle connection over bare Socket.IO… */
const TARGET_MIN_CLIENTS = 5_000;
const ADDED_HEAP_LIMIT = 1_536;
/** …and holds at most this much in all. */
const TOTAL_HEAP_LIMIT = 12_288;
const ADDED_HEAP_TARGET = '≤ 1.5 KB heap per idle tracker connection over bare Socket.IO';
const TOTAL_HEAP_TARGET = '≤ 12 KB heap per idle tracker connection in all';
/**
 * A run counts only if nearly every client stayed connected to both servers and the tracker's own count of
 * sessions agrees with the clients': growth divided by a fraction of the clients is the level's fixed costs
 * (maps sized for all of them, the handshake's garbage) spread thin, not memory per connection.
 */
const MAX_LOST_SHARE = 0.01;

interface Mem {
  heapUsed: number;
  rss: number;
}

const gcArgs = { nodeArgs: ['--expose-gc'] };
/** Kinds of heap objects listed in the per-connection breakdown. */
const HEAP_KINDS_SHOWN = 12;

export const IDLE_MEMORY_METHOD = `Idle connections: authenticated sessions (Ed25519 hello) sending a heartbeat every interval the tracker announces (${MEMORY_HEARTBEAT_INTERVAL_MS} ms here, the default is 2 000: the tracker on this shared machine could not keep up with 19 900 clients beating every 2 s, see the note), websocket only, from separate swarm processes (≤ ${CLIENTS_PER_SWARM} clients each). The tracker (apps/tracker startTracker, in-memory store) runs alone in its own process; heap and RSS are read after two forced GCs, before any client connects and again after ${STEADY_HEARTBEATS} heartbeat intervals with all clients connected (the bare server's after ${BARE_STEADY_MS / 1000} s); per connection = difference / connected clients. A run counts only if at least ${100 * (1 - MAX_LOST_SHARE)} % of the clients stayed connected to each server and the tracker's own session count agrees with its clients'; otherwise the level says why it was not measured. A fresh tracker per level and run.`;

/** Rows, targets and notes of the memory step, one level after another. */
export const measureIdleMemory = async (ctx: BenchContext, b: ScenarioBuilder): Promise<void> => {
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
    const added: number[] = [];
    const invalid: string[] = [];
    let problem: string | null = null;
    console.log(`  tracker memory: ${clients} clients`);
    for (let run = 1; run <= runsAt(level) && problem === null; run++) {
      try {
        const t = await idleMemory(clients, 'tracker');
        const base = await idleMemory(clients, 'baseline');
        const why = invalidRun(clients, t, base);
        if (why !== null) {
          // Per connection over a fraction of the clients is the level's fixed costs spread thin: not a figure.
          invalid.push(`run ${run}: ${why}`);
          continue;
        }
        perRun.heap.push(t.heapPerConn);
        perRun.rss.push(t.rssPerConn);
        perRun.cpu.push(t.cpu);
        perRun.bHeap.push(base.heapPerConn);
        perRun.bRss.push(base.rssPerConn);
        perRun.ratio.push(ratio(t.heapPerConn, base.heapPerConn));
        added.push(t.heapPerConn - base.heapPerConn);
      } catch (e) {
        problem = msg(e);
      }
    }
    if (invalid.length > 0) b.notes.push(`${clients} clients, not measured validly: ${invalid.join('; ')}.`);
    if (perRun.heap.length === 0) {
      b.failRow(label, problem ?? (invalid.length > 0 ? `no valid run (${invalid.join('; ')})` : 'no run completed'));
      if (clients >= TARGET_MIN_CLIENTS) b.targets.push(...memoryTargets(clients, undefined, undefined));
      continue;
    }
    const row: Row = { ...label };
    putSpread(row, 'heap_bytes_per_conn', perRun.heap);
    putSpread(row, 'rss_bytes_per_conn', perRun.rss);
    putSpread(row, 'baseline_heap_bytes_per_conn', perRun.bHeap);
    putSpread(row, 'baseline_rss_bytes_per_conn', perRun.bRss);
    putSpread(row, 'heap_added_bytes_per_conn', added);
    putSpread(row, 'heap_over_baseline', perRun.ratio);
    putSpread(row, 'tracker_cpu_share', perRun.cpu);
    if (problem !== null) {
      row['problems'] = problem;
      b.notes.push(`${clients} clients: ${problem}`);
    }
    b.rows.push(row);
    if (clients >= TARGET_MIN_CLIENTS)
      b.targets.push(...memoryTargets(clients, row['heap_added_bytes_per_conn'], row['heap_bytes_per_conn']));
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

  if (MEMORY_HEARTBEAT_INTERVAL_MS !== DEFAULT_HEARTBEAT_INTERVAL_MS)
    b.notes.push(
      `Idle memory: clients heartbeat every ${MEMORY_HEARTBEAT_INTERVAL_MS} ms, not the tracker's default ${DEFAULT_HEARTBEAT_INTERVAL_MS} ms. At 19 900 clients ${DEFAULT_HEARTBEAT_INTERVAL_MS} ms means ~10 000 heartbeats/s besides Socket.IO's pings; a CPU profile of the tracker holding 2 000 idle clients at load ~20 spent ~40 µs of tracker CPU per client per second (Socket.IO's receive path most of it), so 19 900 need ~0.8 core, and a tracker sharing this 2-core machine with other work got 0.06–0.16 core: it fell behind, its event loop lagged past the heartbeat timeout and it failed and closed every session at once (\`npx tsx bench/tools/tracker-idle.ts 19900\` prints the timeline). What a session retains does not depend on how often it beats: bench/results/comparisons.md, 2026-12-01, compares both intervals at 5 000 clients.`,
    );
};

export interface IdleRun {
  heapPerConn: number;
  rssPerConn: number;
  cpu: number;
  /** Clients connected when memory was read, as the clients see it. */
  alive: number;
  /** Sessions the tracker counted at that moment (null for the bare server, which has no sessions). */
  sessions: number | null;
  /** Clients that lost their connection, by disconnect reason ('' when none). */
  lost: string;
  firstError: string | null;
  byKind: { kind: string; bytes: number }[];
}

/** Opens `clients` idle connections to a fresh server and returns memory per connection. */
const idleMemory = async (clients: number, kind: 'tracker' | 'baseline', breakdown = false): Promise<IdleRun> => {
  const server =
    kind === 'tracker'
      ? spawnWorker('tracker-mem', 'tracker-host.ts', gcArgs)
      : spawnWorker('bare-socketio', 'relay-server.ts', gcArgs);
  const swarms: Worker[] = [];
  try {
    const url =
      kind === 'tracker'
        ? (
            await server.call<{ url: string }>('start', {
              overrides: {
                heartbeatIntervalMs: MEMORY_HEARTBEAT_INTERVAL_MS,
                heartbeatTimeoutMs: 4 * MEMORY_HEARTBEAT_INTERVAL_MS,
              },
            })
          ).url
        : `http://127.0.0.1:${await server.call<number>('start', { port: await freePort() })}`;
    await sleep(500);
    const before = await server.call<Mem>('mem');
    const snapBefore = breakdown ? await server.call<string>('snapshot') : null;
    const n = Math.ceil(clients / CLIENTS_PER_SWARM);
    for (let i = 0; i < n; i++) swarms.push(spawnWorker(`swarm-${i + 1}`, 'tracker-swarm.ts'));
    const opened = await Promise.all(
      swarms.map((s, i) =>
        s.call<{ alive: number; failed: number; firstError: string | null; openMs: number }>('idle-open', {
          url,
          count: Math.min(CLIENTS_PER_SWARM, clients - i * CLIENTS_PER_SWARM),
          concurrency: HANDSHAKE_CONCURRENCY,
          bare: kind === 'baseline',
        }),
      ),
    );
    if (kind === 'tracker') {
      await server.call('cpu');
      console.log(`    tracker event loop delay while clients connected: ${fmtLag(await server.call<Lag>('lag'))}`);
    }
    await sleep(kind === 'tracker' ? STEADY_HEARTBEATS * MEMORY_HEARTBEAT_INTERVAL_MS : BARE_STEADY_MS);
    const cpu = kind === 'tracker' ? await server.call<number>('cpu') : Number.NaN;
    const alive = (await Promise.all(swarms.map((s) => s.call<number>('idle-alive')))).reduce((a, c) => a + c, 0);
    const lost = lostByReason(await Promise.all(swarms.map((s) => s.call<Record<string, number>>('idle-lost'))));
    const failed = opened.reduce((a, o) => a + o.failed, 0);
    const sessions = kind === 'tracker' ? await server.call<number>('sessions') : null;
    const tracked =
      kind === 'tracker'
        ? `; the tracker holds ${sessions} sessions, event loop delay ${fmtLag(await server.call<Lag>('lag'))}`
        : '';
    console.log(
      `    ${kind}: ${alive} of ${clients} connected after ${Math.round(Math.max(...opened.map((o) => o.openMs)) / 1000)} s of handshakes; failed to connect ${failed}; lost ${lost || 'none'}${tracked}`,
    );
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
      sessions,
      lost,
      firstError: opened.find((o) => o.firstError !== null)?.firstError ?? null,
      byKind,
    };
  } finally {
    await Promise.all(swarms.map((s) => s.stop()));
    await server.stop();
  }
};

const memoryTargets = (
  clients: number,
  added: Row[string] | undefined,
  total: Row[string] | undefined,
): TargetCheck[] => [
  checkTarget(ADDED_HEAP_TARGET, `${clients} clients`, added, '<=', ADDED_HEAP_LIMIT),
  checkTarget(TOTAL_HEAP_TARGET, `${clients} clients`, total, '<=', TOTAL_HEAP_LIMIT),
];

/** Why a run's per-connection figures are not valid, or null. */
export const invalidRun = (clients: number, t: IdleRun, base: IdleRun): string | null => {
  const least = Math.ceil(clients * (1 - MAX_LOST_SHARE));
  const problems: string[] = [];
  if (t.alive < least)
    problems.push(`the tracker kept ${t.alive} of ${clients} clients${t.lost ? ` (lost: ${t.lost})` : ''}`);
  if (base.alive < least)
    problems.push(`bare Socket.IO kept ${base.alive} of ${clients} clients${base.lost ? ` (lost: ${base.lost})` : ''}`);
  if (t.sessions !== null && Math.abs(t.sessions - t.alive) > clients * MAX_LOST_SHARE)
    problems.push(`the tracker counted ${t.sessions} sessions where its clients saw ${t.alive} connected`);
  if (problems.length > 0 && t.firstError !== null) problems.push(`first error: ${t.firstError}`);
  return problems.length === 0 ? null : problems.join(', ');
};

interface Lag {
  p50: number;
  p99: number;
  max: number;
}
const fmtLag = (l: Lag): string => `p50 ${l.p50.toFixed(0)} ms, p99 ${l.p99.toFixed(0)} ms, max ${l.max.toFixed(0)} ms`;

/** "io server disconnect 12, ping timeout 3" summed over the swarms ('' when none was lost). */
const lostByReason = (perSwarm: readonly Record<string, number>[]): string => {
  const sum = new Map<string, number>();
  for (const r of perSwarm) for (const [k, v] of Object.entries(r)) sum.set(k, (sum.get(k) ?? 0) + v);
  return [...sum].map(([k, v]) => `${k} ${v}`).join(', ');
};

const msg = errorText;
