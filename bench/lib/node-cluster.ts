// A pool of node-peer worker processes reused by every Node scenario, so a
// group of 16 is 16 processes whatever the mode (floor, relay, FIFO, total).
import { spawnWorker, type Worker } from './rpc.ts';
import { withTimeout } from './wall-clock.ts';

/** tsx compiles the worker on first start; on 2 busy cores that can take a while. */
const SPAWN_READY_TIMEOUT_MS = 60_000;

export class NodeCluster {
  readonly workers: Worker[] = [];

  /** The first n workers, starting missing ones and replacing any that died (a crash fails one row, not the run). */
  async ensure(n: number): Promise<Worker[]> {
    const fresh: Worker[] = [];
    for (let i = 0; i < Math.min(n, this.workers.length); i++) {
      if (this.workers[i]?.alive === false) {
        const w = spawnWorker(`peer-${i + 1}`, 'node-peer.ts');
        this.workers[i] = w;
        fresh.push(w);
      }
    }
    while (this.workers.length < n) {
      const w = spawnWorker(`peer-${this.workers.length + 1}`, 'node-peer.ts');
      this.workers.push(w);
      fresh.push(w);
    }
    await Promise.all(
      fresh.map((w) => withTimeout(w.call('count', { tag: 'ping' }), SPAWN_READY_TIMEOUT_MS, `${w.name} start`)),
    );
    return this.workers.slice(0, n);
  }

  async stop(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.stop()));
    this.workers.length = 0;
  }
}
