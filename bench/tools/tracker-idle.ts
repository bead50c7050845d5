// Whether a tracker keeps many idle heartbeating sessions, as a timeline:
// `npx tsx bench/tools/tracker-idle.ts 19900 [heartbeatMs] [holdS]`.
// Starts a tracker (heartbeat interval `heartbeatMs`, its timeout four
// intervals; default the tracker's own) and swarms of idle clients as
// scenario 5's memory step does, then prints every 10 s: clients connected,
// the tracker's session count, clients lost by disconnect reason, the
// tracker's CPU share and event-loop delay. Shows whether a level measures
// memory or whether the tracker falls behind its heartbeats.
import { spawnWorker, type Worker } from '../lib/rpc.ts';
import { sleep } from '../lib/wall-clock.ts';

const clients = Number(process.argv[2] ?? 5_000);
const heartbeatMs = process.argv[3] === undefined ? null : Number(process.argv[3]);
const holdS = Number(process.argv[4] ?? 60);
const PER_SWARM = 5_000;
const TICK_MS = 10_000;

interface Lag {
  p50: number;
  p99: number;
  max: number;
}

const main = async (): Promise<void> => {
  const tracker = spawnWorker('tracker', 'tracker-host.ts', { nodeArgs: ['--expose-gc'] });
  const swarms: Worker[] = [];
  try {
    const overrides =
      heartbeatMs === null ? {} : { heartbeatIntervalMs: heartbeatMs, heartbeatTimeoutMs: 4 * heartbeatMs };
    const { url } = await tracker.call<{ url: string }>('start', { overrides });
    for (let i = 0; i * PER_SWARM < clients; i++) swarms.push(spawnWorker(`swarm-${i + 1}`, 'tracker-swarm.ts'));
    const t0 = performance.now();
    let opening = true;
    const opened = Promise.all(
      swarms.map((s, i) =>
        s.call('idle-open', {
          url,
          count: Math.min(PER_SWARM, clients - i * PER_SWARM),
          concurrency: 100,
          bare: false,
        }),
      ),
    ).finally(() => {
      opening = false;
      console.log(`all handshakes done after ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    });
    void opened.catch(() => undefined);
    await tracker.call('cpu');
    let heldSince: number | null = null;
    while (heldSince === null || performance.now() - heldSince < holdS * 1000) {
      await sleep(TICK_MS);
      if (!opening) heldSince ??= performance.now();
      const alive = (await Promise.all(swarms.map((s) => s.call<number>('idle-alive')))).reduce((a, c) => a + c, 0);
      const lost = new Map<string, number>();
      for (const r of await Promise.all(swarms.map((s) => s.call<Record<string, number>>('idle-lost'))))
        for (const [k, v] of Object.entries(r)) lost.set(k, (lost.get(k) ?? 0) + v);
      const sessions = await tracker.call<number>('sessions');
      const cpu = await tracker.call<number>('cpu');
      const lag = await tracker.call<Lag>('lag');
      console.log(
        `${((performance.now() - t0) / 1000).toFixed(0).padStart(5)} s  connected ${alive}  tracker sessions ${sessions}  lost ${[...lost].map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}  tracker CPU ${cpu.toFixed(2)}  loop delay p50 ${lag.p50.toFixed(0)} p99 ${lag.p99.toFixed(0)} max ${lag.max.toFixed(0)} ms`,
      );
    }
    await opened;
  } finally {
    await Promise.all(swarms.map((s) => s.stop()));
    await tracker.stop();
  }
};

await main();
