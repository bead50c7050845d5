// Runs one tracker node (apps/tracker startTracker) in its own process so the
// bench can read its heap after a forced GC, pin it to one core, and keep
// client load generators out of its numbers. Start with --expose-gc.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeHeapSnapshot } from 'node:v8';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { serve } from '../lib/rpc.ts';

interface Running {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Variable specifier: type-checking must not depend on the tracker package being finished. */
const TRACKER_MODULE: string = '@chorus/tracker';

let tracker: Running | null = null;
let cpuMark = process.cpuUsage();
let wallMark = performance.now();
/** How late the tracker's event loop ran its turns (a starved or saturated tracker misses heartbeats). */
const loopDelay = monitorEventLoopDelay({ resolution: 20 });
loopDelay.enable();

const gc = (): void => {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g === undefined) throw new Error('tracker-host needs --expose-gc');
  // Twice: the first pass frees, the second collects what finalizers released.
  g();
  g();
};

serve({
  start: async ({ overrides }: { overrides: Record<string, unknown> }) => {
    const mod = (await import(TRACKER_MODULE)) as { startTracker?: (c: unknown) => Promise<Running> };
    if (typeof mod.startTracker !== 'function') throw new Error('@chorus/tracker does not export startTracker yet');
    // startTracker fills the rest from its defaults (the values `npm start` runs with), except the
    // per-address connection cap: every benchmark client connects from 127.0.0.1.
    tracker = await mod.startTracker({
      logLevel: 'warn',
      port: 0,
      host: '127.0.0.1',
      maxConnectionsPerAddress: 1_000_000,
      ...overrides,
    });
    return { url: tracker.url, port: tracker.port };
  },
  /** Heap and RSS after a full GC, so per-connection figures are retained memory, not garbage. */
  mem: () => {
    gc();
    const m = process.memoryUsage();
    return { heapUsed: m.heapUsed, rss: m.rss, external: m.external, arrayBuffers: m.arrayBuffers };
  },
  /** CPU share of this process since the last call (1.0 = one core busy). */
  cpu: () => {
    const used = process.cpuUsage(cpuMark);
    const wall = performance.now() - wallMark;
    cpuMark = process.cpuUsage();
    wallMark = performance.now();
    return (used.user + used.system) / 1000 / wall;
  },
  /** Event-loop delay since the last call, ms: p50, p99 and max. */
  lag: () => {
    const ms = (ns: number): number => ns / 1e6;
    const r = { p50: ms(loopDelay.percentile(50)), p99: ms(loopDelay.percentile(99)), max: ms(loopDelay.max) };
    loopDelay.reset();
    return r;
  },
  /** Authenticated sessions the tracker holds (its own count, /api/stats). */
  sessions: async () => {
    if (tracker === null) return 0;
    const stats = (await (await fetch(`${tracker.url}/api/stats`)).json()) as { sessions?: number };
    return stats.sessions ?? 0;
  },
  /** Writes a heap snapshot (after a full GC) and returns its path. */
  snapshot: () => {
    gc();
    return writeHeapSnapshot(join(tmpdir(), `chorus-bench-tracker-${process.pid}-${Date.now()}.heapsnapshot`));
  },
  stop: async () => {
    await tracker?.close();
    tracker = null;
  },
});
